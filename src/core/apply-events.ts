import { applyEnd, applyParticipantEvent, eventTouchesCycle, sameCycle } from './cycle-rules.js';
import type { Cycle, LiveKitEvent } from './types.js';

/** Events that change cycles; anything else is journaled (room_started) or ignored. */
export function isAttendanceEvent(type: string): boolean {
  return (
    type === 'room_started' ||
    type === 'room_finished' ||
    type.startsWith('participant_') ||
    type.startsWith('track_')
  );
}

/** The stored state a batch of events needs, loaded by the caller before folding. */
export interface EventFoldState {
  /** Current cycles of every sid the events name, plus every cycle of each finished room. */
  cycles: Map<string, Cycle>;
  /** Finish times of the room incarnations the events touch (roomSid → ms). */
  roomFinishedAtMs: Map<string, number>;
}

export interface EventFoldResult {
  /** Cycles that differ from what was loaded. */
  changed: Cycle[];
  /** Room incarnations that finished in this batch (to record). */
  finished: Array<{ roomSid: string; room: string; atMs: number }>;
  /** Rooms where an event named a sid never seen joining: proof that events were lost. */
  roomsWithUnseenSids: Set<string>;
}

/** The sids and room incarnations a batch needs loaded. */
export function eventFootprint(events: readonly LiveKitEvent[]): {
  sids: Set<string>;
  roomSids: Set<string>;
  finishedRooms: Set<string>;
} {
  const sids = new Set<string>();
  const roomSids = new Set<string>();
  const finishedRooms = new Set<string>();
  for (const e of events) {
    if (e.participant && e.participant.sid !== '') sids.add(e.participant.sid);
    if (e.room?.sid) roomSids.add(e.room.sid);
    if (e.type === 'room_finished' && e.room) finishedRooms.add(e.room.name);
  }
  return { sids, roomSids, finishedRooms };
}

/**
 * Applies a batch of verified webhooks to the loaded state, in any order (event rules 3–5). The result
 * is the same for any order and any duplication of the same events: every rule is a min, max or or.
 * Mutates `state` so that later events of the batch see earlier ones.
 */
export function applyEvents(
  state: EventFoldState,
  events: readonly LiveKitEvent[],
): EventFoldResult {
  const original = new Map([...state.cycles].map(([sid, c]) => [sid, c]));
  const finished = new Map<string, { roomSid: string; room: string; atMs: number }>();
  const roomsWithUnseenSids = new Set<string>();
  for (const event of events) {
    if (event.type === 'room_finished' && event.room) {
      finishRoom(state, event.room.name, event.room.sid, event.createdAtMs);
      if (event.room.sid) {
        const prev = finished.get(event.room.sid);
        if (!prev || event.createdAtMs < prev.atMs) {
          finished.set(event.room.sid, {
            roomSid: event.room.sid,
            room: event.room.name,
            atMs: event.createdAtMs,
          });
        }
      }
      continue;
    }
    if (!eventTouchesCycle(event)) continue;
    const existing = state.cycles.get(event.participant.sid);
    if (existing === undefined && event.type !== 'participant_joined') {
      roomsWithUnseenSids.add(event.room.name);
    }
    const finishedAt = event.room.sid ? (state.roomFinishedAtMs.get(event.room.sid) ?? null) : null;
    state.cycles.set(event.participant.sid, applyParticipantEvent(existing, event, finishedAt));
  }
  const changed = [...state.cycles.values()].filter((c) => {
    const before = original.get(c.sid);
    return before === undefined || !sameCycle(before, c);
  });
  return { changed, finished: [...finished.values()], roomsWithUnseenSids };
}

/** room_finished closes every cycle of that room incarnation at the event's time (event rule 4). */
function finishRoom(
  state: EventFoldState,
  room: string,
  roomSid: string | null,
  atMs: number,
): void {
  if (roomSid) {
    const prev = state.roomFinishedAtMs.get(roomSid);
    if (prev === undefined || atMs < prev) state.roomFinishedAtMs.set(roomSid, atMs);
  }
  for (const [sid, cycle] of state.cycles) {
    if (cycle.room !== room) continue;
    // Without a room sid (never seen in practice) only cycles that began before the end are closed.
    const sameIncarnation =
      roomSid !== null
        ? cycle.roomSid === roomSid
        : cycle.joinedAtMs !== null && cycle.joinedAtMs <= atMs;
    if (sameIncarnation) state.cycles.set(sid, applyEnd(cycle, atMs, 'room_finished'));
  }
}
