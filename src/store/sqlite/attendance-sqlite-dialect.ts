import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, SqliteAdapter, SqliteDialect, SqliteDriver } from 'kysely';
import type { DatabaseConnection, DialectAdapter, Driver, QueryResult } from 'kysely';
import { withStatementCache } from './statement-cache.js';
import { waitWhileBusy, type LockWaitObserver } from './wait-while-busy.js';

export interface AttendanceSqliteDialectConfig {
  database: BetterSqlite3.Database;
  /** Longest wait for another connection's lock, in ms (default LOCK_WAIT_MS, 5 s). */
  lockWaitMs?: number | undefined;
  onLockWait?: LockWaitObserver | undefined;
}

/**
 * Kysely's SQLite dialect with three changes for several processes sharing one file:
 * - transactions start with BEGIN IMMEDIATE: a deferred transaction that reads and then writes
 *   gets SQLITE_BUSY at once when another process writes, and busy_timeout cannot help it;
 * - a statement that finds the database locked is retried asynchronously (waitWhileBusy) instead
 *   of in SQLite's busy handler, which better-sqlite3 runs on the event loop;
 * - migrations run in a transaction (SQLite has transactional DDL), whose write lock is then the
 *   cross-process migration lock that Kysely's SqliteAdapter leaves to the single connection.
 */
export class AttendanceSqliteDialect extends SqliteDialect {
  readonly #config: AttendanceSqliteDialectConfig;

  constructor(config: AttendanceSqliteDialectConfig) {
    super({ database: config.database });
    this.#config = config;
  }

  override createDriver(): Driver {
    return new AttendanceSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }
}

class AttendanceSqliteDriver extends SqliteDriver {
  readonly #config: AttendanceSqliteDialectConfig;
  #connection: DatabaseConnection | undefined;

  constructor(config: AttendanceSqliteDialectConfig) {
    super({ database: withStatementCache(config.database) });
    this.#config = config;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await super.acquireConnection();
    this.#connection ??= new BusyRetryingConnection(inner, this.#config);
    return this.#connection;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * Which statements can meet SQLITE_BUSY in WAL mode, and what is retried:
 * - BEGIN IMMEDIATE, and any statement run outside a transaction that writes (the lease, the
 *   migrator's table set-up): they need the one write lock. Outside a transaction a statement
 *   that failed with SQLITE_BUSY changed nothing, so running it again is safe.
 * - reads, only briefly: while another connection recovers the WAL after a crash or the last
 *   connection to close cleans it up. Outside a transaction they are retried like writes.
 * - COMMIT: not in WAL mode once BEGIN IMMEDIATE holds the write lock; if it ever were, SQLite
 *   leaves the transaction open and documents retrying COMMIT, which is what happens.
 * Statements inside a transaction hold the write lock already and are never retried: a failure
 * there fails the transaction, which Kysely rolls back.
 */
class BusyRetryingConnection implements DatabaseConnection {
  constructor(
    private readonly inner: DatabaseConnection,
    private readonly config: AttendanceSqliteDialectConfig,
  ) {}

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { database } = this.config;
    const commit = /^\s*commit\b/i.test(compiledQuery.sql);
    if (database.inTransaction && !commit) return this.inner.executeQuery<R>(compiledQuery);
    return waitWhileBusy(
      commit ? 'commit' : firstWord(compiledQuery.sql),
      () => {
        if (commit && !database.inTransaction) {
          // The transaction ended with the failed COMMIT: nothing is left to retry.
          throw new Error('the transaction ended while its COMMIT waited for a lock');
        }
        return this.inner.executeQuery<R>(compiledQuery);
      },
      { maxWaitMs: this.config.lockWaitMs, onWait: this.config.onLockWait },
    );
  }

  streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize?: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(compiledQuery, chunkSize);
  }
}

/** `begin`, `insert`, `select`…: what waited, for the error message (never parameters). */
function firstWord(sql: string): string {
  return /^\s*(\w+(?:\s+immediate)?)/i.exec(sql)?.[1]?.toLowerCase() ?? 'statement';
}

class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
