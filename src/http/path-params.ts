import { MAX_NAME_LENGTH } from '../core/index.js';

/** Schemas of the path and query parameters several routes share. */

/** No NUL: no LiveKit name has one, and PostgreSQL text cannot hold it. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

export const roomParam = {
  type: 'string',
  minLength: 1,
  // The same limit ingest applies (findEventProblem): every stored name can be read back.
  maxLength: MAX_NAME_LENGTH,
  pattern: '^[^\\u0000]+$',
  description: 'LiveKit room name (URL-encoded)',
} as const;

/** A room name or identity in a query string (filters). */
export const nameQuery = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_NAME_LENGTH,
  pattern: NO_NUL_PATTERN,
} as const;

export const identityParam = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_NAME_LENGTH,
  pattern: '^[^\\u0000]+$',
  description: 'Participant identity (URL-encoded)',
} as const;

/**
 * One page of a keyset listing: `rows` were read with `limit + 1`, so one more than the page says
 * that another page follows, and its cursor names the page's last row.
 */
export function keysetPage<T>(
  rows: readonly T[],
  limit: number,
  cursorOf: (last: T) => string,
): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    page,
    nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null,
  };
}
