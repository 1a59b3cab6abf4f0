import type { Kysely } from 'kysely';
import { createCycleOps } from './cycle-ops.js';
import { createInboxOps } from './inbox-ops.js';
import { createRoomOps } from './room-ops.js';
import type { Database } from './rows.js';
import type { StoreDriver } from './store-driver.js';
import type { StoreOps } from './store.js';

/** Every StoreOps operation on `db`: the store itself, or one transaction. */
export function createStoreOps(
  db: Kysely<Database>,
  encodeBoolean: StoreDriver['encodeBoolean'],
): StoreOps {
  return {
    ...createInboxOps(db),
    ...createCycleOps(db, encodeBoolean),
    ...createRoomOps(db),

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

    async holdsLease(name, holder, nowMs) {
      const row = await db
        .selectFrom('leases')
        .select('holder')
        .where('name', '=', name)
        .where('holder', '=', holder)
        .where('expires_at_ms', '>', nowMs)
        .executeTakeFirst();
      return row !== undefined;
    },

    // Atomic only when `db` is a transaction; KyselyStore wraps the top-level call in one.
    async resetDerivedState() {
      await db.deleteFrom('cycles').execute();
      await db.deleteFrom('room_incarnations').execute();
      // Verifications are not derived from the journal (they record LiveKit's answers): kept.
      // A rebuild replays every entry from scratch, so earlier failure counts no longer apply.
      await db
        .updateTable('inbox')
        .set({ processed_at_ms: null, attempts: 0, last_error: null })
        .where((eb) => eb.or([eb('processed_at_ms', 'is not', null), eb('attempts', '>', 0)]))
        .execute();
    },
  };
}
