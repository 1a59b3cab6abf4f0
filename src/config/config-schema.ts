import { z } from 'zod';
import { DAY, LATE_FROM, SECOND, type LateFrom } from '../core/index.js';
import { parseLivekitKeys, type LiveKitKeyPair } from './livekit-keys.js';

/**
 * The environment schema. Keys are the variable names users set, values the parsed fields.
 *
 * Every value is trimmed first, and an empty or blank value counts as unset (so `PORT=` in a compose
 * file means "use the default", not "port 0"). Defaults are the strings in {@link CONFIG_VARIABLES},
 * parsed by the same rule as a user's value, so the documented default and the real one cannot drift.
 */

/** ParticipantInfo.Kind enum names (livekit-reference, Kind). */
export const PARTICIPANT_KIND_NAMES = [
  'STANDARD',
  'INGRESS',
  'EGRESS',
  'SIP',
  'AGENT',
  'CONNECTOR',
  'BRIDGE',
] as const;

/** pino's level names, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** SQLite `synchronous` levels offered (WAL mode); the store names the same two. */
export const SQLITE_SYNCHRONOUS_LEVELS = ['full', 'normal'] as const;
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS_LEVELS)[number];

export const DEMO_MODES = ['auto', 'on', 'off'] as const;
export type DemoMode = (typeof DEMO_MODES)[number];

/** Largest delay Node's timers accept (2^31 - 1 ms); longer ones fire at once with a warning. */
const MAX_TIMER_SECONDS = Math.floor(2_147_483_647 / SECOND);

/** Where the service listens when HOST is unset (all IPv4 interfaces). */
export const DEFAULT_HOST = '0.0.0.0';
/** Demo mode listens on loopback only unless HOST says otherwise: its key pair is public. */
export const DEMO_DEFAULT_HOST = '127.0.0.1';
/** The database when DATABASE_URL is unset. */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/attendance.db';
/** Demo mode's own database when DATABASE_URL is unset: the simulated class never mixes with real data. */
export const DEMO_DEFAULT_DATABASE_URL = 'sqlite:./data/demo.db';

/** Largest WEBHOOK_BODY_LIMIT_BYTES: LiveKit's events are a few KB; 16 MiB bounds what one request may buffer. */
export const MAX_WEBHOOK_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** Variables whose values must never be echoed, not even in an error message. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'LIVEKIT_API_SECRET',
  'LIVEKIT_KEYS',
  'API_TOKEN',
  'EVENT_WEBHOOK_SECRET',
  'API_READ_TOKENS',
  'DASHBOARD_SESSION_SECRET',
]);

/** One row of the options table: README, `--help` and the schema share it. */
export interface ConfigVariable {
  name: string;
  /** The default as the user would write it; null when the variable has none. */
  default: string | null;
  description: string;
}

