import { sql, type Kysely } from 'kysely';
import { fromCycleRow, toCycleRow } from './rows.js';
import type { CycleRow, Database } from './rows.js';
import { chunkForParameters } from './store-driver.js';
import type { StoreDriver } from './store-driver.js';
import type { IdentityAttendanceRows, StoreOps } from './store.js';
import type { Cycle } from '../core/index.js';

export type CycleOps = Pick<
  StoreOps,
  | 'getCycles'
  | 'saveCycles'
  | 'getIdentityAttendance'
  | 'listRoomCycles'
  | 'listOpenCycles'
  | 'listOpenCyclesByRoomSid'
  | 'listIncarnationCycles'
  | 'listUnconfirmedEnds'
>;

/** Every cycles column (rows.ts); the upsert rewrites all but the key. */
export const CYCLE_COLUMNS = [
  'sid',
  'room',
  'room_sid',
  'room_sid_rank',
  'identity',
  'name',
  'name_version',
  'kind',
  'joined_at_ms',
  'connected',
  'join_seen',
  'observed',
  'webhook_ended_at_ms',
  'room_finished_at_ms',
  'last_absent_at_ms',
  'opened_by',
  'ended_at_ms',
  'ended_by',
  'estimated_left_at_ms',
  'last_seen_at_ms',
] as const satisfies ReadonlyArray<keyof CycleRow>;
const CYCLE_UPDATE_COLUMNS = CYCLE_COLUMNS.filter((c) => c !== 'sid');

/**
 * The status read, the hottest query: the identity's cycles, each carrying the room's
 * lastVerifiedAt from an uncorrelated subquery (evaluated once), so it is one statement and one
 * round trip whenever the identity has cycles. Exported so sqlite/ can prepare the same SQL.
 */
export function selectIdentityAttendance(db: Kysely<Database>, room: string, identity: string) {
  return db
    .selectFrom('cycles')
    .selectAll()
    .select((eb) =>
      eb
        .selectFrom('room_verifications')
        .select('last_verified_at_ms')
        .where('room', '=', room)
        .as('room_last_verified_at_ms'),
    )
    .where('room', '=', room)
    .where('identity', '=', identity)
    .orderBy('joined_at_ms', (ob) => ob.asc().nullsLast())
    .orderBy('sid');
}

export type IdentityAttendanceRow = CycleRow & { room_last_verified_at_ms: number | null };

export function fromIdentityAttendanceRows(
  rows: readonly IdentityAttendanceRow[],
): IdentityAttendanceRows {
  return {
    cycles: rows.map(fromCycleRow),
    lastVerifiedAtMs: rows[0]?.room_last_verified_at_ms ?? null,
  };
}

/** The lastVerifiedAt of a room, for an identity with no cycles there. */
export function selectRoomLastVerifiedAt(db: Kysely<Database>, room: string) {
  return db.selectFrom('room_verifications').select('last_verified_at_ms').where('room', '=', room);
}

export function createCycleOps(
  db: Kysely<Database>,
  encodeBoolean: StoreDriver['encodeBoolean'],
): CycleOps {
  // Open = no end from LiveKit and no reconciler estimate; the same predicate as cycles_open_idx,
  // so the planner can use that partial index.
  const openCycles = () =>
    db
      .selectFrom('cycles')
      .selectAll()
      .where('ended_at_ms', 'is', null)
      .where('estimated_left_at_ms', 'is', null);

  return {
    async getCycles(sids) {
      const cycles: Cycle[] = [];
      for (const chunk of chunkForParameters([...new Set(sids)], 1)) {
        const rows = await db.selectFrom('cycles').selectAll().where('sid', 'in', chunk).execute();
        for (const row of rows) cycles.push(fromCycleRow(row));
      }
      return cycles;
    },

    async saveCycles(cycles) {
      // Last write wins inside one batch; PostgreSQL refuses to upsert one row twice per statement.
      const lasts = new Map<string, Cycle>();
      for (const cycle of cycles) lasts.set(cycle.sid, cycle);
      for (const chunk of chunkForParameters([...lasts.values()], CYCLE_COLUMNS.length)) {
        await db
          .insertInto('cycles')
          .values(chunk.map((c) => toCycleRow(c, encodeBoolean)))
          .onConflict((oc) =>
            oc
              .column('sid')
              .doUpdateSet((eb) =>
                Object.fromEntries(CYCLE_UPDATE_COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)])),
              ),
          )
          .execute();
      }
    },

    async getIdentityAttendance(room, identity) {
      const rows = await selectIdentityAttendance(db, room, identity).execute();
      if (rows.length === 0) {
        const verification = await selectRoomLastVerifiedAt(db, room).executeTakeFirst();
        return { cycles: [], lastVerifiedAtMs: verification?.last_verified_at_ms ?? null };
      }
      return fromIdentityAttendanceRows(rows);
    },

    async listRoomCycles(room) {
      const rows = await db
        .selectFrom('cycles')
        .selectAll()
        .where('room', '=', room)
        .orderBy('identity')
        .orderBy('joined_at_ms', (ob) => ob.asc().nullsLast())
        .orderBy('sid')
        .execute();
      return rows.map(fromCycleRow);
    },

    async listOpenCycles(room) {
      let query = openCycles();
      if (room !== undefined) query = query.where('room', '=', room);
      const rows = await query.orderBy('room').orderBy('sid').execute();
      return rows.map(fromCycleRow);
    },

    async listUnconfirmedEnds(finishedSinceMs, room) {
      // The predicate of cycles_unconfirmed_end_idx, so the planner can use that partial index.
      let query = db
        .selectFrom('cycles')
        .selectAll()
        // A literal, not a parameter: SQLite matches partial index predicates on constants only.
        .where('ended_by', '=', sql.lit('room_finished'))
        .where('webhook_ended_at_ms', 'is', null)
        .where('room_finished_at_ms', 'is not', null)
        .where('room_finished_at_ms', '>=', finishedSinceMs)
        .where((eb) =>
          eb.or([
            eb('last_absent_at_ms', 'is', null),
            eb('last_absent_at_ms', '<=', eb.ref('room_finished_at_ms')),
          ]),
        );
      if (room !== undefined) query = query.where('room', '=', room);
      const rows = await query.orderBy('room').orderBy('sid').execute();
      return rows.map(fromCycleRow);
    },

    async listIncarnationCycles(roomSid) {
      const rows = await db
        .selectFrom('cycles')
        .selectAll()
        .where('room_sid', '=', roomSid)
        .orderBy('sid')
        .execute();
      return rows.map(fromCycleRow);
    },

    async listOpenCyclesByRoomSid(roomSid) {
      const rows = await openCycles().where('room_sid', '=', roomSid).orderBy('sid').execute();
      return rows.map(fromCycleRow);
    },
  };
}
