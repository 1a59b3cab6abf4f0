import { AttendanceError } from '../core/index.js';

export type DatabaseTarget =
  { dialect: 'sqlite'; filename: string } | { dialect: 'postgres'; connectionString: string };

const SQLITE_PREFIX = 'sqlite:';
const POSTGRES_PREFIXES = ['postgres://', 'postgresql://'];
const ACCEPTED =
  'sqlite:./path.db, sqlite:/abs/path.db, sqlite:///abs/path.db, sqlite::memory:, postgres://… or postgresql://…';

/**
 * Reads `DATABASE_URL`. SQLite: `sqlite:<path>` (relative paths resolve against the working
 * directory), `sqlite:///abs/path` (file-URL style, percent-decoded) or `sqlite::memory:`.
 * PostgreSQL: any `postgres://` or `postgresql://` URL, passed to pg unchanged.
 * Throws `config_invalid` otherwise; the message never repeats the URL, which may hold a password.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const trimmed = url.trim();
  const lower = trimmed.toLowerCase();
  if (POSTGRES_PREFIXES.some((prefix) => lower.startsWith(prefix))) {
    if (!URL.canParse(trimmed)) invalid('it is not a valid postgres:// URL');
    return { dialect: 'postgres', connectionString: trimmed };
  }
  if (lower.startsWith(SQLITE_PREFIX)) {
    return { dialect: 'sqlite', filename: parseSqlitePath(trimmed.slice(SQLITE_PREFIX.length)) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1];
  invalid(scheme === undefined ? 'it has no scheme' : `scheme "${scheme}:" is not supported`);
}

function parseSqlitePath(rest: string): string {
  if (rest === ':memory:') return rest;
  if (rest.startsWith('//')) {
    // File-URL style: sqlite:///abs/path has an empty host; a host (sqlite://x/...) is ambiguous.
    if (!rest.startsWith('///')) invalid('use sqlite:///absolute/path or sqlite:relative/path');
    let path: string;
    try {
      path = decodeURIComponent(rest.slice(2));
    } catch {
      invalid('the sqlite path has a malformed %-escape');
    }
    if (path === '/') invalid('the sqlite URL names no file');
    return path;
  }
  if (rest === '') invalid('the sqlite URL names no file');
  return rest;
}

function invalid(reason: string): never {
  throw new AttendanceError(
    'config_invalid',
    `DATABASE_URL is invalid: ${reason} (accepted: ${ACCEPTED})`,
  );
}