/**
 * Every variable the service reads, in the order of the README table. The schema below is keyed by
 * the same names; a test keeps the two in step.
 */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.freeze([
  {
    name: 'PORT',
    default: '8080',
    description: 'TCP port of the HTTP server, integer 0-65535; 0 picks a free port.',
  },
  {
    name: 'HOST',
    default: null,
    description: `Address the HTTP server binds to, e.g. 127.0.0.1 or :: (no spaces). Unset: ${DEFAULT_HOST} (all interfaces), or ${DEMO_DEFAULT_HOST} in demo mode.`,
  },
  {
    name: 'DATABASE_URL',
    default: null,
    description: `sqlite:<path> (relative to the working directory, or :memory:) or postgres://user:pass@host:port/db (postgresql:// also accepted). Unset: ${DEFAULT_DATABASE_URL}, or ${DEMO_DEFAULT_DATABASE_URL} in demo mode.`,
  },
  {
    name: 'LIVEKIT_URL',
    default: null,
    description:
      'LiveKit server URL, http(s):// or ws(s)://; ws is used as http and wss as https for the API. Unset: no reconciliation (demo mode when DEMO=auto and no LiveKit URL, key or secret is set).',
  },
  {
    name: 'LIVEKIT_API_URL',
    default: null,
    description: 'Alias of LIVEKIT_URL; when both are set they must name the same server.',
  },
  {
    name: 'LIVEKIT_API_KEY',
    default: null,
    description:
      'LiveKit API key; verifies webhooks and signs RoomService calls. Required with LIVEKIT_URL or LIVEKIT_API_SECRET unless LIVEKIT_KEYS is set; with LIVEKIT_KEYS and no LIVEKIT_API_SECRET it picks the pair RoomService calls use.',
  },
  {
    name: 'LIVEKIT_API_SECRET',
    default: null,
    description:
      'LiveKit API secret; required with LIVEKIT_API_KEY unless LIVEKIT_KEYS lists that key. Never logged.',
  },
  {
    name: 'LIVEKIT_KEYS',
    default: null,
    description:
      'Several LiveKit key pairs in livekit-server\'s own format, "key: secret" one per line (or {key1: secret1, key2: secret2}), beside or instead of LIVEKIT_API_KEY/LIVEKIT_API_SECRET: a webhook is verified with the secret of its iss key; RoomService calls use LIVEKIT_API_KEY, or the first pair. Never logged.',
  },
  {
    name: 'API_TOKEN',
    default: null,
    description:
      'Bearer token for every /api/ route and /metrics, at least 16 characters. Unset: serve generates one at start and prints it once. Never logged.',
  },
  {
    name: 'API_READ_TOKENS',
    default: null,
    description:
      'Comma-separated read-only bearer tokens, each at least 16 characters and none equal to API_TOKEN: they may call every GET route (and /metrics) and get 403 forbidden on any other. Never logged.',
  },
  {
    name: 'API_RATE_LIMIT_PER_MINUTE',
    default: '6000',
    description:
      'Requests a minute each API token may make (requests without a valid token: per client address), integer 0-1000000; 0 turns the limit off. Webhooks, /healthz and /readyz are never limited.',
  },
  {
    name: 'DASHBOARD_SESSION_SECRET',
    default: null,
    description:
      'Secret the dashboard sign-in cookie is encrypted and signed with, at least 32 characters. Unset: 32 random bytes at each start (a restart signs everyone out; several instances need it set, or sticky sessions). Never logged.',
  },
  {
    name: 'RECONCILE_INTERVAL_SECONDS',
    default: '120',
    description: `Seconds between reconcile passes, integer 5-${MAX_TIMER_SECONDS}.`,
  },
  {
    name: 'LIVEKIT_TIMEOUT_SECONDS',
    default: '10',
    description: 'Timeout of one RoomService request in seconds, integer 1-60.',
  },
  {
    name: 'WEBHOOK_BODY_LIMIT_BYTES',
    default: '1048576',
    description: `Largest webhook body accepted, in bytes, integer 1-${MAX_WEBHOOK_BODY_LIMIT_BYTES} (16 MiB); larger bodies get 413.`,
  },
  {
    name: 'INBOX_RETENTION_DAYS',
    default: '90',
    description:
      'Applied raw webhooks and reconciler observations older than this many days are pruned from the inbox, integer 0-36500; 0 keeps everything. Cycles and the audit trail are kept; rebuild keeps the cycles the pruned entries made.',
  },
  {
    name: 'UNCOUNTED_KINDS',
    default: 'EGRESS,INGRESS,AGENT,BRIDGE',
    description: `Comma-separated participant kinds not counted as attendance, from ${PARTICIPANT_KIND_NAMES.join(', ')} (case-insensitive); none counts every kind.`,
  },
  {
    name: 'STATUS_CACHE_ENTRIES',
    default: '10000',
    description:
      'SQLite only: participant statuses (room and session reads) kept in memory until the database next changes (any write, by this or another process), integer 0-1000000; 0 turns the cache off.',
  },
  {
    name: 'SQLITE_SYNCHRONOUS',
    default: 'full',
    description:
      'SQLite only: full (every acknowledged webhook is on disk before the 200) or normal (faster commits; a power loss or OS crash may drop the last acknowledged ones).',
  },
  {
    name: 'POLICY_LATE_AFTER_MINUTES',
    default: '5',
    description:
      'Default status policy of new sessions: arriving more than this many minutes after the reference start is late, integer 0-10080.',
  },
  {
    name: 'POLICY_LEFT_EARLY_MINUTES',
    default: '5',
    description:
      'Default status policy: leaving more than this many minutes before the end is left_early, integer 0-10080.',
  },
  {
    name: 'POLICY_PRESENT_PERCENT',
    default: '75',
    description:
      'Default status policy: attending less than this percentage of the scheduled time is partial, integer 0-100.',
  },
  {
    name: 'POLICY_ABSENT_BELOW_MINUTES',
    default: '1',
    description:
      'Default status policy: attending less than this many minutes is absent, integer 0-10080.',
  },
  {
    name: 'POLICY_LATE_FROM',
    default: 'start',
    description:
      'Default status policy: lateness is measured from the session start (start) or from the first host arrival, if later (host).',
  },
  {
    name: 'EVENT_WEBHOOK_URLS',
    default: null,
    description:
      'Comma-separated http(s) URLs that receive outbound attendance events (Standard Webhooks). Unset: no outbound events.',
  },
  {
    name: 'EVENT_WEBHOOK_SECRET',
    default: null,
    description:
      'Signing secret of outbound events, whsec_ followed by base64 (at least 16 bytes); required with EVENT_WEBHOOK_URLS. Never logged.',
  },
  {
    name: 'LOG_LEVEL',
    default: 'info',
    description: `Log level: ${LOG_LEVELS.join(', ')}.`,
  },
  {
    name: 'DEMO',
    default: 'auto',
    description:
      'auto, on or off. Demo mode runs the embedded LiveKit emulator and a simulated class, with the public development key pair, on 127.0.0.1 and sqlite:./data/demo.db unless HOST or DATABASE_URL say otherwise; auto turns it on when none of LIVEKIT_URL, LIVEKIT_API_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET and LIVEKIT_KEYS is set, and refuses a PostgreSQL DATABASE_URL (on allows it). Outside demo mode serve needs LIVEKIT_API_KEY and LIVEKIT_API_SECRET, or LIVEKIT_KEYS.',
  },
]);

