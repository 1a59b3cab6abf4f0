/**
 * Longest room name or participant identity the service accepts, in Unicode code points (how JSON
 * Schema's `maxLength` counts). One limit for what ingest stores and what the API can be asked
 * about: a name that could be stored but not read back would be counted yet unreachable.
 */
export const MAX_NAME_LENGTH = 512;

/** Length in code points, as JSON Schema `maxLength` measures it (a surrogate pair counts once). */
export function nameLength(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}
