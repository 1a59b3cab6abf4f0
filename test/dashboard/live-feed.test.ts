import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { LiveFeed } from '../../src/http/dashboard/live-feed.js';
import {
  ServiceEvents,
  WebhookHealth,
  type LiveRooms,
  type ReconcileReport,
} from '../../src/service/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { createHarness } from '../helpers/harness.js';

const WATCHED = [
  'webhook:event:accepted',
  'webhook:event:duplicate',
  'webhook:event:rejected',
  'reconcile:pass:complete',
] as const;

function feedOver(events: ServiceEvents) {
  const asked: string[] = [];
  const live = {
    now: () => 0,
    room: (name: string) => {
      asked.push(name);
      return Promise.resolve(null);
    },
    snapshot: () => Promise.resolve({ nowMs: 0, rooms: [], livekitConfigured: false }),
  } as unknown as LiveRooms;
  const feed = new LiveFeed({
    events,
    live,
    webhookHealth: new WebhookHealth(events, new ManualClock(0)),
    logger: createLogger({ level: 'silent' }),
  });
  return { feed, asked, dirty: () => (feed as unknown as { dirtyRooms: Set<string> }).dirtyRooms };
}

const accepted = (room: string) => ({
  id: `EV_${room}`,
  type: 'participant_joined',
  room,
  createdAtMs: 0,
  storedAtMs: 0,
});

describe('the live feed', () => {
  it('keeps nothing for rooms while nobody watches (the connect snapshot covers them)', async () => {
    const events = new ServiceEvents();
    const { feed, asked, dirty } = feedOver(events);
    for (let i = 0; i < 1_000; i++) events.emit('webhook:event:accepted', accepted(`room-${i}`));
    events.emit('reconcile:pass:complete', { dryRun: false, room: null } as ReconcileReport);
    expect(dirty().size).toBe(0);

    const got: string[] = [];
    const stop = feed.subscribe((m) => got.push(`${m.event}:${m.data.room ?? ''}`));
    events.emit('webhook:event:accepted', accepted('watched'));
    expect([...dirty()]).toEqual(['watched']);
    await new Promise((r) => setTimeout(r, 400));
    expect(asked).toEqual(['watched']);
    expect(got).toEqual(['room:watched', 'alerts:']);
    stop();
    events.emit('webhook:event:accepted', accepted('after'));
    expect(dirty().size).toBe(0);
    feed.close();
  });

  it('unsubscribes the feed and the webhook health from the service events when the app closes', async () => {
    const h = await createHarness({ databaseUrl: 'sqlite::memory:' });
    const counts = () => Object.fromEntries(WATCHED.map((e) => [e, h.rt.events.listenerCount(e)]));
    const before = counts();
    await h.app.close();
    const after = counts();
    await h.rt.close();
    // The live feed listens to all three, the webhook health to accepted, duplicate and rejected.
    expect(Object.fromEntries(WATCHED.map((e) => [e, before[e]! - after[e]!]))).toEqual({
      'webhook:event:accepted': 2,
      'webhook:event:duplicate': 1,
      'webhook:event:rejected': 2,
      'reconcile:pass:complete': 1,
    });
  });
});
