import { expect, it } from 'vitest';
import type { Cycle } from '../../src/core/index.js';
import type { IdentityAttendanceRows } from '../../src/store/index.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, makeCycle, makeEntry, useMigratedStore } from './use-store.js';

describeEachDialect('store transactions', (dialect) => {
  const ctx = useMigratedStore(dialect);

  it('commits every write of a transaction and returns its value', async () => {
    const { store } = ctx;
    const result = await store.transaction(async (tx) => {
      await tx.insertInbox([makeEntry('EV_1')]);
      await tx.saveCycles([makeCycle({ sid: 'PA_1' })]);
      await tx.markProcessed(['EV_1'], T0 + 1);
      return (await tx.getCycles(['PA_1'])).length;
    });
    expect(result).toBe(1);
    expect(await store.countInbox()).toEqual({ total: 1, unprocessed: 0 });
    expect(await store.getCycles(['PA_1'])).toEqual([makeCycle({ sid: 'PA_1' })]);
  });

  it('leaves nothing behind when the function throws', async () => {
    const { store } = ctx;
    const failure = new Error('apply failed');
    await expect(
      store.transaction(async (tx) => {
        await tx.insertInbox([makeEntry('EV_1')]);
        await tx.saveCycles([makeCycle({ sid: 'PA_1' })]);
        await tx.recordRoomFinished('RM_a', 'room-a', T0);
        await tx.markRoomVerified('room-a', T0);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
    expect(await store.getCycles(['PA_1'])).toEqual([]);
    expect(await store.getRoomFinishTimes(['RM_a'])).toEqual(new Map());
    expect(await store.getRoomVerification('room-a')).toBe(null);
  });

  it("never shows a running transaction's writes to a status read made meanwhile", async () => {
    const { store } = ctx;
    const failure = new Error('rolled back');
    let read: Promise<IdentityAttendanceRows> | undefined;
    await expect(
      store.transaction(async (tx) => {
        await tx.saveCycles([makeCycle({ sid: 'PA_1' })]);
        read = store.getIdentityAttendance('room-a', 'alice');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await read).toEqual({ cycles: [], lastVerifiedAtMs: null });
  });

  it('resets one room: its cycles and incarnations gone, its inbox unprocessed, others kept', async () => {
    const { store } = ctx;
    await store.insertInbox([
      makeEntry('EV_1'),
      makeEntry('EV_2'),
      makeEntry('EV_3'),
      makeEntry('EV_b', { room: 'room-b' }),
    ]);
    await store.markProcessed(['EV_1', 'EV_2', 'EV_b'], T0 + 9);
    await store.recordProcessingFailure('EV_3', 'boom');
    await store.saveCycles([
      makeCycle({ sid: 'PA_1' }),
      makeCycle({ sid: 'PA_2' }),
      makeCycle({ sid: 'PA_b', room: 'room-b', roomSid: 'RM_b' }),
    ]);
    await store.recordRoomFinished('RM_a', 'room-a', T0);
    await store.recordRoomFinished('RM_b', 'room-b', T0);
    await store.markRoomVerified('room-a', T0);
    expect(await store.tryAcquireLease('reconciler', 'A', 60_000)).toBe(1);

    await store.transaction((tx) => tx.resetRoom('room-a'), { rooms: ['room-a'] });

    expect(await store.listRoomCycles('room-a')).toEqual([]);
    expect((await store.listRoomCycles('room-b')).map((c) => c.sid)).toEqual(['PA_b']);
    expect(await store.getRoomFinishTimes(['RM_a', 'RM_b'])).toEqual(new Map([['RM_b', T0]]));
    expect((await store.listRoomVerifications()).map((v) => [v.room, v.lastVerifiedAtMs])).toEqual([
      ['room-a', T0],
    ]);
    const inbox = await store.listUnprocessed(10);
    expect(inbox.map((e) => [e.eventId, e.processedAtMs, e.attempts, e.lastError])).toEqual([
      ['EV_1', null, 0, null],
      ['EV_2', null, 0, null],
      ['EV_3', null, 0, null],
    ]);
    // Leases are coordination, not derived state.
    expect(await store.tryAcquireLease('reconciler', 'B', 60_000)).toBe(null);
  });

  it('resets a room inside a caller transaction and rolls it back on throw', async () => {
    const { store } = ctx;
    await store.saveCycles([makeCycle({ sid: 'PA_1' })]);
    await expect(
      store.transaction(async (tx) => {
        await tx.resetRoom('room-a');
        expect(await tx.getCycles(['PA_1'])).toEqual([]);
        throw new Error('abort rebuild');
      }),
    ).rejects.toThrow('abort rebuild');
    expect((await store.getCycles(['PA_1'])).length).toBe(1);
  });

  it('lists every room with journal entries or cycles, once each, sorted', async () => {
    const { store } = ctx;
    await store.insertInbox([
      makeEntry('EV_1', { room: 'room-c' }),
      makeEntry('EV_2', { room: 'room-a' }),
      makeEntry('EV_3', { room: null }),
    ]);
    await store.saveCycles([
      makeCycle({ sid: 'PA_1', room: 'room-b' }),
      makeCycle({ sid: 'PA_2' }),
    ]);
    expect(await store.listJournalRooms()).toEqual(['room-a', 'room-b', 'room-c']);
  });

  it("reads one room's entries after a seq, in seq order", async () => {
    const { store } = ctx;
    await store.insertInbox([
      makeEntry('EV_1'),
      makeEntry('EV_2', { room: 'room-b' }),
      makeEntry('EV_3'),
      makeEntry('EV_4'),
    ]);
    const all = await store.readRoomInbox('room-a', 0, 10);
    expect(all.map((e) => e.eventId)).toEqual(['EV_1', 'EV_3', 'EV_4']);
    const rest = await store.readRoomInbox('room-a', all[0]!.seq, 1);
    expect(rest.map((e) => e.eventId)).toEqual(['EV_3']);
  });

  it('claims unprocessed entries of the rooms asked for, narrowed to event ids', async () => {
    const { store } = ctx;
    await store.insertInbox([
      makeEntry('EV_1'),
      makeEntry('EV_2', { room: 'room-b' }),
      makeEntry('EV_3', { room: null }),
      makeEntry('EV_4'),
    ]);
    await store.markProcessed(['EV_4'], T0);
    const ids = (e: { eventId: string }[]) => e.map((x) => x.eventId);
    await store.transaction(async (tx) => {
      expect(ids(await tx.claimUnprocessed(['room-a'], 10))).toEqual(['EV_1']);
      expect(ids(await tx.claimUnprocessed(['room-a', null], 10))).toEqual(['EV_1', 'EV_3']);
      expect(ids(await tx.claimUnprocessed(['room-b', 'room-a'], 1))).toEqual(['EV_1']);
      expect(ids(await tx.claimUnprocessed(['room-a', 'room-b'], 10, ['EV_2']))).toEqual(['EV_2']);
      expect(await tx.claimUnprocessed([], 10)).toEqual([]);
    });
  });
});

describeEachDialect('store operations inside a transaction', (dialect) => {
  const ctx = useMigratedStore(dialect);

  it('keep the semantics of the plain operations (first inbox entry wins, last cycle wins)', async () => {
    const { store } = ctx;
    await store.recordRoomFinished('RM_a', 'room-a', T0 + 5);
    const result = await store.transaction(async (tx) => {
      const ids = await tx.insertInbox(
        [
          makeEntry('EV_1', { body: 'first' }),
          makeEntry('EV_1', { body: 'second' }),
          makeEntry('EV_2'),
        ],
        { processedAtMs: T0 },
      );
      const again = await tx.insertInbox([makeEntry('EV_2')]);
      await tx.saveCycles([
        makeCycle({ sid: 'PA_1', name: 'old' }),
        makeCycle({ sid: 'PA_1', name: 'new' }),
      ]);
      return {
        ids,
        again,
        cycles: await tx.getCycles(['PA_1', 'PA_1', 'PA_missing']),
        finish: await tx.getRoomFinishTimes(['RM_a', 'RM_b']),
      };
    });
    expect(result.ids).toEqual(['EV_1', 'EV_2']);
    expect(result.again).toEqual([]);
    expect(result.cycles.map((c) => [c.sid, c.name])).toEqual([['PA_1', 'new']]);
    expect(result.finish).toEqual(new Map([['RM_a', T0 + 5]]));
    const [first] = await store.readInbox(0, 10);
    expect([first?.body, first?.processedAtMs]).toEqual(['first', T0]);
    expect(await store.countUnprocessed(10)).toBe(0);
  });

  it('update cycles read in the same transaction, indexed columns too', async () => {
    const { store } = ctx;
    await store.saveCycles([
      makeCycle({ sid: 'PA_1' }),
      makeCycle({ sid: 'PA_2', joinedAtMs: T0 + 1 }),
    ]);
    // Only unindexed columns change (the leave of a webhook).
    await store.transaction(async (tx) => {
      const [c1] = await tx.getCycles(['PA_1']);
      if (c1 === undefined) throw new Error('PA_1 missing');
      await tx.saveCycles([{ ...c1, endedAtMs: T0 + 60_000, endedBy: 'webhook', name: 'Alice B' }]);
    });
    expect((await store.listOpenCycles('room-a')).map((c) => c.sid)).toEqual(['PA_2']);
    const [closed] = await store.getCycles(['PA_1']);
    expect(closed).toEqual(
      makeCycle({ sid: 'PA_1', endedAtMs: T0 + 60_000, endedBy: 'webhook', name: 'Alice B' }),
    );
    // Every indexed column changes; then a second save of the same sid in the same transaction.
    await store.transaction(async (tx) => {
      const [c2] = await tx.getCycles(['PA_2']);
      if (c2 === undefined) throw new Error('PA_2 missing');
      const moved = { ...c2, room: 'room-b', identity: 'bob', roomSid: 'RM_b', joinedAtMs: T0 - 5 };
      await tx.saveCycles([moved]);
      await tx.saveCycles([{ ...moved, lastSeenAtMs: T0 + 9_000 }]);
    });
    expect((await store.getIdentityAttendance('room-a', 'alice')).cycles.map((c) => c.sid)).toEqual(
      ['PA_1'],
    );
    const bob = await store.getIdentityAttendance('room-b', 'bob');
    expect(bob.cycles).toEqual([
      makeCycle({
        sid: 'PA_2',
        room: 'room-b',
        identity: 'bob',
        roomSid: 'RM_b',
        joinedAtMs: T0 - 5,
        lastSeenAtMs: T0 + 9_000,
      }),
    ]);
    expect((await store.listOpenCyclesByRoomSid('RM_b')).map((c) => c.sid)).toEqual(['PA_2']);
    expect(await store.listOpenCyclesByRoomSid('RM_a')).toEqual([]);
    expect((await store.listOpenCycles('room-b')).map((c) => c.sid)).toEqual(['PA_2']);
    expect(await store.listOpenCycles('room-a')).toEqual([]);
  });

  it.each([
    ['joinedAtMs, null to a value', { joinedAtMs: null }, { joinedAtMs: T0 + 3 }],
    ['roomSid, null to a value', { roomSid: null }, { roomSid: 'RM_late' }],
    ['room', {}, { room: 'room-z' }],
    ['identity', {}, { identity: 'zed' }],
  ] as const)(
    'update the indexed column %s alone',
    async (_name, stored: Partial<Cycle>, change: Partial<Cycle>) => {
      const { store } = ctx;
      const original = makeCycle({ sid: 'PA_1', ...stored });
      await store.saveCycles([original]);
      await store.transaction(async (tx) => {
        const [c1] = await tx.getCycles(['PA_1']);
        if (c1 === undefined) throw new Error('PA_1 missing');
        await tx.saveCycles([{ ...c1, ...change, lastSeenAtMs: T0 + 2_000 }]);
      });
      const expected = { ...original, ...change, lastSeenAtMs: T0 + 2_000 };
      expect(await store.getCycles(['PA_1'])).toEqual([expected]);
      const status = await store.getIdentityAttendance(expected.room, expected.identity);
      expect(status.cycles).toEqual([expected]);
      expect((await store.listOpenCycles(expected.room)).map((c) => c.sid)).toEqual(['PA_1']);
      if (expected.roomSid !== null) {
        expect((await store.listOpenCyclesByRoomSid(expected.roomSid)).length).toBe(1);
      }
    },
  );

  it('save a cycle read earlier in the transaction and deleted since', async () => {
    const { store } = ctx;
    await store.saveCycles([makeCycle({ sid: 'PA_1' })]);
    await store.transaction(async (tx) => {
      const [c1] = await tx.getCycles(['PA_1']);
      if (c1 === undefined) throw new Error('PA_1 missing');
      await tx.resetRoom('room-a');
      await tx.saveCycles([{ ...c1, name: 'rebuilt' }]);
    });
    expect(await store.getCycles(['PA_1'])).toEqual([makeCycle({ sid: 'PA_1', name: 'rebuilt' })]);
  });

  it('roll back together: nothing of a failed transaction stays', async () => {
    const { store } = ctx;
    await expect(
      store.transaction(async (tx) => {
        await tx.insertInbox([makeEntry('EV_x')]);
        await tx.saveCycles([makeCycle({ sid: 'PA_x' })]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
    expect(await store.getCycles(['PA_x'])).toEqual([]);
  });

  it('counts unprocessed entries up to a bound', async () => {
    const { store } = ctx;
    await store.insertInbox([makeEntry('EV_1'), makeEntry('EV_2'), makeEntry('EV_3')]);
    expect(await store.countUnprocessed(2)).toBe(2);
    expect(await store.countUnprocessed(10)).toBe(3);
  });

  it('tells whether a holder still holds an unexpired lease under its token', async () => {
    const { store } = ctx;
    expect(await store.holdsLease('reconcile', 'A', 1)).toBe(false);
    const token = await store.tryAcquireLease('reconcile', 'A', 60_000);
    expect(token).toBe(1);
    expect(await store.holdsLease('reconcile', 'A', 1)).toBe(true);
    expect(await store.holdsLease('reconcile', 'A', 2)).toBe(false);
    expect(await store.holdsLease('reconcile', 'B', 1)).toBe(false);
    await store.releaseLease('reconcile', 'A');
    expect(await store.holdsLease('reconcile', 'A', 1)).toBe(false);
  });
});
