import { sql, type Kysely } from 'kysely';
import { fromCycleRow } from './rows.js';
import type { Database } from './rows.js';
import { fromOutboxRow, toOutboxRow } from './outbox-rows.js';
import { chunkForParameters } from './store-driver.js';
import type { OpsDriver } from './store-ops.js';
import type { OutboxInsert, OutboxMark, OutboxStoreOps } from './store.js';

// outbox columns an insert binds (outbox-rows.ts OUTBOX_INSERT_COLUMNS).
const OUTBOX_INSERT_PARAMETERS = 10;

/** One mark per key, spans merged: PostgreSQL refuses one key twice in an upsert. */
function mergeMarks(marks: readonly OutboxMark[]): OutboxMark[] {
  const merged = new Map<string, OutboxMark>();
  for (const m of marks) {
    const key = `${m.kind}\u0000${m.name}`;
    const seen = merged.get(key);
    merged.set(
      key,
      seen === undefined
        ? m
        : { ...m, fromMs: Math.min(seen.fromMs, m.fromMs), toMs: Math.max(seen.toMs, m.toMs) },
    );
  }
  return [...merged.values()];
}

function upsertMarks(db: Kysely<Database>, marks: readonly OutboxMark[]) {
  return db
    .insertInto('outbox_marks')
    .values(
      marks.map((m) => ({
        kind: m.kind,
        name: m.name,
        from_ms: m.fromMs,
        to_ms: m.toMs,
        version: 1,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['kind', 'name']).doUpdateSet({
        // Portable min/max (SQLite's two-argument min is PostgreSQL's least).
        from_ms: sql<number>`case when excluded.from_ms < outbox_marks.from_ms
          then excluded.from_ms else outbox_marks.from_ms end`,
        to_ms: sql<number>`case when excluded.to_ms > outbox_marks.to_ms
          then excluded.to_ms else outbox_marks.to_ms end`,
        version: sql<number>`outbox_marks.version + 1`,
      }),
    );
}

/** The outbox, its change marks and the announced session state (migration 0005). */
export function createOutboxOps(
  db: Kysely<Database>,
  driver: Pick<OpsDriver, 'dialect' | 'lockRows' | 'nowMsSql'>,
): OutboxStoreOps {
  const insertOutbox = async (rows: readonly OutboxInsert[]): Promise<void> => {
    for (const chunk of chunkForParameters(rows, OUTBOX_INSERT_PARAMETERS)) {
      await db.insertInto('outbox').values(chunk.map(toOutboxRow)).execute();
    }
  };
  return {
    insertOutbox,

    async markOutbound(marks) {
      for (const chunk of chunkForParameters(mergeMarks(marks), 5)) {
        await upsertMarks(db, chunk).execute();
      }
    },

    async writeOutbound(rows, marks) {
      const merged = mergeMarks(marks);
      const small = rows.length * OUTBOX_INSERT_PARAMETERS + merged.length * 5 < 30_000;
      if (driver.dialect === 'postgres' && rows.length > 0 && merged.length > 0 && small) {
        // One round trip: PostgreSQL runs the CTE's upsert whether or not the insert reads it.
        await db
          .with('marked', () => upsertMarks(db, merged))
          .insertInto('outbox')
          .values(rows.map(toOutboxRow))
          .execute();
        return;
      }
      if (rows.length > 0) await insertOutbox(rows);
      for (const chunk of chunkForParameters(merged, 5)) await upsertMarks(db, chunk).execute();
    },

    async listOpenIdentityCycles(pairs) {
      const found = [];
      // Two parameters per pair; cycles_room_identity_idx serves each (room, identity).
      for (const chunk of chunkForParameters(pairs, 2)) {
        const rows = await db
          .selectFrom('cycles')
          .selectAll()
          .where((eb) =>
            eb.or(
              chunk.map((p) => eb.and([eb('room', '=', p.room), eb('identity', '=', p.identity)])),
            ),
          )
          .where('ended_at_ms', 'is', null)
          .where('estimated_left_at_ms', 'is', null)
          .execute();
        found.push(...rows.map(fromCycleRow));
      }
      return found;
    },

    async claimOutbox(holder, nowMs, leaseMs, limit) {
      const now = driver.nowMsSql;
      let due = db
        .selectFrom('outbox as o')
        .select('o.seq')
        .where('o.status', '=', 'pending')
        .where('o.next_attempt_at_ms', '<=', nowMs)
        .where((eb) =>
          eb.or([eb('o.lease_until_ms', 'is', null), eb('o.lease_until_ms', '<=', now)]),
        )
        // In order per stream: only the oldest pending row of its stream (outbox_pending_idx).
        .where('o.seq', '=', (eb) =>
          eb
            .selectFrom('outbox as p')
            .select((e) => e.fn.min('p.seq').as('head'))
            .where('p.status', '=', 'pending')
            .whereRef('p.stream', '=', 'o.stream'),
        )
        .orderBy('o.seq')
        .limit(limit);
      // Another instance's claim in flight: skip its rows rather than wait for them.
      if (driver.lockRows) due = due.forUpdate().skipLocked();
      const rows = await db
        .updateTable('outbox')
        .set({ lease_until_ms: sql<number>`${now} + ${leaseMs}`, lease_holder: holder })
        .where('seq', 'in', due)
        .returningAll()
        .execute();
      return rows.map(fromOutboxRow).sort((a, b) => a.seq - b.seq);
    },

    async finishOutboxAttempt(r) {
      const result = await db
        .updateTable('outbox')
        .set((eb) => ({
          status: r.status,
          attempts: eb('attempts', '+', 1),
          last_attempt_at_ms: r.atMs,
          last_status: r.lastStatus,
          last_error: r.lastError,
          next_attempt_at_ms: r.nextAttemptAtMs,
          delivered_at_ms: r.status === 'delivered' ? r.atMs : null,
          acked_targets_json: r.ackedTargets.length === 0 ? null : JSON.stringify(r.ackedTargets),
          lease_until_ms: null,
          lease_holder: null,
        }))
        .where('seq', '=', r.seq)
        .where('lease_holder', '=', r.holder)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async listOutbox(q) {
      const rows = await db
        .selectFrom('outbox')
        .selectAll()
        .where('status', '=', q.status)
        .$if(q.afterSeq !== undefined, (qb) => qb.where('seq', '>', q.afterSeq ?? 0))
        .orderBy('seq')
        .limit(q.limit)
        .execute();
      return rows.map(fromOutboxRow);
    },

    async retryFailedOutbox(nowMs, deadlineAtMs) {
      const result = await db
        .updateTable('outbox')
        .set({
          status: 'pending',
          attempts: 0,
          next_attempt_at_ms: nowMs,
          deadline_at_ms: deadlineAtMs,
          lease_until_ms: null,
          lease_holder: null,
        })
        .where('status', '=', 'failed')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async countOutboxPending(max) {
      const row = await db
        .selectFrom((eb) =>
          eb
            .selectFrom('outbox')
            .select('seq')
            .where('status', '=', 'pending')
            .limit(max)
            .as('waiting'),
        )
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async pruneDeliveredOutbox(beforeMs, limit) {
      // outbox_delivered_idx: finding nothing to prune reads one index page.
      const oldest = db
        .selectFrom('outbox')
        .select('seq')
        .where('status', '=', 'delivered')
        .where('delivered_at_ms', '<', beforeMs)
        .orderBy('delivered_at_ms')
        .limit(limit);
      const result = await db.deleteFrom('outbox').where('seq', 'in', oldest).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async listOutboxMarks(limit) {
      const rows = await db
        .selectFrom('outbox_marks')
        .selectAll()
        .orderBy('kind')
        .orderBy('name')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        kind: r.kind as 'room' | 'session',
        name: r.name,
        fromMs: r.from_ms,
        toMs: r.to_ms,
        version: Number(r.version),
      }));
    },

    async deleteOutboxMarks(marks) {
      for (const m of marks) {
        await db
          .deleteFrom('outbox_marks')
          .where('kind', '=', m.kind)
          .where('name', '=', m.name)
          .where('version', '=', m.version)
          .execute();
      }
    },

    async registerOutboundSession(sessionId) {
      await db
        .insertInto('outbound_sessions')
        .values({ session_id: sessionId, ended_for_ends_at_ms: null })
        .onConflict((oc) => oc.column('session_id').doNothing())
        .execute();
    },

    async deleteOutboundSession(sessionId) {
      await db.deleteFrom('outbound_statuses').where('session_id', '=', sessionId).execute();
      await db.deleteFrom('outbound_sessions').where('session_id', '=', sessionId).execute();
    },

    async listOutboundSessionsOverlapping(room, fromMs, toMs) {
      const rows = await db
        .selectFrom('session_rooms as r')
        .innerJoin('outbound_sessions as o', 'o.session_id', 'r.session_id')
        .innerJoin('sessions as s', 's.id', 'r.session_id')
        .select('s.id')
        .where('r.room', '=', room)
        .where('s.ends_at_ms', '>=', fromMs)
        .where('s.starts_at_ms', '<=', toMs)
        .orderBy('s.id')
        .execute();
      return rows.map((r) => r.id);
    },

    async listUnannouncedEndedSessions(sinceMs, nowMs, limit) {
      const rows = await db
        .selectFrom('outbound_sessions as o')
        .innerJoin('sessions as s', 's.id', 'o.session_id')
        .select('s.id')
        .where('s.ends_at_ms', '<=', nowMs)
        .where('s.ends_at_ms', '>=', sinceMs)
        .where((eb) =>
          eb.or([
            eb('o.ended_for_ends_at_ms', 'is', null),
            eb('o.ended_for_ends_at_ms', '<>', eb.ref('s.ends_at_ms')),
          ]),
        )
        // Newest first: sessions stuck unfinal (a cycle left open) never starve the new ones.
        .orderBy('s.ends_at_ms', 'desc')
        .orderBy('s.id')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },

    async getOutboundStatuses(sessionId) {
      const rows = await db
        .selectFrom('outbound_statuses')
        .select(['identity', 'status'])
        .where('session_id', '=', sessionId)
        .execute();
      return new Map(rows.map((r) => [r.identity, r.status]));
    },

    async saveOutboundStatuses(sessionId, statuses) {
      for (const chunk of chunkForParameters(statuses, 3)) {
        await db
          .insertInto('outbound_statuses')
          .values(
            chunk.map((s) => ({ session_id: sessionId, identity: s.identity, status: s.status })),
          )
          .onConflict((oc) =>
            oc
              .columns(['session_id', 'identity'])
              .doUpdateSet((eb) => ({ status: eb.ref('excluded.status') })),
          )
          .execute();
      }
    },

    async setOutboundSessionEnded(sessionId, endsAtMs) {
      await db
        .updateTable('outbound_sessions')
        .set({ ended_for_ends_at_ms: endsAtMs })
        .where('session_id', '=', sessionId)
        .execute();
    },
  };
}
