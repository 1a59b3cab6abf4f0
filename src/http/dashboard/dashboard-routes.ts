import secureSession from '@fastify/secure-session';
import sseModule, { type SSEPluginOptions } from '@fastify/sse';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  ATTENDANCE_STATUSES,
  AttendanceError,
  MAX_NAME_LENGTH,
  SESSION_ID_PATTERN,
  type AttendanceStatus,
  type Session,
} from '../../core/index.js';
import { reportCsv, reportJson, type LiveSnapshot } from '../../service/index.js';
import type { AppDeps } from '../app-deps.js';
import { HttpError } from '../error-registry.js';
import {
  csrfMatches,
  CSRF_FIELD,
  DashboardAuth,
  redirectToSignIn,
  safeNext,
  sameOrigin,
  SESSION_COOKIE,
  sessionKey,
  SIGN_IN_SECONDS,
  type Viewer,
} from './dashboard-auth.js';
import type { DashboardDeps } from './dashboard-deps.js';
import { viewers, sendPage, viewerOf } from './dashboard-reply.js';
import { ASSETS_PREFIX } from './layout.js';
import { LiveFeed } from './live-feed.js';
import { liveAlerts, liveBody } from './live-page.js';
import { MAX_REASON_LENGTH, participantBody } from './participant-page.js';
import { personPath, sessionBody } from './session-page.js';
import { messageBody, sessionsBody, signInBody } from './simple-pages.js';
import { analyticsPageRoutes } from './analytics-page-routes.js';

// @fastify/sse 0.4 is CommonJS whose types declare an ES default export: the import is the plugin.
const fastifySse = sseModule as unknown as FastifyPluginAsync<SSEPluginOptions>;

/** Form bodies are a token or an override: a few KB at most. */
const FORM_BODY_LIMIT = 16 * 1024;
const SESSIONS_LISTED = 200;

type FormBody = Record<string, string | undefined>;

async function sessionOrNull<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AttendanceError && e.code === 'session_not_found') return null;
    throw e;
  }
}

function notFoundPage(reply: FastifyReply, viewer: Viewer, id: string): FastifyReply {
  return sendPage(
    reply,
    {
      title: 'No such session',
      viewer,
      nav: 'sessions',
      body: messageBody('No such session', `There is no session “${id}”.`),
    },
    404,
  );
}

/**
 * The dashboard: sign-in at `/`, then the live view, sessions, people and analytics, all behind a
 * session cookie (the JSON API keeps its bearer token). Pages are rendered here; the scripts under
 * /assets/ only keep them fresh (live updates, ticking times) and draw the charts.
 */
