import { sql, type Kysely } from 'kysely';
import type { Database } from './rows.js';
import { chunkForParameters } from './store-driver.js';
import { sumTallies, TALLY_COLUMNS, upsertTallies } from './bookkeeping-writes.js';
import type { StoreOps } from './store.js';

export type TallyOps = Pick<StoreOps, 'addWebhookTallies' | 'sumWebhookTallies'>;

export function createTallyOps(db: Kysely<Database>): TallyOps {
  return {
    async addWebhookTallies(tallies) {
      for (const chunk of chunkForParameters(sumTallies(tallies), TALLY_COLUMNS)) {
        await upsertTallies(db, chunk).execute();
      }
    },

    async sumWebhookTallies(rooms, fromMs, toMs) {
      let received = 0;
      let duplicates = 0;
      for (const chunk of chunkForParameters([...new Set(rooms)], 1)) {
        // The primary key (room, minute_ms): one range per room.
        const row = await db
          .selectFrom('webhook_tallies')
          .select([
            sql<number | null>`sum(received)`.as('received'),
            sql<number | null>`sum(duplicates)`.as('duplicates'),
          ])
          .where('room', 'in', chunk)
          .where('minute_ms', '>=', fromMs)
          .where('minute_ms', '<=', toMs)
          .executeTakeFirstOrThrow();
        // Null when no row matched; PostgreSQL's sum of integers is a bigint (a JS number here).
        received += Number(row.received ?? 0);
        duplicates += Number(row.duplicates ?? 0);
      }
      return { received, duplicates };
    },
  };
}
