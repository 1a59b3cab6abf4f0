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
 */
export function createWebhookVerifier(opts: {
  apiKey: string;
  apiSecret: string;
}): WebhookVerifier {
  const configured = opts.apiKey !== '' && opts.apiSecret !== '';
  const tokens = configured ? new TokenVerifier(opts.apiKey, opts.apiSecret) : null;
  return {
    async verify(rawBody, authorization) {
      if (!authorization) {
        return { ok: false, reason: 'unauthorized', message: 'missing Authorization header' };
      }
      if (tokens === null) {
        return { ok: false, reason: 'unauthorized', message: 'no LiveKit API key configured' };
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