function defaultOf(name: string): string | undefined {
  return CONFIG_VARIABLES.find((v) => v.name === name)?.default ?? undefined;
}

/** Trims; blank becomes undefined. Anything that is not a string is passed on for zod to reject. */
function blankToUndefined(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A variable with a documented default: blank or unset takes the default, then `schema` parses it. */
function withDefault<T extends z.ZodType<unknown, string>>(name: string, schema: T) {
  const fallback = defaultOf(name);
  if (fallback === undefined) throw new Error(`CONFIG_VARIABLES has no default for ${name}`);
  return z.preprocess((v) => blankToUndefined(v) ?? fallback, schema);
}

/** A variable without a default: blank or unset is `undefined`. */
function optional<T extends z.ZodType<unknown, string>>(schema: T) {
  return z.preprocess(blankToUndefined, schema.optional());
}

/** Decimal integer in [min, max]; rejects `1e3`, `0x10`, `8080abc` and fractions. */
function integer(min: number, max: number) {
  const rule =
    max === Number.MAX_SAFE_INTEGER
      ? `must be an integer of at least ${min}`
      : `must be an integer from ${min} to ${max}`;
  return z.string().transform((s, ctx) => {
    const n = /^[+-]?\d+$/.test(s) ? Number(s) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: rule });
      return z.NEVER;
    }
    return n;
  });
}

function oneOf<const T extends readonly string[]>(values: T, normalise: (s: string) => string) {
  const rule = `must be one of ${values.join(', ')}`;
  return z.string().transform((s, ctx): T[number] => {
    const v = normalise(s);
    if (!values.includes(v)) {
      ctx.addIssue({ code: 'custom', message: rule });
      return z.NEVER;
    }
    return v;
  });
}

const DATABASE_URL_PREFIXES = ['sqlite:', 'postgres://', 'postgresql://'] as const;

const databaseUrl = z.string().superRefine((url, ctx) => {
  const prefix = DATABASE_URL_PREFIXES.find((p) => url.startsWith(p));
  if (prefix === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'must start with sqlite:, postgres:// or postgresql://',
    });
  } else if (url.length === prefix.length) {
    ctx.addIssue({
      code: 'custom',
      message:
        prefix === 'sqlite:'
          ? 'must name a file after sqlite: (or :memory:)'
          : `must name a host after ${prefix}`,
    });
  }
});

/**
 * `url` with its password replaced by `mask`, for logs and error messages. Handles the userinfo of
 * `postgres://user:pass@host/db` (splitting at the last `@`, so an unencoded `@` or `/` in the
 * password stays hidden; a path containing `@` is over-masked, which is the safe side) and libpq's
 * `?password=` parameter. SQLite URLs carry no password and come back unchanged.
 */
