import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import {
  fromIdentityAttendanceRows,
  selectIdentityAttendance,
  selectRoomLastVerifiedAt,
} from '../cycle-ops.js';
import type { IdentityAttendanceRow } from '../cycle-ops.js';
import type { Database } from '../rows.js';
import type { StoreOps } from '../store.js';

type HotReads = Pick<StoreOps, 'getIdentityAttendance'>;

const ROOM = '\u0000room';
const IDENTITY = '\u0000identity';

/**
 * The status read through better-sqlite3 statements prepared once, from the SQL Kysely compiles
 * for the generic path (so there is one definition of the query). Measured on 20k cycles:
 * ~86 µs per read through Kysely (build, compile, prepare, mutex) against ~46 µs here.
 */
export function createPreparedReads(
  database: BetterSqlite3.Database,
  db: Kysely<Database>,
): (generic: StoreOps) => HotReads {
  return (generic) => {
    // Prepared on first use: the tables exist only once migrate() has run.
    let prepared: ReturnType<typeof prepare> | undefined;
    const prepare = () => ({
      cycles: bind(database, selectIdentityAttendance(db, ROOM, IDENTITY).compile()),
      verified: bind(database, selectRoomLastVerifiedAt(db, ROOM).compile()),
    });
    return {
      getIdentityAttendance(room, identity) {
        // Kysely keeps the one connection across awaits while a transaction runs; reading now
        // would see its uncommitted writes. Queue behind it like any other query instead.
        if (database.inTransaction) return generic.getIdentityAttendance(room, identity);
        try {
          prepared ??= prepare();
          const values = { [ROOM]: room, [IDENTITY]: identity };
          const rows = prepared.cycles.all(values) as IdentityAttendanceRow[];
          if (rows.length > 0) return Promise.resolve(fromIdentityAttendanceRows(rows));
          const verified = prepared.verified.get(values) as
            { last_verified_at_ms: number | null } | undefined;
          return Promise.resolve({
            cycles: [],
            lastVerifiedAtMs: verified?.last_verified_at_ms ?? null,
          });
        } catch (e: unknown) {
          return Promise.reject(e instanceof Error ? e : new Error(String(e)));
        }
      },
    };
  };
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
