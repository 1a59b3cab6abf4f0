import type { Kysely } from 'kysely';
import type { Database } from './rows.js';
import { AUDIT_INSERT_COLUMNS, fromAuditRow, toAuditRow } from './session-rows.js';
import { listAuditByEntryTables, type AuditFilter } from './sqlite/audit-listing.js';
import { chunkForParameters } from './store-driver.js';
import type { StoreDriver } from './store-driver.js';
import type { AuditQuery, StoreOps } from './store.js';

export type AuditOps = Pick<StoreOps, 'appendAudit' | 'listAudit'>;

export function createAuditOps(db: Kysely<Database>, dialect: StoreDriver['dialect']): AuditOps {
  return {
    async appendAudit(records) {
      // One multi-row statement per chunk: ingest appends about one record per changed cycle.
      for (const chunk of chunkForParameters(records, AUDIT_INSERT_COLUMNS.length)) {
        await db.insertInto('audit_log').values(chunk.map(toAuditRow)).execute();
      }
    },

    async listAudit(query) {
      const filter = auditFilter(query);
      const rows =
        dialect === 'sqlite'
          ? // Records by room and identity are found through tables, not indexes (migration 0007).
            await listAuditByEntryTables(db, query, filter)
          : await db
              .selectFrom('audit_log')
              .selectAll()
              .where(filter)
              .orderBy('audit_log.id')
              .limit(query.limit)
              .execute();
      return rows.map(fromAuditRow);
    },
  };
}

/** The query's conditions on audit_log's rows. */
function auditFilter(query: AuditQuery): AuditFilter {
  const { session, sessionRooms, room, identity, sinceMs, afterId } = query;
  return (eb) => {
    const conditions = [];
    if (session !== undefined) {
      const rooms = sessionRooms === undefined ? [] : [...new Set(sessionRooms.rooms)];
      conditions.push(
        sessionRooms === undefined || rooms.length === 0
          ? eb('audit_log.session', '=', session)
          : // PostgreSQL: two index ranges OR-ed (audit_log_session_idx, audit_log_room_idx); the
            // rooms' records carry no session, so they are found by room and dated by at_ms.
            eb.or([
              eb('audit_log.session', '=', session),
              eb.and([
                eb('audit_log.session', 'is', null),
                eb('audit_log.room', 'in', rooms),
                eb('audit_log.at_ms', '>=', sessionRooms.sinceMs),
                eb('audit_log.at_ms', '<=', sessionRooms.untilMs),
              ]),
            ]),
      );
    }
    if (room !== undefined) conditions.push(eb('audit_log.room', '=', room));
    if (identity !== undefined) conditions.push(eb('audit_log.identity', '=', identity));
    if (sinceMs !== undefined) conditions.push(eb('audit_log.at_ms', '>=', sinceMs));
    if (afterId !== undefined) conditions.push(eb('audit_log.id', '>', afterId));
    return eb.and(conditions);
  };
}
