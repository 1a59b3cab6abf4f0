import type { Kysely } from 'kysely';
import type { Database } from './rows.js';
import { AUDIT_INSERT_COLUMNS, fromAuditRow, toAuditRow } from './session-rows.js';
import { chunkForParameters } from './store-driver.js';
import type { StoreOps } from './store.js';

export type AuditOps = Pick<StoreOps, 'appendAudit' | 'listAudit'>;

export function createAuditOps(db: Kysely<Database>): AuditOps {
  return {
    async appendAudit(records) {
      // One multi-row statement per chunk: ingest appends about one record per changed cycle.
      for (const chunk of chunkForParameters(records, AUDIT_INSERT_COLUMNS.length)) {
        await db.insertInto('audit_log').values(chunk.map(toAuditRow)).execute();
      }
    },

    async listAudit(query) {
      const { session, sessionRooms, room, identity, sinceMs, afterId, limit } = query;
      let select = db.selectFrom('audit_log').selectAll();
      if (session !== undefined) {
        const rooms = sessionRooms === undefined ? [] : [...new Set(sessionRooms.rooms)];
        select = select.where((eb) =>
          sessionRooms === undefined || rooms.length === 0
            ? eb('session', '=', session)
            : // Two index ranges OR-ed (audit_log_session_idx, audit_log_room_idx): the rooms'
              // records carry no session, so they are found by room and dated by at_ms.
              eb.or([
                eb('session', '=', session),
                eb.and([
                  eb('session', 'is', null),
                  eb('room', 'in', rooms),
                  eb('at_ms', '>=', sessionRooms.sinceMs),
                  eb('at_ms', '<=', sessionRooms.untilMs),
                ]),
              ]),
        );
      }
      if (room !== undefined) select = select.where('room', '=', room);
      if (identity !== undefined) select = select.where('identity', '=', identity);
      if (sinceMs !== undefined) select = select.where('at_ms', '>=', sinceMs);
      if (afterId !== undefined) select = select.where('id', '>', afterId);
      const rows = await select.orderBy('id').limit(limit).execute();
      return rows.map(fromAuditRow);
    },
  };
}
