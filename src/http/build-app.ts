import swagger from '@fastify/swagger';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { AttendanceError } from '../core/index.js';
import type { AppDeps } from './app-deps.js';
import { createTokenResolver, isReadMethod, type TokenRole } from './bearer-auth.js';
import { dashboardRoutes } from './dashboard/index.js';
import { HTTP_ERRORS, HttpError, type HttpErrorCode } from './error-registry.js';
import { registerRateLimit } from './rate-limit.js';
import { registerSecurityHeaders } from './security-headers.js';
import { analyticsRoutes } from './routes/analytics-route.js';
import { attendanceRoutes } from './routes/attendance-routes.js';
import { outboxRoutes } from './routes/outbox-route.js';
import { readinessRoutes } from './routes/readiness-route.js';
import { reconcileRoutes } from './routes/reconcile-route.js';
import { sessionRoutes } from './routes/session-routes.js';
import { webhookRoutes } from './routes/webhook-route.js';

/** Body limit for the JSON API (the webhook route has its own, configurable one). */
const API_BODY_LIMIT = 64 * 1024;
/** A 404 names the path it did not find, cut to this many characters. */
const MAX_ECHOED_PATH = 200;

/** Maps Fastify's own client errors to our codes; anything else unexpected is a 500. */
function codeForFastifyError(err: FastifyError): HttpErrorCode | null {
  if (err.validation) return 'invalid_request';
  const byStatus: Record<number, HttpErrorCode> = {
    400: 'invalid_request',
    404: 'not_found',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
  };
  return err.statusCode !== undefined ? (byStatus[err.statusCode] ?? null) : null;
}

/**
 * Errors the service raises on purpose whose code the API answers with as it is (e.g.
 * `session_not_found`); a database too busy to answer is a 503, never a 500.
 */
function codeForServiceError(err: unknown): HttpErrorCode | null {
  if (!(err instanceof AttendanceError)) return null;
  if (err.code === 'database_busy') return 'unavailable';
  return Object.hasOwn(HTTP_ERRORS, err.code) ? (err.code as HttpErrorCode) : null;
}

