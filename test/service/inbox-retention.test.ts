import { Writable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { DAY, ManualClock } from '../../src/core/index.js';
import {
  InboxRetention,
  RETENTION_LEASE,
  rebuildFromJournal,
  type Runtime,
} from '../../src/service/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';
import { createHarness, webhookBody, type Harness } from '../helpers/harness.js';

const T0 = Date.UTC(2027, 0, 11, 9, 0, 0);
const OLD_S = (T0 - 40 * DAY) / 1000;
const NEW_S = (T0 - 1 * DAY) / 1000;

/** Joins and leaves of `identities` in `room` at `atS` (LiveKit seconds): 2 events each. */
function stay(room: string, identities: string[], atS: number): string[] {
  return identities.flatMap((identity, i) => {
    const participant = { sid: `PA_${room}_${identity}`, identity, joinedAtMs: atS * 1000 };
    return [
      webhookBody({
        event: 'participant_joined',
        id: `EV_${room}_${i}_j`,
        createdAtS: atS,
        room: { name: room },
        participant: { ...participant, state: 'ACTIVE' },
      }),
      webhookBody({
        event: 'participant_left',
        id: `EV_${room}_${i}_l`,
        createdAtS: atS + 600,
        room: { name: room },
        participant: {
          ...participant,
          state: 'DISCONNECTED',
          disconnectReason: 'CLIENT_INITIATED',
        },
      }),
    ];
  });
}

describeEachDialect('inbox retention', (dialect) => {
  const db = useTestDatabase(dialect);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const clock = new ManualClock(T0);
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(
          ...chunk
            .toString()
            .split('\n')
            .filter((l) => l !== ''),
        );
        cb();
      },
    }),
  });
  const retention = (rt: Runtime, retentionMs = 30 * DAY) =>
    new InboxRetention({ writer: rt.writer, clock, logger, retentionMs, batchSize: 2 });

  /** Two old stays, one recent, and an old entry that was never applied. */
  async function seeded(): Promise<Runtime> {
    clock.set(T0);
    lines.length = 0;
    h = await createHarness({ databaseUrl: db.url, clock, env: { INBOX_RETENTION_DAYS: '30' } });
    for (const body of [
      ...stay('old-room', ['ana', 'ben'], OLD_S),
      ...stay('new-room', ['cy'], NEW_S),
    ]) {
      expect((await h.postWebhook(body)).status).toBe(200);
    }
    await h.rt.writer.write(
      (tx) =>
        tx.insertInbox([
          {
            eventId: 'EV_unapplied',
            source: 'webhook',
            type: 'participant_joined',
            room: 'old-room',
            createdAtMs: OLD_S * 1000,
            receivedAtMs: OLD_S * 1000,
            body: '{}',
          },
        ]),
      { rooms: ['old-room'] },
    );
    return h.rt;
  }

  it('prunes applied entries older than the retention in batches, never unapplied ones, and keeps cycles and audit', async () => {
    const rt = await seeded();
    const cyclesBefore = [
      await rt.store.listRoomCycles('old-room'),
      await rt.store.listRoomCycles('new-room'),
    ];
    const auditBefore = await rt.store.listAudit({ limit: 1000 });
    expect(await rt.store.countInbox()).toEqual({ total: 7, unprocessed: 1 });

    expect(await retention(rt).runOnce()).toEqual({
      pruned: 4,
      batches: 2,
      cutoffMs: T0 - 30 * DAY,
      rooms: 1,
    });
    expect(await rt.store.countInbox()).toEqual({ total: 3, unprocessed: 1 });
    expect((await rt.store.listUnprocessed(10)).map((e) => e.eventId)).toEqual(['EV_unapplied']);
    expect((await rt.store.readRoomInbox('new-room', 0, 10)).length).toBe(2);
    expect([
      await rt.store.listRoomCycles('old-room'),
      await rt.store.listRoomCycles('new-room'),
    ]).toEqual(cyclesBefore);
    expect(await rt.store.listAudit({ limit: 1000 })).toEqual(auditBefore);
    expect(await rt.store.getPruneHorizon('old-room')).toBe((OLD_S + 600) * 1000);
    expect(await rt.store.getPruneHorizon('new-room')).toBeNull();
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.msg === 'inbox entries pruned')).toEqual([
      expect.objectContaining({
        pruned: 4,
        batches: 2,
        rooms: 1,
        olderThan: new Date(T0 - 30 * DAY).toISOString(),
      }),
    ]);
    // A second run finds nothing.
    expect(await retention(rt).runOnce()).toMatchObject({ pruned: 0, batches: 0 });
  });

  it('lets a rebuild recompute what the retained inbox covers and keep older cycles as they are', async () => {
    const rt = await seeded();
    await retention(rt).runOnce();
    const [oldAna] = await rt.store.listRoomCycles('old-room');
    const [newCy] = await rt.store.listRoomCycles('new-room');
    // Damage one cycle of each room: the rebuild repairs only the one it has entries for.
    await rt.store.saveCycles([
      { ...oldAna!, endedAtMs: oldAna!.endedAtMs! + 1_000 },
      { ...newCy!, endedAtMs: newCy!.endedAtMs! + 1_000 },
    ]);
    const result = await rebuildFromJournal({ writer: rt.writer, logger, now: () => clock.now() });
    expect(result).toMatchObject({ keptCycles: 2, failedRooms: [] });
    expect((await rt.store.listRoomCycles('old-room'))[0]!.endedAtMs).toBe(
      oldAna!.endedAtMs! + 1_000,
    );
    expect((await rt.store.listRoomCycles('old-room')).length).toBe(2);
    expect(await rt.store.listRoomCycles('new-room')).toEqual([newCy]);
  });

  it('runs in one instance at a time: another holder of the lease means no run', async () => {
    const rt = await seeded();
    expect(
      await rt.store.tryAcquireLease(RETENTION_LEASE, 'other-instance', 60_000),
    ).not.toBeNull();
    expect(await retention(rt).runOnce()).toBeNull();
    expect(await rt.store.countInbox()).toEqual({ total: 7, unprocessed: 1 });
  });

  it('keeps everything with INBOX_RETENTION_DAYS=0', async () => {
    const rt = await seeded();
    expect(await retention(rt, 0).runOnce()).toBeNull();
    expect(await rt.store.countInbox()).toEqual({ total: 7, unprocessed: 1 });
  });
});
