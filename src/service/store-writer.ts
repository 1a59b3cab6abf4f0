import type { AttendanceStore, StoreOps } from '../store/index.js';

/**
 * Runs the transactions that rewrite cycles. On SQLite (one connection, one writer) they are
 * queued in this process so that none waits on the database's lock; across processes BEGIN
 * IMMEDIATE serialises them. On PostgreSQL each transaction holds just the rooms it writes
 * (advisory locks in the store), so the rooms of one instance, and of several, are written
 * concurrently.
 */
export class StoreWriter {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly store: AttendanceStore) {}

  /** `rooms`: every room whose cycles fn reads to rewrite (see AttendanceStore.transaction). */
  write<T>(
    fn: (tx: StoreOps) => Promise<T>,
    opts: { rooms: readonly (string | null)[] },
  ): Promise<T> {
    if (this.store.dialect === 'postgres') return this.store.transaction(fn, opts);
    const run = this.tail.then(
      () => this.store.transaction(fn, opts),
      () => this.store.transaction(fn, opts),
    );
    this.tail = run.catch(() => undefined);
    return run;
  }
}
