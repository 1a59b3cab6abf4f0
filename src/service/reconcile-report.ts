import type { LiveKitFailureKind } from '../livekit/index.js';

export type ReconcileTrigger =
  'startup' | 'schedule' | 'retry' | 'loss' | 'manual' | 'cli' | 'verify';

export interface ReconcileActionReport {
  room: string;
  identity: string;
  sid: string;
  action: 'open' | 'confirm' | 'reopen' | 'close';
  /** Join time for opens, leave time for closes (epoch ms). */
  atMs: number | null;
}

export interface UnverifiedRoom {
  room: string;
  /** A LiveKit failure kind, or this service's own trouble writing the results. */
  kind: LiveKitFailureKind | 'lease_lost' | 'store_error';
  reason: string;
}

export interface ReconcileReport {
  trigger: ReconcileTrigger;
  room: string | null;
  dryRun: boolean;
  /** ok: every room verified; partial: some could not be; failed: none could be (LiveKit unreachable). */
  outcome: 'ok' | 'partial' | 'failed';
  startedAtMs: number;
  finishedAtMs: number;
  durationMs: number;
  /** RoomService calls this pass made: 1 ListRooms + 1 ListParticipants per room. */
  apiCalls: number;
  roomsChecked: number;
  summary: {
    confirmed: number;
    opened: number;
    reopened: number;
    closed: number;
    unverified: number;
  };
  actions: ReconcileActionReport[];
  unverified: UnverifiedRoom[];
  /** Why the pass could not even list LiveKit's rooms; null when ListRooms answered. */
  error: { kind: UnverifiedRoom['kind']; reason: string } | null;
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The report as the API and `verify-livekit --json` show it: ISO times, null where unknown. */
export function reconcileReportJson(r: ReconcileReport) {
  return {
    trigger: r.trigger,
    room: r.room,
    dryRun: r.dryRun,
    outcome: r.outcome,
    startedAt: isoOrNull(r.startedAtMs),
    finishedAt: isoOrNull(r.finishedAtMs),
    durationMs: r.durationMs,
    apiCalls: r.apiCalls,
    roomsChecked: r.roomsChecked,
    summary: r.summary,
    actions: r.actions.map((a) => ({
      room: a.room,
      identity: a.identity,
      sid: a.sid,
      action: a.action,
      at: isoOrNull(a.atMs),
    })),
    unverified: r.unverified,
    error: r.error,
  };
}
