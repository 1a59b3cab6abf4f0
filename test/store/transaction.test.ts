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

  it('resets derived state: cycles and rooms gone, verifications kept, inbox unprocessed', async () => {
    const { store } = ctx;
    await store.insertInbox([makeEntry('EV_1'), makeEntry('EV_2'), makeEntry('EV_3')]);
    await store.markProcessed(['EV_1', 'EV_2'], T0 + 9);
    await store.recordProcessingFailure('EV_3', 'boom');
    await store.saveCycles([makeCycle({ sid: 'PA_1' }), makeCycle({ sid: 'PA_2' })]);
    await store.recordRoomFinished('RM_a', 'room-a', T0);
    await store.markRoomVerified('room-a', T0);
    expect(await store.tryAcquireLease('reconciler', 'A', T0, 1_000)).toBe(true);

    await store.resetDerivedState();

    expect(await store.listRoomCycles('room-a')).toEqual([]);
    expect(await store.getRoomFinishTimes(['RM_a'])).toEqual(new Map());
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
    expect(await store.tryAcquireLease('reconciler', 'B', T0 + 1, 1_000)).toBe(false);
  });

  it('resets derived state inside a caller transaction and rolls it back on throw', async () => {
    const { store } = ctx;
    await store.saveCycles([makeCycle({ sid: 'PA_1' })]);
    await expect(
      store.transaction(async (tx) => {
        await tx.resetDerivedState();
        expect(await tx.getCycles(['PA_1'])).toEqual([]);
        throw new Error('abort rebuild');
      }),
    ).rejects.toThrow('abort rebuild');
    expect((await store.getCycles(['PA_1'])).length).toBe(1);
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
      await tx.resetDerivedState();
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

  it('tells whether a holder still holds an unexpired lease', async () => {
    const { store } = ctx;
    expect(await store.holdsLease('reconcile', 'A', T0)).toBe(false);
    await store.tryAcquireLease('reconcile', 'A', T0, 1_000);
    expect(await store.holdsLease('reconcile', 'A', T0 + 999)).toBe(true);
    expect(await store.holdsLease('reconcile', 'B', T0 + 999)).toBe(false);
    expect(await store.holdsLease('reconcile', 'A', T0 + 1_000)).toBe(false);
  });
});
