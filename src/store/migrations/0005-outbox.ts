import { PostgresIntrospector, sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen: never edit once released (style.md §7). Imports no app code.

/**
 * Outbound attendance events (issue #10): a durable outbox written in the transaction of the
 * change that causes it, and the little state that derives session events from changes.
 * - outbox: one row per event, delivered in `seq` order per `stream` (a room, or a session).
 *   Ingest inserts into it; its one secondary index holds pending rows only (delivered rows leave
 *   it), so the claim and the backlog read a small index however long the history.
 * - outbox_marks: rooms and sessions whose statuses may have changed (a cycle, an override or a
 *   session write), upserted in the change's transaction and consumed by the session watcher.
 * - outbound_sessions: sessions written while outbound events were configured, and the end time
 *   their `session.ended` was sent for; outbound_statuses: each person's last announced status.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.introspection instanceof PostgresIntrospector;
  const key = isPostgres ? sql`text collate "C"` : 'text';
  const clustered = isPostgres ? sql`` : sql`without rowid`;

  await db.schema
    .createTable('outbox')
    .$call((t) =>
      isPostgres
        ? t.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
        : t.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement()),
    )
    // The `webhook-id` of every attempt: generated once, random (no unique index on the ingest path).
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('stream', key, (c) => c.notNull())
    .addColumn('room', 'text')
    .addColumn('session_id', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('deadline_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('lease_until_ms', 'bigint')
    .addColumn('lease_holder', 'text')
    .addColumn('last_attempt_at_ms', 'bigint')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at_ms', 'bigint')
    // Targets (URLs) that answered 2xx while others did not: not sent again on retry.
    .addColumn('acked_targets_json', 'text')
    .execute();
  // The claim (each stream's oldest pending row), the backlog count and the pending listing.
  await db.schema
    .createIndex('outbox_pending_idx')
    .on('outbox')
    .columns(['stream', 'seq'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  // The failed listing and `outbox retry`; rows land here only after 24 hours of failures.
  await db.schema
    .createIndex('outbox_failed_idx')
    .on('outbox')
    .column('seq')
    .where(sql.ref('status'), '=', 'failed')
    .execute();

  // Pruning delivered rows by age (written on delivery, never on ingest).
  await db.schema
    .createIndex('outbox_delivered_idx')
    .on('outbox')
    .column('delivered_at_ms')
    .where(sql.ref('status'), '=', 'delivered')
    .execute();

  await db.schema
    .createTable('outbox_marks')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', key, (c) => c.notNull())
    // The span of cycle time that changed (room marks); sessions overlapping it are evaluated.
    .addColumn('from_ms', 'bigint', (c) => c.notNull())
    .addColumn('to_ms', 'bigint', (c) => c.notNull())
    // Bumped by every upsert: the watcher deletes a mark only if nobody marked it again meanwhile.
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('outbox_marks_pkey', ['kind', 'name'])
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('outbound_sessions')
    .addColumn('session_id', key, (c) => c.primaryKey().notNull())
    .addColumn('ended_for_ends_at_ms', 'bigint')
    .execute();

  await db.schema
    .createTable('outbound_statuses')
    .addColumn('session_id', key, (c) => c.notNull())
    .addColumn('identity', key, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('outbound_statuses_pkey', ['session_id', 'identity'])
    .modifyEnd(clustered)
    .execute();
}
