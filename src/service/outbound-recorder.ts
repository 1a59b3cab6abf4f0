import { randomUUID } from 'node:crypto';
import {
  changedSpan,
  cycleAuditView,
  OUTBOUND_RETRY_WINDOW_MS,
  presenceEvents,
  presencePairs,
  type Clock,
  type CountingPolicy,
  type Cycle,
  type OutboundEvent,
} from '../core/index.js';
import type { OutboxInsert, StoreOps } from '../store/index.js';

/** A `webhook-id`: random, so that ingest needs no unique index to keep it unique. */
export function newOutboundId(): string {
  return `msg_${randomUUID().replaceAll('-', '')}`;
}

/** An event as its outbox row, due now and retried for 24 hours. */
export function outboxInsertOf(event: OutboundEvent, nowMs: number): OutboxInsert {
  return {
    id: newOutboundId(),
    type: event.type,
    stream: event.stream,
    room: event.room,
    sessionId: event.sessionId,
    payload: JSON.stringify(event.body),
    createdAtMs: nowMs,
    nextAttemptAtMs: nowMs,
    deadlineAtMs: nowMs + OUTBOUND_RETRY_WINDOW_MS,
  };
}

/**
 * Writes what outbound events need into the transaction of the change that causes them (only
 * built when EVENT_WEBHOOK_URLS is set; without it nothing here runs and ingest writes nothing
 * more):
 * - a cycle write: a `participant.joined` / `participant.left` row when a person's presence in a
 *   room starts or ends (one small insert per such event), and one mark per room touched, so that
 *   the session watcher re-evaluates the sessions over it. Session statuses are not computed here:
 *   a status needs a whole session's cycles, which the ingest transaction must not read.
 * - a session or override write: a mark for the session (and its registration for session events).
 */
export class OutboundRecorder {
  constructor(
    private readonly deps: {
      clock: Clock;
      counting: CountingPolicy;
    },
  ) {}

  /** After a journal write: `before` holds the cycles as loaded, `changed` those written. */
  async recordCycleChanges(
    tx: StoreOps,
    before: ReadonlyMap<string, Cycle>,
    written: readonly Cycle[],
  ): Promise<void> {
    // Only what a report shows (join and leave times, who opened and closed, connected): a track
    // event's new lastSeenAt changes neither presence nor status, and costs nothing here.
    const changed = written.filter((c) => !sameView(before.get(c.sid), c));
    if (changed.length === 0) return;
    const nowMs = this.deps.clock.now();
    const { counting } = this.deps;
    const pairs = presencePairs(before, changed, counting);
    let events: OutboundEvent[] = [];
    if (pairs.length > 0) {
      // Another device of the same person may still be in the room: only their last cycle's close
      // is a departure, only their first cycle's open an arrival.
      const openAfter = await tx.listOpenIdentityCycles(pairs);
      events = presenceEvents({ before, changed, openAfter, counting });
    }
    const byRoom = new Map<string, Cycle[]>();
    for (const c of changed) {
      const list = byRoom.get(c.room);
      if (list) list.push(c);
      else byRoom.set(c.room, [c]);
    }
    const marks = [];
    for (const [room, cycles] of byRoom) {
      const span = changedSpan(before, cycles, nowMs);
      if (span !== null) marks.push({ kind: 'room' as const, name: room, ...span });
    }
    await tx.writeOutbound(
      events.map((e) => outboxInsertOf(e, nowMs)),
      marks,
    );
  }

  /** A room's cycles were rebuilt: every session over it is looked at again. */
  async recordRoomRebuilt(tx: StoreOps, room: string): Promise<void> {
    await tx.markOutbound([
      { kind: 'room', name: room, fromMs: Number.MIN_SAFE_INTEGER, toMs: Number.MAX_SAFE_INTEGER },
    ]);
  }

  /** A session, its policy or an override was written: its statuses are looked at again. */
  async recordSessionWrite(tx: StoreOps, sessionId: string): Promise<void> {
    await tx.registerOutboundSession(sessionId);
    await tx.markOutbound([{ kind: 'session', name: sessionId, fromMs: 0, toMs: 0 }]);
  }

  async recordSessionDeleted(tx: StoreOps, sessionId: string): Promise<void> {
    await tx.deleteOutboundSession(sessionId);
  }
}

function sameView(a: Cycle | undefined, b: Cycle): boolean {
  const x = cycleAuditView(a);
  const y = cycleAuditView(b);
  if (x === null || y === null) return x === y;
  return (
    x.joinedAt === y.joinedAt &&
    x.leftAt === y.leftAt &&
    x.openedBy === y.openedBy &&
    x.closedBy === y.closedBy &&
    x.connected === y.connected &&
    // Kind decides whether a cycle counts; it can arrive after the first (reduced) event.
    a?.kind === b.kind
  );
}
