import type { FastifyInstance } from 'fastify';
import { HttpError } from '../error-registry.js';
import {
  csrfMatches,
  CSRF_FIELD,
  safeNext,
  sameOrigin,
  type DashboardAuth,
} from './dashboard-auth.js';
import { HIDDEN, sendPage, type FormBody } from './dashboard-reply.js';
import { signInBody } from './simple-pages.js';

/** Signing in with a token (the form is at `/`) and out again. */
export function signInRoutes(app: FastifyInstance, auth: DashboardAuth): void {
  app.post<{ Body: FormBody }>(
    '/sign-in',
    { schema: HIDDEN, config: { dashboardPublic: true } },
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

  app.post<{ Body: FormBody }>(
    '/sign-out',
    { schema: HIDDEN, config: { dashboardPublic: true } },
    async (req, reply) => {
      const viewer = auth.viewer(req);
      // Signing someone out from another site is a nuisance, not a breach; still refuse it.
      if (viewer !== null && sameOrigin(req) && csrfMatches(viewer, req.body?.[CSRF_FIELD])) {
        auth.signOut(req);
      }
      return reply.redirect('/', 303);
    },
  );
}
