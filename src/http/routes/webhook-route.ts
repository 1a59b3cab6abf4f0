import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app-deps.js';
import { errorBodySchema, HttpError } from '../error-registry.js';

const WEBHOOK_CONTENT_TYPES = ['application/webhook+json', 'application/json'];

/**
 * POST /webhooks/livekit. The body is kept as the exact string received: LiveKit signs the raw bytes
 * (and Go's encoder varies whitespace), so it is never parsed and re-serialised before verification.
 */
export async function webhookRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    WEBHOOK_CONTENT_TYPES,
    { parseAs: 'string', bodyLimit: deps.webhookBodyLimitBytes },
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
      const raw = typeof req.body === 'string' ? req.body : '';
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
          req.log.warn({ reqId: req.id, reason: outcome.message }, 'webhook rejected');
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
