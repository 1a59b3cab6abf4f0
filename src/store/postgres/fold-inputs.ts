import { sql, type Kysely } from 'kysely';
import type { Database, CycleRow } from '../rows.js';
import { fromCycleRow } from '../rows.js';
import type { StoreOps } from '../store.js';

/**
 * `getFoldInputs` in one statement (one round trip instead of two in every ingest transaction):
 * the cycles as a JSON array of rows, and the finish times of the named incarnations and of those
 * cycles' incarnations as one JSON object. JSON keeps every column's value as the row would:
 * int8 epoch ms as numbers (< 2^53), booleans as booleans, text as strings, NULL as null.
 */
export function createFoldInputsRead(
  trx: Kysely<Database>,
): Required<Pick<StoreOps, 'getFoldInputs'>> {
  return {
    async getFoldInputs(sids, roomSids) {
      const wanted = [...new Set(sids)];
      const { rows } = await sql<{ cycles: CycleRow[]; finished: Record<string, number> }>`
        select
          coalesce((select json_agg(c) from cycles c where c.sid = any(${wanted}::text[])), '[]'::json)
            as cycles,
          coalesce((select json_object_agg(ri.room_sid, ri.finished_at_ms) from room_incarnations ri
            -- One array, not an OR of two conditions: an OR here scans the whole table.
            where ri.room_sid = any(${[...new Set(roomSids)]}::text[] || array(
              select c.room_sid from cycles c where c.sid = any(${wanted}::text[])))),
            '{}'::json) as finished`.execute(trx);
      const row = rows[0];
      return {
        cycles: (row?.cycles ?? []).map(fromCycleRow),
        roomFinishedAtMs: new Map(Object.entries(row?.finished ?? {})),
      };
    },
  };
}
