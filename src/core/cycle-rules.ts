import {
  ROOM_SID_FROM_WEBHOOK,
  type Cycle,
  type CycleSource,
  type ParticipantSnapshot,
  type RoomRef,
} from './types.js';

/** Event names that end a connection (attendance-model, event rule 3). */
export const TERMINAL_PARTICIPANT_EVENTS = new Set([
  'participant_left',
  'participant_connection_aborted',
]);

/**
 * LiveKit's `createdAt` has seconds precision (truncated), while `joinedAtMs` has milliseconds: an
 * event stamped `t` happened in [t, t + 1 s). A join inside that second may precede the event.
 */
export const CREATED_AT_PRECISION_MS = 1_000;

export function minDefined(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

export function maxDefined(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** A cycle that knows only who it is; every merge below only adds knowledge to it. */
export function blankCycle(room: RoomRef, participant: ParticipantSnapshot): Cycle {
  return {
    sid: participant.sid,
    room: room.name,
    roomSid: null,
    roomSidRank: -1,
    identity: participant.identity,
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
    lastSeenAtMs: null,
    openedBy: 'webhook',
    endedAtMs: null,
    endedBy: null,
    estimatedLeftAtMs: null,
  };
}

/**
 * Folds what a participant snapshot tells into a cycle. Commutative, associative and idempotent: the
 * join time is the minimum seen; name and kind come from the full snapshot with the highest `version`,
 * ties broken by value so that the result never depends on delivery order. Reduced snapshots (track
 * events carry only sid and identity) have a null name and change neither. Mutates `cycle`.
 */
export function mergeSnapshot(cycle: Cycle, p: ParticipantSnapshot): void {
  cycle.joinedAtMs = minDefined(cycle.joinedAtMs, p.joinedAtMs);
  if (p.name === null) return;
  const version = p.version ?? 0;
  const kind = p.kind ?? 'STANDARD';
  const newer =
    version > cycle.nameVersion ||
    (version === cycle.nameVersion &&
      (cycle.name === null ||
        p.name < cycle.name ||
        (p.name === cycle.name && (cycle.kind === null || kind < cycle.kind))));
  if (newer) {
    cycle.name = p.name;
    cycle.kind = kind;
    cycle.nameVersion = version;
  }
}

/**
 * Merges a room sid by rank (a webhook's beats an observation's, a later observation's beats an
 * earlier one's; equal ranks keep the smaller sid). Returns whether the room sid changed, in which
 * case the caller must look the incarnation's finish time up again. Mutates `cycle`.
 */
export function mergeRoomSid(cycle: Cycle, roomSid: string | null, rank: number): boolean {
  if (roomSid === null) return false;
  const wins =
    rank > cycle.roomSidRank ||
    (rank === cycle.roomSidRank && (cycle.roomSid === null || roomSid < cycle.roomSid));
  if (!wins) return false;
  const changed = cycle.roomSid !== roomSid;
  cycle.roomSid = roomSid;
  cycle.roomSidRank = rank;
  return changed;
}

/** Merges a webhook's room sid (rank ROOM_SID_FROM_WEBHOOK). */
export function mergeWebhookRoomSid(cycle: Cycle, roomSid: string | null): boolean {
  return mergeRoomSid(cycle, roomSid, ROOM_SID_FROM_WEBHOOK);
}

/** Presence evidence at `atMs` (attendance-model, event rule 5; reconciliation rule 2). */
export function mergeSeen(cycle: Cycle, atMs: number): void {
  cycle.lastSeenAtMs = maxDefined(cycle.lastSeenAtMs, atMs);
}

/**
 * Derives the verdict from the evidence (attendance-model, event rules 3–4, reconciliation rules
 * 2–3). Pure in the evidence, so it is order-independent whenever the evidence is:
 * - A participant's own terminal webhook ends it; between it and `room_finished` the earliest wins
 *   (a tie goes to the participant's own event). A reconciler estimate never outlives either.
 * - Otherwise the reconciler's estimate holds when LiveKit's latest answer that left the sid out is
 *   later than every sign of presence: the cycle closes at its last confirmation (rule 3). Presence
 *   after that answer (LiveKit lists the sid again) withdraws the estimate (rule 2's reopen).
 * - `room_finished` bounds a departure without dating it: it keeps an earlier estimate, replaces a
 *   later one, and closes an open cycle at its time.
 * - A `room_finished` never closes a cycle that joined after it (that join cannot belong to the
 *   incarnation, whatever room sid a stale pass gave it).
 * - No end precedes the join (LiveKit's seconds-precision `createdAt` can fall before `joinedAtMs`).
 * Mutates and returns `cycle`.
 */
export function settleCycle(cycle: Cycle): Cycle {
  const joined = cycle.joinedAtMs;
  const finish = cycle.roomFinishedAtMs;
  const finished =
    finish !== null && (joined === null || joined < finish + CREATED_AT_PRECISION_MS)
      ? finish
      : null;
  const confirmed = maxDefined(cycle.lastSeenAtMs, joined);
  const estimate =
    cycle.lastAbsentAtMs !== null && confirmed !== null && cycle.lastAbsentAtMs > confirmed
      ? confirmed
      : null;
  let endedAtMs: number | null = null;
  let endedBy: Cycle['endedBy'] = null;
  let estimatedLeftAtMs: number | null = null;
  const own = cycle.webhookEndedAtMs;
  if (own !== null) {
    [endedAtMs, endedBy] =
      finished !== null && finished < own ? [finished, 'room_finished'] : [own, 'webhook'];
  } else if (estimate !== null) {
    if (finished !== null && finished < estimate)
      [endedAtMs, endedBy] = [finished, 'room_finished'];
    else estimatedLeftAtMs = estimate;
  } else if (finished !== null) {
    [endedAtMs, endedBy] = [finished, 'room_finished'];
  }
  cycle.endedAtMs = endedAtMs === null ? null : Math.max(endedAtMs, joined ?? endedAtMs);
  cycle.endedBy = endedBy;
  cycle.estimatedLeftAtMs = estimatedLeftAtMs;
  cycle.openedBy = openedByOf(cycle);
  return cycle;
}

function openedByOf(cycle: Cycle): CycleSource {
  return !cycle.joinSeen && cycle.observed ? 'reconciler' : 'webhook';
}

/**
 * Does the reconciler still need to ask about this cycle? Open ones, and those that only their
 * room's `room_finished` ended: LiveKit sends every participant's `participant_left` before it, so
 * such a cycle lost its leave, and the room's end is an upper bound, not the leave. The next answer
 * that leaves it out (the room is gone) dates it at its last confirmation instead: never past the
 * last moment LiveKit showed the participant (attendance-model, guarantees). `finishedSinceMs`
 * limits the latter to rooms that finished since then (see UNCONFIRMED_END_WINDOW_MS).
 */
export function awaitsConfirmation(cycle: Cycle, finishedSinceMs = -Infinity): boolean {
  if (isOpen(cycle)) return true;
  return (
    cycle.endedBy === 'room_finished' &&
    cycle.webhookEndedAtMs === null &&
    cycle.roomFinishedAtMs !== null &&
    cycle.roomFinishedAtMs >= finishedSinceMs &&
    (cycle.lastAbsentAtMs === null || cycle.lastAbsentAtMs <= cycle.roomFinishedAtMs)
  );
}

/**
 * How long after its room finished a cycle that only `room_finished` ended is still asked about
 * (a LiveKit outage longer than this leaves it at the room's end). It bounds the work of a pass and
 * keeps history from before an upgrade as it was.
 */
export const UNCONFIRMED_END_WINDOW_MS = 24 * 60 * 60_000;

/** Is the cycle still open (LiveKit has not ended it and the reconciler has not closed it)? */
export function isOpen(cycle: Pick<Cycle, 'endedAtMs' | 'estimatedLeftAtMs'>): boolean {
  return cycle.endedAtMs === null && cycle.estimatedLeftAtMs === null;
}

/** The public leave time: LiveKit's end if known, else the reconciler's estimate. */
export function leftAtOf(cycle: Pick<Cycle, 'endedAtMs' | 'estimatedLeftAtMs'>): number | null {
  return cycle.endedAtMs ?? cycle.estimatedLeftAtMs;
}

/**
 * The leave time as the API and the audit trail show it: leftAtOf, never before the join (LiveKit's
 * leave times are whole seconds, its join times are not).
 */
export function shownLeftAtMs(
  cycle: Pick<Cycle, 'endedAtMs' | 'estimatedLeftAtMs' | 'joinedAtMs'>,
): number | null {
  const left = leftAtOf(cycle);
  return left === null || cycle.joinedAtMs === null ? left : Math.max(left, cycle.joinedAtMs);
}

/** The public `closedBy`. */
export function closedByOf(
  cycle: Pick<Cycle, 'endedBy' | 'estimatedLeftAtMs'>,
): CycleSource | null {
  if (cycle.endedBy !== null) return cycle.endedBy;
  return cycle.estimatedLeftAtMs !== null ? 'reconciler' : null;
}

const CYCLE_FIELDS = [
  'sid',
  'room',
  'roomSid',
  'roomSidRank',
  'identity',
  'name',
  'nameVersion',
  'kind',
  'joinedAtMs',
  'connected',
  'joinSeen',
  'observed',
  'webhookEndedAtMs',
  'roomFinishedAtMs',
  'lastAbsentAtMs',
  'lastSeenAtMs',
  'openedBy',
  'endedAtMs',
  'endedBy',
  'estimatedLeftAtMs',
] as const satisfies ReadonlyArray<keyof Cycle>;

/** Two cycles are equal in every field. */
export function sameCycle(a: Cycle, b: Cycle): boolean {
  return CYCLE_FIELDS.every((f) => a[f] === b[f]);
}

// Compile-time: sameCycle compares every field of Cycle.
type UncomparedField = Exclude<keyof Cycle, (typeof CYCLE_FIELDS)[number]>;
const everyFieldCompared: [UncomparedField] extends [never] ? true : never = true;
void everyFieldCompared;
