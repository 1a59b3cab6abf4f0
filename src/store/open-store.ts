import { sql } from 'kysely';
import { AttendanceError } from '../core/index.js';
import { createKyselyStore } from './kysely-store.js';
import { parseDatabaseUrl } from './parse-database-url.js';
import { openPostgresDriver } from './postgres/open-postgres-driver.js';
import { openSqliteDriver, type SqliteDriverOptions } from './sqlite/open-sqlite-driver.js';
import type { ReadCacheOptions } from './sqlite/read-cache.js';
import type { StoreLogger } from './store-driver.js';
import type { AttendanceStore } from './store.js';

export interface OpenStoreOptions {
  logger?: StoreLogger;
  /**
   * SQLite: the status cache: most entries (0: none; default 10000) and a lookup observer (for
   * metrics). PostgreSQL has no cache.
   */
  statusCache?: ReadCacheOptions;
  /**
   * SQLite: durability (`synchronous`, default `full`), the longest wait for another
   * connection's lock (default 5 s) and a lock-wait observer. PostgreSQL ignores them.
   */
  sqlite?: Omit<SqliteDriverOptions, 'statusCache'>;
}

/**
 * Opens the store named by a `DATABASE_URL` (see parseDatabaseUrl) and checks it answers, so a
 * wrong URL fails at startup. Does not migrate: call `migrate()`.
 * Throws `config_invalid` for a bad URL and `database_unavailable` when the database cannot be
 * opened or reached (the driver's error is the `cause`).
 */
export async function openStore(
  databaseUrl: string,
  opts: OpenStoreOptions = {},
): Promise<AttendanceStore> {
  const target = parseDatabaseUrl(databaseUrl);
  let store: AttendanceStore | undefined;
  try {
    const driver =
      target.dialect === 'sqlite'
        ? await openSqliteDriver(target.filename, { ...opts.sqlite, statusCache: opts.statusCache })
        : openPostgresDriver(target.connectionString, opts.logger);
    store = createKyselyStore(driver, opts.logger);
    await sql`select 1`.execute(driver.db);
  } catch (e: unknown) {
    await store?.close().catch(() => undefined);
    throw new AttendanceError(
      'database_unavailable',
      `cannot open the ${target.dialect} database`,
      {
        cause: e,
      },
    );
  }
  opts.logger?.info({ dialect: target.dialect }, 'store opened');
  return store;
}
