import type { Logger } from 'pino';
import {
  auditCycleChanges,
  auditRemovedCycles,
  coerceError,
  cycleAuditView,
  type Cycle,
  type CycleAuditView,
  type JournalEntry,
} from '../core/index.js';
import type { StoreOps } from '../store/index.js';
import { applyJournal, decodeJournalEntry } from './journal.js';
import type { OutboundRecorder } from './outbound-recorder.js';
import type { StoreWriter } from './store-writer.js';

/** Entries read per query while a room is replayed (all inside the room's one transaction). */
const PAGE = 1_000;

/**
 * How far past a room's prune horizon a cycle's join must be for `rebuild` to recompute it. An
 * entry about a cycle is dated at or after its join, by LiveKit's clock (webhooks) or ours
 * (observations), which may differ by minutes: a cycle that joined just after the horizon may
 * still have lost an entry to pruning. One hour is far more than any skew seen.
 */
export const REBUILD_PRUNED_SLACK_MS = 60 * 60_000;

export interface RebuildResult {
  /** Entries in the inbox. */
  total: number;
  /** Entries replayed. */
  applied: number;
  /** Entries left unprocessed (unreadable), and rooms whose replay failed and kept their state. */
  unprocessed: number;
  failedRooms: string[];
  /**
   * Cycles kept as they were because the inbox entries they came from may have been pruned
   * (INBOX_RETENTION_DAYS): joined at or before their room's prune horizon plus
   * {@link REBUILD_PRUNED_SLACK_MS}, or with no known join.
   */
  keptCycles: number;
}

/**
 * Recomputes every cycle from the journal (webhooks and reconciler observations), one room at a
 * time: a room's cycles are a function of that room's entries alone, so each room is reset and
 * replayed in one transaction that holds the room. Readers see a room either as it was or rebuilt,
 * never half-done; `serve` keeps ingesting meanwhile (a webhook for the room being rebuilt waits
 * for it, then applies on top), and a reconcile pass can run beside it.
 */
export async function rebuildFromJournal(deps: {
  writer: StoreWriter;
  logger: Logger;
  now: () => number;
  onStart?: (total: number) => void;
  onProgress?: (done: number) => void;
  /** Marks each rebuilt room, so that its sessions' statuses are announced again if they changed. */
  outbound?: OutboundRecorder | null;
}): Promise<RebuildResult> {
  const { writer, logger } = deps;
  const { total } = await writer.store.countInbox();
  deps.onStart?.(total);
  let applied = 0;
  let unreadable = 0;
  let done = 0;
  let keptCycles = 0;
  const failedRooms: string[] = [];
  for (const room of await writer.store.listJournalRooms()) {
    try {
      const r = await writer.write(
        async (tx) => {
          const replayed = await replayRoom(tx, room, deps.now, logger);
          // A rebuild sends no participant events (it replays history), only status changes.
          await deps.outbound?.recordRoomRebuilt(tx, room);
          return replayed;
        },
        { rooms: [room] },
      );
      applied += r.applied;
      unreadable += r.unreadable;
      keptCycles += r.kept;
      done += r.applied + r.unreadable;
    } catch (e: unknown) {
      failedRooms.push(room);
      logger.error({ err: coerceError(e), room }, 'rebuilding a room failed; it keeps its cycles');
    }
    deps.onProgress?.(done);
  }
  const { unprocessed } = await writer.store.countInbox();
  return {
    total,
    applied,
    unprocessed: Math.max(unprocessed, unreadable),
    failedRooms,
    keptCycles,
  };
}

async function replayRoom(
  tx: StoreOps,
  room: string,
  now: () => number,
  logger: Logger,
): Promise<{ applied: number; unreadable: number; kept: number }> {
  // What readers saw before: the rebuild records what it changed, not the replayed history.
  const before = new Map<string, { cycle: Cycle; view: CycleAuditView | null }>();
  for (const cycle of await tx.listRoomCycles(room)) {
    before.set(cycle.sid, { cycle, view: cycleAuditView(cycle) });
  }
  // Retention: what the retained inbox no longer covers stays as it is; the rest is recomputed,
  // and the retained entries are folded over the kept cycles too (the fold ignores what a cycle
  // already holds, so a kept cycle only gains what is newer).
  const horizon = await tx.getPruneHorizon(room);
  const keepThroughMs = horizon === null ? undefined : horizon + REBUILD_PRUNED_SLACK_MS;
  const kept =
    keepThroughMs === undefined
      ? 0
      : [...before.values()].filter(
          ({ cycle }) => cycle.joinedAtMs === null || cycle.joinedAtMs <= keepThroughMs,
        ).length;
  await tx.resetRoom(room, keepThroughMs === undefined ? undefined : { keepThroughMs });
  if (kept > 0) {
    logger.info(
      { room, kept, prunedThrough: new Date(horizon ?? 0).toISOString() },
      'rebuild keeps cycles whose inbox entries were pruned',
    );
  }
  let afterSeq = 0;
  let applied = 0;
  let unreadable = 0;
  for (;;) {
    const page = await tx.readRoomInbox(room, afterSeq, PAGE);
    if (page.length === 0) break;
    afterSeq = page[page.length - 1]!.seq;
    const entries: JournalEntry[] = [];
    const ok: string[] = [];
    for (const entry of page) {
      try {
        entries.push(...decodeJournalEntry(entry));
        ok.push(entry.eventId);
      } catch (e: unknown) {
        unreadable += 1;
        const err = coerceError(e);
        await tx.recordProcessingFailure(entry.eventId, err.message);
        logger.error({ err, eventId: entry.eventId, room }, 'inbox entry cannot be replayed');
      }
    }
    await applyJournal(tx, entries, { audit: null });
    await tx.markProcessed(ok, now());
    applied += ok.length;
    // better-sqlite3 answers synchronously: let the process serve requests between pages.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const after = await tx.listRoomCycles(room);
  const atMs = now();
  const records = [
    ...auditCycleChanges({
      before: new Map([...before].map(([sid, b]) => [sid, b.view])),
      after,
      atMs,
      reopenSource: 'rebuild',
      source: 'rebuild',
    }),
    ...auditRemovedCycles({ before, remaining: new Set(after.map((c) => c.sid)), atMs }),
  ];
  if (records.length > 0) await tx.appendAudit(records);
  return { applied, unreadable, kept };
}
