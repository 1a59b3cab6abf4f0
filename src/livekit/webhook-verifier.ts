import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import type { JsonValue } from '@bufbuild/protobuf';
import { decodeJwt, jwtVerify } from 'jose';
import { WebhookEvent } from 'livekit-server-sdk';

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

/**
 * The `iss` of a compact JWT, read without verifying anything, to pick the secret the token is
 * verified with when there are several keys; null for anything that is not a JWT with a JSON
 * payload (jose then refuses it as malformed).
 */
function peekIssuer(token: string): unknown {
  try {
    return decodeJwt(token).iss ?? null;
  } catch {
    return null;
  }
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
 * Verifies LiveKit webhooks the way `livekit-server-sdk`'s `WebhookReceiver` does (its
 * `TokenVerifier` is jose's `jwtVerify`: JWT signed with the API secret, `iss` = API key, `exp`
 * required, the SDK's 10 s of clock tolerance for expiry), with three differences: HS256 only, a
 * start up to 3 minutes ahead of ours, and the `sha256` claim checked over the exact raw bytes:
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
  // A Map, so that an `iss` such as `__proto__` finds nothing. The secret's KeyObject is made
  // once: the SDK's TokenVerifier encodes the secret and jose imports it anew on every call.
  const keys = new Map<string, VerifyingKey>();
  for (const p of pairs) {
    if (p.apiKey !== '' && p.apiSecret !== '' && !keys.has(p.apiKey)) {
      keys.set(p.apiKey, {
        apiKey: p.apiKey,
        secret: createSecretKey(Buffer.from(p.apiSecret, 'utf8')),
      });
    }
  }
  const only = keys.size === 1 ? [...keys.values()][0]! : null;
  return {
    async verify(rawBody, authorization) {
      if (!authorization) {
        return { ok: false, reason: 'unauthorized', message: 'missing Authorization header' };
      }
      if (keys.size === 0) {
        return { ok: false, reason: 'unauthorized', message: 'no LiveKit API key configured' };
      }
      // One pair: jose checks `iss` itself (and names a wrong one as a claim failure).
      let key = only;
      if (key === null) {
        const iss = peekIssuer(authorization);
        key = (typeof iss === 'string' ? keys.get(iss) : undefined) ?? null;
      }
      if (key === null) {
        return {
          ok: false,
          reason: 'unauthorized',
          message: 'unknown API key (iss) or malformed token',
        };
      }
      let claims: { sha256?: unknown; iat?: unknown; exp?: unknown };
      try {
        // As the SDK's TokenVerifier (`iss` = API key, `exp` required), HS256 only, and a start
        // up to WEBHOOK_CLOCK_AHEAD_TOLERANCE_S ahead.
        ({ payload: claims } = await jwtVerify(authorization, key.secret, {
          algorithms: [WEBHOOK_JWT_ALG],
          issuer: key.apiKey,
          clockTolerance: WEBHOOK_CLOCK_AHEAD_TOLERANCE_S,
          requiredClaims: ['exp'],
        }));
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

interface VerifyingKey {
  apiKey: string;
  secret: KeyObject;
}

/** A short reason for logs; never the token itself. */
function describeAuthFailure(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      // jose would take any HMAC algorithm with the secret (and `none` never): LiveKit uses one.
      return 'token is not signed with HS256';
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
