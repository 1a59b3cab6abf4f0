import { MAX_NAME_LENGTH } from './name-limits.js';
import {
  LATE_FROM,
  type LateFrom,
  type RosterMember,
  type Session,
  type SessionPolicy,
} from './session-types.js';
import { canonicalTimeZone, isTimeZone, parseInstant } from './zoned-time.js';

/** `id` of a session: chosen by the application, safe in a URL path segment. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_SESSION_ROOMS = 50;
/** Longest session: a week (a multi-day workshop, never a year of one room's history). */
export const MAX_SESSION_MS = 7 * 24 * 60 * 60 * 1000;
export const MAX_ROSTER = 10_000;
export const MAX_HOSTS = 100;
export const MAX_TAGS = 50;
export const MAX_TAG_LENGTH = 100;
export const MAX_TITLE_LENGTH = 500;
export const MAX_ALIASES = 20;
/** Largest minutes a policy may name: the longest session. */
export const MAX_POLICY_MINUTES = MAX_SESSION_MS / 60_000;

/** What a PUT body describes: a session without its id and bookkeeping times. */
export type SessionInput = Omit<Session, 'id' | 'createdAtMs' | 'updatedAtMs'>;

export type SessionInputResult =
  { ok: true; value: SessionInput } | { ok: false; problems: string[] };

const BODY_FIELDS = [
  'title',
  'rooms',
  'startsAt',
  'endsAt',
  'timezone',
  'hosts',
  'roster',
  'tags',
  'policy',
] as const;
const MEMBER_FIELDS = ['identity', 'name', 'role', 'aliases'] as const;
const POLICY_FIELDS = [
  'lateAfterMinutes',
  'leftEarlyMinutes',
  'presentPercent',
  'absentBelowMinutes',
  'lateFrom',
] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A LiveKit name (room or identity) as ingest accepts it: 1–512 characters, no NUL. */
function nameProblem(v: unknown): string | null {
  if (typeof v !== 'string') return 'must be a string';
  if (v.length === 0) return 'must not be empty';
  if (v.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  if (v.includes('\u0000')) return 'must not contain NUL';
  return null;
}

function unknownFields(
  obj: Record<string, unknown>,
  known: readonly string[],
  where: string,
  problems: string[],
): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) problems.push(`${where}${key} is not a known field`);
  }
}

function optionalText(
  v: unknown,
  field: string,
  max: number,
  problems: string[],
): string | null | undefined {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') problems.push(`${field} must be a string`);
  else if (v.length > max) problems.push(`${field} must be at most ${max} characters`);
  else if (v.includes('\u0000')) problems.push(`${field} must not contain NUL`);
  else return v;
  return undefined;
}

function nameList(
  v: unknown,
  field: string,
  opts: { min: number; max: number },
  problems: string[],
): string[] {
  if (v === undefined && opts.min === 0) return [];
  if (!Array.isArray(v)) {
    problems.push(`${field} must be an array`);
    return [];
  }
  if (v.length < opts.min || v.length > opts.max) {
    problems.push(
      opts.min > 0
        ? `${field} must list ${opts.min} to ${opts.max} names (got ${v.length})`
        : `${field} must list at most ${opts.max} names (got ${v.length})`,
    );
    if (v.length > opts.max) return [];
  }
  const out: string[] = [];
  const seen = new Set<string>();
  v.forEach((item, i) => {
    const p = nameProblem(item);
    if (p !== null) problems.push(`${field}[${i}] ${p}`);
    else if (seen.has(item as string))
      problems.push(`${field}[${i}] repeats ${JSON.stringify(item)}`);
    else {
      seen.add(item as string);
      out.push(item as string);
    }
  });
  return out;
}

function instant(v: unknown, field: string, problems: string[]): number | null {
  if (typeof v !== 'string') {
    problems.push(
      v === undefined ? `${field} is required` : `${field} must be an ISO 8601 date-time string`,
    );
    return null;
  }
  const ms = parseInstant(v);
  if (ms === null) {
    problems.push(
      `${field} must be an ISO 8601 date-time with an offset, e.g. 2026-12-01T09:00:00+03:00 or …Z`,
    );
  }
  return ms;
}

function roster(v: unknown, problems: string[]): RosterMember[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    problems.push('roster must be an array');
    return [];
  }
  if (v.length > MAX_ROSTER) {
    problems.push(`roster must list at most ${MAX_ROSTER} people (got ${v.length})`);
    return [];
  }
  const members: RosterMember[] = [];
  const owner = new Map<string, string>();
  const claim = (identity: string, where: string) => {
    const before = owner.get(identity);
    if (before !== undefined) {
      problems.push(`${where} ${JSON.stringify(identity)} is already ${before}`);
    } else owner.set(identity, where);
  };
  v.forEach((item, i) => {
    const where = `roster[${i}]`;
    if (!isObject(item)) {
      problems.push(`${where} must be an object with an identity`);
      return;
    }
    unknownFields(item, MEMBER_FIELDS, `${where}.`, problems);
    const idProblem =
      item['identity'] === undefined ? 'is required' : nameProblem(item['identity']);
    if (idProblem !== null) problems.push(`${where}.identity ${idProblem}`);
    else claim(item['identity'] as string, `${where}.identity`);
    const name = optionalText(item['name'], `${where}.name`, MAX_NAME_LENGTH, problems);
    const role = optionalText(item['role'], `${where}.role`, MAX_TAG_LENGTH, problems);
    const aliases = nameList(
      item['aliases'],
      `${where}.aliases`,
      { min: 0, max: MAX_ALIASES },
      problems,
    );
    aliases.forEach((a, j) => claim(a, `${where}.aliases[${j}]`));
    if (idProblem === null) {
      members.push({
        identity: item['identity'] as string,
        name: name ?? null,
        role: role ?? null,
        aliases,
      });
    }
  });
  return members;
}

