import { expect, it } from 'vitest';
import { REPORTED_CYCLE_FIELDS, type Cycle, type ReportedCycle } from '../../src/core/index.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, makeCycle, useMigratedStore } from './use-store.js';

const FROM = T0 + 60_000;
const TO = T0 + 120_000;

/** One cycle per boundary case, named by whether [FROM, TO] can contain it. */
const CASES: Cycle[] = [
  makeCycle({ sid: 'in_open_joined_before', joinedAtMs: FROM - 1 }),
  makeCycle({ sid: 'in_open_joined_at_to', joinedAtMs: TO }),
  makeCycle({ sid: 'out_open_joined_after_to', joinedAtMs: TO + 1 }),
  makeCycle({ sid: 'out_open_never_joined', joinedAtMs: null }),
  makeCycle({ sid: 'in_left_at_from', endedAtMs: FROM, endedBy: 'webhook' }),
  makeCycle({ sid: 'out_left_before_from', endedAtMs: FROM - 1, endedBy: 'webhook' }),
  makeCycle({ sid: 'in_left_inside', joinedAtMs: FROM + 1, endedAtMs: TO - 1, endedBy: 'webhook' }),
  makeCycle({ sid: 'in_left_after_to', endedAtMs: TO + 1, endedBy: 'room_finished' }),
  makeCycle({ sid: 'in_estimated_at_from', estimatedLeftAtMs: FROM }),
  makeCycle({ sid: 'out_estimated_before_from', estimatedLeftAtMs: FROM - 1 }),
  // Left is endedAtMs when there is one, whatever the estimate says.
  makeCycle({
    sid: 'out_ended_before_estimated_after',
    endedAtMs: FROM - 1,
    endedBy: 'webhook',
    estimatedLeftAtMs: FROM + 1,
  }),
  makeCycle({
    sid: 'in_ended_after_estimated_before',
    endedAtMs: FROM,
    endedBy: 'webhook',
    estimatedLeftAtMs: FROM - 1,
  }),
  makeCycle({
    sid: 'out_closed_never_joined',
    joinedAtMs: null,
    endedAtMs: TO,
    endedBy: 'webhook',
  }),
  makeCycle({ sid: 'out_other_room', room: 'room-z', joinedAtMs: FROM }),
];
/** What a window read returns of a cycle: the fields reports read, nothing else. */
const reported = (c: Cycle): ReportedCycle =>
  Object.fromEntries(REPORTED_CYCLE_FIELDS.map((f) => [f, c[f]])) as ReportedCycle;
const inside = CASES.filter((c) => c.sid.startsWith('in_')).map(reported);

describeEachDialect('store cycles in a window', (dialect) => {
  const ctx = useMigratedStore(dialect);
  const sorted = (cycles: ReportedCycle[]) => [...cycles].sort((a, b) => (a.sid < b.sid ? -1 : 1));

  it('returns the reported fields of cycles that can overlap the window, bounds included', async () => {
    const { store } = ctx;
    await store.saveCycles(CASES);
    expect(sorted(await store.listCyclesInWindow(['room-a'], FROM, TO))).toEqual(sorted(inside));
  });

  it('returns the cycles of every room asked for, and none for no room', async () => {
    const { store } = ctx;
    await store.saveCycles([
      ...CASES,
      makeCycle({ sid: 'in_room_b', room: 'room-b', joinedAtMs: FROM }),
    ]);
    const cycles = await store.listCyclesInWindow(['room-b', 'room-a', 'room-a'], FROM, TO);
    expect(sorted(cycles).map((c) => c.sid)).toEqual(
      sorted([...inside, reported(makeCycle({ sid: 'in_room_b' }))]).map((c) => c.sid),
    );
    expect(await store.listCyclesInWindow([], FROM, TO)).toEqual([]);
    expect(await store.listCyclesInWindow(['room-none'], FROM, TO)).toEqual([]);
  });

  it('narrows to identities, with the same bounds', async () => {
    const { store } = ctx;
    const bob = CASES.map((c) => ({ ...c, sid: `${c.sid}_bob`, identity: 'bob' }));
    const carol = CASES.map((c) => ({ ...c, sid: `${c.sid}_carol`, identity: 'carol' }));
    await store.saveCycles([...CASES, ...bob, ...carol]);
    const cycles = await store.listIdentityCyclesInWindow(
      ['room-a', 'room-z'],
      ['bob', 'alice', 'nobody'],
      FROM,
      TO,
    );
    const expected = [...CASES, ...bob].filter(
      (c) => c.sid.startsWith('in_') || c.sid.startsWith('out_other_room'),
    );
    expect(sorted(cycles)).toEqual(sorted(expected.map(reported)));
    expect(await store.listIdentityCyclesInWindow(['room-a'], [], FROM, TO)).toEqual([]);
    expect(await store.listIdentityCyclesInWindow([], ['alice'], FROM, TO)).toEqual([]);
  });

  it('answers room and identity lists longer than one statement can bind', async () => {
    const { store } = ctx;
    await store.saveCycles(CASES);
    const rooms = Array.from({ length: 40_000 }, (_, i) => `room-${i}`);
    const identities = Array.from({ length: 40_000 }, (_, i) => `id-${i}`);
    const all = sorted(await store.listCyclesInWindow(['room-0', ...rooms, 'room-a'], FROM, TO));
    expect(all).toEqual(sorted(inside));
    const narrowed = await store.listIdentityCyclesInWindow(
      [...rooms, 'room-a'],
      [...identities, 'alice'],
      FROM,
      TO,
    );
    expect(sorted(narrowed)).toEqual(sorted(inside));
  });
});
