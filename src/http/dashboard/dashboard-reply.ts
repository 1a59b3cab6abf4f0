import type { FastifyReply, FastifyRequest } from 'fastify';
import { AttendanceError } from '../../core/index.js';
import type { Viewer } from './dashboard-auth.js';
import { page, type PageOptions } from './layout.js';
import { messageBody } from './simple-pages.js';

/** Dashboard routes stay out of the OpenAPI document: they are pages, not the API. */
export const HIDDEN = { hide: true } as const;

/** A form's fields as the dashboard's urlencoded parser gives them. */
export type FormBody = Record<string, string | undefined>;

/** The viewer of each request that passed the dashboard's sign-in check. */
export const viewers = new WeakMap<FastifyRequest, Viewer>();

/** The signed-in viewer of a request that passed the dashboard's check. */
export function viewerOf(req: FastifyRequest): Viewer {
  const v = viewers.get(req);
  if (v === undefined) throw new Error('viewerOf: the route is public');
  return v;
}

export function sendPage(reply: FastifyReply, opts: PageOptions, status = 200): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(page(opts));
}

/** `fn`'s answer, or null when the session does not exist (a page then says so). */
export async function sessionOrNull<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AttendanceError && e.code === 'session_not_found') return null;
    throw e;
  }
}

export function notFoundPage(reply: FastifyReply, viewer: Viewer, id: string): FastifyReply {
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