export function maskDatabasePassword(url: string, mask: string): string {
  if (url.startsWith('sqlite:')) return url;
  const schemeEnd = url.indexOf('://');
  const start = schemeEnd === -1 ? 0 : schemeEnd + 3;
  let out = url;
  const at = url.lastIndexOf('@');
  if (at > start) {
    const colon = url.indexOf(':', start);
    if (colon !== -1 && colon < at) out = `${url.slice(0, colon + 1)}${mask}${url.slice(at)}`;
  }
  return out.replace(/([?&]password=)[^&#]*/gi, `$1${mask}`);
}

/**
 * The RoomService base URL. LiveKit documents one URL for clients (`wss://`) and the server SDK
 * rewrites `ws` to `http`; doing it here means logs and errors show the URL actually called.
 */
export function normaliseLivekitUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  const protocol = { 'http:': 'http:', 'https:': 'https:', 'ws:': 'http:', 'wss:': 'https:' }[
    url.protocol
  ];
  // Credentials in the URL would be sent to every hop and logged with it; they belong in the key/secret.
  if (protocol === undefined || url.hostname === '' || url.username !== '' || url.password !== '') {
    return null;
  }
  if (url.search !== '' || url.hash !== '') return null;
  const path = url.pathname.replace(/\/+$/, '');
  return `${protocol}//${url.host}${path}`;
}

const livekitUrl = z.string().transform((s, ctx) => {
  const url = normaliseLivekitUrl(s);
  if (url === null) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an http://, https://, ws:// or wss:// URL with a host and no credentials',
    });
    return z.NEVER;
  }
  return url;
});

