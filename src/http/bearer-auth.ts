import { createHash, timingSafeEqual } from 'node:crypto';

/** What a bearer token may do: `admin` everything, `read` every GET (and HEAD) route only. */
export type TokenRole = 'admin' | 'read';

export interface ApiTokens {
  /** API_TOKEN: every route. */
  admin: string;
  /** API_READ_TOKENS: GET routes only. */
  read: readonly string[];
}

/** SHA-256 of a token: what is compared (and what the dashboard's cookie holds), never the token. */
export function tokenDigest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Resolves a token's SHA-256 digest to its role, or null. Every known token is compared, each in
 * constant time over digests of equal length, and the loop never stops early: the time taken
 * reveals neither which token matched nor any characters. A digest of another length (a damaged
 * cookie) is no token of ours.
 */
export function createDigestResolver(tokens: ApiTokens): (digest: Buffer) => TokenRole | null {
  const known: { role: TokenRole; digest: Buffer }[] = [
    { role: 'admin', digest: tokenDigest(tokens.admin) },
    ...tokens.read.map((t) => ({ role: 'read' as const, digest: tokenDigest(t) })),
  ];
  return (given) => {
    if (given.length !== known[0]!.digest.length) return null;
    let role: TokenRole | null = null;
    for (const k of known) {
      if (timingSafeEqual(given, k.digest) && role === null) role = k.role;
    }
    return role;
  };
}

/** Resolves `Authorization: Bearer <token>` to the token's role, or null (see createDigestResolver). */
export function createTokenResolver(
  tokens: ApiTokens,
): (header: string | undefined) => TokenRole | null {
  const roleOf = createDigestResolver(tokens);
  return (header) => {
    if (header === undefined || !header.startsWith('Bearer ')) return null;
    return roleOf(tokenDigest(header.slice('Bearer '.length)));
  };
}

/** Methods a read-only token may call. */
export function isReadMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}
