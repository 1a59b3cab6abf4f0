import type { Kysely, RawBuilder } from 'kysely';
import type { AuditRecord } from '../core/index.js';
import type { DbBoolean } from './rows.js';
import type { Database } from './rows.js';
import type { ReadCache, StoreOps, WebhookTally } from './store.js';

/** What the generic Kysely store needs from a dialect folder (`sqlite/`, `postgres/`). */
export interface StoreDriver {
  readonly dialect: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  /** How this database stores a boolean column. */
  encodeBoolean(value: boolean): DbBoolean;
  /**
   * Schema of Kysely's migration tables, or undefined for the connection's default. PostgreSQL
   * must name it: without a schema the Migrator looks for its table in every schema.
   */
  migrationTableSchema(): Promise<string | undefined>;
  /**
   * Optional faster versions of hot reads for the store outside transactions, built around the
   * generic ones (which they may fall back to).
   */
  createHotReads?(generic: StoreOps): Pick<StoreOps, 'getIdentityAttendance'>;
  /** A read cache emptied on every change; absent or undefined: the store reads every time. */
  createReadCache?<V>(maxEntries: number, opts: { heavy: boolean }): ReadCache<V> | undefined;
  /**
   * Runs first in a store transaction that rewrites the cycles of `rooms`, so that two
   * read-modify-write transactions of one room never interleave, also across processes, while
   * other rooms' transactions go on. SQLite needs nothing (BEGIN IMMEDIATE takes its one write lock).
   */
  holdRooms?(trx: Kysely<Database>, rooms: readonly (string | null)[]): Promise<void>;
  /** SQL for the database's clock in epoch ms (leases expire by it, never by an instance's clock). */
  readonly nowMsSql: RawBuilder<number>;
  /** Row-locking suffix for claims and fences: PostgreSQL locks, SQLite's one writer needs none. */
  readonly lockRows: boolean;
  /**
   * Present: a transaction's audit and tally writes are held to its end and written by this, in
   * one statement (a round trip saved where every statement is one: PostgreSQL).
   */
  readonly writeBookkeeping?: (
    trx: Kysely<Database>,
    records: readonly AuditRecord[],
    tallies: readonly WebhookTally[],
  ) => Promise<void>;
  /** Optional faster versions of the ingest transaction's statements, used only in transactions. */
  createTransactionHotOps?(trx: Kysely<Database>): Partial<StoreOps>;
  /**
   * Runs last in every store transaction that succeeded, just before its COMMIT, on the connection
   * the transaction holds: SQLite indexes its audit records there (sqlite/audit-index.ts).
   */
  beforeCommit?(trx: Kysely<Database>): void;
  /** Runs once at close, before the connections close; logs its failures, never throws. */
  beforeClose?(logger: StoreLogger | undefined): Promise<void>;
}

/** The narrow logger the store uses; pino's Logger fits. */
export interface StoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Rows per multi-row statement: below SQLite's 32,766 bound variables and PostgreSQL's 65,535. */
export const MAX_PARAMETERS_PER_STATEMENT = 30_000;

/** Splits items so that each chunk binds at most MAX_PARAMETERS_PER_STATEMENT values. */
export function chunkForParameters<T>(items: readonly T[], parametersPerItem: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMETERS_PER_STATEMENT / parametersPerItem));
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
