import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import type { Database as Tables } from '../rows.js';
import type { StoreDriver } from '../store-driver.js';
import { AttendanceSqliteDialect } from './attendance-sqlite-dialect.js';
import { createAuditIndexer } from './audit-index.js';
import { createPreparedReads } from './prepared-reads.js';
import { SqliteReadCache } from './read-cache.js';
import { createPreparedWrites } from './prepared-writes.js';
import type { ReadCacheOptions } from './read-cache.js';
import { waitWhileBusy, type LockWaitObserver } from './wait-while-busy.js';

export const MEMORY_FILENAME = ':memory:';
/** Page cache per connection, in KiB (64 MiB). */
const CACHE_KIB = 64 * 1024;
/** Memory-mapped I/O window (256 MiB); pages beyond it are read as usual. */
const MMAP_BYTES = 256 * 1024 * 1024;
/**
 * WAL pages after which a COMMIT checkpoints (SQLite's default is 1,000, 4 MiB). A checkpoint
 * copies every page the WAL holds into the database file once, however often it was rewritten;
 * ingest rewrites the same index pages (a room's inbox and audit entries, its cycles) commit after
 * commit, so checkpointing every ~40 MiB copies far fewer pages per webhook than every 4 MiB
 * (measured: ~10 % more webhooks per second on SQLite ingest). The WAL file grows to about this
 * size and stays there.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** SQLite's `synchronous` levels this service offers (WAL mode). */
export const SQLITE_SYNCHRONOUS_LEVELS = ['full', 'normal'] as const;
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS_LEVELS)[number];

export interface SqliteDriverOptions {
  statusCache?: ReadCacheOptions | undefined;
  /**
   * `full` (default): every commit is on disk (the WAL fsynced) before it returns, so an
   * acknowledged webhook survives a power loss or an OS crash. `normal`: the WAL is fsynced only at
   * checkpoints; a power loss may drop the last commits (never corrupts), a process crash loses
   * nothing. Ingest group-commits, so `full` costs one fsync per batch, not per webhook.
   */
  synchronous?: SqliteSynchronous | undefined;
  /** Longest wait for another connection's lock, in ms; default LOCK_WAIT_MS (5 s). */
  lockWaitMs?: number | undefined;
  /** Told each time a statement found the database locked and waits (metrics, tests). */
  onLockWait?: LockWaitObserver | undefined;
  /** How often transactions index the audit trail, in ms (AUDIT_INDEX_INTERVAL_MS; tests). */
  auditIndexIntervalMs?: number | undefined;
}

/** Opens (creating the file and its parent directory if missing) one better-sqlite3 connection. */
export async function openSqliteDriver(
  filename: string,
  opts: SqliteDriverOptions = {},
): Promise<StoreDriver> {
  if (filename !== MEMORY_FILENAME) mkdirSync(dirname(filename), { recursive: true });
  // busy_timeout 0: SQLite's busy handler sleeps on the calling thread, which for better-sqlite3 is
  // the event loop. A locked database answers SQLITE_BUSY at once and waitWhileBusy waits instead.
  const database = new Database(filename, { timeout: 0 });
  const wait = { maxWaitMs: opts.lockWaitMs, onWait: opts.onLockWait };
  try {
    database.pragma('busy_timeout = 0');
    await enableWal(database, wait);
    database.pragma(`synchronous = ${(opts.synchronous ?? 'full').toUpperCase()}`);
    database.pragma('foreign_keys = ON');
    // SQLite's default page cache is 2 MiB, smaller than the cycles table and index of a busy
    // deployment; a larger cache and memory-mapped reads keep status reads off the disk.
    database.pragma(`cache_size = -${CACHE_KIB}`);
    database.pragma(`mmap_size = ${MMAP_BYTES}`);
    database.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  } catch (e: unknown) {
    database.close();
    throw e;
  }
  const db = new Kysely<Tables>({
    dialect: new AttendanceSqliteDialect({
      database,
      lockWaitMs: opts.lockWaitMs,
      onLockWait: opts.onLockWait,
    }),
  });
  const auditIndexer = createAuditIndexer(database, { intervalMs: opts.auditIndexIntervalMs });
  return {
    dialect: 'sqlite',
    db,
    createHotReads: createPreparedReads(database, db, opts.statusCache ?? {}),
    createTransactionHotOps: createPreparedWrites(database),
    createReadCache<V>(maxEntries: number) {
      const cache = new SqliteReadCache<V>(database, { maxEntries });
      return { get: (key: string, read: () => Promise<V>) => cache.getAsync(key, read) };
    },
    encodeBoolean: (value) => (value ? 1 : 0),
    // Every process on the file shares this machine's clock.
    nowMsSql: sql<number>`cast((julianday('now') - 2440587.5) * 86400000 as integer)`,
    lockRows: false,
    migrationTableSchema: () => Promise.resolve(undefined),
    beforeCommit: () => auditIndexer.indexIfDue(),
    async beforeClose(logger) {
      // What this process wrote in its last second, so that the next reader need not scan it.
      try {
        if (auditIndexer.shouldIndexAtClose()) {
          await db.transaction().execute(() => Promise.resolve(auditIndexer.indexAll()));
        }
      } catch (e: unknown) {
        logger?.warn(
          { err: e },
          "could not index the audit trail's latest records at close; they stay readable, " +
            'and the next process to write indexes them',
        );
      }
    },
  };
}

/**
 * WAL lets readers run beside the writer. Switching a new file to WAL needs an exclusive lock,
 * which another connection's open transaction (or several processes opening the file at once,
 * reproduced with 6) keeps it from getting. The mode persists in the file, so a retry soon finds
 * it already set.
 */
async function enableWal(
  database: Database.Database,
  wait: Parameters<typeof waitWhileBusy>[2],
): Promise<void> {
  await waitWhileBusy('journal_mode = WAL', () => database.pragma('journal_mode = WAL'), wait);
}
