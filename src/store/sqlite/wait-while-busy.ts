import Database from 'better-sqlite3';
import { AttendanceError } from '../../core/index.js';

/** How long a statement waits, in all, for another connection's lock before it fails: 5 s. */
export const LOCK_WAIT_MS = 5_000;
/** First pause after SQLITE_BUSY; doubles up to LOCK_RETRY_MAX_DELAY_MS. */
const LOCK_RETRY_MIN_DELAY_MS = 1;
const LOCK_RETRY_MAX_DELAY_MS = 50;

/** Told each time a statement found the database locked and will try again (metrics, tests). */
export type LockWaitObserver = (what: string) => void;

/** The database stayed locked by another connection (the CLI, another process) past the bound. */
export class DatabaseBusyError extends AttendanceError {
  constructor(what: string, waitedMs: number, options?: { cause?: unknown }) {
    super(
      'database_busy',
      `the SQLite database stayed locked by another connection for ${waitedMs} ms (${what})`,
      options,
    );
    this.name = 'DatabaseBusyError';
  }
}

/** SQLITE_BUSY and its extended codes (better-sqlite3 reports extended result codes). */
export function isSqliteBusy(e: unknown): boolean {
  return (
    e instanceof Database.SqliteError &&
    (e.code === 'SQLITE_BUSY' || e.code.startsWith('SQLITE_BUSY_'))
  );
}

/**
 * Runs `attempt` until it does not fail with SQLITE_BUSY, pausing asynchronously between tries
 * (1 ms doubling to 50 ms), for at most `maxWaitMs` in all; then fails with DatabaseBusyError.
 * This replaces SQLite's busy_timeout, which better-sqlite3 waits out synchronously: the event loop
 * (and /healthz with it) froze for as long as another process held the write lock.
 * Only for statements that leave nothing behind when they fail with SQLITE_BUSY (see
 * AttendanceSqliteDialect for which those are).
 */
export async function waitWhileBusy<T>(
  what: string,
  attempt: () => T | Promise<T>,
  opts: { maxWaitMs?: number | undefined; onWait?: LockWaitObserver | undefined } = {},
): Promise<T> {
  const maxWaitMs = opts.maxWaitMs ?? LOCK_WAIT_MS;
  // Wall time on the monotonic clock: the bound is what a caller (and LiveKit) waits.
  const startedAt = performance.now();
  let delayMs = LOCK_RETRY_MIN_DELAY_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (e: unknown) {
      if (!isSqliteBusy(e)) throw e;
      const waitedMs = performance.now() - startedAt;
      if (waitedMs >= maxWaitMs) {
        throw new DatabaseBusyError(what, Math.round(waitedMs), { cause: e });
      }
      opts.onWait?.(what);
      const pauseMs = Math.min(delayMs, maxWaitMs - waitedMs);
      // The global timer (not node:timers/promises), so tests can drive it with fake timers.
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      delayMs = Math.min(delayMs * 2, LOCK_RETRY_MAX_DELAY_MS);
    }
  }
}
