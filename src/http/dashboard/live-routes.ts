import type { FastifyInstance, FastifyReply } from 'fastify';
import type { LiveRooms, LiveSnapshot } from '../../service/index.js';
import { HttpError } from '../error-registry.js';
import { nameQuery } from '../path-params.js';
import { safeNext, type DashboardAuth } from './dashboard-auth.js';
import { HIDDEN, sendPage } from './dashboard-reply.js';
import type { LiveFeed } from './live-feed.js';
import { liveAlerts, liveBody } from './live-page.js';
import { livePeople } from './live-people.js';
import { signInBody } from './simple-pages.js';

/**
 * `/`: the sign-in form, or once signed in the live view; `/live/people`: one room's people, as
 * the view fetches them when a room is opened; `/live/events`: the view's server-sent events.
 */
export function liveRoutes(
  app: FastifyInstance,
  opts: { auth: DashboardAuth; feed: LiveFeed; live: LiveRooms },
): void {
  const { auth, feed, live } = opts;
  app.get<{ Querystring: { next?: string } }>(
    '/',
    { schema: HIDDEN, config: { dashboardPublic: true } },
    async (req, reply) => {
      const viewer = auth.viewer(req);
      if (viewer === null) {
        return sendPage(reply, {
          title: 'Sign in',
          viewer: null,
          body: signInBody({ error: null, next: safeNext(req.query.next) }),
        });
      }
      const version = feed.version;
      const snapshot = await live.snapshot();
      return sendPage(reply, {
        title: 'Live',
        viewer,
        nav: 'live',
        scripts: ['live.js'],
        body: liveBody({ snapshot, alerts: alertsFor(snapshot), version }),
      });
    },
  );

  function alertsFor(snapshot: LiveSnapshot) {
    feed.roomsHtml(snapshot);
    return liveAlerts(feed.alertsInput(snapshot.nowMs, snapshot.livekitConfigured));
  }

  // One room's people, as the fragment an opened room card shows (404 once the room is over).
  app.get<{ Querystring: { room: string } }>(
    '/live/people',
    {
      schema: {
        ...HIDDEN,
        querystring: {
          type: 'object',
          required: ['room'],
          properties: { room: nameQuery },
        },
      },
      config: { dashboardData: true },
    },
    async (req, reply) => {
      const room = await live.room(req.query.room);
      return reply
        .status(room === null ? 404 : 200)
        .type('text/html; charset=utf-8')
        .send(livePeople(room, live.now()).html);
    },
  );

  // Closing the app must not wait for browsers watching the live view.
  const streams = new Set<FastifyReply>();
  app.addHook('preClose', async () => {
    for (const r of streams) r.sse.close();
  });

  app.get<{ Querystring: { since?: string } }>(
    '/live/events',
    {
      schema: {
        ...HIDDEN,
        querystring: {
          type: 'object',
          properties: { since: { type: 'string', maxLength: 64 } },
        },
      },
      sse: { heartbeat: true },
      config: { dashboardData: true },
    },
    async (req, reply) => {
      // @fastify/sse takes over only requests that accept `text/event-stream`; anything else
      // (a script's fetch, curl) reaches the handler without `reply.sse`.
      if ((reply as { sse?: unknown }).sse === undefined) {
        throw new HttpError(
          'not_acceptable',
          'this route is a stream of server-sent events: send Accept: text/event-stream',
        );
      }
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
      // (or while a reconnecting browser was away) is in it. A page rendered at this very
      // version (`?since=`, the page's) is current already: it is told so instead.
      if (req.query.since !== undefined && req.query.since === feed.version) {
        const nowMs = live.now();
        await reply.sse.send({ event: 'current', data: { nowMs } });
        await reply.sse.send({
          event: 'alerts',
          data: { nowMs, html: feed.alertsHtml(nowMs) },
        });
        return;
      }
      const snapshot = await live.snapshot();
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
}
