import type { Kysely } from 'kysely';
import { createAuditOps } from './audit-ops.js';
import { createCompletedPassOps } from './completed-pass-ops.js';
import { createCycleOps } from './cycle-ops.js';
import { createCycleWindowOps } from './cycle-window-ops.js';
import { createInboxOps } from './inbox-ops.js';
import { mergeOps } from './merge-ops.js';
import { createOutboxOps } from './outbox-ops.js';
import { createOverrideOps } from './override-ops.js';
import { createRoomOps } from './room-ops.js';
import { createRetentionOps } from './retention-ops.js';
import { createRoomPageOps } from './room-page-ops.js';
import type { Database } from './rows.js';
import { createSessionOps } from './session-ops.js';
import type { StoreDriver } from './store-driver.js';
import type { StoreOps } from './store.js';
import { createTallyOps } from './tally-ops.js';

/** What the generic operations need from the dialect. */
export type OpsDriver = Pick<StoreDriver, 'dialect' | 'encodeBoolean' | 'nowMsSql' | 'lockRows'>;

/** Every StoreOps operation on `db`: the store itself, or one transaction. */
export function createStoreOps(db: Kysely<Database>, driver: OpsDriver): StoreOps {
  const encodeBoolean = (value: boolean) => driver.encodeBoolean(value);
  const own: OwnOps = {
    async countUnprocessed(max) {
      const row = await db
        .selectFrom((eb) =>
          eb
            .selectFrom('inbox')
            .select('seq')
            .where('processed_at_ms', 'is', null)
            .limit(max)
            .as('waiting'),
        )
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async holdsLease(name, holder, token) {
      let query = db
        .selectFrom('leases')
        .select('holder')
        .where('name', '=', name)
        .where('holder', '=', holder)
        .where('token', '=', token)
        .where('expires_at_ms', '>', driver.nowMsSql);
      // A share lock on the row until commit: a takeover (an UPDATE of the row) waits for this
      // transaction, so the check cannot go stale before the writes it guards are committed.
      if (driver.lockRows) query = query.forShare();
      return (await query.executeTakeFirst()) !== undefined;
    },

    async resetRoom(room, opts) {
      // The audit trail and webhook tallies stay: they record what happened, not derived state.
      // Outbound events already written stay: they were sent, or are owed, for what happened.
      const keep = opts?.keepThroughMs;
      await db
        .deleteFrom('cycles')
        .where('room', '=', room)
        .$if(keep !== undefined, (qb) =>
          qb.where('joined_at_ms', 'is not', null).where('joined_at_ms', '>', keep ?? 0),
        )
        .execute();
      await db
        .deleteFrom('room_incarnations')
        .where('room', '=', room)
        .$if(keep !== undefined, (qb) => qb.where('finished_at_ms', '>', keep ?? 0))
        .execute();
      await db
        .updateTable('inbox')
        .set({ processed_at_ms: null, attempts: 0, last_error: null })
        .where('room', '=', room)
        .execute();
    },

    async listJournalRooms() {
      const rows = await db
        .selectFrom('inbox')
        .select('room')
        .where('room', 'is not', null)
        .union(db.selectFrom('cycles').select('room'))
        .execute();
      return [...new Set(rows.map((r) => r.room).filter((r): r is string => r !== null))].sort();
    },
  };
  // Built for every transaction: merged without object spread (see mergeOps).
  return mergeOps(
    createInboxOps(db, driver),
    createCycleOps(db, encodeBoolean),
    createRoomOps(db),
    createRoomPageOps(db),
    createCycleWindowOps(db),
    createSessionOps(db),
    createOverrideOps(db),
    createAuditOps(db, driver.dialect),
    createTallyOps(db),
    createCompletedPassOps(db),
    createOutboxOps(db, driver),
    createRetentionOps(db),
    own,
  );
}

type OwnOps = Pick<StoreOps, 'countUnprocessed' | 'holdsLease' | 'resetRoom' | 'listJournalRooms'>;
