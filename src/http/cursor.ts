import { HttpError } from './error-registry.js';

/**
 * Cursors are opaque to clients (their form may change): base64url of a small versioned JSON
 * naming where the previous page ended.
 */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify({ v: 1, ...position }), 'utf8').toString('base64url');
}

/** The position a cursor of ours names, as `pick` reads it; 400 for anything else. */
export function decodeCursor<T>(
  cursor: string,
  pick: (fields: Record<string, unknown>) => T | null,
): T {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const fields = parsed as Record<string, unknown>;
      const position = fields['v'] === 1 ? pick(fields) : null;
      if (position !== null) return position;
    }
  } catch {
    // fall through: not one of ours
  }
  throw new HttpError('invalid_request', 'querystring/cursor is not a cursor this API gave out');
}
