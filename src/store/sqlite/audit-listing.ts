import { sql } from 'kysely';
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Database } from '../rows.js';
import { AUDIT_INDEX_MIGRATED_SQL } from './audit-index.js';
import type { AuditLogRow } from '../session-rows.js';
import type { AuditQuery } from '../store.js';

/** Every condition of an audit query, on audit_log's columns (qualified, so it survives a join). */
export type AuditFilter = (eb: ExpressionBuilder<Database, 'audit_log'>) => Expression<SqlBool>;

/**
 * listAudit on SQLite, where records by room and by identity are found through the entry tables
 * of migration 0007 rather than indexes on audit_log. The records are the union of parts, each
 * read in id order up to `limit`, merged and cut to `limit`:
 * - by room (or by identity): the entries up to the watermark joined to their records, then the
 *   records above the watermark, read from audit_log by id (normally at most a second's writes);
 * - by session with rooms: the session's own records (audit_log_session_idx), each room's entries
 *   up to the watermark, and the records above it;
 * - anything else: audit_log by id, as on PostgreSQL.
 * `filter` holds every condition of the query, so each part returns only matching records; the
 * parts only choose where to look. The watermark is read first, and every part but the last reads
 * only ids up to it, where the entries are complete and nothing changes any more. The last part,
 * the records above it, is one statement: a record committed after it ran has a larger id than
 * every record it returned (one writer at a time), so the listing is what a single query at that
 * moment would give, and a cursor that follows it never passes a record it did not return.
 */
export async function listAuditByEntryTables(
  db: Kysely<Database>,
  query: AuditQuery,
  filter: AuditFilter,
): Promise<AuditLogRow[]> {
  const { session, sessionRooms, room, identity, afterId, limit } = query;
  const byId = () =>
    db.selectFrom('audit_log').selectAll().where(filter).orderBy('audit_log.id').limit(limit);
  const sessionRoomNames = [...new Set(sessionRooms?.rooms ?? [])];
  const driving =
    room !== undefined
      ? ({ table: 'audit_rooms', keys: [room] } as const)
      : identity !== undefined
        ? ({ table: 'audit_identities', keys: [identity] } as const)
        : session !== undefined && sessionRoomNames.length > 0
          ? ({ table: 'audit_rooms', keys: sessionRoomNames } as const)
          : undefined;
  if (driving === undefined) return byId().execute();

  const watermark = await readWatermark(db);
  // Before migration 0007 (a store serving while it waits to migrate) the indexes still exist.
  if (watermark === undefined) return byId().execute();
  const after = afterId ?? 0;
  const parts: (() => Promise<AuditLogRow[]>)[] = [];
  // Up to the watermark: one ordered range of the primary key per key, so that a part stops at
  // `limit` without a sort. CROSS JOIN keeps the entries as the outer loop whatever else the
  // filter offers SQLite's planner.
  for (const key of after < watermark ? driving.keys : []) {
    const entries =
      driving.table === 'audit_rooms'
        ? db.selectFrom('audit_rooms as e').crossJoin('audit_log').where('e.room', '=', key)
        : db
            .selectFrom('audit_identities as e')
            .crossJoin('audit_log')
            .where('e.identity', '=', key);
    parts.push(() =>
      entries
        .selectAll('audit_log')
        .whereRef('audit_log.id', '=', 'e.id')
        .where('e.id', '>', after)
        .where('e.id', '<=', watermark)
        .where((eb) => filter(eb as unknown as ExpressionBuilder<Database, 'audit_log'>))
        .orderBy('e.id')
        .limit(limit)
        .execute(),
    );
  }
  // By session and its rooms: the session's own records need not be in one of its rooms.
  if (room === undefined && identity === undefined && session !== undefined && after < watermark) {
    parts.push(() =>
      byId()
        .where('audit_log.session', '=', session)
        .where('audit_log.id', '<=', watermark)
        .execute(),
    );
  }
  // Above the watermark: the one part whose records can still change, so one statement.
  parts.push(() => byId().where('audit_log.id', '>', Math.max(after, watermark)).execute());
  // Merged in id order, each id once (a session's record in one of its rooms is in two parts).
  const rows = new Map<number, AuditLogRow>();
  for (const part of parts) for (const row of await part()) rows.set(Number(row.id), row);
  return [...rows.values()].sort((a, b) => a.id - b.id).slice(0, limit);
}

/** audit_index_state.indexed_through, or undefined before migration 0007. */
async function readWatermark(db: Kysely<Database>): Promise<number | undefined> {
  const migrated = await sql.raw(AUDIT_INDEX_MIGRATED_SQL).execute(db);
  if (migrated.rows.length === 0) return undefined;
  const state = await db
    .selectFrom('audit_index_state')
    .select('indexed_through')
    .executeTakeFirst();
  return Number(state?.indexed_through ?? 0);
}
