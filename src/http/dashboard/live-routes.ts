import type { FastifyInstance, FastifyReply } from 'fastify';
import type { LiveRooms, LiveSnapshot } from '../../service/index.js';
import { safeNext, type DashboardAuth } from './dashboard-auth.js';
import { HIDDEN, sendPage } from './dashboard-reply.js';
import type { LiveFeed } from './live-feed.js';
import { liveAlerts, liveBody } from './live-page.js';
import { signInBody } from './simple-pages.js';

/**
 * `/`: the sign-in form, or once signed in the live view; `/live/events`: the view's server-sent
 * events.
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
      const snapshot = await live.snapshot();
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

  // Closing the app must not wait for browsers watching the live view.
  const streams = new Set<FastifyReply>();
  app.addHook('preClose', async () => {
    for (const r of streams) r.sse.close();
  });

  app.get(
    '/live/events',
    { schema: HIDDEN, sse: { heartbeat: true }, config: { dashboardData: true } },
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
