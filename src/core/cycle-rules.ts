import type { Cycle, CycleSource, LiveKitEvent, ParticipantSnapshot, RoomRef } from './types.js';

/** Event names that end a connection (attendance-model, event rule 3). */
export const TERMINAL_PARTICIPANT_EVENTS = new Set([
  'participant_left',
  'participant_connection_aborted',
]);

/** Authoritative ends, strongest first: on equal times the earlier entry wins, so ties are stable. */
const END_PRIORITY: Record<NonNullable<Cycle['endedBy']>, number> = {
  webhook: 0,
  room_finished: 1,
  manual: 2,
};

function minDefined(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function maxDefined(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** A cycle that knows only who it is; every merge below only adds knowledge to it. */
export function blankCycle(
  room: RoomRef,
  participant: ParticipantSnapshot,
  openedBy: CycleSource,
): Cycle {
  return {
    sid: participant.sid,
    room: room.name,
    roomSid: room.sid,
    identity: participant.identity,
    name: null,
    nameVersion: -1,
    kind: null,
    joinedAtMs: null,
    connected: false,
    openedBy,
    endedAtMs: null,
    endedBy: null,
    estimatedLeftAtMs: null,
    lastSeenAtMs: null,
  };
}

/**
 * Folds what a participant snapshot tells into a cycle. Commutative, associative and idempotent: the
 * join time is the minimum seen; name and kind come from the full snapshot with the highest `version`,
 * ties broken by value so that the result never depends on delivery order. Reduced snapshots (track
 * events carry only sid and identity) have a null name and change neither.
 */
export function mergeSnapshot(cycle: Cycle, p: ParticipantSnapshot, roomSid: string | null): Cycle {
  const next: Cycle = { ...cycle };
  next.joinedAtMs = minDefined(cycle.joinedAtMs, p.joinedAtMs);
  next.roomSid = cycle.roomSid ?? roomSid;
  if (p.name !== null) {
    const version = p.version ?? 0;
    const kind = p.kind ?? 'STANDARD';
    const newer =
      version > cycle.nameVersion ||
      (version === cycle.nameVersion &&
        (cycle.name === null ||
          p.name < cycle.name ||
          (p.name === cycle.name && (cycle.kind === null || kind < cycle.kind))));
    if (newer) {
      next.name = p.name;
      next.kind = kind;
      next.nameVersion = version;
    }
  }
  return next;
}

/**
 * Records an authoritative end (LiveKit said the connection ended). Between two terminal events the
 * earliest time wins (event rule 3); a participant's own terminal webhook replaces a reconciler
 * estimate, while `room_finished` only does so when it is earlier than the estimate (the estimate is
 * LiveKit's last confirmation, and the room may have lived on long after this person left).
 */
export function applyEnd(cycle: Cycle, atMs: number, by: NonNullable<Cycle['endedBy']>): Cycle {
  if (by !== 'webhook' && cycle.estimatedLeftAtMs !== null && cycle.estimatedLeftAtMs <= atMs) {
    return cycle;
  }
  const current = cycle.endedAtMs;
  const wins =
    current === null ||
    atMs < current ||
    (atMs === current && cycle.endedBy !== null && END_PRIORITY[by] < END_PRIORITY[cycle.endedBy]);
  // Invariant: a cycle with endedAtMs never carries an estimate, so a losing end changes nothing.
  if (!wins) return cycle;
  return { ...cycle, endedAtMs: atMs, endedBy: by, estimatedLeftAtMs: null };
}

/** Does this event name a participant whose cycle it should touch? */
export function eventTouchesCycle(event: LiveKitEvent): event is LiveKitEvent & {
  room: RoomRef;
  participant: ParticipantSnapshot;
} {
  return event.room !== null && event.participant !== null && event.participant.sid !== '';
}

/**
 * Applies one webhook to the cycle of the sid it names (event rules 3 and 5). Returns the cycle
 * unchanged when the event says nothing new. `roomFinishedAtMs` is when this cycle's room incarnation
 * finished, if it has: a cycle learned of after `room_finished` is closed by it too (rule 4), so the
 * result does not depend on delivery order.
 */
export function applyParticipantEvent(
  existing: Cycle | undefined,
  event: LiveKitEvent & { room: RoomRef; participant: ParticipantSnapshot },
  roomFinishedAtMs: number | null,
): Cycle {
  let cycle = existing ?? blankCycle(event.room, event.participant, 'webhook');
  cycle = mergeSnapshot(cycle, event.participant, event.room.sid);
  cycle.lastSeenAtMs = maxDefined(cycle.lastSeenAtMs, event.createdAtMs);
  switch (event.type) {
    case 'participant_joined':
      // LiveKit sends participant_joined only once the participant is ACTIVE (media connected).
      cycle.connected = true;
      break;
    case 'participant_left':
      // participant_left is sent only for sessions that had become active.
      cycle.connected = true;
      cycle = applyEnd(cycle, event.createdAtMs, 'webhook');
      break;
    case 'participant_connection_aborted':
      // Never became active: closes the sid without marking it connected (zero attendance).
      cycle = applyEnd(cycle, event.createdAtMs, 'webhook');
      break;
    default:
      // Any other event naming the participant (track_published, …) is evidence of presence only.
      break;
  }
  const finishedAt = cycle.roomSid !== null ? roomFinishedAtMs : null;
  if (finishedAt !== null) cycle = applyEnd(cycle, finishedAt, 'room_finished');
  return cycle;
}

/** Is the cycle still open (LiveKit has not ended it and the reconciler has not closed it)? */
export function isOpen(cycle: Cycle): boolean {
  return cycle.endedAtMs === null && cycle.estimatedLeftAtMs === null;
}

/** The public leave time: LiveKit's end if known, else the reconciler's estimate. */
export function leftAtOf(cycle: Cycle): number | null {
  return cycle.endedAtMs ?? cycle.estimatedLeftAtMs;
}

/** The public `closedBy`. */
export function closedByOf(cycle: Cycle): CycleSource | null {
  if (cycle.endedBy !== null) return cycle.endedBy;
  return cycle.estimatedLeftAtMs !== null ? 'reconciler' : null;
}

/** Two cycles are equal in every field. */
export function sameCycle(a: Cycle, b: Cycle): boolean {
  return (
    a.sid === b.sid &&
    a.room === b.room &&
    a.roomSid === b.roomSid &&
    a.identity === b.identity &&
    a.name === b.name &&
    a.nameVersion === b.nameVersion &&
    a.kind === b.kind &&
    a.joinedAtMs === b.joinedAtMs &&
    a.connected === b.connected &&
    a.openedBy === b.openedBy &&
    a.endedAtMs === b.endedAtMs &&
    a.endedBy === b.endedBy &&
    a.estimatedLeftAtMs === b.estimatedLeftAtMs &&
    a.lastSeenAtMs === b.lastSeenAtMs
  );
}
