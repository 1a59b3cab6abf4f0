import {
  blankCycle,
  maxDefined,
  mergeRoomSid,
  mergeSeen,
  mergeSnapshot,
  mergeWebhookRoomSid,
  minDefined,
  sameCycle,
  settleCycle,
} from './cycle-rules.js';
import type {
  Cycle,
  JournalEntry,
  LiveKitEvent,
  ParticipantSnapshot,
  RoomObservation,
  RoomRef,
} from './types.js';

/** Events that change cycles; anything else is ignored at the door. */
export function isAttendanceEvent(type: string): boolean {
  return (
    type === 'room_started' ||
    type === 'room_finished' ||
    type.startsWith('participant_') ||
    type.startsWith('track_')
  );
}

/** The stored state a batch of journal entries needs, loaded by the caller before folding. */
export interface FoldState {
  /**
   * Current cycles of every sid the entries name (see {@link journalFootprint}), plus every cycle
   * of each incarnation a `room_finished` in the batch names.
   */
  cycles: Map<string, Cycle>;
  /** Finish times of the incarnations (roomSid → ms) the entries and the loaded cycles name. */
  roomFinishedAtMs: Map<string, number>;
}

/** One sid an observation touched: its cycle before and after that observation. */
export interface ObservationTransition {
  observationId: string;
  room: string;
  sid: string;
  identity: string;
  /** Whether the observation listed the sid ACTIVE (false: it left the sid out). */
  listed: boolean;
  before: Cycle | undefined;
  after: Cycle;
}

export interface FoldResult {
  /** Cycles that differ from what was loaded. */
  changed: Cycle[];
  /** Room incarnations that finished in this batch (to record). */
  finished: Array<{ roomSid: string; room: string; atMs: number }>;
  /** Rooms where an event named a sid never seen joining: proof that events were lost. */
  roomsWithUnseenSids: Set<string>;
  /** What each observation of the batch did, in order (for the reconciler's report). */
  transitions: ObservationTransition[];
}

/** The sids and room incarnations a batch needs loaded. */
export function journalFootprint(entries: readonly JournalEntry[]): {
  sids: Set<string>;
  roomSids: Set<string>;
  /** Incarnations a `room_finished` names: all of their cycles must be loaded. */
  finishedRoomSids: Set<string>;
} {
  const sids = new Set<string>();
  const roomSids = new Set<string>();
  const finishedRoomSids = new Set<string>();
  for (const entry of entries) {
    if (entry.kind === 'webhook') {
      const e = entry.event;
      if (e.participant && e.participant.sid !== '') sids.add(e.participant.sid);
      if (e.room?.sid) roomSids.add(e.room.sid);
      if (e.type === 'room_finished' && e.room?.sid) finishedRoomSids.add(e.room.sid);
    } else {
      const o = entry.observation;
      for (const p of o.listed) if (p.state === 'ACTIVE') sids.add(p.sid);
      for (const a of o.absent) sids.add(a.sid);
      if (o.roomSid) roomSids.add(o.roomSid);
    }
  }
  return { sids, roomSids, finishedRoomSids };
}

/**
 * The one fold: applies webhooks and reconciler observations to the loaded state (attendance-model,
 * event rules 3–5 and reconciliation rules 2–3). Every rule merges evidence by min, max or or and
 * then derives the verdict from the evidence alone ({@link settleCycle}), so the result is the
 * same for any order, any duplication and any batching of the same entries. Mutates `state` so that
 * later entries of the batch see earlier ones.
 */
export function foldJournal(state: FoldState, entries: readonly JournalEntry[]): FoldResult {
  const original = new Map(state.cycles);
  const finished = new Map<string, { roomSid: string; room: string; atMs: number }>();
  const roomsWithUnseenSids = new Set<string>();
  const transitions: ObservationTransition[] = [];
  /** Sids named by events other than an aborted connection: proof of loss unless a join shows. */
  const suspects = new Map<string, string>();
  for (const entry of entries) {
    if (entry.kind === 'observation') {
      foldObservation(state, entry.observation, transitions);
      continue;
    }
    const event = entry.event;
    if (event.type === 'room_finished') {
      const f = finishRoom(state, event);
      // finishRoom keeps the earliest time of the incarnation, so the last one set is the earliest.
      if (f) finished.set(f.roomSid, f);
      continue;
    }
    if (!touchesCycle(event)) continue;
    const existing = state.cycles.get(event.participant.sid);
    state.cycles.set(event.participant.sid, foldParticipantEvent(state, existing, event));
    // An aborted connection never had a join to lose, so it proves nothing (reconciliation rule 7).
    if (event.type !== 'participant_connection_aborted')
      suspects.set(event.participant.sid, event.room.name);
  }
  // Decided on the folded state, so that a join later in the same batch clears its sid.
  for (const [sid, room] of suspects) {
    const cycle = state.cycles.get(sid);
    if (cycle !== undefined && !cycle.joinSeen && !cycle.observed) roomsWithUnseenSids.add(room);
  }
  const changed = [...state.cycles.values()].filter((c) => {
    const before = original.get(c.sid);
    return before === undefined || !sameCycle(before, c);
  });
  return { changed, finished: [...finished.values()], roomsWithUnseenSids, transitions };
}

function touchesCycle(
  event: LiveKitEvent,
): event is LiveKitEvent & { room: RoomRef; participant: ParticipantSnapshot } {
  return event.room !== null && event.participant !== null && event.participant.sid !== '';
}

/** The finish time of the cycle's incarnation, as far as the state knows it. */
function finishOf(state: FoldState, cycle: Cycle): number | null {
  return cycle.roomSid === null ? null : (state.roomFinishedAtMs.get(cycle.roomSid) ?? null);
}

