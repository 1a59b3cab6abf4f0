import { timingSafeEqual } from 'node:crypto';

/**
 * Checks `Authorization: Bearer <token>` in constant time for a given length. A wrong length is
 * refused at once: it reveals only the token's length, not any of its characters.
 */
export function createBearerCheck(token: string): (header: string | undefined) => boolean {
  const expected = Buffer.from(`Bearer ${token}`, 'utf8');
  return (header) => {
    if (header === undefined) return false;
    const given = Buffer.from(header, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}
