import { createHmac, timingSafeEqual } from 'node:crypto';

/** The `video` grant fields RoomService checks. */
export interface VideoGrant {
  roomList?: boolean;
  roomCreate?: boolean;
  roomAdmin?: boolean;
  room?: string;
}

export type AuthResult =
  /** No token at all: the Twirp handler answers `unauthenticated` if the method needs a grant. */
  | { kind: 'anonymous' }
  | { kind: 'ok'; grant: VideoGrant }
  /** Middleware rejection: HTTP 401 with a plain-text body, like `APIKeyAuthMiddleware`. */
  | { kind: 'rejected'; message: string };

/** protocol `auth/verifier.go` allows one minute of clock skew. */
const LEEWAY_SECONDS = 60;

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Authenticates a RoomService request like livekit `pkg/service/auth.go`: `Authorization: Bearer
 * <jwt>` (or `?access_token=`), HS256 signed with the secret of the key named in `iss`, `exp`
 * required, 60 s leeway. `nowMs` is wall time: tokens come from real clients.
 */
export function authenticateApiRequest(input: {
  authorization: string | undefined;
  accessTokenParam: string | null;
  keys: ReadonlyMap<string, string>;
  nowMs: number;
}): AuthResult {
  let token: string;
  if (input.authorization !== undefined && input.authorization !== '') {
    if (!input.authorization.startsWith('Bearer ')) {
      return { kind: 'rejected', message: 'invalid authorization header. Must start with Bearer ' };
    }
    token = input.authorization.slice('Bearer '.length);
  } else if (input.accessTokenParam !== null && input.accessTokenParam !== '') {
    token = input.accessTokenParam;
  } else {
    return { kind: 'anonymous' };
  }
  const parts = token.split('.');
  const [headerPart, payloadPart, signaturePart] = parts;
  const header = headerPart === undefined ? undefined : decodeSegment(headerPart);
  const claims = payloadPart === undefined ? undefined : decodeSegment(payloadPart);
  if (
    parts.length !== 3 ||
    header === undefined ||
    claims === undefined ||
    signaturePart === undefined
  ) {
    return {
      kind: 'rejected',
      message:
        'invalid authorization token: go-jose/go-jose: compact JWS format must have three parts',
    };
  }
  const apiKey = claims['iss'];
  const secret = typeof apiKey === 'string' ? input.keys.get(apiKey) : undefined;
  if (secret === undefined) return { kind: 'rejected', message: 'invalid API key' };
  if (header['alg'] !== 'HS256') {
    return {
      kind: 'rejected',
      message: 'invalid authorization token: go-jose/go-jose: unexpected signature algorithm',
    };
  }
  const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
  const actual = Buffer.from(signaturePart, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return {
      kind: 'rejected',
      message: 'invalid authorization token: go-jose/go-jose: error in cryptographic primitive',
    };
  }
  const nowSeconds = input.nowMs / 1000;
  const exp = claims['exp'];
  if (typeof exp !== 'number') {
    return {
      kind: 'rejected',
      message:
        'invalid authorization token: go-jose/go-jose/jwt: expiration claim (exp) is required',
    };
  }
  if (nowSeconds > exp + LEEWAY_SECONDS) {
    return {
      kind: 'rejected',
      message:
        'invalid authorization token: go-jose/go-jose/jwt: validation failed, token is expired (exp)',
    };
  }
  const nbf = claims['nbf'];
  if (typeof nbf === 'number' && nowSeconds + LEEWAY_SECONDS < nbf) {
    return {
      kind: 'rejected',
      message:
        'invalid authorization token: go-jose/go-jose/jwt: validation failed, token not valid yet (nbf)',
    };
  }
  const video = claims['video'];
  const grant: VideoGrant = {};
  if (video !== null && typeof video === 'object') {
    const v = video as Record<string, unknown>;
    if (v['roomList'] === true) grant.roomList = true;
    if (v['roomCreate'] === true) grant.roomCreate = true;
    if (v['roomAdmin'] === true) grant.roomAdmin = true;
    if (typeof v['room'] === 'string') grant.room = v['room'];
  }
  return { kind: 'ok', grant };
}