function tags(v: unknown, problems: string[]): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    problems.push('tags must be an array of strings');
    return [];
  }
  if (v.length > MAX_TAGS) {
    problems.push(`tags must list at most ${MAX_TAGS} tags (got ${v.length})`);
    return [];
  }
  const out = new Set<string>();
  v.forEach((t, i) => {
    if (
      typeof t !== 'string' ||
      t.length === 0 ||
      t.length > MAX_TAG_LENGTH ||
      t.includes('\u0000')
    ) {
      problems.push(`tags[${i}] must be a string of 1 to ${MAX_TAG_LENGTH} characters`);
    } else out.add(t);
  });
  return [...out];
}

function policy(v: unknown, defaults: SessionPolicy, problems: string[]): SessionPolicy {
  if (v === undefined || v === null) return { ...defaults };
  if (!isObject(v)) {
    problems.push('policy must be an object');
    return { ...defaults };
  }
  unknownFields(v, POLICY_FIELDS, 'policy.', problems);
  const number = (field: keyof SessionPolicy, max: number, unit: string): number => {
    const value = v[field];
    if (value === undefined || value === null) return defaults[field] as number;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
      problems.push(`policy.${field} must be a number of ${unit} from 0 to ${max}`);
      return defaults[field] as number;
    }
    return value;
  };
  const lateFrom = v['lateFrom'] ?? defaults.lateFrom;
  if (!(LATE_FROM as readonly unknown[]).includes(lateFrom)) {
    problems.push(`policy.lateFrom must be one of ${LATE_FROM.join(', ')}`);
  }
  return {
    lateAfterMinutes: number('lateAfterMinutes', MAX_POLICY_MINUTES, 'minutes'),
    leftEarlyMinutes: number('leftEarlyMinutes', MAX_POLICY_MINUTES, 'minutes'),
    presentPercent: number('presentPercent', 100, 'percent'),
    absentBelowMinutes: number('absentBelowMinutes', MAX_POLICY_MINUTES, 'minutes'),
    lateFrom: (LATE_FROM as readonly unknown[]).includes(lateFrom)
      ? (lateFrom as LateFrom)
      : defaults.lateFrom,
  };
}

/** Problems named in one answer: a 10,000-person roster of errors would make a 20 MB message. */
const MAX_PROBLEMS = 20;

function capped(problems: string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_PROBLEMS), `… and ${problems.length - MAX_PROBLEMS} more`];
}

/**
 * Reads a session body as the PUT route receives it, naming every problem at once. The policy is
 * resolved against `defaults` (the service's), field by field, and the result is what gets stored.
 */
export function parseSessionInput(body: unknown, defaults: SessionPolicy): SessionInputResult {
  const problems: string[] = [];
  if (!isObject(body)) return { ok: false, problems: ['the body must be a JSON object'] };
  unknownFields(body, BODY_FIELDS, '', problems);
  const title = optionalText(body['title'], 'title', MAX_TITLE_LENGTH, problems);
  if (body['rooms'] === undefined) problems.push('rooms is required');
  const rooms =
    body['rooms'] === undefined
      ? []
      : nameList(body['rooms'], 'rooms', { min: 1, max: MAX_SESSION_ROOMS }, problems);
  const startsAtMs = instant(body['startsAt'], 'startsAt', problems);
  const endsAtMs = instant(body['endsAt'], 'endsAt', problems);
  if (startsAtMs !== null && endsAtMs !== null) {
    if (endsAtMs <= startsAtMs) problems.push('endsAt must be later than startsAt');
    else if (endsAtMs - startsAtMs > MAX_SESSION_MS) {
      problems.push('endsAt must be at most 7 days after startsAt');
    }
  }
  const tz = body['timezone'] ?? 'UTC';
  if (typeof tz !== 'string' || !isTimeZone(tz)) {
    problems.push('timezone must be an IANA time zone name such as Europe/Istanbul or UTC');
  }
  const hosts = nameList(body['hosts'], 'hosts', { min: 0, max: MAX_HOSTS }, problems);
  const members = roster(body['roster'], problems);
  const tagList = tags(body['tags'], problems);
  const resolved = policy(body['policy'], defaults, problems);
  if (problems.length > 0) return { ok: false, problems: capped(problems) };
  return {
    ok: true,
    value: {
      title: title ?? null,
      rooms,
      startsAtMs: startsAtMs!,
      endsAtMs: endsAtMs!,
      timezone: canonicalTimeZone(tz as string),
      hosts,
      roster: members,
      tags: tagList,
      policy: resolved,
    },
  };
}
