import type { FastifyInstance } from 'fastify';
import type { OutboxService } from '../../service/index.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { errorBodySchema } from '../error-registry.js';
import { isoOrNull } from '../format.js';
import { keysetPage } from '../path-params.js';

const LIST_DEFAULT = 100;
const LIST_MAX = 1000;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

const entrySchema = {
  type: 'object',
  required: [
    'id',
    'type',
    'room',
    'session',
    'status',
    'attempts',
    'nextAttemptAt',
    'lastAttemptAt',
    'lastStatus',
    'lastError',
    'createdAt',
  ],
  properties: {
    id: { type: 'string', description: 'The webhook-id every attempt carries' },
    type: { type: 'string' },
    room: { type: ['string', 'null'] },
    session: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['pending', 'failed'] },
    attempts: { type: 'integer' },
    nextAttemptAt: {
      ...nullableTime,
      description: 'When it is tried next (pending); null once failed',
    },
    lastAttemptAt: nullableTime,
    lastStatus: {
      type: ['integer', 'null'],
      description: "The receiver's HTTP status on the last attempt; null when it did not answer",
    },
    lastError: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** `GET /api/v1/outbox`: outbound events waiting (pending) or given up on (failed), and why. */
export async function outboxRoutes(app: FastifyInstance, outbox: OutboxService): Promise<void> {
  app.get<{ Querystring: { status: 'pending' | 'failed'; limit: number; cursor?: string } }>(
    '/api/v1/outbox',
    {
      schema: {
        summary: 'Outbound events waiting to be delivered, or failed, oldest first',
        description:
          'A pending event waits for its turn (the earlier events of its room or session), for its next attempt, or for a receiver. `livekit-attendance outbox retry` sends failed ones again.',
        tags: ['outbox'],
        security: [{ bearerAuth: [] }],
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['pending', 'failed'], default: 'pending' },
            limit: { type: 'integer', minimum: 1, maximum: LIST_MAX, default: LIST_DEFAULT },
            cursor: { type: 'string', minLength: 1, maxLength: 256 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['events', 'nextCursor'],
            properties: {
              events: { type: 'array', items: entrySchema },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          400: errorBodySchema,
          401: errorBodySchema,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const afterSeq =
        q.cursor === undefined
          ? undefined
          : decodeCursor(q.cursor, (c) =>
              typeof c['after'] === 'number' &&
              Number.isSafeInteger(c['after']) &&
              c['s'] === q.status
                ? c['after']
                : null,
            );
      const rows = await outbox.list({
        status: q.status,
        ...(afterSeq === undefined ? {} : { afterSeq }),
        limit: q.limit + 1,
      });
      const { page, nextCursor } = keysetPage(rows, q.limit, (last) =>
        encodeCursor({ after: last.seq, s: q.status }),
      );
      return {
        events: page.map((r) => ({
          id: r.id,
          type: r.type,
          room: r.room,
          session: r.sessionId,
          status: r.status,
          attempts: r.attempts,
          nextAttemptAt: r.status === 'pending' ? isoOrNull(r.nextAttemptAtMs) : null,
          lastAttemptAt: isoOrNull(r.lastAttemptAtMs),
          lastStatus: r.lastStatus,
          lastError: r.lastError,
          createdAt: new Date(r.createdAtMs).toISOString(),
        })),
        nextCursor,
      };
    },
  );
}
