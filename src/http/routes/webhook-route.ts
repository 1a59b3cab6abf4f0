import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app-deps.js';
import { errorBodySchema, HttpError } from '../error-registry.js';
import { createLogSampler } from '../log-sampler.js';
import { decodeExactUtf8 } from '../utf8.js';

const WEBHOOK_CONTENT_TYPES = ['application/webhook+json', 'application/json'];

/** At most one "webhook rejected" line per this long: anyone who can reach the port can cause one. */
export const REJECTED_WEBHOOK_LOG_INTERVAL_MS = 10_000;

/**
 * POST /webhooks/livekit. The body is read as bytes: LiveKit signs the raw bytes (and Go's encoder
 * varies whitespace), so it is never decoded lossily, parsed or re-serialised before verification.
 * Registered in a scope of its own, outside the rate limit, security headers and query checks of
 * every other route: it needs none of them (see build-app.ts).
 */
export async function webhookRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const warnRejected = createLogSampler<{ reqId: string; reason: string }>({
    intervalMs: REJECTED_WEBHOOK_LOG_INTERVAL_MS,
    now: () => deps.query.now(),
    log: (fields) => app.log.warn(fields, 'webhook rejected'),
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    WEBHOOK_CONTENT_TYPES,
    { parseAs: 'buffer', bodyLimit: deps.webhookBodyLimitBytes },
    (_req, body, done) => done(null, body),
  );
  app.addContentTypeParser('*', (_req, _payload, done) =>
    done(
      new HttpError('unsupported_media_type', 'LiveKit webhooks are application/webhook+json'),
      undefined,
    ),
  );

  app.post(
    '/webhooks/livekit',
    {
      schema: {
        summary: 'Receive a LiveKit webhook',
        description:
          'Verifies the Authorization JWT (raw token, no Bearer) and the sha256 claim over the raw body with ' +
          "livekit-server-sdk's WebhookReceiver, stores the event durably (deduplicated by its id) and applies it before answering. " +
          'Headers: `Authorization: <JWT>` (raw, no Bearer), `Content-Type: application/webhook+json` or `application/json`.',
        tags: ['webhooks'],
        response: {
          200: {
            type: 'object',
            required: ['status', 'eventId', 'event'],
            properties: {
              status: { type: 'string', enum: ['accepted', 'duplicate', 'ignored'] },
              eventId: { type: 'string' },
              event: { type: 'string' },
            },
          },
          400: errorBodySchema,
          401: errorBodySchema,
          413: errorBodySchema,
          415: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (req, reply) => {
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      // Valid UTF-8 (a BOM kept) decodes to a string whose UTF-8 is exactly these bytes, so
      // verifying the string verifies the bytes. Other bytes go to the verifier as they are: it
      // checks their signature and hash and then refuses them as "not UTF-8" (400) or "unsigned"
      // (401), so they never get past verification into the inbox (which holds text).
      const raw = decodeExactUtf8(bytes) ?? (bytes as unknown as string);
      const outcome = await deps.ingestor.ingest(raw, req.headers.authorization);
      switch (outcome.status) {
        case 'accepted':
        case 'duplicate':
        case 'ignored':
          return reply.send({
            status: outcome.status,
            eventId: outcome.eventId,
            event: outcome.type,
          });
        case 'unauthorized':
          warnRejected({ reqId: req.id, reason: outcome.message });
          throw new HttpError('unauthorized', `webhook signature rejected: ${outcome.message}`);
        case 'malformed':
          req.log.warn(
            { reqId: req.id, reason: outcome.message },
            'signed webhook is not an event',
          );
          throw new HttpError('malformed_event', outcome.message);
        case 'unavailable':
          throw new HttpError('unavailable', outcome.message);
      }
    },
  );
}
