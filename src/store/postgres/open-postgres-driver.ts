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
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export function openPostgresDriver(connectionString: string, logger?: StoreLogger): StoreDriver {
  const pool = new pg.Pool({ connectionString, types });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash.
  pool.on('error', (err) => logger?.warn({ err }, 'postgres idle connection failed'));
  const db = new Kysely<Database>({ dialect: new AttendancePostgresDialect({ pool }) });
  return {
    dialect: 'postgres',
    db,
    encodeBoolean: (value) => value,
    async migrationTableSchema() {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      const schema = rows[0]?.schema;
      if (schema === undefined) throw new Error('search_path names no existing schema');
      return schema;
    },
  };
}
