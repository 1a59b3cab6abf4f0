import type { Kysely } from 'kysely';
import type { Database } from './rows.js';
import { fromSessionRow, toSessionRow, type SessionRow } from './session-rows.js';
import { chunkForParameters } from './store-driver.js';
import type { StoreOps } from './store.js';

export type SessionOps = Pick<
  StoreOps,
  'getSession' | 'saveSession' | 'deleteSession' | 'listSessions'
>;

/** Every sessions column but the key: an upsert replaces the whole session. */
const SESSION_UPDATE_COLUMNS = [
  'title',
  'starts_at_ms',
  'ends_at_ms',
  'timezone',
  'rooms_json',
  'hosts_json',
  'roster_json',
  'tags_json',
  'policy_json',
  'created_at_ms',
  'updated_at_ms',
] as const satisfies ReadonlyArray<keyof SessionRow>;

/**
 * Runs fn in a transaction unless `db` already is one (Kysely nests none): a session and its room
 * and tag rows change together, so a listing never sees a session under rooms it no longer has.
 */
function atomically<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

export function createSessionOps(db: Kysely<Database>): SessionOps {
  return {
    async getSession(id) {
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? null : fromSessionRow(row);
    },

    saveSession(session) {
      return atomically(db, async (trx) => {
        await trx
          .insertInto('sessions')
          .values(toSessionRow(session))
          .onConflict((oc) =>
            oc
              .column('id')
              .doUpdateSet((eb) =>
                Object.fromEntries(SESSION_UPDATE_COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)])),
              ),
          )
          .execute();
        // Rewritten whole: the filter tables say exactly what the JSON columns say.
        const id = session.id;
        await trx.deleteFrom('session_rooms').where('session_id', '=', id).execute();
        for (const chunk of chunkForParameters(unique(session.rooms), 2)) {
          const rows = chunk.map((room) => ({ session_id: id, room }));
          await trx.insertInto('session_rooms').values(rows).execute();
        }
        await trx.deleteFrom('session_tags').where('session_id', '=', id).execute();
        for (const chunk of chunkForParameters(unique(session.tags), 2)) {
          const rows = chunk.map((tag) => ({ session_id: id, tag }));
          await trx.insertInto('session_tags').values(rows).execute();
        }
      });
    },

    deleteSession(id) {
      return atomically(db, async (trx) => {
        await trx.deleteFrom('session_rooms').where('session_id', '=', id).execute();
        await trx.deleteFrom('session_tags').where('session_id', '=', id).execute();
        await trx.deleteFrom('session_overrides').where('session_id', '=', id).execute();
        const result = await trx.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      });
    },

    async listSessions(query) {
      const { fromMs, toMs, tag, room, after, limit } = query;
      let select = db.selectFrom('sessions').selectAll();
      if (fromMs !== undefined) select = select.where('ends_at_ms', '>=', fromMs);
      if (toMs !== undefined) select = select.where('starts_at_ms', '<=', toMs);
      if (tag !== undefined) {
        select = select.where('id', 'in', (eb) =>
          eb.selectFrom('session_tags').select('session_id').where('tag', '=', tag),
        );
      }
      if (room !== undefined) {
        select = select.where('id', 'in', (eb) =>
          eb.selectFrom('session_rooms').select('session_id').where('room', '=', room),
        );
      }
      if (after !== undefined) {
        // A row-value comparison: both planners turn it into one range of sessions_starts_idx.
        select = select.where((eb) =>
          eb(eb.refTuple('starts_at_ms', 'id'), '<', eb.tuple(after.startsAtMs, after.id)),
        );
      }
      const rows = await select
        .orderBy('starts_at_ms', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(fromSessionRow);
    },
  };
}

/** Each value once: the filter tables key on (session_id, value). */
function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
