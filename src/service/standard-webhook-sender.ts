import { Webhook } from 'standardwebhooks';
import { coerceError } from '../core/index.js';

/** One HTTP attempt of one outbox row to one receiver. */
export interface OutboundDelivery {
  url: string;
  /** `webhook-id`: the same on every attempt of the row. */
  id: string;
  /** `webhook-timestamp` (seconds): the time of this attempt, as receivers check it. */
  timestampMs: number;
  /** The body, exactly as signed. */
  payload: string;
}

export type OutboundSendResult =
  | { ok: true; status: number }
  /** `status` null: no answer (refused, reset, timed out). `error` is short and has no body. */
  | { ok: false; status: number | null; error: string };

/** What the outbox deliverer sends with; tests pass their own receivers' URLs, never a mock. */
export interface OutboundSender {
  send(delivery: OutboundDelivery): Promise<OutboundSendResult>;
}

/**
 * POSTs events as the Standard Webhooks specification describes them: `webhook-id`,
 * `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>` with
 * the `whsec_` secret, signed by the `standardwebhooks` library itself, so that any receiver's
 * library verifies them. Only a 2xx is success; redirects are not followed (a 3xx is a failure).
 */
export function createStandardWebhookSender(opts: {
  secret: string;
  timeoutMs: number;
  userAgent: string;
}): OutboundSender {
  const signer = new Webhook(opts.secret);
  return {
    async send(d) {
      const timestamp = new Date(d.timestampMs);
      const headers = {
        'content-type': 'application/json',
        'user-agent': opts.userAgent,
        'webhook-id': d.id,
        'webhook-timestamp': String(Math.floor(d.timestampMs / 1000)),
        'webhook-signature': signer.sign(d.id, timestamp, d.payload),
      };
      try {
        const res = await fetch(d.url, {
          method: 'POST',
          headers,
          body: d.payload,
          redirect: 'manual',
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        // The body is not read for its content (it may be anything); it is drained so the
        // connection can be reused.
        await res.arrayBuffer().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
        return { ok: false, status: res.status, error: `HTTP ${res.status}` };
      } catch (e: unknown) {
        return { ok: false, status: null, error: describeFetchFailure(e, opts.timeoutMs) };
      }
    },
  };
}

/** A short reason for a request that got no answer: the cause's code, never a URL with secrets. */
function describeFetchFailure(e: unknown, timeoutMs: number): string {
  const err = coerceError(e);
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause.code === 'string') return `request failed: ${cause.code}`;
  // undici's own refusals (`bad port`, …) carry no code; their messages quote no URL.
  if (cause && typeof cause.message === 'string') {
    return `request failed: ${cause.message.slice(0, 100)}`;
  }
  return 'request failed';
}
