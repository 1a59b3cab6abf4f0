import { createHash, timingSafeEqual } from 'node:crypto';

/** What a bearer token may do: `admin` everything, `read` every GET (and HEAD) route only. */
export type TokenRole = 'admin' | 'read';

export interface ApiTokens {
  /** API_TOKEN: every route. */
  admin: string;
  /** API_READ_TOKENS: GET routes only. */
  read: readonly string[];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Resolves `Authorization: Bearer <token>` to the token's role, or null. Every known token is
 * compared, each in constant time over SHA-256 digests (equal lengths whatever was sent), and the
 * loop never stops early: the time taken reveals neither which token matched nor any characters.
 */
export function createTokenResolver(
  tokens: ApiTokens,
): (header: string | undefined) => TokenRole | null {
  const known: { role: TokenRole; digest: Buffer }[] = [
    { role: 'admin', digest: digest(tokens.admin) },
    ...tokens.read.map((t) => ({ role: 'read' as const, digest: digest(t) })),
  ];
  return (header) => {
    if (header === undefined || !header.startsWith('Bearer ')) return null;
    const given = digest(header.slice('Bearer '.length));
    let role: TokenRole | null = null;
    for (const k of known) {
      if (timingSafeEqual(given, k.digest) && role === null) role = k.role;
    }
    return role;
  };
}

/** Methods a read-only token may call. */
export function isReadMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}
