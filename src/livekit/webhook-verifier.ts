import { WebhookReceiver, type WebhookEvent } from 'livekit-server-sdk';

export type WebhookVerification =
  | { ok: true; event: WebhookEvent }
  /** `unauthorized`: signature, key, expiry or body hash failed; `malformed`: signed, but not an event. */
  | { ok: false; reason: 'unauthorized' | 'malformed'; message: string };

export interface WebhookVerifier {
  verify(rawBody: string, authorization: string | undefined): Promise<WebhookVerification>;
}

/**
 * Verifies LiveKit webhooks with the SDK's own `WebhookReceiver` (JWT signed with the API secret,
 * `iss` = API key, `sha256` claim over the exact raw body), at the SDK's default clock tolerance.
 *
 * The SDK throws plain Errors. It verifies the token and the hash before parsing, so a `SyntaxError`
 * or a protobuf decode error can only come from a body whose signature already checked out: those are
 * "malformed" (400). Everything else is "unauthorized" (401): nothing unverified is ever accepted.
 */
export function createWebhookVerifier(opts: {
  apiKey: string;
  apiSecret: string;
}): WebhookVerifier {
  const receiver = new WebhookReceiver(opts.apiKey, opts.apiSecret);
  return {
    async verify(rawBody, authorization) {
      if (!authorization) {
        return { ok: false, reason: 'unauthorized', message: 'missing Authorization header' };
      }
      try {
        const event = await receiver.receive(rawBody, authorization);
        if (event.event === '') {
          return { ok: false, reason: 'malformed', message: 'signed body has no "event" field' };
        }
        return { ok: true, event };
      } catch (e: unknown) {
        if (e instanceof SyntaxError) {
          return { ok: false, reason: 'malformed', message: 'signed body is not JSON' };
        }
        const message = e instanceof Error ? e.message : String(e);
        if (message.startsWith('cannot decode')) {
          return {
            ok: false,
            reason: 'malformed',
            message: 'signed body is not a LiveKit webhook event',
          };
        }
        return { ok: false, reason: 'unauthorized', message: describeAuthFailure(e) };
      }
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
  const message = e instanceof Error ? e.message : '';
  if (message.includes('sha256')) return 'body hash does not match the signed sha256';
  return 'signature verification failed';
}
