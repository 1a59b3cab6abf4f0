import { closedByOf, leftAtOf, shownLeftAtMs } from './cycle-rules.js';
import { measureUnion, type Interval } from './interval-union.js';
import type { Cycle, CycleSource, ParticipantKind, ReportedCycle } from './types.js';

/** Kinds recorded but not counted as attendance unless configured otherwise (event rule 6). */
export const DEFAULT_UNCOUNTED_KINDS: readonly ParticipantKind[] = [
  'EGRESS',
  'INGRESS',
  'AGENT',
  'BRIDGE',
];

export interface CountingPolicy {
  uncountedKinds: ReadonlySet<string>;
}

export interface CycleView {
  sid: string;
  kind: ParticipantKind;
  joinedAtMs: number | null;
  leftAtMs: number | null;
  /** Time this cycle counts, in ms: 0 for aborted joins and uncounted kinds. */
  durationMs: number;
  counted: boolean;
  openedBy: CycleSource;
  closedBy: CycleSource | null;
}

export interface IdentityStatus {
  room: string;
  identity: string;
  name: string | null;
  inMeeting: boolean;
  attendedMs: number;
  firstJoinedAtMs: number | null;
  lastLeftAtMs: number | null;
  lastVerifiedAtMs: number | null;
  cycles: CycleView[];
}

/** Does this cycle count as attendance at all (connected, a join time, a counted kind)? */
export function isCounted(
  cycle: Pick<Cycle, 'connected' | 'joinedAtMs' | 'kind'>,
  policy: CountingPolicy,
): boolean {
  return (
    cycle.connected &&
    cycle.joinedAtMs !== null &&
    !policy.uncountedKinds.has(cycle.kind ?? 'STANDARD')
  );
}

/** The interval a counted cycle covers; an open one runs up to `nowMs`. */
export function intervalOf(
  cycle: Pick<Cycle, 'joinedAtMs' | 'endedAtMs' | 'estimatedLeftAtMs'>,
  nowMs: number,
): Interval | null {
  if (cycle.joinedAtMs === null) return null;
  const end = leftAtOf(cycle) ?? Math.max(nowMs, cycle.joinedAtMs);
  return { startMs: cycle.joinedAtMs, endMs: Math.max(end, cycle.joinedAtMs) };
}

/** One cycle as the API shows it. Leave times from LiveKit are whole seconds, so never before the join. */
export function viewCycle(cycle: ReportedCycle, nowMs: number, policy: CountingPolicy): CycleView {
  const counted = isCounted(cycle, policy);
  const interval = intervalOf(cycle, nowMs);
  return {
    sid: cycle.sid,
    kind: cycle.kind ?? 'STANDARD',
    joinedAtMs: cycle.joinedAtMs,
    leftAtMs: shownLeftAtMs(cycle),
    durationMs: counted && interval ? interval.endMs - interval.startMs : 0,
    counted,
    openedBy: cycle.openedBy,
    closedBy: closedByOf(cycle),
  };
}

/**
 * The attendance status of one identity in one room (attendance-model "Attended time"): the measure
 * of the union of its counted cycles, open ones up to `nowMs`. An identity with no cycles is simply
 * not in the meeting with zero time.
 */
export function computeIdentityStatus(input: {
  room: string;
  identity: string;
  cycles: readonly Cycle[];
  lastVerifiedAtMs: number | null;
  nowMs: number;
  policy: CountingPolicy;
}): IdentityStatus {
  const { nowMs, policy } = input;
  const counted = input.cycles.filter((c) => isCounted(c, policy));
  const intervals = counted
    .map((c) => intervalOf(c, nowMs))
    .filter((i): i is Interval => i !== null);
  const joins = counted.map((c) => c.joinedAtMs).filter((v): v is number => v !== null);
  const lefts = counted.map((c) => leftAtOf(c)).filter((v): v is number => v !== null);
  const named = [...input.cycles]
    .filter((c) => c.name !== null && c.name !== '')
    .sort((a, b) => (b.joinedAtMs ?? 0) - (a.joinedAtMs ?? 0));
  return {
    room: input.room,
    identity: input.identity,
    name: named[0]?.name ?? null,
    inMeeting: counted.some((c) => leftAtOf(c) === null),
    attendedMs: measureUnion(intervals),
    firstJoinedAtMs: joins.length > 0 ? Math.min(...joins) : null,
    lastLeftAtMs: lefts.length > 0 ? Math.max(...lefts) : null,
    lastVerifiedAtMs: input.lastVerifiedAtMs,
    cycles: input.cycles.map((c) => viewCycle(c, nowMs, policy)),
  };
}

export interface RoomAttendanceRow {
  identity: string;
  name: string | null;
  attendedMs: number;
  inMeeting: boolean;
  firstJoinedAtMs: number | null;
  lastLeftAtMs: number | null;
  cycleCount: number;
}

/** One row per identity seen in the room, sorted by identity. */
export function computeRoomAttendance(input: {
  room: string;
  cycles: readonly Cycle[];
  nowMs: number;
  policy: CountingPolicy;
}): RoomAttendanceRow[] {
  const byIdentity = new Map<string, Cycle[]>();
  for (const c of input.cycles) {
    const list = byIdentity.get(c.identity);
    if (list) list.push(c);
    else byIdentity.set(c.identity, [c]);
  }
  return [...byIdentity.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([identity, cycles]) => {
      const s = computeIdentityStatus({
        room: input.room,
        identity,
        cycles,
        lastVerifiedAtMs: null,
        nowMs: input.nowMs,
        policy: input.policy,
      });
      return {
        identity,
        name: s.name,
        attendedMs: s.attendedMs,
        inMeeting: s.inMeeting,
        firstJoinedAtMs: s.firstJoinedAtMs,
        lastLeftAtMs: s.lastLeftAtMs,
        cycleCount: cycles.length,
      };
    });
}
