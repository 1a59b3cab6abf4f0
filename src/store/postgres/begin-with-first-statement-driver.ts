import { AbortedTransactionError, CompiledQuery } from 'kysely';
import type { DatabaseConnection, Driver, QueryResult, TransactionSettings } from 'kysely';
import type pg from 'pg';
import { preparedStatementName } from './prepared-statements.js';

/**
 * A Kysely driver for node-postgres that does what Kysely's own PostgresDriver does, except that a
 * transaction's `begin` is not a round trip of its own: it is held back and sent in front of the
 * transaction's first statement when that statement has no parameters (the room locks of every
 * write transaction), as one simple-protocol query `begin; <statement>`. When the first statement
 * has parameters, `begin` goes alone just before it. Either way PostgreSQL runs exactly the
 * statements asked for, in order; a transaction that runs none sends nothing at all.
 *
 * Every statement is a round trip (node-postgres does not pipeline), and the webhook ingest
 * transaction is a handful of them, so one fewer is several per cent of PostgreSQL ingest.
 * Statements made with preparedStatement run as named prepared statements.
 */
export class BeginWithFirstStatementDriver implements Driver {
  #pool: pg.Pool | undefined;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const pool = this.#pool;
    if (pool === undefined) throw new Error('driver has already been destroyed');
    return new PgConnection(await pool.connect());
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    const conn = asPg(connection);
    if (settings.isolationLevel === undefined && settings.accessMode === undefined) {
      conn.holdBegin();
      return;
    }
    let start = 'start transaction';
    if (settings.isolationLevel !== undefined)
      start += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode !== undefined) start += ` ${settings.accessMode}`;
    await conn.executeQuery(CompiledQuery.raw(start));
  }

  async commitTransaction(connection: DatabaseConnection) {
    const conn = asPg(connection);
    if (conn.dropHeldBegin()) return; // nothing ran, so nothing began
    const { rows } = await conn.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'));
    // PostgreSQL answers COMMIT with ROLLBACK when an earlier error aborted the transaction.
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection) {
    const conn = asPg(connection);
    if (conn.dropHeldBegin()) return;
    try {
      await conn.executeQuery(CompiledQuery.raw('rollback'));
    } catch (err) {
      conn.discard = true; // its state is unknown: the pool must not hand it out again
      throw err;
    }
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    const conn = asPg(connection);
    conn.dropHeldBegin();
    // pg-pool destroys a client released with an error instead of keeping it.
    conn.client.release(conn.discard ? new Error('connection discarded') : undefined);
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }
}

function asPg(connection: DatabaseConnection): PgConnection {
  if (connection instanceof PgConnection) return connection;
  throw new Error('connection was not acquired from BeginWithFirstStatementDriver');
}

const COMMANDS_WITH_ROW_COUNT = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

class PgConnection implements DatabaseConnection {
  #beginHeld = false;
  discard = false;

  constructor(readonly client: pg.PoolClient) {}

  holdBegin(): void {
    this.#beginHeld = true;
  }

  /** Forgets a held `begin`; true if there was one (the transaction never reached the server). */
  dropHeldBegin(): boolean {
    const held = this.#beginHeld;
    this.#beginHeld = false;
    return held;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    let text = query.sql;
    if (this.dropHeldBegin()) {
      if (query.parameters.length === 0) text = `begin; ${text}`;
      else await this.client.query('begin');
    }
    // Without parameters node-postgres uses the simple protocol, which answers a query of two
    // statements with two results: the asked-for statement's is the last. A prepared statement
    // always has parameters, so it is never sent behind a `begin`.
    const name = preparedStatementName(text);
    const values = [...query.parameters];
    const answer = (await (name === undefined
      ? this.client.query(text, values)
      : this.client.query({ name, text, values }))) as
      pg.QueryResult<R & object> | pg.QueryResult<R & object>[];
    const result = Array.isArray(answer) ? answer[answer.length - 1] : answer;
    if (result === undefined) return { rows: [] };
    const { command, rowCount, rows } = result;
    if (command === 'ROLLBACK' || command === 'COMMIT') return { rows: [{ command } as R] };
    return {
      numAffectedRows: COMMANDS_WITH_ROW_COUNT.has(command) ? BigInt(rowCount ?? 0) : undefined,
      rows: rows,
    };
  }

  // The store reads no result as a stream.
  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported by this driver');
  }
}