export async function dashboardRoutes(
  app: FastifyInstance,
  deps: AppDeps & { dashboard: DashboardDeps },
): Promise<void> {
  const d = deps.dashboard;
  const auth = new DashboardAuth({ admin: deps.apiToken, read: deps.apiReadTokens ?? [] });
  const feed = new LiveFeed({
    events: d.events,
    live: d.live,
    webhookHealth: d.webhookHealth,
    logger: app.log,
  });
  // The service's events outlive the app (tests build several apps over one runtime).
  app.addHook('onClose', async () => {
    feed.close();
    d.webhookHealth.close();
  });

  if (d.assetsDir !== null) {
    await app.register(fastifyStatic, {
      root: d.assetsDir,
      prefix: ASSETS_PREFIX,
      decorateReply: false,
      index: false,
      // Revalidated on every load (ETag), so a new version is picked up at once.
      cacheControl: true,
      maxAge: 0,
    });
  }

  await app.register(async (scope) => {
    await scope.register(secureSession, {
      key: sessionKey(d.sessionSecret),
      cookieName: SESSION_COOKIE,
      expiry: SIGN_IN_SECONDS,
      cookie: { path: '/', httpOnly: true, sameSite: 'strict' },
    });
    await scope.register(fastifySse, { heartbeatInterval: 25_000 });
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
      (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );
    scope.addHook('onSend', async (_req, reply, payload) => {
      // Attendance is personal data: never kept by a shared cache or the back button.
      reply.header('cache-control', 'no-store');
      reply.header('referrer-policy', 'same-origin');
      return payload;
    });
    scope.addHook('preHandler', async (req, reply) => {
      if (req.routeOptions.config.dashboardPublic === true) return;
      const viewer = auth.viewer(req);
      if (viewer !== null) {
        viewers.set(req, viewer);
        return;
      }
      if (req.method === 'GET' && req.routeOptions.config.dashboardData !== true) {
        return redirectToSignIn(req, reply);
      }
      throw new HttpError('unauthorized', 'sign in to the dashboard first');
    });
    // Closing the app must not wait for browsers watching the live view.
    const streams = new Set<FastifyReply>();
    scope.addHook('preClose', async () => {
      for (const r of streams) r.sse.close();
    });

    const hidden = { hide: true };

    scope.get<{ Querystring: { next?: string } }>(
      '/',
      { schema: hidden, config: { dashboardPublic: true } },
      async (req, reply) => {
        const viewer = auth.viewer(req);
        if (viewer === null) {
          return sendPage(reply, {
            title: 'Sign in',
            viewer: null,
            body: signInBody({ error: null, next: safeNext(req.query.next) }),
          });
        }
        const snapshot = await d.live.snapshot();
        return sendPage(reply, {
          title: 'Live',
          viewer,
          nav: 'live',
          scripts: ['live.js'],
          body: liveBody({ snapshot, alerts: alertsFor(snapshot) }),
        });
      },
    );

    function alertsFor(snapshot: LiveSnapshot) {
      feed.roomsHtml(snapshot);
      return liveAlerts(feed.alertsInput(snapshot.nowMs, snapshot.livekitConfigured));
    }

    scope.post<{ Body: FormBody }>(
      '/sign-in',
      { schema: hidden, config: { dashboardPublic: true } },
      async (req, reply) => {
        const body = req.body ?? {};
        const next = safeNext(body['next']);
        if (!sameOrigin(req)) throw new HttpError('forbidden', 'cross-site sign-in refused');
        if (!auth.signIn(req, body['token'] ?? '')) {
          return sendPage(
            reply,
            {
              title: 'Sign in',
              viewer: null,
              body: signInBody({ error: 'That token is not valid. Check it and try again.', next }),
            },
            401,
          );
        }
        return reply.redirect(next, 303);
      },
    );

    scope.post<{ Body: FormBody }>(
      '/sign-out',
      { schema: hidden, config: { dashboardPublic: true } },
      async (req, reply) => {
        const viewer = auth.viewer(req);
        // Signing someone out from another site is a nuisance, not a breach; still refuse it.
        if (viewer !== null && sameOrigin(req) && csrfMatches(viewer, req.body?.[CSRF_FIELD])) {
          auth.signOut(req);
        }
        return reply.redirect('/', 303);
      },
    );

    scope.get(
      '/live/events',
      { schema: hidden, sse: { heartbeat: true }, config: { dashboardData: true } },
      async (_req, reply) => {
        reply.sse.keepAlive();
        streams.add(reply);
        const stop = feed.subscribe((message) => {
          if (reply.sse.isConnected) void reply.sse.send(message).catch(() => undefined);
        });
        reply.sse.onClose(() => {
          stop();
          streams.delete(reply);
        });
        // Everything as it is now: whatever changed between the page load and this connection
        // (or while a reconnecting browser was away) is in it.
        const snapshot = await d.live.snapshot();
        await reply.sse.send({
          event: 'rooms',
          data: { nowMs: snapshot.nowMs, html: feed.roomsHtml(snapshot) },
        });
        await reply.sse.send({
          event: 'alerts',
          data: {
            nowMs: snapshot.nowMs,
            html: feed.alertsHtml(snapshot.nowMs, snapshot.livekitConfigured),
          },
        });
      },
    );

    scope.get<{ Querystring: { tag?: string } }>(
      '/sessions',
      { schema: hidden },
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

    scope.get<{ Params: { id: string } }>(
      '/sessions/:id',
      { schema: hidden },
      async (req, reply) => {
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
      },
    );

    scope.get<{ Params: { id: string; format: string } }>(
      '/sessions/:id/attendance.:format',
      { schema: hidden, config: { dashboardData: true } },
      async (req, reply) => {
        const { id, format } = req.params;
        if (format !== 'csv' && format !== 'json') throw new HttpError('not_found', 'csv or json');
        if (!SESSION_ID_PATTERN.test(id)) {
          throw new HttpError(
            'session_not_found',
            `no session ${JSON.stringify(id.slice(0, 128))}`,
          );
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

    scope.get<{ Params: { id: string; identity: string }; Querystring: { saved?: string } }>(
      '/sessions/:id/participants/:identity',
      { schema: hidden },
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

    /** The checks every form that changes something passes: admin, same origin, CSRF token. */
    function checkChange(req: FastifyRequest<{ Body: FormBody }>): Viewer {
      const viewer = viewerOf(req);
      if (viewer.role !== 'admin') {
        throw new HttpError('forbidden', 'a read-only token may not change attendance');
      }
      if (!sameOrigin(req) || !csrfMatches(viewer, req.body?.[CSRF_FIELD])) {
        throw new HttpError('forbidden', 'the form is stale or came from another site: reload it');
      }
      return viewer;
    }

    scope.post<{ Params: { id: string; identity: string }; Body: FormBody }>(
      '/sessions/:id/participants/:identity/override',
      { schema: hidden },
      async (req, reply) => {
        checkChange(req);
        const { id, identity } = req.params;
        const status = req.body?.['status'] ?? '';
        const reason = (req.body?.['reason'] ?? '').trim();
        const author = (req.body?.['author'] ?? '').trim();
        if (!(ATTENDANCE_STATUSES as readonly string[]).includes(status)) {
          throw new HttpError(
            'invalid_request',
            `status must be one of ${ATTENDANCE_STATUSES.join(', ')}`,
          );
        }
        if (reason === '' || reason.length > MAX_REASON_LENGTH || reason.includes('\u0000')) {
          throw new HttpError(
            'invalid_request',
            `a reason of 1 to ${MAX_REASON_LENGTH} characters is required`,
          );
        }
        if (author === '' || author.length > MAX_NAME_LENGTH || author.includes('\u0000')) {
          throw new HttpError('invalid_request', 'your name is required');
        }
        if (!SESSION_ID_PATTERN.test(id))
          throw new HttpError('session_not_found', 'no such session');
        const p = await deps.sessions.setOverride(id, identity, {
          status: status as AttendanceStatus,
          reason,
          author,
        });
        auth.rememberAuthor(req, author);
        return reply.redirect(`${personPath(id, p.row.identity)}?saved=set`, 303);
      },
    );

    scope.post<{ Params: { id: string; identity: string }; Body: FormBody }>(
      '/sessions/:id/participants/:identity/override/remove',
      { schema: hidden },
      async (req, reply) => {
        checkChange(req);
        const { id, identity } = req.params;
        if (!SESSION_ID_PATTERN.test(id))
          throw new HttpError('session_not_found', 'no such session');
        await deps.sessions.removeOverride(id, identity);
        return reply.redirect(`${personPath(id, identity)}?saved=removed`, 303);
      },
    );

    await analyticsPageRoutes(scope, deps);
  });
}