/** Event rules 3 and 5 for one webhook naming a participant. */
function foldParticipantEvent(
  state: FoldState,
  existing: Cycle | undefined,
  event: LiveKitEvent & { room: RoomRef; participant: ParticipantSnapshot },
): Cycle {
  const cycle = existing ? { ...existing } : blankCycle(event.room, event.participant);
  mergeSnapshot(cycle, event.participant);
  mergeWebhookRoomSid(cycle, event.room.sid);
  mergeSeen(cycle, event.createdAtMs);
  switch (event.type) {
    case 'participant_joined':
      // LiveKit sends participant_joined only once the participant is ACTIVE (media connected).
      cycle.connected = true;
      cycle.joinSeen = true;
      break;
    case 'participant_left':
      // participant_left is sent only for sessions that had become active.
      cycle.connected = true;
      cycle.webhookEndedAtMs = minDefined(cycle.webhookEndedAtMs, event.createdAtMs);
      break;
    case 'participant_connection_aborted':
      // Never became active: closes the sid without marking it connected (zero attendance).
      cycle.webhookEndedAtMs = minDefined(cycle.webhookEndedAtMs, event.createdAtMs);
      break;
    default:
      // Any other event naming the participant (track_published, …) is evidence of presence only.
      break;
  }
  cycle.roomFinishedAtMs = finishOf(state, cycle);
  return settleCycle(cycle);
}

/**
 * Event rule 4: `room_finished` bounds every cycle of its incarnation. Without a room sid (LiveKit
 * always sends one) the incarnation is unknown and nothing is closed; the reconciler closes them.
 */
function finishRoom(
  state: FoldState,
  event: LiveKitEvent,
): { roomSid: string; room: string; atMs: number } | null {
  const roomSid = event.room?.sid ?? null;
  if (event.room === null || roomSid === null) return null;
  const atMs = minDefined(state.roomFinishedAtMs.get(roomSid) ?? null, event.createdAtMs)!;
  state.roomFinishedAtMs.set(roomSid, atMs);
  for (const [sid, cycle] of state.cycles) {
    if (cycle.roomSid !== roomSid || cycle.roomFinishedAtMs === atMs) continue;
    state.cycles.set(sid, settleCycle({ ...cycle, roomFinishedAtMs: atMs }));
  }
  return { roomSid, room: event.room.name, atMs };
}

/** An observation's times on LiveKit's clock (its receiving-clock times plus the known offset). */
export function observationOnLiveKitClock(obs: RoomObservation): {
  roomsListedAtMs: number | null;
  requestedAtMs: number;
  answeredAtMs: number;
} {
  const offset = obs.livekitOffsetMs ?? 0;
  return {
    roomsListedAtMs: obs.roomsListedAtMs === null ? null : obs.roomsListedAtMs + offset,
    requestedAtMs: obs.requestedAtMs + offset,
    answeredAtMs: obs.answeredAtMs + offset,
  };
}

/**
 * Reconciliation rules 2 and 3 for one room's participant list. ACTIVE (media connected) is
 * presence, dated when the list was requested (never later than LiveKit could have seen it); other
 * states are neither presence nor absence (a page open while media never connects counts 0). A sid
 * that was open before the request and is missing from the answer is absent as of the answer.
 */
function foldObservation(
  state: FoldState,
  obs: RoomObservation,
  transitions: ObservationTransition[],
): void {
  const room: RoomRef = { name: obs.room, sid: obs.roomSid };
  // Compared with LiveKit's join times and webhook times: on LiveKit's clock.
  const at = observationOnLiveKitClock(obs);
  const listedSids = new Set(obs.listed.map((p) => p.sid));
  for (const p of obs.listed) {
    if (p.state !== 'ACTIVE') continue;
    const before = state.cycles.get(p.sid);
    const cycle = before ? { ...before } : blankCycle(room, p);
    mergeSnapshot(cycle, p);
    // A join after ListRooms answered may be in an incarnation that ListRooms never saw.
    const joinedBeforeListing =
      at.roomsListedAtMs === null || p.joinedAtMs === null || p.joinedAtMs <= at.roomsListedAtMs;
    // Ranked by the receiving clock: it orders this process's passes, whatever LiveKit's does.
    if (joinedBeforeListing) mergeRoomSid(cycle, obs.roomSid, obs.requestedAtMs);
    cycle.connected = true;
    cycle.observed = true;
    mergeSeen(cycle, at.requestedAtMs);
    cycle.roomFinishedAtMs = finishOf(state, cycle);
    const after = settleCycle(cycle);
    state.cycles.set(p.sid, after);
    transitions.push(transition(obs, p.sid, p.identity, true, before, after));
  }
  for (const a of obs.absent) {
    if (listedSids.has(a.sid)) continue;
    const before = state.cycles.get(a.sid);
    const cycle = before
      ? { ...before }
      : blankCycle(room, {
          sid: a.sid,
          identity: a.identity,
          name: null,
          kind: null,
          joinedAtMs: null,
          version: null,
        });
    cycle.lastAbsentAtMs = maxDefined(cycle.lastAbsentAtMs, at.answeredAtMs);
    cycle.roomFinishedAtMs = finishOf(state, cycle);
    const after = settleCycle(cycle);
    state.cycles.set(a.sid, after);
    transitions.push(transition(obs, a.sid, a.identity, false, before, after));
  }
}

function transition(
  obs: RoomObservation,
  sid: string,
  identity: string,
  listed: boolean,
  before: Cycle | undefined,
  after: Cycle,
): ObservationTransition {
  return { observationId: obs.id, room: obs.room, sid, identity, listed, before, after };
}
