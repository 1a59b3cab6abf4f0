import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';
import { EVENT_SECRET, startEventReceiver, type EventReceiver } from '../helpers/event-receiver.js';
import { count, expectOutboxDelivered } from '../helpers/outbox-delivery.js';
import { rawQuery } from '../helpers/raw-sql.js';
import {
  deal,
  postSigned,
  sleep,
  startService,
  stormEvents,
  waitUntil,
  type ServiceProcess,
} from '../helpers/service-process.js';

/**
 * Proof under faults: "acknowledged means durable". The real service, a child process, is killed
 * with SIGKILL in the middle of a webhook storm and restarted on the same database. Every webhook
 * it answered 2xx must be stored and applied, and every outbound event must reach the receiver at
 * least once per webhook-id (a duplicate only with the same id and the same body).
 */
const PEOPLE = 250; // 500 webhooks
const ROOMS = 6;
const SENDERS = 6;
/** SIGKILL once this many webhooks were acknowledged. */
const KILL_AFTER_ACKS = 150;
const LONG = { timeout: 180_000 };

describeEachDialect('SIGKILL in the middle of a webhook storm', (dialect) => {
  const db = useTestDatabase(dialect);
  let receiver: EventReceiver;
  const procs: ServiceProcess[] = [];
  beforeEach(async () => {
    receiver = await startEventReceiver();
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.kill();
    await receiver.close();
  }, LONG.timeout);

  it(
    'stores and applies every acknowledged webhook and delivers every outbound event',
    LONG,
    async () => {
      const env = {
        DATABASE_URL: db.url,
        EVENT_WEBHOOK_URLS: receiver.url,
        EVENT_WEBHOOK_SECRET: EVENT_SECRET,
      };
      const first = await startService(env);
      procs.push(first);
      let current = first;
      // Resolves to the URL of a service that is up; replaced while none is.
      let up: Promise<string> = Promise.resolve(first.url);

      const people = stormEvents({
        prefix: 'k',
        rooms: ROOMS,
        people: PEOPLE,
        startS: Math.floor(Date.now() / 1000) - 900,
      });
      const all = people.flat();
      const acked = new Set<string>();
      let ackedBeforeKill = -1;
      const refused = new Map<number, number>(); // status (0 = no answer) -> count
      const sendDeadline = Date.now() + 120_000;

      const sender = async (mine: (typeof people)[number][]) => {
        for (const sequence of mine) {
          for (const e of sequence) {
            for (;;) {
              const url = await up;
              const status = await postSigned(url, e.body);
              if (status >= 200 && status < 300) {
                acked.add(e.id);
                break;
              }
              refused.set(status, (refused.get(status) ?? 0) + 1);
              if (Date.now() > sendDeadline) throw new Error(`${e.id} never acknowledged`);
              await sleep(50); // LiveKit retries too; the restart replaces `up` meanwhile
            }
          }
        }
      };
      const killer = async () => {
        await waitUntil('enough acknowledgements to kill', () =>
          acked.size >= KILL_AFTER_ACKS ? true : undefined,
        );
        let restarted!: (url: string) => void;
        up = new Promise((resolve) => (restarted = resolve));
        ackedBeforeKill = acked.size;
        await current.kill();
        expect(current.child.signalCode).toBe('SIGKILL');
        current = await startService(env);
        procs.push(current);
        restarted(current.url);
      };
      await Promise.all([killer(), ...deal(people, SENDERS).map(sender)]);

      // Killed mid-storm, not before or after it.
      expect(ackedBeforeKill).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      expect(ackedBeforeKill).toBeLessThan(all.length);
      expect(acked.size).toBe(all.length);

      // Stored and applied: every acknowledged id is in the inbox, applied (the restart replays
      // what a kill left unapplied).
      await waitUntil('the inbox to be applied', async () =>
        count(
          await rawQuery<{ n: number }>(
            db.url,
            'select count(*) as n from inbox where processed_at_ms is null',
          ),
        ) === 0
          ? true
          : undefined,
      );
      const inbox = await rawQuery<{ event_id: string; processed_at_ms: number | string | null }>(
        db.url,
        'select event_id, processed_at_ms from inbox',
      );
      const applied = new Set(
        inbox.filter((r) => r.processed_at_ms !== null).map((r) => r.event_id),
      );
      expect(inbox).toHaveLength(all.length); // stored once each, whatever was retried
      expect([...acked].filter((id) => !applied.has(id))).toEqual([]);

      // Applied: each sid's cycle exists and is closed by its leave, at the leave's time.
      const cycles = await rawQuery<{
        sid: string;
        room: string;
        identity: string;
        ended_at_ms: number | string | null;
      }>(db.url, 'select sid, room, identity, ended_at_ms from cycles');
      const bySid = new Map(cycles.map((c) => [c.sid, c]));
      expect(cycles).toHaveLength(PEOPLE);
      for (const [join, leave] of people) {
        const c = bySid.get(join!.sid);
        expect(c, join!.sid).toMatchObject({ room: join!.room, identity: join!.identity });
        const leftAtMs = Number(JSON.parse(leave!.body).createdAt) * 1000;
        expect(Number(c!.ended_at_ms), leave!.id).toBe(leftAtMs);
      }

      // Outbound: the outbox drains (a row claimed by the killed process waits for its lease to
      // run out), and every row's webhook-id reached the receiver.
      const delivered = await expectOutboxDelivered(db.url, receiver, {
        rows: 2 * PEOPLE, // one arrival and one departure per person
        ms: 150_000,
      });
      const seen = new Set(
        receiver.accepted().map((r) => `${r.body!.type} ${String(r.body!.data.sid)}`),
      );
      for (const [join] of people) {
        expect(seen.has(`participant.joined ${join!.sid}`), join!.sid).toBe(true);
        expect(seen.has(`participant.left ${join!.sid}`), join!.sid).toBe(true);
      }
      console.info(
        `[faults] ${dialect.name}: ${all.length} webhooks acknowledged (${ackedBeforeKill} before SIGKILL), ` +
          `refused meanwhile ${JSON.stringify(Object.fromEntries(refused))}, ${applied.size} applied; ` +
          `${2 * PEOPLE} outbound events, ${delivered.ids} ids received, ${delivered.duplicates} duplicate deliveries`,
      );
    },
  );
});
