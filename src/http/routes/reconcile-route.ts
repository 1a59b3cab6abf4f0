import type { FastifyInstance } from 'fastify';
import { MAX_NAME_LENGTH } from '../../core/index.js';
import { reconcileReportJson } from '../../service/index.js';
import type { AppDeps } from '../app-deps.js';
import { errorBodySchema, HttpError } from '../error-registry.js';

const reportSchema = {
  type: 'object',
  required: [
    'room',
    'dryRun',
    'outcome',
    'startedAt',
    'finishedAt',
    'durationMs',
    'apiCalls',
    'roomsChecked',
    'summary',
    'actions',
    'unverified',
    'error',
  ],
  properties: {
    trigger: { type: 'string' },
    room: { type: ['string', 'null'] },
    dryRun: { type: 'boolean' },
    outcome: { type: 'string', enum: ['ok', 'partial', 'failed'] },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    durationMs: { type: 'integer' },
    apiCalls: { type: 'integer' },
    roomsChecked: { type: 'integer' },
    summary: {
      type: 'object',
      required: ['confirmed', 'opened', 'reopened', 'closed', 'unverified'],
      properties: {
        confirmed: { type: 'integer' },
        opened: { type: 'integer' },
        reopened: { type: 'integer' },
        closed: { type: 'integer' },
        unverified: { type: 'integer' },
      },
    },
    actions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['room', 'identity', 'sid', 'action', 'at'],
        properties: {
          room: { type: 'string' },
          identity: { type: 'string' },
          sid: { type: 'string' },
          action: { type: 'string', enum: ['open', 'confirm', 'reopen', 'close'] },
          at: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
    unverified: {
      type: 'array',
      items: {
        type: 'object',
        required: ['room', 'kind', 'reason'],
        properties: {
          room: { type: 'string' },
          kind: { type: 'string' },
          reason: { type: 'string' },
        },
      },
    },
    error: {
      type: ['object', 'null'],
      description: 'Why LiveKit could not even list its rooms (nothing was closed); null otherwise',
      required: ['kind', 'reason'],
      properties: { kind: { type: 'string' }, reason: { type: 'string' } },
    },
  },
} as const;

export async function reconcileRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  // JSON only: Fastify's default text/plain parser would hand the schema a string (a 400) where
  // the answer is "wrong media type" (415).
  app.removeContentTypeParser('text/plain');
  // The body is optional: an empty body with Content-Type: application/json means "all rooms".
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new HttpError('invalid_request', 'body is not valid JSON'), undefined);
    }
  });
  app.post<{ Body: { room?: string; dryRun?: boolean } | undefined }>(
    '/api/v1/reconcile',
    {
      schema: {
        summary: 'Run one reconcile pass now (all rooms, or one) and return what it did',
        description:
          'Answers when the pass has ended; a request during a running pass waits for it, then runs its own. ' +
          'Rooms LiveKit could not be asked about are listed under `unverified` with the reason.',
        tags: ['reconcile'],
        security: [{ bearerAuth: [] }],
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            room: {
              type: 'string',
              minLength: 1,
              maxLength: MAX_NAME_LENGTH,
              pattern: '^[^\\u0000]+$',
            },
            dryRun: { type: 'boolean', default: false },
          },
        },
        response: {
          200: reportSchema,
          400: errorBodySchema,
          401: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (req) => {
      const report = await deps.reconciler.runPass({
        room: req.body?.room ?? null,
        dryRun: req.body?.dryRun ?? false,
        trigger: 'manual',
      });
      if (!report) throw new HttpError('reconcile_busy');
      return reconcileReportJson(report);
    },
  );
}
