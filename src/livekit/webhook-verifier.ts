import { createHash } from 'node:crypto';
import type { JsonValue } from '@bufbuild/protobuf';
import { TokenVerifier, WebhookEvent } from 'livekit-server-sdk';

export type WebhookVerification =
  /**
   * `signedAtMs`: the token's `iat` (LiveKit signs each delivery with its own clock, in whole
   * seconds), null without one; it tells how far LiveKit's clock is from ours.
   */
  | { ok: true; event: WebhookEvent; signedAtMs: number | null }
  /** `unauthorized`: signature, key, expiry or body hash failed; `malformed`: signed, but not an event. */
  | { ok: false; reason: 'unauthorized' | 'malformed'; message: string };

export interface WebhookVerifier {
  /**
   * `rawBody` is the body exactly as received: its bytes, or a string that stands for its UTF-8
   * encoding (which is exact only when it was decoded without replacing or dropping anything).
   */
  verify(
    rawBody: string | Uint8Array,
    authorization: string | undefined,
  ): Promise<WebhookVerification>;
}

/** Refuses, rather than replaces, bytes that are not UTF-8, and keeps a BOM as U+FEFF. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `bytes` as text when that text encodes back to exactly these bytes; null otherwise. */
function decodeExactUtf8(bytes: Uint8Array): string | null {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** One API key and its secret (the config's `LiveKitKeyPair`). */
export interface WebhookKeyPair {
  apiKey: string;
  apiSecret: string;
}

/** A JWT part's JSON object, or null for anything that is not base64url of a JSON object. */
function decodePart(part: string | undefined): Record<string, unknown> | null {
  if (part === undefined || !/^[A-Za-z0-9_-]+$/.test(part)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * The `alg` and `iss` of a compact JWT, read without verifying anything: to refuse algorithms
 * LiveKit never uses and to pick the secret the token is verified with. Null for anything that
 * is not three parts with JSON header and payload.
 */
function peekToken(token: string): { alg: unknown; iss: unknown } | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const header = decodePart(parts[0]);
  const payload = decodePart(parts[1]);
  return header === null || payload === null ? null : { alg: header['alg'], iss: payload['iss'] };
}

/** LiveKit signs webhooks with HS256 only (protocol: auth.AccessToken); anything else is refused. */
const WEBHOOK_JWT_ALG = 'HS256';
/**
 * How far in our future a token may start (`nbf`, `iat`): a LiveKit whose clock runs ahead of ours
 * by up to this still has its webhooks taken, dated by its own clock (the reconciler and the
 * counting clock take the skew into account, see LiveKitClock). Expiry keeps the SDK's 10 s: a
 * token is never good for longer than LiveKit made it.
 */
export const WEBHOOK_CLOCK_AHEAD_TOLERANCE_S = 180;
const EXPIRY_TOLERANCE_MS = 10_000;

/**
 * Verifies LiveKit webhooks the way `livekit-server-sdk`'s `WebhookReceiver` does (the SDK's
 * `TokenVerifier`: JWT signed with the API secret, `iss` = API key, `exp` required, the SDK's
 * 10 s of clock tolerance for expiry; a start up to 3 minutes ahead of ours), except that the `sha256` claim is checked over the exact raw bytes:
 * `WebhookReceiver.receive` hashes a string, so a body that is not UTF-8, or a BOM a decoder
 * dropped, would be checked on different bytes than LiveKit signed (attendance-model, event rule 1).
 *
 * Token and hash are checked before anything is parsed, so a parse failure can only come from a body
 * whose signature already checked out: those are "malformed" (400). Everything else is
 * "unauthorized" (401): nothing unverified is ever accepted. An empty key or secret verifies nothing.
 *
 * With several pairs (`LIVEKIT_KEYS`, key rotation) the token's `iss` picks the secret it is
 * verified with, as livekit-server's key provider does; an `iss` no pair has is "unauthorized".
 */
export function createWebhookVerifier(
  opts: WebhookKeyPair | { keys: readonly WebhookKeyPair[] },
): WebhookVerifier {
  const pairs = 'keys' in opts ? opts.keys : [opts];
  // A Map, so that an `iss` such as `__proto__` finds nothing.
  const verifiers = new Map<string, TokenVerifier>();
  for (const p of pairs) {
    if (p.apiKey !== '' && p.apiSecret !== '' && !verifiers.has(p.apiKey)) {
      verifiers.set(p.apiKey, new TokenVerifier(p.apiKey, p.apiSecret));
    }
  }
  const only = verifiers.size === 1 ? [...verifiers.values()][0]! : null;
  return {
    async verify(rawBody, authorization) {
      if (!authorization) {
        return { ok: false, reason: 'unauthorized', message: 'missing Authorization header' };
      }
      if (verifiers.size === 0) {
        return { ok: false, reason: 'unauthorized', message: 'no LiveKit API key configured' };
      }
      const peeked = peekToken(authorization);
      if (peeked !== null && peeked.alg !== WEBHOOK_JWT_ALG) {
        // jose would take any HMAC algorithm with the secret (and `none` never): LiveKit uses one.
        return { ok: false, reason: 'unauthorized', message: 'token is not signed with HS256' };
      }
      // One pair: the SDK checks `iss` itself (and names a wrong one as a claim failure).
      const iss = typeof peeked?.iss === 'string' ? peeked.iss : '';
      const tokens = only ?? verifiers.get(iss);
      if (tokens === undefined) {
        return {
          ok: false,
          reason: 'unauthorized',
          message: 'unknown API key (iss) or malformed token',
        };
      }
      let claims: { sha256?: unknown; iat?: unknown; exp?: unknown };
      try {
        claims = await tokens.verify(authorization, WEBHOOK_CLOCK_AHEAD_TOLERANCE_S);
      } catch (e: unknown) {
        return { ok: false, reason: 'unauthorized', message: describeAuthFailure(e) };
      }
      // The wide tolerance is for a start in our future only; expiry is checked as the SDK does.
      if (typeof claims.exp !== 'number' || claims.exp * 1000 + EXPIRY_TOLERANCE_MS < Date.now()) {
        return { ok: false, reason: 'unauthorized', message: 'token expired' };
      }
      const bytes = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
      const hash = createHash('sha256').update(bytes).digest('base64');
      if (typeof claims.sha256 !== 'string' || claims.sha256 !== hash) {
        return {
          ok: false,
          reason: 'unauthorized',
          message: 'body hash does not match the signed sha256',
        };
      }
      const text = typeof rawBody === 'string' ? rawBody : decodeExactUtf8(rawBody);
      if (text === null) {
        return { ok: false, reason: 'malformed', message: 'signed body is not UTF-8' };
      }
      let json: JsonValue;
      try {
        json = JSON.parse(text) as JsonValue;
      } catch {
        // Never the parser's message: it quotes the body.
        return { ok: false, reason: 'malformed', message: 'signed body is not JSON' };
      }
      let event: WebhookEvent;
      try {
        event = WebhookEvent.fromJson(json, { ignoreUnknownFields: true });
      } catch {
        // protobuf's message names the offending value: a reason only.
        return {
          ok: false,
          reason: 'malformed',
          message: 'signed body is not a LiveKit webhook event',
        };
      }
      if (event.event === '') {
        return { ok: false, reason: 'malformed', message: 'signed body has no "event" field' };
      }
      const iat = claims.iat;
      const signedAtMs = typeof iat === 'number' && Number.isFinite(iat) ? iat * 1000 : null;
      return { ok: true, event, signedAtMs };
    },
  };
}

/** A short reason for logs; never the token itself. */
function describeAuthFailure(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad signature (wrong API secret?)';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return 'token claim rejected (wrong API key, or not yet valid)';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed token (a "Bearer " prefix?)';
    default:
      break;
  }
  return 'signature verification failed';
}