const uncountedKinds = z.string().transform((s, ctx) => {
  const names = s
    .split(',')
    .map((k) => k.trim().toUpperCase())
    .filter((k) => k !== '');
  // NONE: count every kind (agents and recorders too).
  if (names.length === 1 && names[0] === 'NONE') return [];
  const unknown = names.filter((k) => !(PARTICIPANT_KIND_NAMES as readonly string[]).includes(k));
  if (names.length === 0 || unknown.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a comma-separated list of ${PARTICIPANT_KIND_NAMES.join(', ')}, or none`,
    });
    return z.NEVER;
  }
  return [...new Set(names)];
});

/** At least this many bytes of key in EVENT_WEBHOOK_SECRET (Standard Webhooks uses 24 to 64). */
const MIN_EVENT_SECRET_BYTES = 16;

const eventWebhookUrls = z.string().transform((s, ctx) => {
  const urls = s
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  const bad = urls.filter((u) => {
    try {
      const url = new URL(u);
      return (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '';
    } catch {
      return true;
    }
  });
  if (urls.length === 0 || bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of http(s):// URLs' });
    return z.NEVER;
  }
  return [...new Set(urls)];
});

const eventWebhookSecret = z.string().refine(
  (s) => {
    if (!s.startsWith('whsec_')) return false;
    const key = s.slice('whsec_'.length);
    return (
      /^[A-Za-z0-9+/]+={0,2}$/.test(key) &&
      Buffer.from(key, 'base64').length >= MIN_EVENT_SECRET_BYTES
    );
  },
  { message: `must be whsec_ followed by base64 of at least ${MIN_EVENT_SECRET_BYTES} bytes` },
);

function checkEventWebhookGroup(env: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (env['EVENT_WEBHOOK_URLS'] !== undefined && env['EVENT_WEBHOOK_SECRET'] === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['EVENT_WEBHOOK_SECRET'],
      message: 'is required when EVENT_WEBHOOK_URLS is set',
    });
  }
}
const readTokens = z.string().transform((s, ctx) => {
  const tokens = s
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  // Never quote a token in the message: these are secrets.
  if (tokens.length === 0 || tokens.some((t) => t.length < 16)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a comma-separated list of tokens of at least 16 characters each',
    });
    return z.NEVER;
  }
  return [...new Set(tokens)];
});

/**
 * Rules across variables. They read the half-parsed object defensively (a field that failed still
 * holds its input or zod's NEVER marker) so they run, and report, even when a field rule failed:
 * the user sees every problem in one go.
 */
function checkLivekitGroup(env: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const isSet = (name: string): boolean => env[name] !== undefined;
  const url = env['LIVEKIT_URL'];
  const alias = env['LIVEKIT_API_URL'];
  if (typeof url === 'string' && typeof alias === 'string' && url !== alias) {
    ctx.addIssue({
      code: 'custom',
      path: ['LIVEKIT_API_URL'],
      message: 'must match LIVEKIT_URL when both are set (it is an alias)',
    });
  }
  const urlSet = isSet('LIVEKIT_URL') || isSet('LIVEKIT_API_URL');
  const keysSet = isSet('LIVEKIT_KEYS');
  // Parsed pairs, or null while LIVEKIT_KEYS is unset or failed its own rule.
  const pairs = Array.isArray(env['LIVEKIT_KEYS'])
    ? (env['LIVEKIT_KEYS'] as LiveKitKeyPair[])
    : null;
  const apiKey = env['LIVEKIT_API_KEY'];
  const apiSecret = env['LIVEKIT_API_SECRET'];
  const problem = (path: string, message: string): void =>
    ctx.addIssue({ code: 'custom', path: [path], message });

  // A key pair from either source: LIVEKIT_KEYS stands in for both halves.
  if (!isSet('LIVEKIT_API_KEY') && !keysSet) {
    const because = [
      urlSet ? 'LIVEKIT_URL' : null,
      isSet('LIVEKIT_API_SECRET') ? 'LIVEKIT_API_SECRET' : null,
    ];
    const named = because.filter((n) => n !== null);
    if (named.length > 0)
      problem('LIVEKIT_API_KEY', `is required when ${named.join(' or ')} is set`);
  }
  if (!isSet('LIVEKIT_API_SECRET') && !keysSet) {
    const because = [
      urlSet ? 'LIVEKIT_URL' : null,
      isSet('LIVEKIT_API_KEY') ? 'LIVEKIT_API_KEY' : null,
    ];
    const named = because.filter((n) => n !== null);
    if (named.length > 0)
      problem('LIVEKIT_API_SECRET', `is required when ${named.join(' or ')} is set`);
  }
  if (keysSet && isSet('LIVEKIT_API_SECRET') && !isSet('LIVEKIT_API_KEY')) {
    problem('LIVEKIT_API_KEY', 'is required when LIVEKIT_API_SECRET is set');
  }
  if (pairs !== null && typeof apiKey === 'string') {
    const listed = pairs.find((p) => p.apiKey === apiKey);
    if (!isSet('LIVEKIT_API_SECRET') && listed === undefined) {
      problem(
        'LIVEKIT_API_SECRET',
        'is required when LIVEKIT_API_KEY is set and LIVEKIT_KEYS does not list that key',
      );
    }
    if (typeof apiSecret === 'string' && listed !== undefined && listed.apiSecret !== apiSecret) {
      // Never say which secret is right: both are secrets.
      problem('LIVEKIT_KEYS', 'gives LIVEKIT_API_KEY a different secret than LIVEKIT_API_SECRET');
    }
  }
}

/**
 * Every pair webhooks are verified with, LIVEKIT_API_KEY's first, and the pair RoomService calls
 * are signed with: LIVEKIT_API_KEY's (its secret from LIVEKIT_API_SECRET or LIVEKIT_KEYS), else
 * the first of LIVEKIT_KEYS. Runs only on a valid environment.
 */
function resolveKeyPairs(env: {
  LIVEKIT_API_KEY?: string | undefined;
  LIVEKIT_API_SECRET?: string | undefined;
  LIVEKIT_KEYS?: LiveKitKeyPair[] | undefined;
}): { apiKey: string | null; apiSecret: string | null; keys: LiveKitKeyPair[] } {
  const listed = env.LIVEKIT_KEYS ?? [];
  const key = env.LIVEKIT_API_KEY;
  const secret =
    env.LIVEKIT_API_SECRET ?? listed.find((p) => p.apiKey === key)?.apiSecret ?? undefined;
  const primary =
    key !== undefined && secret !== undefined ? { apiKey: key, apiSecret: secret } : listed[0];
  if (primary === undefined) return { apiKey: null, apiSecret: null, keys: [] };
  const keys = [primary, ...listed.filter((p) => p.apiKey !== primary.apiKey)].map((p) => ({
    apiKey: p.apiKey,
    apiSecret: p.apiSecret,
  }));
  return { apiKey: primary.apiKey, apiSecret: primary.apiSecret, keys };
}

const livekitKeys = z.string().transform((s, ctx) => {
  const parsed = parseLivekitKeys(s);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  }
  return parsed.pairs;
});

/** A read token equal to the admin token would make the admin token read-only in effect: refuse. */
function checkReadTokens(env: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const admin = env['API_TOKEN'];
  const read = env['API_READ_TOKENS'];
  if (typeof admin === 'string' && Array.isArray(read) && read.includes(admin)) {
    ctx.addIssue({
      code: 'custom',
      path: ['API_READ_TOKENS'],
      message: 'must not contain API_TOKEN',
    });
  }
}

export const envSchema = z
  .object({
    PORT: withDefault('PORT', integer(0, 65_535)),
    HOST: optional(
      z.string().regex(/^\S+$/, { message: 'must be a host name or address without spaces' }),
    ),
    DATABASE_URL: optional(databaseUrl),
    LIVEKIT_URL: optional(livekitUrl),
    LIVEKIT_API_URL: optional(livekitUrl),
    LIVEKIT_API_KEY: optional(z.string()),
    LIVEKIT_API_SECRET: optional(z.string()),
    LIVEKIT_KEYS: optional(livekitKeys),
    API_TOKEN: optional(z.string().min(16, { message: 'must be at least 16 characters' })),
    API_READ_TOKENS: optional(readTokens),
    API_RATE_LIMIT_PER_MINUTE: withDefault('API_RATE_LIMIT_PER_MINUTE', integer(0, 1_000_000)),
    DASHBOARD_SESSION_SECRET: optional(
      z.string().min(32, { message: 'must be at least 32 characters' }),
    ),
    RECONCILE_INTERVAL_SECONDS: withDefault(
      'RECONCILE_INTERVAL_SECONDS',
      integer(5, MAX_TIMER_SECONDS),
    ),
    LIVEKIT_TIMEOUT_SECONDS: withDefault('LIVEKIT_TIMEOUT_SECONDS', integer(1, 60)),
    WEBHOOK_BODY_LIMIT_BYTES: withDefault(
      'WEBHOOK_BODY_LIMIT_BYTES',
      integer(1, MAX_WEBHOOK_BODY_LIMIT_BYTES),
    ),
    INBOX_RETENTION_DAYS: withDefault('INBOX_RETENTION_DAYS', integer(0, 36_500)),
    UNCOUNTED_KINDS: withDefault('UNCOUNTED_KINDS', uncountedKinds),
    STATUS_CACHE_ENTRIES: withDefault('STATUS_CACHE_ENTRIES', integer(0, 1_000_000)),
    SQLITE_SYNCHRONOUS: withDefault(
      'SQLITE_SYNCHRONOUS',
      oneOf(SQLITE_SYNCHRONOUS_LEVELS, (s) => s.toLowerCase()),
    ),
    POLICY_LATE_AFTER_MINUTES: withDefault('POLICY_LATE_AFTER_MINUTES', integer(0, 10_080)),
    POLICY_LEFT_EARLY_MINUTES: withDefault('POLICY_LEFT_EARLY_MINUTES', integer(0, 10_080)),
    POLICY_PRESENT_PERCENT: withDefault('POLICY_PRESENT_PERCENT', integer(0, 100)),
    POLICY_ABSENT_BELOW_MINUTES: withDefault('POLICY_ABSENT_BELOW_MINUTES', integer(0, 10_080)),
    POLICY_LATE_FROM: withDefault(
      'POLICY_LATE_FROM',
      oneOf(LATE_FROM, (s) => s.toLowerCase()),
    ),
    EVENT_WEBHOOK_URLS: optional(eventWebhookUrls),
    EVENT_WEBHOOK_SECRET: optional(eventWebhookSecret),
    LOG_LEVEL: withDefault(
      'LOG_LEVEL',
      oneOf(LOG_LEVELS, (s) => s.toLowerCase()),
    ),
    DEMO: withDefault(
      'DEMO',
      oneOf(DEMO_MODES, (s) => s.toLowerCase()),
    ),
  })
  .check(
    z.superRefine(
      (env, ctx) => {
        checkLivekitGroup(env, ctx);
        checkReadTokens(env, ctx);
      },
      {
        // Run even when a field failed, so cross-variable problems are listed with the rest.
        when: () => true,
      },
    ),
  )
  .check(z.superRefine((env, ctx) => checkEventWebhookGroup(env, ctx), { when: () => true }))
  .transform((env) => {
    const runsDemo =
      env.DEMO === 'on' ||
      (env.DEMO === 'auto' &&
        env.LIVEKIT_URL === undefined &&
        env.LIVEKIT_API_URL === undefined &&
        env.LIVEKIT_API_KEY === undefined &&
        env.LIVEKIT_API_SECRET === undefined &&
        env.LIVEKIT_KEYS === undefined);
    const pairs = resolveKeyPairs(env);
    return {
      port: env.PORT,
      host: env.HOST ?? (runsDemo ? DEMO_DEFAULT_HOST : DEFAULT_HOST),
      databaseUrl:
        env.DATABASE_URL ?? (runsDemo ? DEMO_DEFAULT_DATABASE_URL : DEFAULT_DATABASE_URL),
      livekit: {
        url: env.LIVEKIT_URL ?? env.LIVEKIT_API_URL ?? null,
        apiKey: pairs.apiKey,
        apiSecret: pairs.apiSecret,
        keys: pairs.keys,
        timeoutMs: env.LIVEKIT_TIMEOUT_SECONDS * SECOND,
      },
      apiToken: env.API_TOKEN ?? null,
      apiReadTokens: env.API_READ_TOKENS ?? [],
      apiRateLimitPerMinute: env.API_RATE_LIMIT_PER_MINUTE,
      dashboardSessionSecret: env.DASHBOARD_SESSION_SECRET ?? null,
      reconcileIntervalMs: env.RECONCILE_INTERVAL_SECONDS * SECOND,
      webhookBodyLimitBytes: env.WEBHOOK_BODY_LIMIT_BYTES,
      inboxRetentionMs: env.INBOX_RETENTION_DAYS * DAY,
      uncountedKinds: env.UNCOUNTED_KINDS,
      statusCacheEntries: env.STATUS_CACHE_ENTRIES,
      sqliteSynchronous: env.SQLITE_SYNCHRONOUS,
      policy: {
        lateAfterMinutes: env.POLICY_LATE_AFTER_MINUTES,
        leftEarlyMinutes: env.POLICY_LEFT_EARLY_MINUTES,
        presentPercent: env.POLICY_PRESENT_PERCENT,
        absentBelowMinutes: env.POLICY_ABSENT_BELOW_MINUTES,
        lateFrom: env.POLICY_LATE_FROM,
      },
      outbound: {
        urls: env.EVENT_WEBHOOK_URLS ?? [],
        secret: env.EVENT_WEBHOOK_SECRET ?? null,
      },
      logLevel: env.LOG_LEVEL,
      demo: env.DEMO,
      runsDemo,
    };
  });

/**
 * The service's settings, parsed from the environment by `loadConfig` and deep-frozen. Durations are
 * milliseconds here (the environment speaks seconds).
 */
export interface Config {
  /** HTTP port. Env `PORT`, default 8080; 0 lets the OS pick (tests). */
  readonly port: number;
  /** Bind address. Env `HOST`; unset: `0.0.0.0` (all IPv4 interfaces), `127.0.0.1` in demo mode. */
  readonly host: string;
  /**
   * `sqlite:<path>` or `postgres://` / `postgresql://` URL. Env `DATABASE_URL`; unset:
   * `sqlite:./data/attendance.db`, or `sqlite:./data/demo.db` in demo mode (the simulated class
   * never lands in the operator's database). May hold a password: log it only through
   * `redactDatabaseUrl`.
   */
  readonly databaseUrl: string;
  readonly livekit: {
    /**
     * RoomService base URL, always `http(s)://` without a trailing slash (`ws`→`http`, `wss`→`https`).
     * Env `LIVEKIT_URL` or its alias `LIVEKIT_API_URL`; null when neither is set (no reconciliation).
     */
    readonly url: string | null;
    /**
     * The key RoomService calls are signed with: env `LIVEKIT_API_KEY`, else the first pair of
     * `LIVEKIT_KEYS`; null when neither is set. Set whenever `url` is set.
     */
    readonly apiKey: string | null;
    /**
     * The secret of `apiKey`: env `LIVEKIT_API_SECRET`, or that key's secret in `LIVEKIT_KEYS`.
     * Set exactly when `apiKey` is. Secret.
     */
    readonly apiSecret: string | null;
    /**
     * Every pair a webhook may be signed with (key rotation): `apiKey`'s first, then the rest of
     * `LIVEKIT_KEYS` in their order, each key once. Empty exactly when `apiKey` is null. Secret.
     */
    readonly keys: readonly LiveKitKeyPair[];
    /** RoomService request timeout in ms. Env `LIVEKIT_TIMEOUT_SECONDS` (1-60), default 10 s. */
    readonly timeoutMs: number;
  };
  /** Bearer token for /api/ and /metrics (16+ characters); null = serve generates one. Env `API_TOKEN`. Secret. */
  readonly apiToken: string | null;
  /** Read-only bearer tokens (GET routes only), distinct, 16+ characters each. Env `API_READ_TOKENS`. Secret. */
  readonly apiReadTokens: readonly string[];
  /**
   * Requests a minute per API token (per client address without a valid token); 0 = no limit.
   * Env `API_RATE_LIMIT_PER_MINUTE`, default 6000. Never applies to webhooks, /healthz, /readyz.
   */
  readonly apiRateLimitPerMinute: number;
  /**
   * The dashboard cookie's secret (32+ characters); null = random bytes at each process start.
   * Env `DASHBOARD_SESSION_SECRET`. Secret.
   */
  readonly dashboardSessionSecret: string | null;
  /** Time between reconcile passes in ms. Env `RECONCILE_INTERVAL_SECONDS` (≥ 5), default 120 s. */
  readonly reconcileIntervalMs: number;
  /** Largest webhook body in bytes. Env `WEBHOOK_BODY_LIMIT_BYTES` (1 to 16 MiB), default 1048576 (1 MiB). */
  readonly webhookBodyLimitBytes: number;
  /**
   * Applied inbox entries older than this (by LiveKit's `createdAt`) are pruned, in ms; 0 keeps
   * everything. Env `INBOX_RETENTION_DAYS` (0-36500), default 90 days.
   */
  readonly inboxRetentionMs: number;
  /**
   * Participant kind names (upper case, no duplicates) not counted as attendance. Env
   * `UNCOUNTED_KINDS`, default EGRESS, INGRESS, AGENT, BRIDGE; empty when set to `none`.
   */
  readonly uncountedKinds: readonly string[];
  /**
   * SQLite: status reads kept in memory until the database changes; 0 = no cache. Env
   * `STATUS_CACHE_ENTRIES`, default 10000. PostgreSQL ignores it (other instances write unseen).
   */
  readonly statusCacheEntries: number;
  /**
   * SQLite's `synchronous` level. Env `SQLITE_SYNCHRONOUS` (case-insensitive), default `full`: a
   * commit (so an acknowledged webhook) is on disk before it returns. `normal` fsyncs only at
   * checkpoints: a power loss may drop the last commits. PostgreSQL ignores it.
   */
  readonly sqliteSynchronous: SqliteSynchronous;
  /**
   * The status policy new sessions get when their body leaves a field out (`POLICY_*`): stored
   * with each session, so changing it later never re-decides a session already written.
   */
  readonly policy: {
    readonly lateAfterMinutes: number;
    readonly leftEarlyMinutes: number;
    readonly presentPercent: number;
    readonly absentBelowMinutes: number;
    readonly lateFrom: LateFrom;
  };
  /** Outbound attendance events (Standard Webhooks); none when `urls` is empty. */
  readonly outbound: {
    /** Receivers, http(s), no duplicates. Env `EVENT_WEBHOOK_URLS`; empty when unset. */
    readonly urls: readonly string[];
    /** `whsec_…` signing secret; set whenever `urls` is not empty. Env `EVENT_WEBHOOK_SECRET`. Secret. */
    readonly secret: string | null;
  };
  /** pino level. Env `LOG_LEVEL` (case-insensitive), default `info`. */
  readonly logLevel: LogLevel;
  /**
   * Env `DEMO`, default `auto`: `auto` runs the embedded emulator and a simulated class when no
   * LiveKit URL, key or secret is set; `on` and `off` force it. `serve` decides what that starts.
   */
  readonly demo: DemoMode;
  /**
   * Whether demo mode applies: `DEMO=on`, or `DEMO=auto` with none of the LiveKit variables set.
   * It decides the defaults of `host` and `databaseUrl`; only demo mode accepts the public
   * development key pair.
   */
  readonly runsDemo: boolean;
}

// Keeps the hand-written, documented interface and the schema's output identical.
type SchemaOutput = z.output<typeof envSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type DeepMutable<T> = T extends readonly (infer U)[]
  ? DeepMutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
    : T;
const schemaMatchesConfig: Same<SchemaOutput, DeepMutable<Config>> = true;
void schemaMatchesConfig;
