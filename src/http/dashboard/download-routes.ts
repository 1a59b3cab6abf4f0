import type { FastifyInstance } from 'fastify';
import { SESSION_ID_PATTERN } from '../../core/index.js';
import { reportCsv, reportJson } from '../../service/index.js';
import type { AppDeps } from '../app-deps.js';
import { HttpError } from '../error-registry.js';
import { HIDDEN } from './dashboard-reply.js';

/** A session's report as a file: the API's CSV and JSON, behind the cookie. */
export function downloadRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get<{ Params: { id: string; format: string } }>(
    '/sessions/:id/attendance.:format',
    { schema: HIDDEN, config: { dashboardData: true } },
    async (req, reply) => {
      const { id, format } = req.params;
      if (format !== 'csv' && format !== 'json') throw new HttpError('not_found', 'csv or json');
      if (!SESSION_ID_PATTERN.test(id)) {
        throw new HttpError('session_not_found', `no session ${JSON.stringify(id.slice(0, 128))}`);
      }
      const report = await deps.sessions.report(id);
      const file = `attendance-${report.session.id.replace(/[^A-Za-z0-9._-]+/g, '_')}.${format}`;
      reply.header('content-disposition', `attachment; filename="${file}"`);
      if (format === 'csv') {
        return reply.type('text/csv; charset=utf-8').send(reportCsv(report));
      }
      return reply
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(reportJson(report), null, 2));
    },
  );
}
