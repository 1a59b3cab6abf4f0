import { createHash } from 'node:crypto';
import type { JsonValue } from '@bufbuild/protobuf';
import { TokenVerifier, WebhookEvent } from 'livekit-server-sdk';

export type WebhookVerification =
  | { ok: true; event: WebhookEvent }
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
 * The `iss` claim of a compact JWT, read without verifying anything: only to pick which secret
 * to verify the token with. Null for anything that is not three base64url parts with a JSON
 * payload holding a string `iss`.
 */
function unverifiedIssuer(token: string): string | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1] ?? '')) return null;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    if (typeof payload !== 'object' || payload === null || !('iss' in payload)) return null;
    return typeof payload.iss === 'string' ? payload.iss : null;
  } catch {
    return null;
  }
}

/**
 * Verifies LiveKit webhooks the way `livekit-server-sdk`'s `WebhookReceiver` does (the SDK's
 * `TokenVerifier`: JWT signed with the API secret, `iss` = API key, `exp` required, the SDK's
 * default clock tolerance), except that the `sha256` claim is checked over the exact raw bytes:
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
      // One pair: the SDK checks `iss` itself (and names a wrong one as a claim failure).
      const tokens = only ?? verifiers.get(unverifiedIssuer(authorization) ?? '');
      if (tokens === undefined) {
        return {
          ok: false,
          reason: 'unauthorized',
          message: 'unknown API key (iss) or malformed token',
        };
      }
      let claims: { sha256?: unknown };
      try {
        claims = await tokens.verify(authorization);
      } catch (e: unknown) {
        return { ok: false, reason: 'unauthorized', message: describeAuthFailure(e) };
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
      return { ok: true, event };
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
