import type { Kysely } from 'kysely';
import type { Database } from './rows.js';
import { fromOverrideRow, toOverrideRow } from './session-rows.js';
import type { StoreOps } from './store.js';

export type OverrideOps = Pick<
  StoreOps,
  'listOverrides' | 'getOverride' | 'saveOverride' | 'deleteOverride'
>;

/** Hand-set statuses, keyed by (session, identity); read by the primary key. */
export function createOverrideOps(db: Kysely<Database>): OverrideOps {
  return {
    async listOverrides(sessionId) {
      const rows = await db
        .selectFrom('session_overrides')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('identity')
        .execute();
      return rows.map(fromOverrideRow);
    },

    async getOverride(sessionId, identity) {
      const row = await selectOverride(db, sessionId, identity).executeTakeFirst();
      return row === undefined ? null : fromOverrideRow(row);
    },

    async saveOverride(override) {
      await db
        .insertInto('session_overrides')
        .values(toOverrideRow(override))
        .onConflict((oc) =>
          oc.columns(['session_id', 'identity']).doUpdateSet((eb) => ({
            status: eb.ref('excluded.status'),
            reason: eb.ref('excluded.reason'),
            author: eb.ref('excluded.author'),
            at_ms: eb.ref('excluded.at_ms'),
          })),
        )
        .execute();
    },

    async deleteOverride(sessionId, identity) {
      const result = await db
        .deleteFrom('session_overrides')
        .where('session_id', '=', sessionId)
        .where('identity', '=', identity)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

/** The override of (session, identity): its primary key. Shared with SQLite's prepared reads. */
export function selectOverride(db: Kysely<Database>, sessionId: string, identity: string) {
  return db
    .selectFrom('session_overrides')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('identity', '=', identity);
}
