import { OUTBOUND_RETRY_WINDOW_MS, type Clock } from '../core/index.js';
import type { AttendanceStore, OutboxRecord, OutboxStatus } from '../store/index.js';

/** What operators ask of the outbox: what waits and why (`GET /api/v1/outbox`), and retries. */
export class OutboxService {
  constructor(private readonly deps: { store: AttendanceStore; clock: Clock }) {}

  list(query: { status: OutboxStatus; afterSeq?: number; limit: number }): Promise<OutboxRecord[]> {
    return this.deps.store.listOutbox(query);
  }

  /**
   * Puts every `failed` event back to `pending`, due now and retried for another 24 hours, with the
   * same `webhook-id`; returns how many. A retried event goes ahead of its room's later events
   * that are still pending, but after those already delivered.
   */
  retryFailed(): Promise<number> {
    const nowMs = this.deps.clock.now();
    return this.deps.store.retryFailedOutbox(nowMs, nowMs + OUTBOUND_RETRY_WINDOW_MS);
  }
}
