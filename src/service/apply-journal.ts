import {
  applyEvents,
  eventFootprint,
  isOpen,
  type Cycle,
  type EventFoldResult,
  type LiveKitEvent,
  type ReconcileAction,
  type ReconcileContext,
} from '../core/index.js';
import type { StoreOps } from '../store/index.js';

/** Loads what a batch of webhooks needs, folds them with the core rules and writes what changed. */
export async function applyWebhookEvents(
  tx: StoreOps,
  events: readonly LiveKitEvent[],
): Promise<EventFoldResult> {
  const fp = eventFootprint(events);
  const cycles = new Map<string, Cycle>();
  if (fp.sids.size > 0) for (const c of await tx.getCycles([...fp.sids])) cycles.set(c.sid, c);
  for (const room of fp.finishedRooms) {
    for (const c of await tx.listRoomCycles(room)) cycles.set(c.sid, c);
  }
  const roomFinishedAtMs =
    fp.roomSids.size > 0
      ? await tx.getRoomFinishTimes([...fp.roomSids])
      : new Map<string, number>();
  const result = applyEvents({ cycles, roomFinishedAtMs }, events);
  if (result.changed.length > 0) await tx.saveCycles(result.changed);
  for (const f of result.finished) await tx.recordRoomFinished(f.roomSid, f.room, f.atMs);
  return result;
}

/** A reconciler decision as journaled in the inbox, so `rebuild` can replay it exactly. */
export interface JournaledAction {
  action: Exclude<ReconcileAction, { type: 'confirm' }>;
  ctx: ReconcileContext;
  /** The cycle as the action left it (opens and reopens), or the leave time it set (closes). */
  result: Cycle;
}

/** Replays a journaled reconciler decision onto the current state of its sid. */
export function replayJournaledAction(fresh: Cycle | undefined, j: JournaledAction): Cycle | null {
  if (j.action.type === 'close') {
    if (fresh === undefined || !isOpen(fresh)) return null;
    return {
      ...fresh,
      estimatedLeftAtMs: j.result.estimatedLeftAtMs,
      lastSeenAtMs: maxSeen(fresh.lastSeenAtMs, j.result.lastSeenAtMs),
    };
  }
  if (fresh !== undefined && fresh.endedAtMs !== null) return null;
  if (fresh === undefined) return j.result;
  return {
    ...fresh,
    joinedAtMs: fresh.joinedAtMs ?? j.result.joinedAtMs,
    connected: true,
    estimatedLeftAtMs: null,
    lastSeenAtMs: maxSeen(fresh.lastSeenAtMs, j.result.lastSeenAtMs),
  };
}

function maxSeen(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  return b === null ? a : Math.max(a, b);
}
