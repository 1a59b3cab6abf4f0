import { isOpen } from './cycle-rules.js';
import type { ObservationTransition } from './fold-journal.js';
import type { Cycle, ListedParticipant, RoomObservation } from './types.js';

/** What one observation did to one sid, as the reconciler reports it. */
export type ReconcileActionType = 'open' | 'confirm' | 'reopen' | 'close';

export interface ReconcileAction {
  type: ReconcileActionType;
  room: string;
  sid: string;
  identity: string;
  /** Join time for opens, the estimated leave for closes, else null (epoch ms). */
  atMs: number | null;
}

function closedByReconciler(c: Cycle | undefined): boolean {
  return c !== undefined && c.endedAtMs === null && c.estimatedLeftAtMs !== null;
}

/**
 * Names what an observation did to a sid by comparing its cycle before and after (nothing when
 * it changed nothing a reader would call an action, e.g. an absence that a webhook had settled).
 * - open: an ACTIVE sid with no open, connected cycle before now has one (a missed join recovered);
 * - reopen: a sid the reconciler had closed is listed again (that connection never ended);
 * - confirm: an open cycle listed again;
 * - close: an open cycle that the answer left out is now closed at its last confirmation.
 */
export function classifyTransition(t: ObservationTransition): ReconcileAction | null {
  const { before, after } = t;
  const base = { room: t.room, sid: t.sid, identity: t.identity };
  if (t.listed) {
    if (!isOpen(after)) return null;
    if (closedByReconciler(before)) return { ...base, type: 'reopen', atMs: null };
    if (before === undefined || !before.connected || !isOpen(before)) {
      return { ...base, type: 'open', atMs: after.joinedAtMs };
    }
    return { ...base, type: 'confirm', atMs: null };
  }
  // Open, or only bounded by room_finished: now dated at its last confirmation.
  if (before !== undefined && !closedByReconciler(before) && closedByReconciler(after)) {
    return { ...base, type: 'close', atMs: after.estimatedLeftAtMs };
  }
  return null;
}

/**
 * The observation of one room from LiveKit's answer (reconciliation rules 1–3). `openBefore` are
 * the cycles of the room that awaited confirmation (`awaitsConfirmation`) before the request
 * was sent: only they can be absent, so a connection that began after LiveKit answered is never
 * mistaken for a stale cycle.
 */
export function observeRoom(input: {
  id: string;
  room: string;
  roomSid: string | null;
  roomsListedAtMs: number | null;
  requestedAtMs: number;
  answeredAtMs: number;
  /** How far LiveKit's clock is known to run ahead of ours (RoomObservation); default 0. */
  livekitOffsetMs?: number;
  listed: readonly ListedParticipant[];
  openBefore: ReadonlyArray<Pick<Cycle, 'sid' | 'identity'>>;
}): RoomObservation {
  const listedSids = new Set(input.listed.map((p) => p.sid));
  return {
    id: input.id,
    room: input.room,
    roomSid: input.roomSid,
    roomsListedAtMs: input.roomsListedAtMs,
    requestedAtMs: input.requestedAtMs,
    answeredAtMs: input.answeredAtMs,
    ...(input.livekitOffsetMs ? { livekitOffsetMs: input.livekitOffsetMs } : {}),
    listed: input.listed,
    absent: input.openBefore
      .filter((c) => !listedSids.has(c.sid))
      .map((c) => ({ sid: c.sid, identity: c.identity })),
  };
}
