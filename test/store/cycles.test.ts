import { expect, it } from 'vitest';
import type { Cycle } from '../../src/core/index.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, makeCycle, useMigratedStore } from './use-store.js';

const HOSTILE_ROOM = "r'; DROP TABLE cycles;--";

describeEachDialect('store cycles', (dialect) => {
  const ctx = useMigratedStore(dialect);

  it('round-trips every field of a cycle with nulls', async () => {
    const { store } = ctx;
    const bare: Cycle = {
      sid: 'PA_bare',
      room: 'room-a',
      roomSid: null,
      roomSidRank: -1,
      identity: 'alice',
      name: null,
      nameVersion: -1,
      kind: null,
      joinedAtMs: null,
      connected: false,
      joinSeen: false,
      observed: false,
      webhookEndedAtMs: null,
      roomFinishedAtMs: null,
      lastAbsentAtMs: null,
      openedBy: 'reconciler',
      endedAtMs: null,
      endedBy: null,
      estimatedLeftAtMs: null,
      lastSeenAtMs: null,
    };
    await store.saveCycles([bare]);
    expect(await store.getCycles(['PA_bare'])).toEqual([bare]);
  });

  it('round-trips every field of a cycle with values, unicode and SQL text', async () => {
    const { store } = ctx;
    const full: Cycle = {
      sid: 'PA_full',
      room: HOSTILE_ROOM,
      roomSid: 'RM_教室/101',
      roomSidRank: 1_700_000_004_000,
      identity: '教室/101',
      name: 'Zoë "the" O\'Brien 🎓',
      nameVersion: 4_294_967_295,
      kind: 'SIP',
      joinedAtMs: 1_700_000_005_250,
      connected: true,
      joinSeen: true,
      observed: true,
      webhookEndedAtMs: 1_700_000_905_000,
      roomFinishedAtMs: 1_700_000_905_999,
      lastAbsentAtMs: 1_700_000_950_000,
      openedBy: 'manual',
      endedAtMs: 1_700_000_905_999,
      endedBy: 'room_finished',
      estimatedLeftAtMs: 1_700_000_900_000,
      lastSeenAtMs: 1_700_000_899_001,
    };
    await store.saveCycles([full]);
    expect(await store.getCycles(['PA_full', 'PA_absent'])).toEqual([full]);
    expect((await store.listRoomCycles(HOSTILE_ROOM)).map((c) => c.sid)).toEqual(['PA_full']);
  });

  it('replaces every column of a cycle saved again, including back to null', async () => {
    const { store } = ctx;
    const first = makeCycle({
      sid: 'PA_1',
      endedAtMs: T0 + 60_000,
      endedBy: 'webhook',
      estimatedLeftAtMs: T0 + 50_000,
      observed: true,
      webhookEndedAtMs: T0 + 60_000,
      roomFinishedAtMs: T0 + 70_000,
      lastAbsentAtMs: T0 + 80_000,
    });
    await store.saveCycles([first]);
    const second = makeCycle({
      sid: 'PA_1',
      room: 'room-b',
      roomSid: null,
      identity: 'bob',
      name: null,
      nameVersion: 9,
      kind: 'AGENT',
      joinedAtMs: null,
      roomSidRank: -1,
      connected: false,
      joinSeen: false,
      openedBy: 'reconciler',
      lastSeenAtMs: null,
    });
    await store.saveCycles([second]);
    expect(await store.getCycles(['PA_1'])).toEqual([second]);
  });

  it('keeps the last of two cycles with the same sid in one batch', async () => {
    const { store } = ctx;
    const a = makeCycle({ sid: 'PA_1', name: 'first' });
    const b = makeCycle({ sid: 'PA_1', name: 'second' });
    await store.saveCycles([a, b]);
    expect(await store.getCycles(['PA_1'])).toEqual([b]);
    await store.saveCycles([]);
    expect(await store.getCycles([])).toEqual([]);
  });

  it('returns the cycles of one identity in one room, by join time with nulls last, then sid', async () => {
    const { store } = ctx;
    await store.saveCycles([
      makeCycle({ sid: 'PA_c', joinedAtMs: null }),
      makeCycle({ sid: 'PA_b', joinedAtMs: T0 + 10 }),
      makeCycle({ sid: 'PA_a', joinedAtMs: T0 + 10 }),
      makeCycle({ sid: 'PA_d', joinedAtMs: T0 }),
      makeCycle({ sid: 'PA_other_identity', identity: 'bob' }),
      makeCycle({ sid: 'PA_other_room', room: 'room-b' }),
    ]);
    const rows = await store.getIdentityAttendance('room-a', 'alice');
    expect(rows.cycles.map((c) => c.sid)).toEqual(['PA_d', 'PA_a', 'PA_b', 'PA_c']);
    expect(rows.lastVerifiedAtMs).toBe(null);

    await store.markRoomVerified('room-a', T0 + 99);
    expect((await store.getIdentityAttendance('room-a', 'alice')).lastVerifiedAtMs).toBe(T0 + 99);
    expect(await store.getIdentityAttendance('room-a', 'nobody')).toEqual({
      cycles: [],
      lastVerifiedAtMs: T0 + 99,
    });
  });

  it('lists a room by identity, join time and sid, in byte order', async () => {
    const { store } = ctx;
    await store.saveCycles([
      makeCycle({ sid: 'PA_4', identity: 'bob', joinedAtMs: T0 }),
      makeCycle({ sid: 'PA_3', identity: 'alice', joinedAtMs: null }),
      makeCycle({ sid: 'PA_2', identity: 'alice', joinedAtMs: T0 + 5 }),
      makeCycle({ sid: 'PA_1', identity: 'Zed', joinedAtMs: T0 + 1 }),
      makeCycle({ sid: 'PA_5', identity: '教室/101', joinedAtMs: T0 }),
      makeCycle({ sid: 'PA_6', identity: 'alice', room: 'room-b' }),
    ]);
    expect((await store.listRoomCycles('room-a')).map((c) => c.sid)).toEqual([
      'PA_1',
      'PA_2',
      'PA_3',
      'PA_4',
      'PA_5',
    ]);
    expect(await store.listRoomCycles('room-z')).toEqual([]);
  });

  it('lists open cycles: neither ended nor estimated, by room then sid', async () => {
    const { store } = ctx;
    await store.saveCycles([
      makeCycle({ sid: 'PA_b2', room: 'room-b', roomSid: 'RM_b' }),
      makeCycle({ sid: 'PA_a2', room: 'room-a', roomSid: 'RM_a' }),
      makeCycle({ sid: 'PA_a1', room: 'room-a', roomSid: 'RM_a_old' }),
      makeCycle({ sid: 'PA_ended', endedAtMs: T0 + 5, endedBy: 'webhook' }),
      makeCycle({ sid: 'PA_estimated', estimatedLeftAtMs: T0 + 5 }),
      makeCycle({ sid: 'PA_hostile', room: HOSTILE_ROOM, roomSid: null }),
    ]);
    expect((await store.listOpenCycles()).map((c) => c.sid)).toEqual([
      'PA_hostile',
      'PA_a1',
      'PA_a2',
      'PA_b2',
    ]);
    expect((await store.listOpenCycles('room-a')).map((c) => c.sid)).toEqual(['PA_a1', 'PA_a2']);
    expect(await store.listOpenCycles(HOSTILE_ROOM)).toEqual([
      makeCycle({ sid: 'PA_hostile', room: HOSTILE_ROOM, roomSid: null }),
    ]);
    expect((await store.listOpenCyclesByRoomSid('RM_a')).map((c) => c.sid)).toEqual(['PA_a2']);
    expect(await store.listOpenCyclesByRoomSid('RM_none')).toEqual([]);
  });

  it('survives a hostile room name and leaves the table in place', async () => {
    const { store } = ctx;
    await store.saveCycles([
      makeCycle({ sid: 'PA_1', room: HOSTILE_ROOM, identity: HOSTILE_ROOM }),
    ]);
    const rows = await store.getIdentityAttendance(HOSTILE_ROOM, HOSTILE_ROOM);
    expect(rows.cycles.map((c) => [c.room, c.identity])).toEqual([[HOSTILE_ROOM, HOSTILE_ROOM]]);
    expect((await store.getCycles(['PA_1'])).length).toBe(1);
  });

  it('saves and reads batches larger than one statement can bind', async () => {
    const { store } = ctx;
    const cycles = Array.from({ length: 5_000 }, (_, i) =>
      makeCycle({ sid: `PA_${String(i).padStart(5, '0')}`, joinedAtMs: T0 + i }),
    );
    await store.saveCycles(cycles);
    const read = await store.getCycles(cycles.map((c) => c.sid));
    expect(read.length).toBe(5_000);
    expect(read.sort((a, b) => a.sid.localeCompare(b.sid))).toEqual(cycles);
  });
});
