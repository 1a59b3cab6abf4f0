import { describe, expect, it } from 'vitest';
import {
  classifyTransition,
  foldJournal,
  leftAtOf,
  observeRoom,
  type Cycle,
  type FoldState,
  type JournalEntry,
  type ListedParticipant,
  type LiveKitEvent,
  type RoomObservation,
} from '../../src/core/index.js';
import { event, participant, ROOM } from './fixtures.js';

const JOIN = 1_700_000_005_250;
const S = 1_000;

const reduced = (sid = 'PA_a', identity = 'alice') => ({
  sid,
  identity,
  name: null,
  kind: null,
  joinedAtMs: null,
  version: null,
});

function listed(over: Partial<ListedParticipant> = {}): ListedParticipant {
  return { ...participant(), version: 2, state: 'ACTIVE', ...over };
}

let n = 0;
/** One room's answer: listed participants, and the open cycles asked about. */
function obs(
  requestedAtMs: number,
  list: ListedParticipant[],
  openBefore: Array<Pick<Cycle, 'sid' | 'identity'>> = [],
  opts: { answeredAtMs?: number; roomSid?: string | null } = {},
): RoomObservation {
  n += 1;
  return observeRoom({
    id: `RO_${n}`,
    room: ROOM.name,
    roomSid: opts.roomSid === undefined ? ROOM.sid : opts.roomSid,
    roomsListedAtMs: requestedAtMs,
    requestedAtMs,
    answeredAtMs: opts.answeredAtMs ?? requestedAtMs + 200,
    listed: list,
    openBefore,
  });
}

const w = (e: LiveKitEvent): JournalEntry => ({ kind: 'webhook', event: e });
const o = (observation: RoomObservation): JournalEntry => ({ kind: 'observation', observation });
const alice = { sid: 'PA_a', identity: 'alice' };

function fold(entries: JournalEntry[], state?: FoldState) {
  const s = state ?? { cycles: new Map<string, Cycle>(), roomFinishedAtMs: new Map() };
  const result = foldJournal(s, entries);
  return { state: s, result, cycle: (sid = 'PA_a') => s.cycles.get(sid) };
}

/** Every order of the entries, folded one at a time, must give the same cycles. */
function foldInEveryOrder(entries: JournalEntry[]): Map<string, Cycle> {
  const permutations = (xs: JournalEntry[]): JournalEntry[][] =>
    xs.length <= 1
      ? [xs]
      : xs.flatMap((x, i) =>
          permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]),
        );
  const results = permutations(entries).map((order) => {
    const s: FoldState = { cycles: new Map(), roomFinishedAtMs: new Map() };
    for (const e of order) foldJournal(s, [e]);
    return s.cycles;
  });
  for (const r of results) expect(r).toEqual(results[0]);
  return results[0]!;
}

