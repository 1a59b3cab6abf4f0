import { sql, type Kysely } from 'kysely';
import type { Database } from './rows.js';
import { chunkForParameters } from './store-driver.js';
import type { StoreOps, WebhookTally } from './store.js';

export type TallyOps = Pick<StoreOps, 'addWebhookTallies' | 'sumWebhookTallies'>;

// room, minute_ms, received, duplicates
const TALLY_COLUMNS = 4;

export function createTallyOps(db: Kysely<Database>): TallyOps {
  return {
    async addWebhookTallies(tallies) {
      // Summed per (room, minute) first: PostgreSQL refuses to upsert one row twice per statement.
      const sums = new Map<string, WebhookTally>();
      for (const t of tallies) {
        const k = `${t.minuteMs}:${t.room}`;
        const sum = sums.get(k);
        if (sum === undefined) sums.set(k, { ...t });
        else {
          sum.received += t.received;
          sum.duplicates += t.duplicates;
        }
      }
      for (const chunk of chunkForParameters([...sums.values()], TALLY_COLUMNS)) {
        await db
          .insertInto('webhook_tallies')
          .values(
            chunk.map((t) => ({
              room: t.room,
              minute_ms: t.minuteMs,
              received: t.received,
              duplicates: t.duplicates,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['room', 'minute_ms']).doUpdateSet((eb) => ({
              received: eb('webhook_tallies.received', '+', eb.ref('excluded.received')),
              duplicates: eb('webhook_tallies.duplicates', '+', eb.ref('excluded.duplicates')),
            })),
          )
          .execute();
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
