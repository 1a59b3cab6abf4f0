import type { AttendanceStore, StoreOps } from '../store/index.js';

/**
 * Serialises every transaction that rewrites cycles within this process, so two read-modify-write
 * transactions never race on the same sid (ingest batches, reconcile passes, retries). Across
 * processes the store's own transaction lock does the same.
 */
export class StoreWriter {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly store: AttendanceStore) {}

  write<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    const run = this.tail.then(
      () => this.store.transaction(fn),
      () => this.store.transaction(fn),
    );
    this.tail = run.catch(() => undefined);
    return run;
  }
}
