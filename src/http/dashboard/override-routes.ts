import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  ATTENDANCE_STATUSES,
  MAX_NAME_LENGTH,
  SESSION_ID_PATTERN,
  type AttendanceStatus,
} from '../../core/index.js';
import type { AppDeps } from '../app-deps.js';
import { HttpError } from '../error-registry.js';
import {
  csrfMatches,
  CSRF_FIELD,
  sameOrigin,
  type DashboardAuth,
  type Viewer,
} from './dashboard-auth.js';
import { HIDDEN, viewerOf, type FormBody } from './dashboard-reply.js';
import { MAX_REASON_LENGTH } from './participant-page.js';
import { personPath } from './session-page.js';

/** The forms that change attendance: setting and removing an override (admin token only). */
export function overrideRoutes(app: FastifyInstance, deps: AppDeps, auth: DashboardAuth): void {
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

  app.post<{ Params: { id: string; identity: string }; Body: FormBody }>(
    '/sessions/:id/participants/:identity/override',
    { schema: HIDDEN },
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
      if (!SESSION_ID_PATTERN.test(id)) throw new HttpError('session_not_found', 'no such session');
      const p = await deps.sessions.setOverride(id, identity, {
        status: status as AttendanceStatus,
        reason,
        author,
      });
      auth.rememberAuthor(req, author);
      return reply.redirect(`${personPath(id, p.row.identity)}?saved=set`, 303);
    },
  );

  app.post<{ Params: { id: string; identity: string }; Body: FormBody }>(
    '/sessions/:id/participants/:identity/override/remove',
    { schema: HIDDEN },
    async (req, reply) => {
      checkChange(req);
      const { id, identity } = req.params;
      if (!SESSION_ID_PATTERN.test(id)) throw new HttpError('session_not_found', 'no such session');
      await deps.sessions.removeOverride(id, identity);
      return reply.redirect(`${personPath(id, identity)}?saved=removed`, 303);
    },
  );
}
