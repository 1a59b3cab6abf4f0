import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import type { Cycle } from '../../src/core/index.js';
import { T0, makeCycle, useMigratedStore } from './use-store.js';

describeEachDialect('store rooms', (dialect) => {
  const ctx = useMigratedStore(dialect);

  it('keeps the earliest finish time of a room incarnation', async () => {
    const { store } = ctx;
    await store.recordRoomFinished('RM_1', 'room-a', T0 + 500);
    await store.recordRoomFinished('RM_1', 'room-a', T0 + 100);
    await store.recordRoomFinished('RM_1', 'room-a', T0 + 900);
    await store.recordRoomFinished('RM_2', 'room-a', T0);
    expect(await store.getRoomFinishTimes(['RM_1', 'RM_2', 'RM_live'])).toEqual(
      new Map([
        ['RM_1', T0 + 100],
        ['RM_2', T0],
      ]),
    );
    expect(await store.getRoomFinishTimes([])).toEqual(new Map());
  });

  it('returns null for a room never verified', async () => {
    expect(await ctx.store.getRoomVerification('room-a')).toBe(null);
    expect(await ctx.store.listRoomVerifications()).toEqual([]);
  });

  it('counts consecutive failures without touching lastVerifiedAt and resets them on success', async () => {
    const { store } = ctx;
    await store.markRoomVerificationFailed('room-a', T0, 'livekit_unreachable');
    expect(await store.getRoomVerification('room-a')).toEqual({
      room: 'room-a',
      lastVerifiedAtMs: null,
      lastAttemptAtMs: T0,
      lastError: 'livekit_unreachable',
      consecutiveFailures: 1,
    });

    await store.markRoomVerified('room-a', T0 + 1_000);
    await store.markRoomVerificationFailed('room-a', T0 + 2_000, 'timeout');
    await store.markRoomVerificationFailed('room-a', T0 + 3_000, 'server_error 503');
    expect(await store.getRoomVerification('room-a')).toEqual({
      room: 'room-a',
      lastVerifiedAtMs: T0 + 1_000,
      lastAttemptAtMs: T0 + 3_000,
      lastError: 'server_error 503',
      consecutiveFailures: 2,
    });

    await store.markRoomVerified('room-a', T0 + 4_000);
    expect(await store.getRoomVerification('room-a')).toEqual({
      room: 'room-a',
      lastVerifiedAtMs: T0 + 4_000,
      lastAttemptAtMs: T0 + 4_000,
      lastError: null,
      consecutiveFailures: 0,
    });
  });

  it('lists verifications by room name', async () => {
    const { store } = ctx;
    await store.markRoomVerified('教室/101', T0);
    await store.markRoomVerified('B-room', T0 + 1);
    await store.markRoomVerificationFailed('a-room', T0 + 2, 'x');
    expect((await store.listRoomVerifications()).map((v) => v.room)).toEqual([
      'B-room',
      'a-room',
      '教室/101',
    ]);
  });

  it('never moves lastVerifiedAt backwards when an older answer commits later', async () => {
    const { store } = ctx;
    await store.markRoomVerified('late', T0 + 10_000);
    await store.markRoomVerified('late', T0);
    expect((await store.getRoomVerification('late'))?.lastVerifiedAtMs).toBe(T0 + 10_000);
  });
});

describeEachDialect('store fold inputs', (dialect) => {
  const ctx = useMigratedStore(dialect);

  // PostgreSQL reads both in one statement (fold-inputs.ts); what it returns must be what the two
  // reads return, with every column's type as a row has it.
  it('reads cycles and the finish times of named and of their incarnations, as the two reads do', async () => {
    const { store } = ctx;
    const cycles = [
      makeCycle({
        sid: 'PA_1',
        roomSid: 'RM_1',
        connected: false,
        endedAtMs: T0 + 9,
        endedBy: 'webhook',
      }),
      makeCycle({ sid: 'PA_2', roomSid: 'RM_2', name: null, kind: null }),
      makeCycle({ sid: 'PA_3', roomSid: null, joinedAtMs: null }),
    ];
    await store.saveCycles(cycles);
    await store.recordRoomFinished('RM_1', 'room-a', T0 + 100);
    await store.recordRoomFinished('RM_3', 'room-a', T0 + 300);
    await store.recordRoomFinished('RM_4', 'room-a', T0 + 400);
    const read = await store.transaction(async (tx) => {
      const sids = ['PA_1', 'PA_2', 'PA_3', 'PA_missing'];
      const expected = {
        cycles: await tx.getCycles(sids),
        roomFinishedAtMs: await tx.getRoomFinishTimes(['RM_3', 'RM_1', 'RM_2']),
      };
      const actual = tx.getFoldInputs ? await tx.getFoldInputs(sids, ['RM_3']) : expected;
      return { expected, actual };
    });
    const bySid = (cs: Cycle[]) => [...cs].sort((a, b) => a.sid.localeCompare(b.sid));
    expect(bySid(read.actual.cycles)).toEqual(bySid(cycles));
    expect(bySid(read.expected.cycles)).toEqual(bySid(cycles));
    expect(read.actual.roomFinishedAtMs).toEqual(
      new Map([
        ['RM_1', T0 + 100],
        ['RM_3', T0 + 300],
      ]),
    );
    expect(read.actual.roomFinishedAtMs).toEqual(read.expected.roomFinishedAtMs);
  });
});
