import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { mergeOps } from '../merge-ops.js';
import type { Database } from '../rows.js';
import type { StoreDriver, StoreLogger } from '../store-driver.js';
import { AttendancePostgresDialect } from './attendance-postgres-dialect.js';
import { createBulkWrites, writeBookkeeping } from './bulk-writes.js';
import { createFoldInputsRead } from './fold-inputs.js';
import { SnapshotReadCache } from './snapshot-read-cache.js';

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

/** Advisory lock class of room writers ('lkat' in ASCII); the object is the room's key. */
const ROOM_LOCK_CLASS = 0x6c6b6174;

/**
 * A room's advisory-lock key: FNV-1a over its UTF-8 bytes, as a signed 32-bit integer. Two rooms
 * sharing a key only serialise each other; the key is computed here so that locks can be taken in
 * one global order (ascending key) in a single statement.
 */
export function roomLockKey(room: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(room, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export function openPostgresDriver(connectionString: string, logger?: StoreLogger): StoreDriver {
  const pool = new pg.Pool({ connectionString, types });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash.
  pool.on('error', (err) => logger?.warn({ err }, 'postgres idle connection failed'));
  // A checked-out client whose connection ends between statements (the server restarted, say)
  // emits 'error' on itself, where pg-pool listens only while it is idle: unhandled, that crashes
  // the process. Handled, its next statement fails instead and the pool drops it on release.
  const lostInUse = (err: Error) =>
    logger?.warn({ err }, 'postgres connection failed while in use');
  pool.on('acquire', (client) => client.on('error', lostInUse));
  pool.on('release', (_err, client) => client.removeListener('error', lostInUse));
  const db = new Kysely<Database>({ dialect: new AttendancePostgresDialect({ pool }) });
  return {
    dialect: 'postgres',
    db,
    // Two instances applying webhooks for the same sid would otherwise both read "no cycle" and the
    // later upsert would overwrite the other. A sid belongs to one room, so one transaction-scoped
    // advisory lock per room serialises the writers of that room and nobody else. Keys are taken
    // in ascending order (volatile target-list functions run after ORDER BY), so transactions that
    // share rooms never deadlock on them.
    async holdRooms(trx, rooms) {
      const keys = [...new Set(rooms.map((r) => roomLockKey(r ?? '')))].sort((a, b) => a - b);
      if (keys.length === 0) return;
      // No parameters (the keys are int32s computed here), so that the driver can send it in
      // one round trip with the transaction's `begin`.
      await sql`select pg_advisory_xact_lock(${sql.lit(ROOM_LOCK_CLASS)}::int4, k)
        from unnest(${sql.lit(`{${keys.join(',')}}`)}::int4[]) with ordinality as t(k, i)
        order by i`.execute(trx);
    },
    nowMsSql: sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`,
    createTransactionHotOps: (trx) => mergeOps(createFoldInputsRead(trx), createBulkWrites(trx)),
    // Checking costs a round trip: worth it only for a heavy read.
    createReadCache: <V>(maxEntries: number, opts: { heavy: boolean }) =>
      opts.heavy ? new SnapshotReadCache<V>(db, maxEntries) : undefined,
    lockRows: true,
    writeBookkeeping,
    encodeBoolean: (value) => value,
    async migrationTableSchema() {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      const schema = rows[0]?.schema;
      if (schema === undefined) throw new Error('search_path names no existing schema');
      return schema;
    },
  };
}
