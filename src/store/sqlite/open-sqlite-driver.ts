import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import type { Database as Tables } from '../rows.js';
import type { StoreDriver } from '../store-driver.js';
import { AttendanceSqliteDialect } from './attendance-sqlite-dialect.js';
import { createPreparedReads } from './prepared-reads.js';
import { createPreparedWrites } from './prepared-writes.js';
import type { ReadCacheOptions } from './read-cache.js';

export const MEMORY_FILENAME = ':memory:';
const BUSY_TIMEOUT_MS = 5_000;
const WAL_RETRY_DELAY_MS = 20;
/** Page cache per connection, in KiB (64 MiB). */
const CACHE_KIB = 64 * 1024;
/** Memory-mapped I/O window (256 MiB); pages beyond it are read as usual. */
const MMAP_BYTES = 256 * 1024 * 1024;

/** Opens (creating the file and its parent directory if missing) one better-sqlite3 connection. */
export async function openSqliteDriver(
  filename: string,
  opts: { statusCache?: ReadCacheOptions | undefined } = {},
): Promise<StoreDriver> {
  if (filename !== MEMORY_FILENAME) mkdirSync(dirname(filename), { recursive: true });
  const database = new Database(filename, { timeout: BUSY_TIMEOUT_MS });
  try {
    // busy_timeout: another connection holding the write lock is waited for, not an error.
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    await enableWal(database);
    // NORMAL is durable enough under WAL: a power loss may drop the last commits, never corrupts.
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // SQLite's default page cache is 2 MiB, smaller than the cycles table and index of a busy
    // deployment; a larger cache and memory-mapped reads keep status reads off the disk.
    database.pragma(`cache_size = -${CACHE_KIB}`);
    database.pragma(`mmap_size = ${MMAP_BYTES}`);
  } catch (e: unknown) {
    database.close();
    throw e;
  }
  const db = new Kysely<Tables>({ dialect: new AttendanceSqliteDialect({ database }) });
  return {
    dialect: 'sqlite',
    db,
    createHotReads: createPreparedReads(database, db, opts.statusCache ?? {}),
    createTransactionHotOps: createPreparedWrites(database),
    encodeBoolean: (value) => (value ? 1 : 0),
    // Every process on the file shares this machine's clock.
    nowMsSql: sql<number>`cast((julianday('now') - 2440587.5) * 86400000 as integer)`,
    lockRows: false,
    migrationTableSchema: () => Promise.resolve(undefined),
  };
}

/**
 * WAL lets readers run beside the writer. Switching a new file to WAL needs an exclusive lock,
 * and when several processes open the file at once SQLite answers SQLITE_BUSY without waiting
 * for busy_timeout (reproduced with 6 processes). The mode persists in the file, so a retry
 * soon finds it already set.
 */
async function enableWal(database: Database.Database): Promise<void> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      database.pragma('journal_mode = WAL');
      return;
    } catch (e: unknown) {
      const busy = e instanceof Database.SqliteError && e.code === 'SQLITE_BUSY';
      if (!busy || Date.now() >= deadline) throw e;
      await sleep(WAL_RETRY_DELAY_MS);
    }
  }
}
