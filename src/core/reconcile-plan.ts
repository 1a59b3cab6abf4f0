import { blankCycle, isOpen, mergeSnapshot } from './cycle-rules.js';
import type { Cycle, ParticipantSnapshot } from './types.js';

/** ParticipantInfo.State by name, as RoomService lists it. */
export type ListedState = 'JOINING' | 'JOINED' | 'ACTIVE' | 'DISCONNECTED';

export interface ListedParticipant extends ParticipantSnapshot {
  state: ListedState;
}

/** What one reconcile pass decided for one sid. Journaled, so `rebuild` can replay it. */
export type ReconcileAction =
  | { type: 'open'; sid: string; identity: string; participant: ListedParticipant }
  | { type: 'confirm'; sid: string; identity: string; participant: ListedParticipant }
  | { type: 'reopen'; sid: string; identity: string; participant: ListedParticipant }
  | { type: 'close'; sid: string; identity: string; leftAtMs: number };

export interface RoomReconcileInput {
  room: string;
  /** The live incarnation's sid from ListRooms; null when LiveKit no longer has the room. */
  roomSid: string | null;
  /** LiveKit's positive answer: everyone it lists in the room (empty when the room is gone). */
  listed: readonly ListedParticipant[];
  /** Open cycles of the room, plus every stored cycle of a listed sid. */
  known: readonly Cycle[];
}

/** Where a reconciler close puts the end: the last moment LiveKit confirmed the connection. */
export function estimatedLeftAt(cycle: Cycle): number | null {
  const candidates = [cycle.lastSeenAtMs, cycle.joinedAtMs].filter((v): v is number => v !== null);
  return candidates.length === 0 ? null : Math.max(...candidates);
}

/**
 * Compares stored cycles with LiveKit's participant list for one room (attendance-model,
 * reconciliation rules 2 and 3). Pure: the caller applies the actions to fresh state with
 * {@link applyReconcileAction}, so a webhook that lands meanwhile is never overwritten.
 */
export function planRoomReconcile(input: RoomReconcileInput): ReconcileAction[] {
  const bySid = new Map(input.known.map((c) => [c.sid, c]));
  const listedSids = new Set<string>();
  const actions: ReconcileAction[] = [];
  for (const p of input.listed) {
    listedSids.add(p.sid);
    const cycle = bySid.get(p.sid);
    const present = p.state === 'ACTIVE' || p.state === 'JOINED';
    if (!present) continue; // JOINING: not yet present (a page open while media never connects).
    if (cycle === undefined || (!cycle.connected && cycle.endedAtMs === null)) {
      // Rule 2: only ACTIVE (media connected) opens; JOINED without a cycle is not yet present.
      if (p.state === 'ACTIVE')
        actions.push({ type: 'open', sid: p.sid, identity: p.identity, participant: p });
      continue;
    }
    // A sid LiveKit itself ended (left, aborted, room_finished, manual) is never reopened.
    if (cycle.endedAtMs !== null) continue;
    const type = cycle.estimatedLeftAtMs !== null ? 'reopen' : 'confirm';
    actions.push({ type, sid: p.sid, identity: p.identity, participant: p });
  }
  for (const cycle of input.known) {
    if (!isOpen(cycle) || listedSids.has(cycle.sid) || cycle.room !== input.room) continue;
    const leftAtMs = estimatedLeftAt(cycle);
    if (leftAtMs === null) continue;
    actions.push({ type: 'close', sid: cycle.sid, identity: cycle.identity, leftAtMs });
  }
  return actions;
}

export interface ReconcileContext {
  room: string;
  roomSid: string | null;
  /** When the pass obtained the list (receiving clock: LiveKit gives no time for "still there"). */
  passAtMs: number;
}

/**
 * Applies one planned action to the freshest stored state of its sid. Returns the new cycle, or null
 * when the action no longer applies (a webhook got there first).
 */
export function applyReconcileAction(
  fresh: Cycle | undefined,
  action: ReconcileAction,
  ctx: ReconcileContext,
): Cycle | null {
  if (action.type === 'close') {
    if (fresh === undefined || !isOpen(fresh)) return null;
    // Something newer than the list (a webhook) confirmed the connection after the pass looked.
    if (fresh.lastSeenAtMs !== null && fresh.lastSeenAtMs > ctx.passAtMs) return null;
    const leftAtMs = estimatedLeftAt(fresh) ?? action.leftAtMs;
    return { ...fresh, estimatedLeftAtMs: leftAtMs };
  }
  const p = action.participant;
  if (fresh !== undefined && fresh.endedAtMs !== null) return null;
  let cycle = fresh ?? blankCycle({ name: ctx.room, sid: ctx.roomSid }, p, 'reconciler');
  cycle = mergeSnapshot(cycle, p, ctx.roomSid);
  if (p.state === 'ACTIVE') cycle.connected = true;
  if (!cycle.connected) return null;
  cycle.estimatedLeftAtMs = null; // rule 2: the reconciler's own close is withdrawn when listed again
  cycle.lastSeenAtMs = Math.max(cycle.lastSeenAtMs ?? ctx.passAtMs, ctx.passAtMs);
  return cycle;
}