describe('foldJournal: webhooks (event rules)', () => {
  it('opens a cycle on participant_joined at LiveKit joinedAtMs, connected', () => {
    const { cycle } = fold([w(event('participant_joined', 1_700_000_010_000))]);
    expect(cycle()).toEqual({
      sid: 'PA_a',
      room: 'class-101',
      roomSid: 'RM_room1',
      roomSidRank: Number.MAX_SAFE_INTEGER,
      identity: 'alice',
      name: 'Alice',
      nameVersion: 1,
      kind: 'STANDARD',
      joinedAtMs: JOIN,
      connected: true,
      joinSeen: true,
      observed: false,
      webhookEndedAtMs: null,
      roomFinishedAtMs: null,
      lastAbsentAtMs: null,
      lastSeenAtMs: 1_700_000_010_000,
      openedBy: 'webhook',
      endedAtMs: null,
      endedBy: null,
      estimatedLeftAtMs: null,
    });
  });

  it('closes the cycle on participant_left at the event createdAt', () => {
    const { cycle } = fold([
      w(event('participant_joined', 1_700_000_010_000)),
      w(event('participant_left', 1_700_003_600_000)),
    ]);
    expect(cycle()).toMatchObject({ endedAtMs: 1_700_003_600_000, endedBy: 'webhook' });
  });

  it('recreates a closed cycle from a left whose join was lost, as proof of loss', () => {
    const { cycle, result } = fold([w(event('participant_left', 1_700_003_600_000))]);
    expect(cycle()).toMatchObject({
      joinedAtMs: JOIN,
      connected: true,
      endedAtMs: 1_700_003_600_000,
    });
    expect([...result.roomsWithUnseenSids]).toEqual(['class-101']);
  });

  it('keeps an aborted connection unconnected and does not call it proof of loss', () => {
    const { cycle, result } = fold([w(event('participant_connection_aborted', 1_700_000_020_000))]);
    expect(cycle()).toMatchObject({ connected: false, endedAtMs: 1_700_000_020_000 });
    expect([...result.roomsWithUnseenSids]).toEqual([]);
  });

  it('calls a track event for a never-seen sid proof of loss', () => {
    const { result } = fold([w(event('track_published', 1_700_000_020_000, reduced()))]);
    expect([...result.roomsWithUnseenSids]).toEqual(['class-101']);
  });

  it('calls nothing lost when the join comes later in the same batch as a track event', () => {
    const { result } = fold([
      w(event('track_published', 1_700_000_020_000, reduced())),
      w(event('participant_joined', 1_700_000_010_000)),
    ]);
    expect([...result.roomsWithUnseenSids]).toEqual([]);
  });

  it('ignores a join that arrives after its sid was closed', () => {
    const cycles = foldInEveryOrder([
      w(event('participant_left', 1_700_003_600_000)),
      w(event('participant_joined', 1_700_000_010_000)),
    ]);
    expect(cycles.get('PA_a')?.endedAtMs).toBe(1_700_003_600_000);
  });

  it('keeps the earliest of two terminal events', () => {
    const cycles = foldInEveryOrder([
      w(event('participant_left', 1_700_003_600_000)),
      w(event('participant_connection_aborted', 1_700_003_500_000)),
    ]);
    expect(cycles.get('PA_a')?.endedAtMs).toBe(1_700_003_500_000);
  });

  it('never ends a cycle before it began (createdAt has seconds precision, joinedAtMs ms)', () => {
    const joinedAtMs = 1_700_000_010_700;
    const p = participant({ joinedAtMs });
    const { cycle } = fold([
      w(event('participant_joined', 1_700_000_011_000, p)),
      w(event('participant_left', 1_700_000_010_000, p)),
    ]);
    expect(cycle()).toMatchObject({ endedAtMs: joinedAtMs, endedBy: 'webhook' });
  });

  it('closes every open cycle of the room incarnation on room_finished, in any order', () => {
    const bob = participant({ sid: 'PA_b', identity: 'bob', name: 'Bob' });
    const cycles = foldInEveryOrder([
      w(event('participant_joined', 1_700_000_010_000)),
      w(event('participant_joined', 1_700_000_011_000, bob)),
      w(event('participant_left', 1_700_000_500_000, bob)),
      w(event('room_finished', 1_700_001_000_000, null)),
    ]);
    expect(cycles.get('PA_a')).toMatchObject({
      endedAtMs: 1_700_001_000_000,
      endedBy: 'room_finished',
    });
    expect(cycles.get('PA_b')).toMatchObject({ endedAtMs: 1_700_000_500_000, endedBy: 'webhook' });
  });

  it('does not close cycles of another incarnation of the same room name', () => {
    const { cycle } = fold([
      w(event('participant_joined', 1_700_000_010_000)),
      w(event('room_finished', 1_700_001_000_000, null, { name: ROOM.name, sid: 'RM_other' })),
    ]);
    expect(cycle()?.endedAtMs).toBeNull();
  });

  it('closes nothing on a room_finished without a room sid (the incarnation is unknown)', () => {
    const { cycle } = fold([
      w(event('participant_joined', 1_700_000_010_000)),
      w(event('room_finished', 1_700_001_000_000, null, { name: ROOM.name, sid: null })),
    ]);
    expect(cycle()?.endedAtMs).toBeNull();
  });

  it('advances lastSeenAt on a track event without changing join or name', () => {
    const { cycle } = fold([
      w(event('participant_joined', 1_700_000_010_000)),
      w(event('track_published', 1_700_000_300_000, reduced())),
    ]);
    expect(cycle()).toMatchObject({
      lastSeenAtMs: 1_700_000_300_000,
      name: 'Alice',
      joinedAtMs: JOIN,
    });
  });

  it('takes the name from the highest participant version, in any order', () => {
    const cycles = foldInEveryOrder([
      w(
        event('participant_left', 1_700_003_600_000, participant({ name: 'Alice B.', version: 9 })),
      ),
      w(event('participant_joined', 1_700_000_010_000, participant({ name: 'Alice', version: 3 }))),
    ]);
    expect(cycles.get('PA_a')?.name).toBe('Alice B.');
  });

  it('reports nothing changed for a duplicate', () => {
    const e = w(event('participant_joined', 1_700_000_010_000));
    const { state } = fold([e]);
    expect(fold([e], state).result.changed).toEqual([]);
  });
});

