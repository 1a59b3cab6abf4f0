import { PostgresIntrospector, sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen: never edit once released (style.md §7). Imports no app code.

/**
 * Sessions (attendance-model "Sessions"), hand-set statuses, the audit trail and the bookkeeping a
 * session report's data quality reads. Every index below names the query it serves: the audit log
 * and cycles are written on the ingest path, where each index costs a b-tree write per row. The
 * plans named were read with EXPLAIN QUERY PLAN (SQLite, with and without ANALYZE) and EXPLAIN
 * (PostgreSQL 15) over 100k cycles and audit records.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.introspection instanceof PostgresIntrospector;
  // Byte order for what is sorted or compared column to column (as in 0001).
  const key = isPostgres ? sql`text collate "C"` : 'text';
  // Tables keyed by several columns: on SQLite the row lives in its primary-key b-tree, not in a
  // rowid table beside it, so an upsert writes one b-tree instead of two.
  const clustered = isPostgres ? sql`` : sql`without rowid`;

  // The session as the API gave it; the arrays and objects are JSON text, read back whole.
  await db.schema
    .createTable('sessions')
    .addColumn('id', key, (c) => c.primaryKey().notNull())
    .addColumn('title', 'text')
    .addColumn('starts_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('ends_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('rooms_json', 'text', (c) => c.notNull())
    .addColumn('hosts_json', 'text', (c) => c.notNull())
    .addColumn('roster_json', 'text', (c) => c.notNull())
    .addColumn('tags_json', 'text', (c) => c.notNull())
    .addColumn('policy_json', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  // The listing, newest first: scanned backwards from the keyset cursor (or from toMs), no sort.
  await db.schema
    .createIndex('sessions_starts_idx')
    .on('sessions')
    .columns(['starts_at_ms', 'id'])
    .execute();
  // The other half of the overlap filter (endsAtMs >= fromMs): when few sessions end after fromMs
  // (the current week of a long history), the planner reads those and sorts them instead.
  await db.schema.createIndex('sessions_ends_idx').on('sessions').column('ends_at_ms').execute();

  // A session's rooms and tags once more, one row each, rewritten on every save: the listing's
  // room and tag filters read them by index (covering: room/tag, then the session id).
  await db.schema
    .createTable('session_rooms')
    .addColumn('session_id', key, (c) => c.notNull())
    .addColumn('room', key, (c) => c.notNull())
    .addPrimaryKeyConstraint('session_rooms_pkey', ['session_id', 'room'])
    .modifyEnd(clustered)
    .execute();
  await db.schema
    .createIndex('session_rooms_room_idx')
    .on('session_rooms')
    .columns(['room', 'session_id'])
    .execute();
  await db.schema
    .createTable('session_tags')
    .addColumn('session_id', key, (c) => c.notNull())
    .addColumn('tag', key, (c) => c.notNull())
    .addPrimaryKeyConstraint('session_tags_pkey', ['session_id', 'tag'])
    .modifyEnd(clustered)
    .execute();
  await db.schema
    .createIndex('session_tags_tag_idx')
    .on('session_tags')
    .columns(['tag', 'session_id'])
    .execute();

  // Listed per session by identity: the primary key serves it.
  await db.schema
    .createTable('session_overrides')
    .addColumn('session_id', key, (c) => c.notNull())
    .addColumn('identity', key, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('session_overrides_pkey', ['session_id', 'identity'])
    .modifyEnd(clustered)
    .execute();

  // Append-only; ingest writes about one row per changed cycle, so three secondary indexes only.
  // No index on at_ms: `sinceMs` filters rows the id order (or another index) already reads.
  await db.schema
    .createTable('audit_log')
    .$call((t) =>
      isPostgres
        ? t.addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
        : // AUTOINCREMENT: an id is never reused, so the audit cursor stays sound.
          t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()),
    )
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('actor', 'text')
    .addColumn('session', 'text')
    .addColumn('room', 'text')
    .addColumn('identity', 'text')
    .addColumn('sid', 'text')
    .addColumn('before_json', 'text')
    .addColumn('after_json', 'text')
    .addColumn('reason', 'text')
    .execute();
  // A session's records. Partial: webhook and reconciler records carry no session, so ingest never
  // writes to it (`session = ?` implies `session is not null` for both planners).
  await db.schema
    .createIndex('audit_log_session_idx')
    .on('audit_log')
    .columns(['session', 'id'])
    .where(sql.ref('session'), 'is not', null)
    .execute();
  // A room's records, and a session's rooms' untagged records (with at_ms checked on the row).
  await db.schema
    .createIndex('audit_log_room_idx')
    .on('audit_log')
    .columns(['room', 'id'])
    .execute();
  // A person's records.
  await db.schema
    .createIndex('audit_log_identity_idx')
    .on('audit_log')
    .columns(['identity', 'id'])
    .execute();

  // Counted per batch of webhooks; summed over a session's rooms and window by the primary key.
  await db.schema
    .createTable('webhook_tallies')
    .addColumn('room', 'text', (c) => c.notNull())
    .addColumn('minute_ms', 'bigint', (c) => c.notNull())
    .addColumn('received', 'integer', (c) => c.notNull())
    .addColumn('duplicates', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_tallies_pkey', ['room', 'minute_ms'])
    .modifyEnd(clustered)
    .execute();

  // One row: the last complete reconcile pass.
  await db.schema
    .createTable('completed_passes')
    .addColumn('id', 'integer', (c) => c.primaryKey().notNull())
    .addColumn('started_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('completed_at_ms', 'bigint', (c) => c.notNull())
    .addCheckConstraint('completed_passes_one_row', sql`id = 1`)
    .execute();

  // A session window's cycles: joined at or before toMs, and open or left at or after fromMs
  // (left = ended_at_ms, else estimated_left_at_ms). Two index ranges per room, OR-ed by both
  // planners (SQLite "MULTI-INDEX OR", PostgreSQL BitmapOr): cycles_open_idx for the open ones and
  // this one for the left ones. Partial on a known left: open cycles, which every reconcile pass
  // rewrites, are never written to it. The room+identity variant uses cycles_room_identity_idx.
  await db.schema
    .createIndex('cycles_room_left_idx')
    .on('cycles')
    .columns(['room'])
    .expression(sql`coalesce(ended_at_ms, estimated_left_at_ms)`)
    .where(sql<boolean>`coalesce(ended_at_ms, estimated_left_at_ms) is not null`)
    .execute();
}
