import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulatorServer, type EmulatorServer } from '../../src/emulator/index.js';
import { DIALECTS, useTestDatabase } from '../helpers/dialects.js';
import { EVENT_SECRET, startEventReceiver, type EventReceiver } from '../helpers/event-receiver.js';
import { createHarness } from '../helpers/harness.js';
import { count, expectOutboxDelivered } from '../helpers/outbox-delivery.js';
import { rawQuery } from '../helpers/raw-sql.js';
import {
  deal,
  postSigned,
  PROC_API_KEY,
  PROC_API_SECRET,
  PROC_API_TOKEN,
  sleep,
  startService,
  stormEvents,
  waitUntil,
  type ServiceProcess,
} from '../helpers/service-process.js';

/**
 * Proof under faults: three service processes on one PostgreSQL schema receive the same event
 * stream, each event sent to two of them at once. Every event is applied once, the totals are
 * those of one instance given the stream, reconcile passes (all three run them, every 5 s) never
 * overlap, and every outbound event id reaches the receiver.
 */
const postgres = DIALECTS.find((d) => d.name === 'postgres')!;
const PEOPLE = 150; // 300 webhooks, 600 requests
const ROOMS = 4;
const SENDERS = 6;
/** Distinct completed passes to observe once LiveKit answers. */
const PASSES = 4;
const LONG = { timeout: 180_000 };

interface Pass {
  startedAtMs: number;
  completedAtMs: number;
}

