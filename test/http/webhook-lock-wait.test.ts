import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DIALECTS, useTestDatabase } from '../helpers/dialects.js';
import { createHarness, webhookBody, type Harness } from '../helpers/harness.js';

// SQLite's file lock, held by another process such as the CLI: PostgreSQL has nothing like it.
const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

const joined = (id: string) =>
  webhookBody({
    event: 'participant_joined',
    id,
    createdAtS: Math.floor(Date.now() / 1000),
    room: { name: 'r1' },
    participant: { sid: 'PA_1', identity: 'ann', state: 'ACTIVE', joinedAtMs: Date.now() },
  });

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('POST /webhooks/livekit while another connection holds the SQLite write lock', () => {
  const db = useTestDatabase(sqlite);
  let h: Harness;
  let other: Database.Database;
  beforeEach(async () => {
    h = await createHarness({ databaseUrl: db.url });
    other = new Database(db.url.slice('sqlite:'.length));
  });
  afterEach(async () => {
    vi.useRealTimers();
    if (other.inTransaction) other.exec('rollback');
    other.close();
    await h.close();
  });

  const lockWaits = async () => {
    const metric = h.rt.metrics.registry.getSingleMetric(
      'livekit_attendance_sqlite_lock_waits_total',
    );
    return (await metric!.get()).values[0]?.value ?? 0;
  };
  const inboxRows = () =>
    (other.prepare('select count(*) as n from inbox').get() as { n: number }).n;

  it('answers /healthz while the webhook waits, and acknowledges it once the lock is released', async () => {
    other.exec('begin immediate');
    const order: string[] = [];
    const webhook = h.postWebhook(joined('EV_1')).then((r) => {
      order.push('webhook answered');
      return r;
    });
    while ((await lockWaits()) === 0) await nextTurn();
    const health = await h.app.inject({ method: 'GET', url: '/healthz' });
    order.push(`healthz ${health.statusCode}`);
    expect(order).toEqual(['healthz 200']);
    other.exec('commit');
    expect(await webhook).toEqual({
      status: 200,
      json: { status: 'accepted', eventId: 'EV_1', event: 'participant_joined' },
    });
    expect(order).toEqual(['healthz 200', 'webhook answered']);
    expect(inboxRows()).toBe(1);
  });

  it('answers 503 when the lock outlasts 5 s, so that LiveKit retries', async () => {
    // The service's waits run on these fake timers: the test moves time, nothing sleeps.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    other.exec('begin immediate');
    const startedAt = performance.now();
    let settled = false;
    const webhook = h.postWebhook(joined('EV_1')).finally(() => (settled = true));
    while (!settled) {
      await vi.advanceTimersByTimeAsync(100);
      await nextTurn();
    }
    expect(await webhook).toEqual({
      status: 503,
      json: { error: 'unavailable', message: 'event could not be stored' },
    });
    // It gave up on the (fake) clock the test moved, not in a wait that held the event loop.
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(5_000);
    other.exec('commit');
    expect(inboxRows()).toBe(0);
    vi.useRealTimers();
    // LiveKit's redelivery, once the lock is gone.
    expect((await h.postWebhook(joined('EV_1'))).status).toBe(200);
    expect(inboxRows()).toBe(1);
  });
});
