import type { FastifyInstance } from 'fastify';
import type { ReadinessReport } from '../../service/index.js';
import type { AppDeps } from '../app-deps.js';

const checksSchema = {
  type: 'object',
  required: ['database', 'migrations', 'reconcile', 'outbox'],
  properties: {
    database: {
      type: 'object',
      required: ['status'],
      properties: {
        status: { type: 'string', enum: ['ok', 'failed'] },
        error: { type: 'string', enum: ['timeout', 'unreachable'] },
      },
    },
    migrations: {
      type: 'object',
      required: ['status', 'pending'],
      properties: {
        status: { type: 'string', enum: ['ok', 'pending', 'unknown'] },
        pending: { type: 'integer', nullable: true },
      },
    },
    reconcile: {
      type: 'object',
      required: ['enabled', 'lastCompletedAt', 'ageSeconds'],
      properties: {
        enabled: { type: 'boolean' },
        lastCompletedAt: { type: 'string', nullable: true },
        ageSeconds: { type: 'integer', nullable: true },
      },
    },
    outbox: {
      type: 'object',
      required: ['backlog'],
      properties: { backlog: { type: 'integer', nullable: true } },
    },
  },
} as const;

const answerSchema = (status: 'ready' | 'not_ready') =>
  ({
    type: 'object',
    required: ['status', 'checks'],
    properties: { status: { type: 'string', enum: [status] }, checks: checksSchema },
  }) as const;

/** The checks as the API shows them: states and numbers only, never an error's text. */
export function readinessJson(r: ReadinessReport): {
  status: 'ready' | 'not_ready';
  checks: Record<string, unknown>;
} {
  return {
    status: r.ready ? 'ready' : 'not_ready',
    checks: {
      database: r.database.ok ? { status: 'ok' } : { status: 'failed', error: r.database.error },
      migrations: {
        status:
          r.pendingMigrations === null ? 'unknown' : r.pendingMigrations === 0 ? 'ok' : 'pending',
        pending: r.pendingMigrations,
      },
      reconcile: {
        enabled: r.reconcile.enabled,
        lastCompletedAt:
          r.reconcile.lastCompletedAtMs === null
            ? null
            : new Date(r.reconcile.lastCompletedAtMs).toISOString(),
        ageSeconds: r.reconcile.ageMs === null ? null : Math.floor(r.reconcile.ageMs / 1000),
      },
      outbox: { backlog: r.outboxBacklog },
    },
  };
}

/** GET /readyz: no token (load balancers and orchestrators probe it), no data beyond the checks. */
export async function readinessRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const probe = deps.readiness;
  if (probe === undefined) return;
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database answers and its migrations are applied',
        description:
          'No token. 200 `ready` when the database answers and every migration is applied, else 503 `not_ready`. ' +
          '`reconcile` (age of the last complete reconcile pass, any instance) and `outbox` (backlog) are informational and never make it 503. ' +
          'Use `/healthz` for liveness.',
        tags: ['health'],
        security: [],
        response: { 200: answerSchema('ready'), 503: answerSchema('not_ready') },
      },
    },
    async (_req, reply) => {
      const body = readinessJson(await probe.check());
      return reply
        .status(body.status === 'ready' ? 200 : 503)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );
}
