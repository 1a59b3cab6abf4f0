/** Refuses, rather than replaces, bytes that are not UTF-8, and keeps a BOM as U+FEFF. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * `bytes` as text when that text encodes back to exactly these bytes (valid UTF-8, a BOM kept as
 * U+FEFF); null otherwise. Hashing the returned string's UTF-8 is hashing `bytes`.
 */
export function decodeExactUtf8(bytes: Uint8Array): string | null {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}
