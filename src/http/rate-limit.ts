import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenRole } from './bearer-auth.js';
import { HttpError } from './error-registry.js';

const MINUTE_MS = 60_000;

/**
 * Routes that are never limited, by route pattern (never the raw URL, so no spelling of a path can
 * opt into the exemption): the probes, which a load balancer sends from one address on behalf of
 * everyone. LiveKit's webhook route is not limited either: it lives outside the scope this is
 * registered in (see build-app.ts), since a 429 would make LiveKit retry, then drop events.
 */
export const RATE_LIMIT_EXEMPT_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/**
 * The bucket a request counts against: a valid token's (by a digest of it, never the token
 * itself), or the client address for requests without one (so guessing tokens is limited too,
 * and made-up tokens do not each get a fresh bucket).
 */
export function rateLimitKey(req: FastifyRequest, role: TokenRole | null): string {
  const header = req.headers.authorization;
  if (role !== null && header !== undefined) {
    return `token:${createHash('sha256').update(header).digest('base64url')}`;
  }
  return `ip:${req.ip}`;
}

/**
 * Per-token rate limits (`API_RATE_LIMIT_PER_MINUTE`) with `@fastify/rate-limit`, on every route
 * of the scope it is registered in but {@link RATE_LIMIT_EXEMPT_ROUTES}, 404s included. The limit
 * is that scope's `onRequest` hook, so it runs before the API scope's token check: a request with
 * a wrong token is counted (by address) before it is refused. Counts are kept per instance, in
 * memory.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  opts: { perMinute: number; roleOf: (req: FastifyRequest) => TokenRole | null },
): Promise<void> {
  if (opts.perMinute <= 0) return;
  await app.register(rateLimit, {
    global: false,
    max: opts.perMinute,
    timeWindow: MINUTE_MS,
    keyGenerator: (req) => rateLimitKey(req, opts.roleOf(req)),
    errorResponseBuilder: (_req, ctx) =>
      new HttpError(
        'rate_limited',
        `more than ${ctx.max} requests a minute with this token (or from this address); retry in ${ctx.after}`,
      ),
  });
  const limit = app.rateLimit();
  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url;
    if (route !== undefined && RATE_LIMIT_EXEMPT_ROUTES.has(route)) return;
    await limit.call(app, req, reply);
  });
}
