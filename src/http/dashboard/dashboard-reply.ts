import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Viewer } from './dashboard-auth.js';
import { page, type PageOptions } from './layout.js';

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