/**
 * The HTTP application: webhooks, the attendance API (bearer token), health and OpenAPI. Built from
 * its dependencies so tests use `inject()` or a real socket with real parts.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance type FastifyInstance's default.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request lines would dominate the log at webhook rates; see the debug onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: API_BODY_LIMIT,
    // Room names and identities may be long and contain encoded slashes and unicode.
    routerOptions: { maxParamLength: 2048 },
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    // No child logger per request (its bindings and redaction set-up showed in read profiles): the
    // few request-scoped lines add the request id themselves.
    childLoggerFactory: (logger) => logger,
    // Fastify's own early errors (a path that is not valid percent-encoding, a path segment over
    // maxParamLength) in our error shape. Their messages quote the path, which may be 10 KB of
    // anyone's text: answer with fixed messages instead.
    frameworkErrors: (err, _req, reply) => {
      const code: HttpErrorCode =
        err.statusCode === 414
          ? 'uri_too_long'
          : (err.statusCode ?? 400) < 500
            ? 'invalid_request'
            : 'internal_error';
      const { status } = HTTP_ERRORS[code];
      const message =
        err.code === 'FST_ERR_BAD_URL'
          ? 'the request path is not valid percent-encoding'
          : HTTP_ERRORS[code].message;
      // The reply here is typed for no route in particular; the raw response is enough.
      reply.raw.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      reply.raw.end(JSON.stringify({ error: code, message }));
    },
  });

  const observe = deps.observeRequest;
  if (observe) {
    // The route pattern, never the URL: room names and identities are not label values.
    app.addHook('onResponse', (req, reply, done) => {
      observe({
        method: req.method,
        route: req.routeOptions.url ?? 'unmatched',
        statusCode: reply.statusCode,
        seconds: reply.elapsedTime / 1000,
      });
      done();
    });
  }

  if (deps.logger.isLevelEnabled('debug')) {
    // Access lines only at debug: at webhook rates they would dominate the log.
    app.addHook('onResponse', (req, reply, done) => {
      req.log.debug(
        {
          reqId: req.id,
          method: req.method,
          url: req.routeOptions.url,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
      done();
    });
  }

  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.status).send({ error: err.code, message: err.message });
    }
    const known = codeForServiceError(err);
    if (known)
      return reply.status(HTTP_ERRORS[known].status).send({ error: known, message: err.message });
    const code = codeForFastifyError(err);
    if (code) {
      // Validation messages name the field and rule; Fastify's other messages may quote headers.
      const message = code === 'invalid_request' ? err.message : HTTP_ERRORS[code].message;
      return reply.status(HTTP_ERRORS[code].status).send({ error: code, message });
    }
    req.log.error({ err, reqId: req.id }, 'unexpected error');
    return reply
      .status(500)
      .send({ error: 'internal_error', message: HTTP_ERRORS.internal_error.message });
  });
  // The token's role, resolved once per request: the rate limit keys by it, the API scope checks it.
  const tokenRole = createTokenResolver({ admin: deps.apiToken, read: deps.apiReadTokens ?? [] });
  const roles = new WeakMap<FastifyRequest, TokenRole | null>();
  const roleOf = (req: FastifyRequest): TokenRole | null => {
    let role = roles.get(req);
    if (role === undefined) roles.set(req, (role = tokenRole(req.headers.authorization)));
    return role;
  };

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'livekit-attendance',
        version: deps.version,
        description:
          'Who attended a LiveKit meeting, and for how long: verified webhooks reconciled with RoomService. ' +
          '`GET /healthz` (no token) is a liveness check only: it answers 200 `{"status":"ok"}` while the process serves HTTP and checks neither the database nor LiveKit. ' +
          '`GET /readyz` (no token) is readiness: 200 when the database answers and is migrated, else 503.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
  });

  // LiveKit's webhooks in a scope of their own, beside the one below that has every other route:
  // none of that scope's hooks runs on the hot path (hooks added to this root scope would, even
  // after this line: Fastify attaches hooks when the app is ready). The route keeps the error
  // handler, the onResponse hooks above and its place in the OpenAPI document; it takes no query
  // or path values (the finite-number check), is never rate limited (a 429 would make LiveKit
  // retry, then drop events) and sends no security headers (LiveKit reads none).
  await app.register(async (scope) => webhookRoutes(scope, deps));
  await app.register(async (main) => {
    // Ajv's type coercion turns `?limit=1e309` into Infinity and then skips `maximum` (and
    // `-1e309` skips `minimum`): no query or path value may be a number that is not finite.
    main.addHook('preHandler', (req, _reply, done) => {
      const values = [req.query, req.params].flatMap((o): unknown[] =>
        typeof o === 'object' && o !== null ? Object.values(o) : [],
      );
      if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
        done(new HttpError('invalid_request', 'numbers in the query must be finite'));
      } else done();
    });
    await registerRateLimit(main, { perMinute: deps.apiRateLimitPerMinute ?? 0, roleOf });
    await registerSecurityHeaders(main);

    main.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?')[0] ?? '';
      const shown = path.length > MAX_ECHOED_PATH ? `${path.slice(0, MAX_ECHOED_PATH)}…` : path;
      reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${shown}` });
    });

    // Liveness only: nothing is checked, so a slow database never gets a live process restarted.
    main.get('/healthz', { schema: { hide: true } }, async () => ({
      status: 'ok',
      version: deps.version,
    }));
    main.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    await main.register(async (scope) => readinessRoutes(scope, deps));
    // Everything that needs the token lives in this one scope, and the hook belongs to the scope's
    // routes, not to URL prefixes: no spelling of a path (percent-encoding, a query) can skip it.
    await main.register(async (scope) => {
      scope.addHook('onRequest', (req, _reply, done) => {
        const role = roleOf(req);
        if (role === null)
          done(new HttpError('unauthorized', 'send Authorization: Bearer <API_TOKEN>'));
        else if (role === 'read' && !isReadMethod(req.method))
          done(new HttpError('forbidden', `a read-only token may not call ${req.method} routes`));
        else done();
      });
      await attendanceRoutes(scope, deps);
      await reconcileRoutes(scope, deps);
      await sessionRoutes(scope, deps);
      if (deps.outbox) await outboxRoutes(scope, deps.outbox);
      await analyticsRoutes(scope, deps);
      if (deps.renderMetrics) {
        const render = deps.renderMetrics;
        scope.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
          const m = await render();
          return reply.type(m.contentType).send(m.body);
        });
      }
    });
    const dashboard = deps.dashboard;
    if (dashboard)
      await main.register(async (scope) => dashboardRoutes(scope, { ...deps, dashboard }));
  });
  return app;
}
