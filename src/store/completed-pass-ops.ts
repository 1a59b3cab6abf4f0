import type { Kysely } from 'kysely';
import type { Database } from './rows.js';
import type { StoreOps } from './store.js';

export type CompletedPassOps = Pick<StoreOps, 'recordCompletedPass' | 'getLastCompletedPass'>;

/** The one row of completed_passes. */
const ROW_ID = 1;

export function createCompletedPassOps(db: Kysely<Database>): CompletedPassOps {
  return {
    async recordCompletedPass(pass) {
      // Later start wins: a pass that started earlier but completed after a newer one saw older
      // answers from LiveKit, so it must not replace it. The WHERE form works on both databases.
      await db
        .insertInto('completed_passes')
        .values({
          id: ROW_ID,
          started_at_ms: pass.startedAtMs,
          completed_at_ms: pass.completedAtMs,
        })
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet((eb) => ({
              started_at_ms: eb.ref('excluded.started_at_ms'),
              completed_at_ms: eb.ref('excluded.completed_at_ms'),
            }))
            .where('excluded.started_at_ms', '>', (eb) => eb.ref('completed_passes.started_at_ms')),
        )
        .execute();
    },

    async getLastCompletedPass() {
      const row = await db
        .selectFrom('completed_passes')
        .select(['started_at_ms', 'completed_at_ms'])
        .where('id', '=', ROW_ID)
        .executeTakeFirst();
      return row === undefined
        ? null
        : { startedAtMs: row.started_at_ms, completedAtMs: row.completed_at_ms };
    },
  };
}
