import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { coerceError, HOUR, MINUTE, type Clock } from '../core/index.js';
import type { StoreWriter } from './store-writer.js';

export const RETENTION_LEASE = 'inbox-retention';
/** Entries deleted per transaction: short transactions beside the ingest path. */
export const RETENTION_BATCH = 500;
/** How often a pruning run starts; the first one a minute after start. */
const RUN_EVERY_MS = HOUR;
const FIRST_RUN_AFTER_MS = MINUTE;
/** The lease outlives a crashed runner by this much; a live one renews it after every batch. */
const LEASE_TTL_MS = 5 * MINUTE;

export interface PruneRunResult {
  /** Entries deleted. */
  pruned: number;
  batches: number;
  /** Entries created before this (LiveKit's time) were eligible. */
  cutoffMs: number;
  /** Rooms that lost entries. */
  rooms: number;
}

/**
 * Inbox retention (`INBOX_RETENTION_DAYS`): deletes applied inbox entries (raw webhooks and
 * reconciler observations) whose LiveKit time is older than the retention, in small batches, one
 * instance at a time (a lease in the store, renewed after each batch). Never an unapplied entry:
 * it may still change cycles. Cycles, the audit trail and webhook tallies are kept; each pruned
 * room's horizon tells `rebuild` which cycles the inbox no longer covers. Never throws.
 */
export class InboxRetention {
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    private readonly deps: {
      writer: StoreWriter;
      clock: Clock;
      logger: Logger;
      /** Keep entries this long (ms); 0 keeps everything and `start()` does nothing. */
      retentionMs: number;
      /** Default {@link RETENTION_BATCH}. */
      batchSize?: number;
    },
  ) {}

  start(): void {
    if (this.deps.retentionMs <= 0) return;
    this.stopped = false;
    this.schedule(FIRST_RUN_AFTER_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * One pruning run: batches until nothing old is left, the lease is lost or `stop()` was called.
   * Null when another instance holds the lease (or retention is off).
   */
  async runOnce(): Promise<PruneRunResult | null> {
    const { writer, clock, logger, retentionMs } = this.deps;
    if (retentionMs <= 0) return null;
    const store = writer.store;
    const first = await store.tryAcquireLease(RETENTION_LEASE, this.holder, LEASE_TTL_MS);
    if (first === null) return null;
    const startedAtMs = clock.now();
    const cutoffMs = startedAtMs - retentionMs;
    const batch = this.deps.batchSize ?? RETENTION_BATCH;
    const rooms = new Set<string>();
    let pruned = 0;
    let batches = 0;
    try {
      for (;;) {
        const candidates = await store.listPrunableInbox(cutoffMs, batch);
        if (candidates.length === 0) break;
        const deleted = await writer.write(
          (tx) =>
            tx.pruneInbox(
              candidates.map((c) => c.seq),
              cutoffMs,
            ),
          // Held like any writer of these rooms: a rebuild of one sees its inbox and horizon agree.
          { rooms: [...new Set(candidates.map((c) => c.room))] },
        );
        batches += 1;
        pruned += deleted.length;
        for (const d of deleted) if (d.room !== null) rooms.add(d.room);
        if (candidates.length < batch || deleted.length === 0 || this.stopped) break;
        // A new token means the lease lapsed in between: another instance may be pruning now.
        const renewed = await store.tryAcquireLease(RETENTION_LEASE, this.holder, LEASE_TTL_MS);
        if (renewed !== first) break;
        // Let ingest and reads run between batches (better-sqlite3 answers synchronously).
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      await store.releaseLease(RETENTION_LEASE, this.holder).catch(() => undefined);
    }
    const result = { pruned, batches, cutoffMs, rooms: rooms.size };
    if (pruned > 0) {
      logger.info(
        {
          pruned,
          batches,
          rooms: rooms.size,
          olderThan: new Date(cutoffMs).toISOString(),
          durationMs: clock.now() - startedAtMs,
        },
        'inbox entries pruned',
      );
    }
    return result;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const run = this.runOnce().catch((e: unknown) =>
        this.deps.logger.error({ err: coerceError(e) }, 'inbox pruning failed; retrying later'),
      );
      this.running = run.finally(() => {
        this.running = null;
        this.schedule(RUN_EVERY_MS);
      });
    }, delayMs);
    this.timer.unref();
  }
}
