import { Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../rows.js';
import type { StoreDriver, StoreLogger } from '../store-driver.js';
import { AttendancePostgresDialect } from './attendance-postgres-dialect.js';

const INT8_OID = 20;

/**
 * int8 (BIGINT, bigserial, count(*)) as a JS number instead of pg's default string, for this
 * pool only: other pg users in the process keep their parsers. Epoch ms and seqs stay < 2^53.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(oid, format) as (
          value: string,
        ) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Advisory lock key for cycle writers: an arbitrary constant ('lkattend' in ASCII). */
const WRITER_LOCK_KEY = 0x6c6b617474656e64n.toString();

export function openPostgresDriver(connectionString: string, logger?: StoreLogger): StoreDriver {
  const pool = new pg.Pool({ connectionString, types });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash.
  pool.on('error', (err) => logger?.warn({ err }, 'postgres idle connection failed'));
  const db = new Kysely<Database>({ dialect: new AttendancePostgresDialect({ pool }) });
  return {
    dialect: 'postgres',
    db,
    // Two instances applying webhooks for the same sid would otherwise both read "no cycle" and the
    // later upsert would overwrite the other. One transaction-scoped advisory lock serialises every
    // cycle-writing transaction; batches are group commits, so this costs little throughput.
    async serializeWriters(trx) {
      await sql`select pg_advisory_xact_lock(${WRITER_LOCK_KEY})`.execute(trx);
    },
    encodeBoolean: (value) => value,
    async migrationTableSchema() {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      const schema = rows[0]?.schema;
      if (schema === undefined) throw new Error('search_path names no existing schema');
      return schema;
    },
  };
}
