import type { FastifyInstance } from 'fastify';
import { SESSION_ID_PATTERN, type Session } from '../../core/index.js';
import type { AppDeps } from '../app-deps.js';
import { HIDDEN, notFoundPage, sendPage, sessionOrNull, viewerOf } from './dashboard-reply.js';
import { participantBody } from './participant-page.js';
import { sessionBody } from './session-page.js';
import { sessionsBody } from './simple-pages.js';

const SESSIONS_LISTED = 200;

/** The sessions list, a session's report and one person's page in it. */
export function sessionPageRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get<{ Querystring: { tag?: string } }>(
    '/sessions',
    { schema: HIDDEN },
    async (req, reply) => {
      const tag = req.query.tag?.slice(0, 100) || null;
      const list = await deps.sessions.list({
        limit: SESSIONS_LISTED,
        ...(tag === null ? {} : { tag }),
      });
      return sendPage(reply, {
        title: 'Sessions',
        viewer: viewerOf(req),
        nav: 'sessions',
        body: sessionsBody({
          sessions: list.map((s: Session) => ({ session: s, state: deps.sessions.state(s) })),
          tag,
        }),
      });
    },
  );

  app.get<{ Params: { id: string } }>('/sessions/:id', { schema: HIDDEN }, async (req, reply) => {
    const viewer = viewerOf(req);
    const { id } = req.params;
    const report = SESSION_ID_PATTERN.test(id)
      ? await sessionOrNull(() => deps.sessions.report(id))
      : null;
    if (report === null) return notFoundPage(reply, viewer, id);
    return sendPage(reply, {
      title: report.session.title ?? report.session.id,
      viewer,
      nav: 'sessions',
      scripts: ['session-live.js'],
      body: sessionBody(report),
    });
  });

  app.get<{ Params: { id: string; identity: string }; Querystring: { saved?: string } }>(
    '/sessions/:id/participants/:identity',
    { schema: HIDDEN },
    async (req, reply) => {
      const viewer = viewerOf(req);
      const { id, identity } = req.params;
      if (!SESSION_ID_PATTERN.test(id)) return notFoundPage(reply, viewer, id);
      const report = await sessionOrNull(() => deps.sessions.participant(id, identity));
      if (report === null) return notFoundPage(reply, viewer, id);
      const member = report.session.roster.find((m) => m.identity === report.row.identity);
      const own = [report.row.identity, ...(member?.aliases ?? [])];
      const audit = (
        await Promise.all(
          own.map((who) => deps.sessions.audit({ session: id, identity: who, limit: 500 })),
        )
      )
        .flat()
        .sort((a, b) => a.id - b.id);
      const notice =
        req.query.saved === 'set'
          ? 'Override saved: the report and the audit trail show it.'
          : req.query.saved === 'removed'
            ? 'Override removed: the policy decides again.'
            : null;
      return sendPage(reply, {
        title: report.row.name ?? report.row.identity,
        viewer,
        nav: 'sessions',
        body: participantBody({ report, audit, viewer, notice }),
      });
    },
  );
}
