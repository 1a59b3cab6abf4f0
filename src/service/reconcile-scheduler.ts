import type { Logger } from 'pino';
import { coerceError } from '../core/index.js';
import type { ReconcileReport } from './reconcile-report.js';
import type { Reconciler } from './reconciler.js';

/** First retry after a failed pass; doubles up to the regular interval. */
const RETRY_MIN_MS = 5_000;
/** An early pass for a room that showed event loss waits this long, collecting more evidence. */
const LOSS_DEBOUNCE_MS = 2_000;

/**
 * Runs passes in the background (attendance-model, reconciliation rule 7): one right after start,
 * then every interval, sooner with backoff after a failed pass, and early for a room whose webhooks
 * named a sid never seen joining. Never throws; `stop()` waits for a running pass.
 */
export class ReconcileScheduler {
  private timer: NodeJS.Timeout | null = null;
  private readonly lossTimers = new Map<string, NodeJS.Timeout>();
  private failures = 0;
  /**
   * Passes started and not yet settled, for `stop()`. A set rather than a chain of promises: a
   * resolved chain keeps every pass's report (one action per participant) reachable for as long
   * as the scheduler lives, which grew by gigabytes a day at 1,000 rooms × 20 people.
   */
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  private readonly lossDebounceMs: number;
  private readonly retryMinMs: number;

  constructor(
    private readonly deps: {
      reconciler: Reconciler;
      intervalMs: number;
      logger: Logger;
      /** Default 2 s. */
      lossDebounceMs?: number;
      /** Default 5 s. */
      retryMinMs?: number;
    },
  ) {
    this.lossDebounceMs = deps.lossDebounceMs ?? LOSS_DEBOUNCE_MS;
    this.retryMinMs = deps.retryMinMs ?? RETRY_MIN_MS;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0, 'startup');
  }

  /** Asks for an early pass of one room (event loss was detected there). */
  roomNeedsCheck(room: string): void {
    if (this.stopped || this.lossTimers.has(room)) return;
    const t = setTimeout(() => {
      this.lossTimers.delete(room);
      this.track(this.deps.reconciler.runPass({ room, trigger: 'loss', skipIfBusy: false }));
    }, this.lossDebounceMs);
    t.unref();
    this.lossTimers.set(room, t);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.lossTimers.values()) clearTimeout(t);
    this.lossTimers.clear();
    // A pass that settles schedules nothing more once stopped, so the set only shrinks.
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private schedule(delayMs: number, trigger: 'startup' | 'schedule' | 'retry'): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const pass = this.deps.reconciler.runPass({ trigger, skipIfBusy: true });
      this.track(pass);
      void pass.then((report) => this.afterPass(report)).catch(() => this.afterPass(null));
    }, delayMs);
    this.timer.unref();
  }

  private afterPass(report: ReconcileReport | null): void {
    const failed = report !== null && report.outcome !== 'ok';
    this.failures = failed ? this.failures + 1 : 0;
    const { intervalMs } = this.deps;
    if (failed) {
      const backoff = Math.min(intervalMs, this.retryMinMs * 2 ** (this.failures - 1));
      this.schedule(backoff, 'retry');
    } else {
      this.schedule(intervalMs, 'schedule');
    }
  }

  private track(p: Promise<unknown>): void {
    const tracked: Promise<void> = p
      .then(
        () => undefined,
        (e: unknown) => this.deps.logger.error({ err: coerceError(e) }, 'reconcile pass crashed'),
      )
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
