import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { fromReportedCycleRow, REPORTED_CYCLE_COLUMNS } from './rows.js';
import type { Database } from './rows.js';
import { chunkForParameters } from './store-driver.js';
import type { StoreOps } from './store.js';
import type { ReportedCycle } from '../core/index.js';

export type CycleWindowOps = Pick<StoreOps, 'listCyclesInWindow' | 'listIdentityCyclesInWindow'>;

/**
 * A cycle can overlap [fromMs, toMs] when it joined at or before toMs (a null join never overlaps)
 * and is open or left at or after fromMs. The two branches are written as the predicates of
 * cycles_open_idx and cycles_room_left_idx (migration 0004), so each planner reads one index range
 * per room and branch: SQLite matches an expression index only on the same expression.
 */
function overlaps(eb: ExpressionBuilder<Database, 'cycles'>, fromMs: number, toMs: number) {
  return eb.and([
    eb('joined_at_ms', '<=', toMs),
    eb.or([
      eb.and([eb('ended_at_ms', 'is', null), eb('estimated_left_at_ms', 'is', null)]),
      eb(sql<number>`coalesce(ended_at_ms, estimated_left_at_ms)`, '>=', fromMs),
    ]),
  ]);
}

export function createCycleWindowOps(db: Kysely<Database>): CycleWindowOps {
  return {
    async listCyclesInWindow(rooms, fromMs, toMs) {
      const cycles: ReportedCycle[] = [];
      for (const chunk of chunkForParameters([...new Set(rooms)], 2)) {
        const rows = await selectCyclesInWindow(db, chunk, fromMs, toMs).execute();
        for (const row of rows) cycles.push(fromReportedCycleRow(row));
      }
      return cycles;
    },

    async listIdentityCyclesInWindow(rooms, identities, fromMs, toMs) {
      // Half the bound each, so a chunk of rooms and one of identities fit one statement; a cycle
      // has one room and one identity, so the chunk pairs never return a cycle twice.
      const cycles: ReportedCycle[] = [];
      const identityChunks = chunkForParameters([...new Set(identities)], 2);
      for (const roomChunk of chunkForParameters([...new Set(rooms)], 2)) {
        for (const identityChunk of identityChunks) {
          const rows = await selectIdentityCyclesInWindow(
            db,
            roomChunk,
            identityChunk,
            fromMs,
            toMs,
          ).execute();
          for (const row of rows) cycles.push(fromReportedCycleRow(row));
        }
      }
      return cycles;
    },
  };
}

/**
 * Cycles of some identities in some rooms that can overlap [fromMs, toMs]; both lists non-empty
 * and distinct. cycles_room_identity_idx: (room, identity) pairs, each a joined_at_ms <= toMs
 * range. Shared with SQLite's prepared reads, so the query has one definition.
 */
export function selectIdentityCyclesInWindow(
  db: Kysely<Database>,
  rooms: readonly string[],
  identities: readonly string[],
  fromMs: number,
  toMs: number,
) {
  return db
    .selectFrom('cycles')
    .select(REPORTED_CYCLE_COLUMNS)
    .where('room', 'in', rooms)
    .where('identity', 'in', identities)
    .where((eb) => overlaps(eb, fromMs, toMs));
}

/**
 * Cycles of some rooms (non-empty, distinct) that can overlap [fromMs, toMs], the columns a report
 * reads. The two branches as two selects: each reads its own index whatever the planner's
 * statistics say (SQLite without ANALYZE would otherwise read the room's whole history).
 */
export function selectCyclesInWindow(
  db: Kysely<Database>,
  rooms: readonly string[],
  fromMs: number,
  toMs: number,
) {
  const open = db
    .selectFrom('cycles')
    .select(REPORTED_CYCLE_COLUMNS)
    .where('room', 'in', rooms)
    .where('joined_at_ms', '<=', toMs)
    .where('ended_at_ms', 'is', null)
    .where('estimated_left_at_ms', 'is', null);
  const left = db
    .selectFrom('cycles')
    .select(REPORTED_CYCLE_COLUMNS)
    .where('room', 'in', rooms)
    .where('joined_at_ms', '<=', toMs)
    .where(sql<number>`coalesce(ended_at_ms, estimated_left_at_ms)`, '>=', fromMs);
  return open.unionAll(left);
}
