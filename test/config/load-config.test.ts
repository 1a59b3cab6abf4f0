import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/config/index.js';
import { envSchema } from '../../src/config/config-schema.js';

type Env = Record<string, string | undefined>;

/** The ConfigError `loadConfig(env)` throws; fails the test when it does not throw one. */
function configErrorOf(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('loadConfig did not throw');
}

const LIVEKIT = {
  LIVEKIT_URL: 'wss://lk.example.com',
  LIVEKIT_API_KEY: 'APIkey123',
  LIVEKIT_API_SECRET: 'secret-value-that-must-not-leak',
};

describe('loadConfig', () => {
  it('returns the documented defaults for an empty environment (demo mode: loopback, demo.db)', () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'sqlite:./data/demo.db',
      livekit: { url: null, apiKey: null, apiSecret: null, keys: [], timeoutMs: 10_000 },
      apiToken: null,
      apiReadTokens: [],
      apiRateLimitPerMinute: 6000,
      dashboardSessionSecret: null,
      reconcileIntervalMs: 120_000,
      webhookBodyLimitBytes: 1_048_576,
      inboxRetentionMs: 90 * 24 * 3_600_000,
      uncountedKinds: ['EGRESS', 'INGRESS', 'AGENT', 'BRIDGE'],
      statusCacheEntries: 10_000,
      sqliteSynchronous: 'full',
      policy: {
        lateAfterMinutes: 5,
        leftEarlyMinutes: 5,
        presentPercent: 75,
        absentBelowMinutes: 1,
        lateFrom: 'start',
      },
      outbound: { urls: [], secret: null },
      logLevel: 'info',
      demo: 'auto',
      runsDemo: true,
    });
  });

  it.each<[string, Env]>([
    ['LiveKit is configured', LIVEKIT],
    ['only a key pair is set', { LIVEKIT_API_KEY: 'k', LIVEKIT_API_SECRET: 's' }],
    ['DEMO=off', { DEMO: 'off' }],
  ])('listens on 0.0.0.0 and uses ./data/attendance.db by default when %s', (_name, env) => {
    expect(loadConfig(env)).toMatchObject({
      host: '0.0.0.0',
      databaseUrl: 'sqlite:./data/attendance.db',
      runsDemo: false,
    });
  });

  it('binds demo mode to 127.0.0.1 and ./data/demo.db only while HOST and DATABASE_URL are unset', () => {
    expect(loadConfig({ DEMO: 'on', ...LIVEKIT })).toMatchObject({
      host: '127.0.0.1',
      databaseUrl: 'sqlite:./data/demo.db',
      runsDemo: true,
    });
    expect(loadConfig({ HOST: '0.0.0.0', DATABASE_URL: 'sqlite:/tmp/x.db' })).toMatchObject({
      host: '0.0.0.0',
      databaseUrl: 'sqlite:/tmp/x.db',
      runsDemo: true,
    });
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ PORT: '', HOST: '  ', LIVEKIT_URL: '', API_TOKEN: '' })).toEqual(
      loadConfig({}),
    );
  });

  it('counts every kind with UNCOUNTED_KINDS=none', () => {
    expect(loadConfig({ UNCOUNTED_KINDS: 'None' }).uncountedKinds).toEqual([]);
  });

  it('parses every variable and converts seconds to milliseconds', () => {
    const config = loadConfig({
      ...LIVEKIT,
      PORT: ' 0 ',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://att:pw@db:5432/attendance',
      API_TOKEN: '0123456789abcdef',
      API_READ_TOKENS: ' read-token-one-0123 ,read-token-two-0123,read-token-one-0123,',
      API_RATE_LIMIT_PER_MINUTE: '0',
      INBOX_RETENTION_DAYS: '0',
      LIVEKIT_KEYS: 'APIold: old-secret',
      DASHBOARD_SESSION_SECRET: 'dashboard-session-secret-0123456789abcdef',
      RECONCILE_INTERVAL_SECONDS: '5',
      LIVEKIT_TIMEOUT_SECONDS: '60',
      WEBHOOK_BODY_LIMIT_BYTES: '2048',
      UNCOUNTED_KINDS: 'agent, egress,,AGENT',
      STATUS_CACHE_ENTRIES: '0',
      SQLITE_SYNCHRONOUS: 'Normal',
      POLICY_LATE_AFTER_MINUTES: '10',
      POLICY_LEFT_EARLY_MINUTES: '0',
      POLICY_PRESENT_PERCENT: '90',
      POLICY_ABSENT_BELOW_MINUTES: '3',
      POLICY_LATE_FROM: 'Host',
      EVENT_WEBHOOK_URLS: 'https://a.example/hook, http://10.0.0.2:9000/x,https://a.example/hook',
      EVENT_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      LOG_LEVEL: 'DEBUG',
      DEMO: 'off',
    });
    expect(config).toEqual({
      port: 0,
      host: '127.0.0.1',
      databaseUrl: 'postgres://att:pw@db:5432/attendance',
      livekit: {
        url: 'https://lk.example.com',
        apiKey: 'APIkey123',
        apiSecret: 'secret-value-that-must-not-leak',
        keys: [
          { apiKey: 'APIkey123', apiSecret: 'secret-value-that-must-not-leak' },
          { apiKey: 'APIold', apiSecret: 'old-secret' },
        ],
        timeoutMs: 60_000,
      },
      apiToken: '0123456789abcdef',
      apiReadTokens: ['read-token-one-0123', 'read-token-two-0123'],
      apiRateLimitPerMinute: 0,
      dashboardSessionSecret: 'dashboard-session-secret-0123456789abcdef',
      reconcileIntervalMs: 5_000,
      webhookBodyLimitBytes: 2048,
      inboxRetentionMs: 0,
      uncountedKinds: ['AGENT', 'EGRESS'],
      statusCacheEntries: 0,
      sqliteSynchronous: 'normal',
      policy: {
        lateAfterMinutes: 10,
        leftEarlyMinutes: 0,
        presentPercent: 90,
        absentBelowMinutes: 3,
        lateFrom: 'host',
      },
      outbound: {
        urls: ['https://a.example/hook', 'http://10.0.0.2:9000/x'],
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      },
      logLevel: 'debug',
      demo: 'off',
      runsDemo: false,
    });
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig(LIVEKIT);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.livekit)).toBe(true);
    expect(Object.isFrozen(config.uncountedKinds)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it.each([
    ['sqlite:./data/attendance.db'],
    ['sqlite::memory:'],
    ['postgres://localhost/attendance'],
    ['postgresql://u:p@localhost:5432/attendance'],
  ])('accepts DATABASE_URL %s', (url) => {
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it.each([
    ['ws://localhost:7880', 'http://localhost:7880'],
    ['wss://lk.example.com/', 'https://lk.example.com'],
    ['http://10.0.0.1:7880', 'http://10.0.0.1:7880'],
    ['https://lk.example.com/base//', 'https://lk.example.com/base'],
  ])('normalises LIVEKIT_URL %s to %s for the API', (url, expected) => {
    expect(loadConfig({ ...LIVEKIT, LIVEKIT_URL: url }).livekit.url).toBe(expected);
  });

  it('accepts LIVEKIT_API_URL as an alias of LIVEKIT_URL', () => {
    const { LIVEKIT_URL, ...rest } = LIVEKIT;
    expect(loadConfig({ ...rest, LIVEKIT_API_URL: LIVEKIT_URL }).livekit.url).toBe(
      'https://lk.example.com',
    );
  });

  it('accepts both LIVEKIT_URL and LIVEKIT_API_URL when they name the same API', () => {
    expect(loadConfig({ ...LIVEKIT, LIVEKIT_API_URL: 'https://lk.example.com/' }).livekit.url).toBe(
      'https://lk.example.com',
    );
  });

  it('rejects LIVEKIT_URL and LIVEKIT_API_URL that differ', () => {
    const error = configErrorOf({ ...LIVEKIT, LIVEKIT_API_URL: 'https://other.example.com' });
    expect(error.problems).toEqual([
      {
        variable: 'LIVEKIT_API_URL',
        rule: 'must match LIVEKIT_URL when both are set (it is an alias)',
        received: '"https://other.example.com"',
      },
    ]);
  });

  it('accepts a key and secret without a URL (webhooks only)', () => {
    const { LIVEKIT_URL: _url, ...keys } = LIVEKIT;
    expect(loadConfig(keys).livekit).toEqual({
      url: null,
      apiKey: 'APIkey123',
      apiSecret: 'secret-value-that-must-not-leak',
      keys: [{ apiKey: 'APIkey123', apiSecret: 'secret-value-that-must-not-leak' }],
      timeoutMs: 10_000,
    });
  });

  it.each<[string, Env, string, string]>([
    ['PORT', { PORT: '65536' }, 'must be an integer from 0 to 65535', '"65536"'],
    ['PORT', { PORT: '80abc' }, 'must be an integer from 0 to 65535', '"80abc"'],
    ['PORT', { PORT: '1e3' }, 'must be an integer from 0 to 65535', '"1e3"'],
    [
      'HOST',
      { HOST: 'local host' },
      'must be a host name or address without spaces',
      '"local host"',
    ],
    [
      'DATABASE_URL',
      { DATABASE_URL: 'mysql://localhost/db' },
      'must start with sqlite:, postgres:// or postgresql://',
      '"mysql://localhost/db"',
    ],
    [
      'DATABASE_URL',
      { DATABASE_URL: 'sqlite:' },
      'must name a file after sqlite: (or :memory:)',
      '"sqlite:"',
    ],
    [
      'LIVEKIT_URL',
      { ...LIVEKIT, LIVEKIT_URL: 'ftp://lk.example.com' },
      'must be an http://, https://, ws:// or wss:// URL with a host and no credentials',
      '"ftp://lk.example.com"',
    ],
    [
      'LIVEKIT_API_KEY',
      { LIVEKIT_URL: 'wss://lk.example.com', LIVEKIT_API_SECRET: 'x' },
      'is required when LIVEKIT_URL or LIVEKIT_API_SECRET is set',
      '(unset)',
    ],
    [
      'LIVEKIT_API_SECRET',
      { LIVEKIT_API_KEY: 'APIkey123' },
      'is required when LIVEKIT_API_KEY is set',
      '(unset)',
    ],
    [
      'LIVEKIT_API_KEY',
      { LIVEKIT_API_SECRET: 'x' },
      'is required when LIVEKIT_API_SECRET is set',
      '(unset)',
    ],
    ['API_TOKEN', { API_TOKEN: 'short' }, 'must be at least 16 characters', '(hidden)'],
    [
      'EVENT_WEBHOOK_URLS',
      {
        EVENT_WEBHOOK_URLS: 'https://ok.example, ftp://files.example',
        EVENT_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      },
      'must be a comma-separated list of http(s):// URLs',
      '"https://ok.example, ftp://files.example"',
    ],
    [
      'EVENT_WEBHOOK_SECRET',
      { EVENT_WEBHOOK_URLS: 'https://ok.example' },
      'is required when EVENT_WEBHOOK_URLS is set',
      '(unset)',
    ],
    [
      'EVENT_WEBHOOK_SECRET',
      { EVENT_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' },
      'must be whsec_ followed by base64 of at least 16 bytes',
      '(hidden)',
    ],
    [
      'DASHBOARD_SESSION_SECRET',
      { DASHBOARD_SESSION_SECRET: 'short-secret' },
      'must be at least 32 characters',
      '(hidden)',
    ],
    [
      'API_READ_TOKENS',
      { API_READ_TOKENS: 'read-token-0123456789,short' },
      'must be a comma-separated list of tokens of at least 16 characters each',
      '(hidden)',
    ],
    [
      'API_READ_TOKENS',
      { API_TOKEN: 'admin-token-0123456789', API_READ_TOKENS: 'admin-token-0123456789' },
      'must not contain API_TOKEN',
      '(hidden)',
    ],
    [
      'RECONCILE_INTERVAL_SECONDS',
      { RECONCILE_INTERVAL_SECONDS: '4' },
      'must be an integer from 5 to 2147483',
      '"4"',
    ],
    [
      'LIVEKIT_TIMEOUT_SECONDS',
      { LIVEKIT_TIMEOUT_SECONDS: '0' },
      'must be an integer from 1 to 60',
      '"0"',
    ],
    [
      'WEBHOOK_BODY_LIMIT_BYTES',
      { WEBHOOK_BODY_LIMIT_BYTES: '1.5' },
      'must be an integer from 1 to 16777216',
      '"1.5"',
    ],
    [
      'WEBHOOK_BODY_LIMIT_BYTES',
      { WEBHOOK_BODY_LIMIT_BYTES: '16777217' },
      'must be an integer from 1 to 16777216',
      '"16777217"',
    ],
    [
      'UNCOUNTED_KINDS',
      { UNCOUNTED_KINDS: 'EGRESS,ROBOT' },
      'must be a comma-separated list of STANDARD, INGRESS, EGRESS, SIP, AGENT, CONNECTOR, BRIDGE, or none',
      '"EGRESS,ROBOT"',
    ],
    [
      'UNCOUNTED_KINDS',
      { UNCOUNTED_KINDS: ',' },
      'must be a comma-separated list of STANDARD, INGRESS, EGRESS, SIP, AGENT, CONNECTOR, BRIDGE, or none',
      '","',
    ],
    [
      'STATUS_CACHE_ENTRIES',
      { STATUS_CACHE_ENTRIES: '-1' },
      'must be an integer from 0 to 1000000',
      '"-1"',
    ],
    ['SQLITE_SYNCHRONOUS', { SQLITE_SYNCHRONOUS: 'off' }, 'must be one of full, normal', '"off"'],
    [
      'LOG_LEVEL',
      { LOG_LEVEL: 'verbose' },
      'must be one of fatal, error, warn, info, debug, trace, silent',
      '"verbose"',
    ],
    [
      'POLICY_PRESENT_PERCENT',
      { POLICY_PRESENT_PERCENT: '101' },
      'must be an integer from 0 to 100',
      '"101"',
    ],
    [
      'POLICY_LATE_AFTER_MINUTES',
      { POLICY_LATE_AFTER_MINUTES: '2.5' },
      'must be an integer from 0 to 10080',
      '"2.5"',
    ],
    [
      'POLICY_LATE_FROM',
      { POLICY_LATE_FROM: 'teacher' },
      'must be one of start, host',
      '"teacher"',
    ],
    ['DEMO', { DEMO: 'yes' }, 'must be one of auto, on, off', '"yes"'],
  ])('rejects a bad %s with its rule and the value received', (variable, env, rule, received) => {
    const error = configErrorOf(env);
    expect(error.code).toBe('config_invalid');
    expect(error.problems).toEqual([{ variable, rule, received }]);
    expect(error.message.split('\n')).toEqual([
      'Invalid configuration (1 problem):',
      `  ${variable} ${rule} (received ${received})`,
    ]);
  });

  it('lists every problem at once, one per line, in README order', () => {
    const error = configErrorOf({
      DEMO: 'maybe',
      PORT: '-1',
      LIVEKIT_URL: 'wss://lk.example.com',
      API_TOKEN: 'too-short',
      LOG_LEVEL: 'loud',
    });
    expect(error.message.split('\n')).toEqual([
      'Invalid configuration (6 problems):',
      '  PORT must be an integer from 0 to 65535 (received "-1")',
      '  LIVEKIT_API_KEY is required when LIVEKIT_URL is set (received (unset))',
      '  LIVEKIT_API_SECRET is required when LIVEKIT_URL is set (received (unset))',
      '  API_TOKEN must be at least 16 characters (received (hidden))',
      '  LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (received "loud")',
      '  DEMO must be one of auto, on, off (received "maybe")',
    ]);
  });

  it('still reports cross-variable rules when LIVEKIT_URL itself is invalid', () => {
    const error = configErrorOf({ LIVEKIT_URL: 'not a url' });
    expect(error.problems.map((p) => p.variable)).toEqual([
      'LIVEKIT_URL',
      'LIVEKIT_API_KEY',
      'LIVEKIT_API_SECRET',
    ]);
  });

  it('never echoes secrets or database passwords in the message', () => {
    const secret = 'hunter2-super-secret';
    const error = configErrorOf({
      LIVEKIT_API_SECRET: secret,
      API_TOKEN: 'tok-' + secret.slice(0, 6),
      DATABASE_URL: `mysql://att:${secret}@db/attendance?password=${secret}`,
      PORT: 'x',
    });
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain(
      'DATABASE_URL must start with sqlite:, postgres:// or postgresql:// (received "mysql://att:(hidden)@db/attendance?password=(hidden)")',
    );
    expect(error.message).toContain('API_TOKEN must be at least 16 characters (received (hidden))');
  });

  it('hides a password that contains an unencoded @ or /', () => {
    const error = configErrorOf({ DATABASE_URL: 'postgres://att:p@ss/w0rd@db/x', PORT: 'x' });
    expect(error.message).not.toContain('w0rd');
    expect(error.message).not.toContain('p@ss');
  });

  it('names a ConfigError and keeps AttendanceError fields', () => {
    const error = configErrorOf({ PORT: 'x' });
    expect(error.name).toBe('ConfigError');
    expect(error.code).toBe('config_invalid');
  });
});

describe('CONFIG_VARIABLES', () => {
  it('lists exactly the variables the schema reads, in the same order', () => {
    expect(CONFIG_VARIABLES.map((v) => v.name)).toEqual(Object.keys(envSchema.in.shape));
  });

  it('documents defaults that parse to the defaults loadConfig uses', () => {
    const explicit: Env = {};
    for (const v of CONFIG_VARIABLES) if (v.default !== null) explicit[v.name] = v.default;
    expect(loadConfig(explicit)).toEqual(loadConfig({}));
  });

  it('describes every variable', () => {
    for (const v of CONFIG_VARIABLES) expect(v.description.length).toBeGreaterThan(10);
  });
});
