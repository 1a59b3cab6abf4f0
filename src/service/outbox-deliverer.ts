import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { coerceError, nextAttemptAfterFailure, type Clock } from '../core/index.js';
import type { AttendanceStore, OutboxAttemptResult, OutboxRecord } from '../store/index.js';
import type { ServiceEvents } from './events.js';
import type { OutboundSender } from './standard-webhook-sender.js';

/** Rows claimed per round: one per stream, so up to this many rooms are delivered at once. */
const BATCH = 50;
/** How often the outbox is looked at when nothing woke the deliverer. */
const POLL_MS = 1_000;
/** A claim outlives the attempts it covers by this much before another instance may take it. */
const LEASE_MARGIN_MS = 30_000;
/** Pending rows counted for the backlog gauge at most (index-backed, bounded). */
const BACKLOG_COUNT_MAX = 100_000;
/** Delivered rows are kept this long (what `GET /api/v1/outbox` never shows, for inspection). */
export const DELIVERED_RETENTION_MS = 7 * 24 * 60 * 60_000;
/** Delivered rows deleted per statement at most: small statements beside ingest. */
const PRUNE_BATCH = 1_000;
/** How often old delivered rows are pruned (wall time). */
const PRUNE_EVERY_MS = 60_000;

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

export interface DeliveryRound {
  claimed: number;
  delivered: number;
  retried: number;
  failed: number;
}

/**
 * Delivers the outbox, at least once: claims each stream's oldest due row (so a room's later event
 * waits for its earlier one), POSTs it to every receiver that has not acknowledged it yet, and
 * records the outcome: `delivered` once all answered 2xx, else the next attempt by the backoff
 * (5 s, doubling to 1 h) or `failed` after 24 hours. Claims are leases by the database's clock,
 * skipped by other instances (PostgreSQL `FOR UPDATE SKIP LOCKED`), so several instances share one
 * outbox without sending a row twice at once; a crashed instance's claim expires and the row is
 * sent again, with the same `webhook-id`. It runs beside ingest and never holds a transaction
 * while it waits on a receiver.
 */
export class OutboxDeliverer {
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private running: Promise<DeliveryRound> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private readonly leaseMs: number;
  private lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: {
      store: AttendanceStore;
      sender: OutboundSender;
      /** Receivers (EVENT_WEBHOOK_URLS). */
      targets: readonly string[];
      /** Per attempt; the claim's lease covers every target's. */
      timeoutMs: number;
      clock: Clock;
      logger: Logger;
      events: ServiceEvents;
      /** Default 1 s. */
      pollMs?: number;
    },
  ) {
    this.leaseMs = deps.timeoutMs * Math.max(1, deps.targets.length) + LEASE_MARGIN_MS;
  }

  /** One round: claims due rows and delivers them. Never runs twice at once in this process. */
  runOnce(): Promise<DeliveryRound> {
    this.running ??= this.round().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Rounds until nothing is due. */
  async drain(): Promise<DeliveryRound> {
    const total: DeliveryRound = { claimed: 0, delivered: 0, retried: 0, failed: 0 };
    for (;;) {
      const r = await this.runOnce();
      total.claimed += r.claimed;
      total.delivered += r.delivered;
      total.retried += r.retried;
      total.failed += r.failed;
      // Delivered rows may have freed the next row of their stream; anything else waits.
      if (r.delivered === 0 && r.failed === 0) return total;
    }
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Something was written to the outbox: look soon instead of at the next poll. */
  wake(): void {
    if (this.stopped || this.running) return;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain()
        .catch((e: unknown) =>
          this.deps.logger.error({ err: coerceError(e) }, 'outbox delivery round failed'),
        )
        .finally(() => this.schedule(this.deps.pollMs ?? POLL_MS));
    }, delayMs);
    this.timer.unref();
  }

  private async round(): Promise<DeliveryRound> {
    const { store, clock } = this.deps;
    const rows = await store.claimOutbox(this.holder, clock.now(), this.leaseMs, BATCH);
    const round: DeliveryRound = { claimed: rows.length, delivered: 0, retried: 0, failed: 0 };
    // One row per stream: all of them may go at once.
    const outcomes = await Promise.all(rows.map((row) => this.deliver(row)));
    for (const o of outcomes) {
      if (o === 'delivered') round.delivered += 1;
      else if (o === 'retry') round.retried += 1;
      else if (o === 'failed') round.failed += 1;
    }
    const pending = await store.countOutboxPending(BACKLOG_COUNT_MAX);
    this.deps.events.emit('outbox:backlog:counted', { pending });
    if (performance.now() - this.lastPruneAt >= PRUNE_EVERY_MS) {
      this.lastPruneAt = performance.now();
      // Delivered rows are kept a week, then deleted a batch a minute: the table stays bounded.
      await store.pruneDeliveredOutbox(clock.now() - DELIVERED_RETENTION_MS, PRUNE_BATCH);
    }
    return round;
  }

  /** Sends one claimed row to the receivers still owed it; null when its claim was lost. */
  private async deliver(row: OutboxRecord): Promise<DeliveryOutcome | null> {
    const { sender, clock, store, logger } = this.deps;
    const owed = this.deps.targets.filter((t) => !row.ackedTargets.includes(t));
    const acked = [...row.ackedTargets.filter((t) => this.deps.targets.includes(t))];
    let firstFailure: { status: number | null; error: string } | null = null;
    let lastOk: number | null = null;
    const results = await Promise.all(
      owed.map(async (url) => ({
        url,
        result: await sender.send({
          url,
          id: row.id,
          timestampMs: clock.now(),
          payload: row.payload,
        }),
      })),
    );
    for (const { url, result } of results) {
      if (result.ok) {
        acked.push(url);
        lastOk = result.status;
      } else {
        firstFailure ??= { status: result.status, error: result.error };
      }
    }
    const atMs = clock.now();
    const attempts = row.attempts + 1;
    let outcome: DeliveryOutcome;
    let attempt: OutboxAttemptResult;
    if (firstFailure === null) {
      outcome = 'delivered';
      attempt = {
        seq: row.seq,
        holder: this.holder,
        atMs,
        status: 'delivered',
        nextAttemptAtMs: row.nextAttemptAtMs,
        lastStatus: lastOk,
        lastError: null,
        ackedTargets: [],
      };
    } else {
      const next = nextAttemptAfterFailure({
        attempts,
        failedAtMs: atMs,
        deadlineAtMs: row.deadlineAtMs,
      });
      outcome = next === null ? 'failed' : 'retry';
      attempt = {
        seq: row.seq,
        holder: this.holder,
        atMs,
        status: next === null ? 'failed' : 'pending',
        nextAttemptAtMs: next ?? atMs,
        lastStatus: firstFailure.status,
        lastError: firstFailure.error,
        ackedTargets: acked,
      };
    }
    let recorded: boolean;
    try {
      recorded = await store.finishOutboxAttempt(attempt);
    } catch (e: unknown) {
      // The claim expires and the row is sent again: at least once, never lost.
      logger.error({ err: coerceError(e), eventId: row.id }, 'could not record an outbox attempt');
      return null;
    }
    if (!recorded) {
      logger.warn(
        { eventId: row.id },
        'outbox claim expired during delivery; another instance has it',
      );
      return null;
    }
    this.deps.events.emit('outbox:delivery:complete', {
      id: row.id,
      type: row.type,
      outcome,
      attempts,
      status: attempt.lastStatus,
      error: attempt.lastError,
      nextAttemptAtMs: outcome === 'retry' ? attempt.nextAttemptAtMs : null,
    });
    return outcome;
  }
}
