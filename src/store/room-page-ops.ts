import type { Kysely } from 'kysely';
import { fromCycleRow } from './rows.js';
import type { Database } from './rows.js';
import type { StoreOps } from './store.js';

export type RoomPageOps = Pick<StoreOps, 'listRoomCyclesPage'>;

/**
 * Keyset pagination over one room's cycles, by identity then sid: a page starts strictly after
 * the cursor, so it costs one index range scan (`cycles_room_identity_idx` leads with room and
 * identity) however deep the page, and rows written meanwhile never shift later pages.
 */
export function createRoomPageOps(db: Kysely<Database>): RoomPageOps {
  return {
    async listRoomCyclesPage(room, after, limit) {
      let query = db.selectFrom('cycles').selectAll().where('room', '=', room);
      if (after !== null) {
        const { identity, sid } = after;
        query = query.where((eb) =>
          sid === undefined
            ? eb('identity', '>', identity)
            : eb.or([
                eb('identity', '>', identity),
                eb.and([eb('identity', '=', identity), eb('sid', '>', sid)]),
              ]),
        );
      }
      // selectAll + fromCycleRow: columns added to cycles later come along without a change here.
      const rows = await query.orderBy('identity').orderBy('sid').limit(limit).execute();
      return rows.map(fromCycleRow);
    },
  };
}