describe('foldJournal: observations (reconciliation rules)', () => {
  const T = JOIN + 60 * S;

  it('opens a missed join at LiveKit joinedAtMs when listed ACTIVE (opened by reconciler)', () => {
    const { cycle, result } = fold([o(obs(T, [listed()]))]);
    expect(cycle()).toMatchObject({
      joinedAtMs: JOIN,
      connected: true,
      openedBy: 'reconciler',
      lastSeenAtMs: T,
      endedAtMs: null,
      estimatedLeftAtMs: null,
    });
    expect(result.transitions.map(classifyTransition)).toEqual([
      { type: 'open', room: ROOM.name, sid: 'PA_a', identity: 'alice', atMs: JOIN },
    ]);
  });

  it('counts JOINING and JOINED as not yet present: no cycle, nothing confirmed', () => {
    const { state } = fold([
      o(obs(T, [listed({ state: 'JOINING' }), listed({ sid: 'PA_b', state: 'JOINED' })])),
    ]);
    expect(state.cycles.size).toBe(0);
  });

  it('dates a confirmation when the request was sent, not when LiveKit answered', () => {
    const { cycle } = fold([
      w(event('participant_joined', JOIN + 750)),
      o(obs(T, [listed()], [alice], { answeredAtMs: T + 9 * S })),
    ]);
    expect(cycle()?.lastSeenAtMs).toBe(T);
  });

  it('closes an open cycle the answer left out at its last confirmation', () => {
    const { cycle, result } = fold([
      w(event('participant_joined', JOIN + 750)),
      o(obs(T, [listed()], [alice])),
      o(obs(T + 120 * S, [], [alice])),
    ]);
    expect(cycle()).toMatchObject({ estimatedLeftAtMs: T, endedAtMs: null });
    expect(result.transitions.map(classifyTransition).map((a) => a?.type)).toEqual([
      'confirm',
      'close',
    ]);
  });

  it('raises a reconciler estimate with later evidence, whatever order it arrives in', () => {
    const track = w(event('track_published', JOIN + 90 * S, reduced()));
    const cycles = foldInEveryOrder([
      w(event('participant_joined', JOIN + 750)),
      o(obs(JOIN + 60 * S, [listed()], [alice])),
      o(obs(JOIN + 120 * S, [], [alice])),
      track,
    ]);
    expect(leftAtOf(cycles.get('PA_a')!)).toBe(JOIN + 90 * S);
  });

  it('reopens a cycle the reconciler closed when LiveKit lists the sid again', () => {
    const { cycle, result } = fold([
      w(event('participant_joined', JOIN + 750)),
      o(obs(T, [], [alice])),
      o(obs(T + 120 * S, [listed()], [])),
    ]);
    expect(cycle()).toMatchObject({
      estimatedLeftAtMs: null,
      endedAtMs: null,
      lastSeenAtMs: T + 120 * S,
    });
    expect(result.transitions.map(classifyTransition).map((a) => a?.type)).toEqual([
      'close',
      'reopen',
    ]);
  });

  it('never reopens a sid LiveKit itself ended, and lets its own leave beat the estimate', () => {
    const cycles = foldInEveryOrder([
      w(event('participant_joined', JOIN + 750)),
      o(obs(T, [], [alice])),
      w(event('participant_left', T + 30 * S)),
      o(obs(T + 120 * S, [listed()], [])),
    ]);
    expect(cycles.get('PA_a')).toMatchObject({
      endedAtMs: T + 30 * S,
      endedBy: 'webhook',
      estimatedLeftAtMs: null,
    });
  });

  it('keeps an earlier estimate on a later room_finished, and takes an earlier room_finished', () => {
    const closed = [w(event('participant_joined', JOIN + 750)), o(obs(T, [], [alice]))];
    const later = foldInEveryOrder([...closed, w(event('room_finished', T + 600 * S, null))]);
    expect(later.get('PA_a')).toMatchObject({ estimatedLeftAtMs: JOIN + 750, endedAtMs: null });
    const earlier = fold([...closed, w(event('room_finished', JOIN + 500, null))]).cycle();
    expect(earlier).toMatchObject({
      endedAtMs: JOIN + 500,
      endedBy: 'room_finished',
      estimatedLeftAtMs: null,
    });
  });

  it('never lets an old incarnation’s room_finished close a join a stale pass gave its sid', () => {
    // The pass listed the rooms while RM_room1 lived; by its answer RM_2 had started and bob joined.
    const finishedAt = JOIN + 600 * S;
    const bob = listed({
      sid: 'PA_b',
      identity: 'bob',
      name: 'Bob',
      joinedAtMs: finishedAt + 5 * S,
    });
    const cycles = foldInEveryOrder([
      o(obs(finishedAt + 6 * S, [bob], [], { roomSid: ROOM.sid })),
      w(event('room_finished', finishedAt, null)),
    ]);
    expect(cycles.get('PA_b')).toMatchObject({
      endedAtMs: null,
      estimatedLeftAtMs: null,
      roomSid: ROOM.sid,
    });
  });

  it('prefers a webhook’s room sid over a pass’s, and a later pass’s over an earlier one', () => {
    const p = listed({ joinedAtMs: JOIN });
    const cycles = foldInEveryOrder([
      o(obs(T, [p], [], { roomSid: 'RM_stale' })),
      o(obs(T + 120 * S, [p], [], { roomSid: 'RM_later' })),
      w(event('track_published', T + 130 * S, reduced(), { name: ROOM.name, sid: 'RM_true' })),
    ]);
    expect(cycles.get('PA_a')?.roomSid).toBe('RM_true');
  });

  it('counts absence only for cycles that were open before the request', () => {
    const o1 = obs(T, [], []);
    expect(o1.absent).toEqual([]);
    const o2 = obs(T, [listed()], [alice, { sid: 'PA_b', identity: 'bob' }]);
    expect(o2.absent).toEqual([{ sid: 'PA_b', identity: 'bob' }]);
  });
});