describe.skipIf(!postgres.enabled)('three instances on one PostgreSQL [postgres]', () => {
  const db = useTestDatabase(postgres);
  let receiver: EventReceiver;
  let emu: EmulatorServer;
  const procs: ServiceProcess[] = [];
  const dirs: string[] = [];
  let stopWatching = () => {};
  beforeEach(async () => {
    receiver = await startEventReceiver();
    emu = await startEmulatorServer({ port: 0, apiKey: PROC_API_KEY, apiSecret: PROC_API_SECRET });
  }, LONG.timeout);
  afterEach(async () => {
    stopWatching();
    for (const p of procs.splice(0)) await p.kill();
    await emu.close();
    await receiver.close();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }, LONG.timeout);

  it(
    'applies each event once, keeps exact totals, never overlaps passes and delivers every event',
    LONG,
    async () => {
      // While the stream runs LiveKit is down: passes fail and close nothing (reconciliation rule 4),
      // so the totals depend on the webhooks alone. Then it answers and passes complete.
      emu.emulator.setApiFault({ mode: 'unavailable' });
      const env = {
        DATABASE_URL: db.url,
        LIVEKIT_URL: emu.url,
        RECONCILE_INTERVAL_SECONDS: '5',
        LIVEKIT_TIMEOUT_SECONDS: '2',
        EVENT_WEBHOOK_URLS: receiver.url,
        EVENT_WEBHOOK_SECRET: EVENT_SECRET,
      };
      // One at a time: the first applies the migrations, the others find them applied.
      for (let i = 0; i < 3; i++) procs.push(await startService(env));

      // Every pass any instance completes, as the store records it (completed_passes keeps the
      // latest by start; polled often enough to see each one, passes being seconds apart).
      const passes = new Map<string, Pass>();
      let watching = true;
      stopWatching = () => (watching = false);
      const watcher = (async () => {
        while (watching) {
          const rows = await rawQuery<{
            started_at_ms: string | number;
            completed_at_ms: string | number;
          }>(db.url, 'select started_at_ms, completed_at_ms from completed_passes').catch(() => []);
          for (const r of rows) {
            const pass = {
              startedAtMs: Number(r.started_at_ms),
              completedAtMs: Number(r.completed_at_ms),
            };
            passes.set(`${pass.startedAtMs}-${pass.completedAtMs}`, pass);
          }
          await sleep(20);
        }
      })();

      const people = stormEvents({
        prefix: 't',
        rooms: ROOMS,
        people: PEOPLE,
        startS: Math.floor(Date.now() / 1000) - 900,
      });
      const all = people.flat();
      const retried = new Map<number, number>();
      let n = 0;
      const sendTo = async (p: ServiceProcess, body: string) => {
        for (let attempt = 1; ; attempt++) {
          const status = await postSigned(p.url, body);
          if (status >= 200 && status < 300) return;
          retried.set(status, (retried.get(status) ?? 0) + 1);
          if (attempt >= 20) throw new Error(`${p.url} answered ${status} ${attempt} times`);
          await sleep(100);
        }
      };
      const sender = async (mine: (typeof people)[number][]) => {
        for (const sequence of mine)
          for (const e of sequence) {
            const i = n++;
            const [a, b] = [procs[i % 3]!, procs[(i + 1) % 3]!];
            await Promise.all([sendTo(a, e.body), sendTo(b, e.body)]);
          }
      };
      const t0 = Date.now();
      await Promise.all(deal(people, SENDERS).map(sender));
      const sentMs = Date.now() - t0;

      // Applied once: one inbox row per event, all applied, one cycle per sid.
      const inbox = await rawQuery<{ n: string; distinct_ids: string; unapplied: string }>(
        db.url,
        `select count(*) as n, count(distinct event_id) as distinct_ids,
              count(*) filter (where processed_at_ms is null) as unapplied from inbox`,
      );
      expect(inbox[0]).toEqual({
        n: String(all.length),
        distinct_ids: String(all.length),
        unapplied: '0',
      });
      expect(count(await rawQuery(db.url, 'select count(*) as n from cycles'))).toBe(PEOPLE);

      // Totals: what one instance computes from the same stream, each event sent once.
      const dir = await mkdtemp(join(tmpdir(), 'attendance-faults-'));
      dirs.push(dir);
      const single = await createHarness({ databaseUrl: `sqlite:${join(dir, 'single.db')}` });
      const expected = new Map<string, unknown>();
      try {
        for (const sequence of people)
          for (const e of sequence) expect((await single.postWebhook(e.body)).status).toBe(200);
        for (let r = 0; r < ROOMS; r++) {
          const room = `t-room-${r}`;
          expected.set(room, totals((await single.api(`/api/v1/rooms/${room}/attendance`)).json));
        }
      } finally {
        await single.close();
      }
      const actual = async () => {
        const got = new Map<string, unknown>();
        for (let r = 0; r < ROOMS; r++) {
          const room = `t-room-${r}`;
          const res = await fetch(`${procs[r % 3]!.url}/api/v1/rooms/${room}/attendance`, {
            headers: { authorization: `Bearer ${PROC_API_TOKEN}` },
          });
          got.set(room, totals(await res.json()));
        }
        return got;
      };
      expect(await actual()).toEqual(expected);

      // LiveKit answers again: passes complete; they must never overlap, and change no total.
      emu.emulator.setApiFault(null);
      const t1 = Date.now();
      await waitUntil(
        `${PASSES} completed reconcile passes`,
        () => (passes.size >= PASSES ? true : undefined),
        { ms: 90_000, describe: () => JSON.stringify([...passes.values()]) },
      );
      const passesMs = Date.now() - t1;
      watching = false;
      await watcher;
      const ordered = [...passes.values()].sort((x, y) => x.startedAtMs - y.startedAtMs);
      for (const p of ordered) expect(p.completedAtMs).toBeGreaterThanOrEqual(p.startedAtMs);
      for (let i = 1; i < ordered.length; i++) {
        expect(
          ordered[i]!.startedAtMs,
          `pass ${i} started before pass ${i - 1} ended: ${JSON.stringify(ordered)}`,
        ).toBeGreaterThanOrEqual(ordered[i - 1]!.completedAtMs);
      }
      expect(await actual()).toEqual(expected);

      // Outbound: one arrival and one departure per person (not one per copy of an event), and
      // each id at least once at the receiver, a duplicate only with the same body.
      await expectOutboxDelivered(db.url, receiver, { rows: 2 * PEOPLE, ms: 90_000 });
      const deliveries = receiver.accepted().length;
      console.info(
        `[faults] three instances: ${all.length} events x2 applied once (${inbox[0]!.n} inbox rows), ` +
          `retried ${JSON.stringify(Object.fromEntries(retried))}; ${ordered.length} passes without overlap; ` +
          `${2 * PEOPLE} outbound events, ${deliveries} deliveries; ` +
          `stream ${sentMs} ms, passes ${passesMs} ms`,
      );
    },
  );
});

/** A room's attendance reduced to what must be exact: who, how long, whether still there. */
function totals(body: any): unknown {
  return (body.participants as any[])
    .map((p) => ({ identity: p.identity, attendedMs: p.attendedMs, inMeeting: p.inMeeting }))
    .sort((a, b) => (a.identity < b.identity ? -1 : 1));
}
