import type { FastifyInstance } from 'fastify';
import { analyticsCsv, type AnalyticsQuery } from '../../service/index.js';
import type { AppDeps } from '../app-deps.js';
import { HttpError } from '../error-registry.js';
import { analyticsBody, type AnalyticsFilters } from './analytics-page.js';
import type { DashboardDeps } from './dashboard-deps.js';
import { HIDDEN, sendPage, viewerOf } from './dashboard-reply.js';

type Query = Partial<Record<keyof AnalyticsFilters, string>>;

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

function filtersOf(q: Query): AnalyticsFilters {
  const text = (v: string | undefined, max: number) => (v ?? '').trim().slice(0, max);
  const day = (v: string | undefined) => (DAY_PATTERN.test(v ?? '') ? v! : '');
  return {
    tag: text(q.tag, 100),
    identity: text(q.identity, 512),
    from: day(q.from),
    to: day(q.to),
    session: text(q.session, 128),
  };
}

/** Whole UTC days, as the date inputs give them: from the start of `from` to the end of `to`. */
function serviceQuery(f: AnalyticsFilters): AnalyticsQuery {
  const fromMs = f.from === '' ? NaN : Date.parse(`${f.from}T00:00:00Z`);
  const toMs = f.to === '' ? NaN : Date.parse(`${f.to}T23:59:59.999Z`);
  return {
    ...(f.tag === '' ? {} : { tag: f.tag }),
    ...(f.identity === '' ? {} : { identity: f.identity }),
    ...(Number.isNaN(fromMs) ? {} : { fromMs }),
    ...(Number.isNaN(toMs) ? {} : { toMs }),
  };
}

/** The dashboard's analytics page and its CSV, behind the cookie. */
export async function analyticsPageRoutes(
  app: FastifyInstance,
  deps: AppDeps & { dashboard: DashboardDeps },
): Promise<void> {
  app.get<{ Querystring: Query }>('/analytics', { schema: HIDDEN }, async (req, reply) => {
    const filters = filtersOf(req.query);
    const answer = await deps.analytics.compute(serviceQuery(filters));
    return sendPage(reply, {
      title: 'Analytics',
      viewer: viewerOf(req),
      nav: 'analytics',
      scripts: ['analytics.js'],
      styles: ['vendor/uplot.css'],
      body: analyticsBody(answer, filters),
    });
  });

  app.get<{ Querystring: Query }>(
    '/analytics.csv',
    { schema: HIDDEN, config: { dashboardData: true } },
    async (req, reply) => {
      if (typeof req.query !== 'object') throw new HttpError('invalid_request', 'bad query');
      const answer = await deps.analytics.compute(serviceQuery(filtersOf(req.query)));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="attendance-analytics.csv"')
        .send(analyticsCsv(answer));
    },
  );
}
