import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import {
  fromIdentityAttendanceRows,
  selectIdentityAttendance,
  selectRoomLastVerifiedAt,
} from '../cycle-ops.js';
import type { IdentityAttendanceRow } from '../cycle-ops.js';
import type { Database } from '../rows.js';
import type { IdentityAttendanceRows, StoreOps } from '../store.js';
import { SqliteReadCache, type ReadCacheOptions } from './read-cache.js';
import { isSqliteBusy } from './wait-while-busy.js';

type HotReads = Pick<StoreOps, 'getIdentityAttendance'>;

const ROOM = '\u0000room';
const IDENTITY = '\u0000identity';

/**
 * The status read through better-sqlite3 statements prepared once, from the SQL Kysely compiles
 * for the generic path (so there is one definition of the query), with results kept in a
 * SqliteReadCache until the database changes. Measured on 20k cycles: ~86 µs per read through
 * Kysely (build, compile, prepare, mutex), ~13 µs prepared, ~2 µs from the cache. The rows are
 * shared between callers, so they are frozen.
 */
export function createPreparedReads(
  database: BetterSqlite3.Database,
  db: Kysely<Database>,
  cacheOptions: ReadCacheOptions,
): (generic: StoreOps) => HotReads {
  return (generic) => {
    // Prepared on first use: the tables exist only once migrate() has run.
    let prepared: ReturnType<typeof prepare> | undefined;
    const prepare = () => ({
      cycles: bind(database, selectIdentityAttendance(db, ROOM, IDENTITY).compile()),
      verified: bind(database, selectRoomLastVerifiedAt(db, ROOM).compile()),
      cache: new SqliteReadCache<Readonly<IdentityAttendanceRows>>(database, cacheOptions),
    });
    const read = (room: string, identity: string): Readonly<IdentityAttendanceRows> => {
      const p = (prepared ??= prepare());
      const values = { [ROOM]: room, [IDENTITY]: identity };
      const rows = p.cycles.all(values) as IdentityAttendanceRow[];
      if (rows.length > 0) return deepFreeze(fromIdentityAttendanceRows(rows));
      const verified = p.verified.get(values) as { last_verified_at_ms: number | null } | undefined;
      return deepFreeze({ cycles: [], lastVerifiedAtMs: verified?.last_verified_at_ms ?? null });
    };
    return {
      getIdentityAttendance(room, identity) {
        // Kysely keeps the one connection across awaits while a transaction runs; reading now
        // would see its uncommitted writes. Queue behind it like any other query instead.
        if (database.inTransaction) return generic.getIdentityAttendance(room, identity);
        try {
          prepared ??= prepare();
          // Length-prefixed: no (room, identity) pair can spell another's key.
          const key = `${room.length}:${room}${identity}`;
          return Promise.resolve(prepared.cache.get(key, () => read(room, identity)));
        } catch (e: unknown) {
          // A WAL read meets SQLITE_BUSY only while another connection recovers or cleans up the
          // WAL; the generic read waits for that without blocking the event loop.
          if (isSqliteBusy(e)) return generic.getIdentityAttendance(room, identity);
          return Promise.reject(e instanceof Error ? e : new Error(String(e)));
        }
      },
    };
  };
}

function deepFreeze(rows: IdentityAttendanceRows): Readonly<IdentityAttendanceRows> {
  for (const cycle of rows.cycles) Object.freeze(cycle);
  Object.freeze(rows.cycles);
  return Object.freeze(rows);
}

/** Prepares a compiled query whose parameters are the sentinels above, in whatever order. */
function bind(
  database: BetterSqlite3.Database,
  compiled: { sql: string; parameters: readonly unknown[] },
) {
  const statement = database.prepare(compiled.sql);
  const order = compiled.parameters.map((p) => {
    if (p !== ROOM && p !== IDENTITY) throw new Error(`unexpected parameter in ${compiled.sql}`);
    return p;
  });
  return {
    all: (values: Record<string, string>) => statement.all(order.map((p) => values[p])),
    get: (values: Record<string, string>) => statement.get(order.map((p) => values[p])),
  };
}
