import type { Kysely } from 'kysely';
import { fromInboxRow, toInboxRow } from './rows.js';
import type { Database } from './rows.js';
import { chunkForParameters } from './store-driver.js';
import type { OpsDriver } from './store-ops.js';
import type { StoreOps } from './store.js';

export type InboxOps = Pick<
  StoreOps,
  | 'insertInbox'
  | 'markProcessed'
  | 'recordProcessingFailure'
  | 'listUnprocessed'
  | 'readInbox'
  | 'countInbox'
  | 'claimUnprocessed'
  | 'readRoomInbox'
>;

// event_id, source, event_type, room, created_at_ms, received_at_ms, body, processed_at_ms
const INBOX_INSERT_COLUMNS = 8;

export function createInboxOps(
  db: Kysely<Database>,
  driver: Pick<OpsDriver, 'lockRows'>,
): InboxOps {
  return {
    async insertInbox(entries, opts) {
      // First occurrence wins inside one batch, as it would across batches.
      const firsts = new Map<string, (typeof entries)[number]>();
      for (const entry of entries) if (!firsts.has(entry.eventId)) firsts.set(entry.eventId, entry);
      const inserted = new Set<string>();
      for (const chunk of chunkForParameters([...firsts.values()], INBOX_INSERT_COLUMNS)) {
        // attendance-model, event rule 2: the event id makes redelivery a no-op.
        const rows = await db
          .insertInto('inbox')
          .values(chunk.map((e) => toInboxRow(e, opts?.processedAtMs ?? null)))
          .onConflict((oc) => oc.column('event_id').doNothing())
          .returning('event_id')
          .execute();
        for (const row of rows) inserted.add(row.event_id);
      }
      return [...firsts.keys()].filter((id) => inserted.has(id));
    },

    async markProcessed(eventIds, atMs) {
      for (const chunk of chunkForParameters(eventIds, 1)) {
        await db
          .updateTable('inbox')
          .set({ processed_at_ms: atMs })
          .where('event_id', 'in', chunk)
          .execute();
      }
    },

    async recordProcessingFailure(eventId, error) {
      await db
        .updateTable('inbox')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error }))
        .where('event_id', '=', eventId)
        .execute();
    },

    async listUnprocessed(limit) {
      const rows = await db
        .selectFrom('inbox')
        .selectAll()
        .where('processed_at_ms', 'is', null)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(fromInboxRow);
    },

    async claimUnprocessed(rooms, limit, eventIds) {
      const named = rooms.filter((r): r is string => r !== null);
      const unnamed = rooms.length > named.length;
      if (named.length === 0 && !unnamed) return [];
      let query = db
        .selectFrom('inbox')
        .selectAll()
        .where('processed_at_ms', 'is', null)
        .where((eb) =>
          eb.or([
            ...(named.length > 0 ? [eb('room', 'in', named)] : []),
            ...(unnamed ? [eb('room', 'is', null)] : []),
          ]),
        )
        .$if(eventIds !== undefined, (qb) => qb.where('event_id', 'in', [...(eventIds ?? [])]))
        .orderBy('seq')
        .limit(limit);
      // attendance-model, event rule 2: another instance's drain skips rows this one claimed.
      if (driver.lockRows) query = query.forUpdate().skipLocked();
      return (await query.execute()).map(fromInboxRow);
    },

    async readRoomInbox(room, afterSeq, limit) {
      const rows = await db
        .selectFrom('inbox')
        .selectAll()
        .where('room', '=', room)
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(fromInboxRow);
    },

    async readInbox(afterSeq, limit) {
      const rows = await db
        .selectFrom('inbox')
        .selectAll()
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(fromInboxRow);
    },

    async countInbox() {
      const row = await db
        .selectFrom('inbox')
        .select((eb) => [
          eb.fn.countAll<number>().as('total'),
          eb.fn.count<number>('processed_at_ms').as('processed'),
        ])
        .executeTakeFirstOrThrow();
      const total = Number(row.total);
      return { total, unprocessed: total - Number(row.processed) };
    },
  };
}
