import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, useMigratedStore } from './use-store.js';

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
