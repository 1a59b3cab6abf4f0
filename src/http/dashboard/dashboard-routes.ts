import secureSession from '@fastify/secure-session';
import sseModule, { type SSEPluginOptions } from '@fastify/sse';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app-deps.js';
import { HttpError } from '../error-registry.js';
import { analyticsPageRoutes } from './analytics-page-routes.js';
import {
  DashboardAuth,
  redirectToSignIn,
  SESSION_COOKIE,
  sessionKey,
  SIGN_IN_SECONDS,
} from './dashboard-auth.js';
import type { DashboardDeps } from './dashboard-deps.js';
import { viewers } from './dashboard-reply.js';
import { downloadRoutes } from './download-routes.js';
import { ASSETS_PREFIX } from './layout.js';
import { LiveFeed } from './live-feed.js';
import { liveRoutes } from './live-routes.js';
import { overrideRoutes } from './override-routes.js';
import { sessionPageRoutes } from './session-page-routes.js';
import { signInRoutes } from './sign-in-routes.js';

// @fastify/sse 0.4 is CommonJS whose types declare an ES default export: the import is the plugin.
const fastifySse = sseModule as unknown as FastifyPluginAsync<SSEPluginOptions>;

/** Form bodies are a token or an override: a few KB at most. */
const FORM_BODY_LIMIT = 16 * 1024;

/**
 * The dashboard: sign-in at `/`, then the live view, sessions, people and analytics, all behind a
 * session cookie (the JSON API keeps its bearer token). This sets up what every dashboard route
 * shares (the cookie, the sign-in check, server-sent events, form bodies, no caching); the routes
 * are in one module per job. Pages are rendered on the server; the scripts under /assets/ only
 * keep them fresh (live updates, ticking times) and draw the charts.
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
    liveRoutes(scope, { auth, feed, live: d.live });
    signInRoutes(scope, auth);
    sessionPageRoutes(scope, deps);
    downloadRoutes(scope, deps);
    overrideRoutes(scope, deps, auth);
    await analyticsPageRoutes(scope, deps);
  });
}
