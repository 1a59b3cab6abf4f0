import type { Kysely } from 'kysely';
import type { Database } from './rows.js';
import { chunkForParameters } from './store-driver.js';
import type { PrunableEntry, StoreOps } from './store.js';

export type RetentionOps = Pick<StoreOps, 'listPrunableInbox' | 'pruneInbox' | 'getPruneHorizon'>;

const toEntry = (r: {
  seq: number;
  room: string | null;
  created_at_ms: number;
}): PrunableEntry => ({
  seq: Number(r.seq),
  room: r.room,
  createdAtMs: Number(r.created_at_ms),
});

export function createRetentionOps(db: Kysely<Database>): RetentionOps {
  return {
    async listPrunableInbox(beforeMs, limit) {
      const rows = await db
        .selectFrom('inbox')
        .select(['seq', 'room', 'created_at_ms'])
        // inbox_applied_created_idx: applied entries by created_at_ms.
        .where('processed_at_ms', 'is not', null)
        .where('created_at_ms', '<', beforeMs)
        .orderBy('created_at_ms')
        .limit(limit)
        .execute();
      return rows.map(toEntry);
    },

    async pruneInbox(seqs, beforeMs) {
      const deleted: PrunableEntry[] = [];
      for (const chunk of chunkForParameters(seqs, 1)) {
        // Checked again here: an entry a rebuild marked unapplied meanwhile is never pruned.
        const rows = await db
          .deleteFrom('inbox')
          .where('seq', 'in', chunk)
          .where('processed_at_ms', 'is not', null)
          .where('created_at_ms', '<', beforeMs)
          .returning(['seq', 'room', 'created_at_ms'])
          .execute();
        deleted.push(...rows.map(toEntry));
      }
      const horizons = new Map<string, number>();
      for (const e of deleted) {
        if (e.room !== null)
          horizons.set(e.room, Math.max(horizons.get(e.room) ?? 0, e.createdAtMs));
      }
      for (const [room, atMs] of [...horizons].sort(([a], [b]) => (a < b ? -1 : 1))) {
        await db
          .insertInto('inbox_prune_horizons')
          .values({ room, pruned_through_ms: atMs })
          .onConflict((oc) =>
            oc
              .column('room')
              .doUpdateSet((eb) => ({ pruned_through_ms: eb.ref('excluded.pruned_through_ms') }))
              .where('excluded.pruned_through_ms', '>', (eb) =>
                eb.ref('inbox_prune_horizons.pruned_through_ms'),
              ),
          )
          .execute();
      }
      return deleted;
    },

    async getPruneHorizon(room) {
      const row = await db
        .selectFrom('inbox_prune_horizons')
        .select('pruned_through_ms')
        .where('room', '=', room)
        .executeTakeFirst();
      return row === undefined ? null : Number(row.pruned_through_ms);
    },
  };
}
