import { PostgresIntrospector, sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen: never edit once released; add 0002-… instead (style.md §7). Imports no app code.

export async function up(db: Kysely<any>): Promise<void> {
  // The one dialect branch. A Transaction exposes the dialect's introspector, and this avoids
  // Kysely's internal getExecutor().
  const isPostgres = db.introspection instanceof PostgresIntrospector;
  // Byte order for the names we sort by, so both databases list rows in the same order whatever
  // the PostgreSQL database's locale is. Equality is unchanged.
  const key = isPostgres ? sql`text collate "C"` : 'text';
  // Every primary key says NOT NULL: SQLite would otherwise accept NULL in a TEXT primary key.

  await db.schema
    .createTable('inbox')
    .$call((t) =>
      isPostgres
        ? t.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
        : // AUTOINCREMENT: a seq is never reused after deletes, so the replay cursor stays sound.
          t.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement()),
    )
    .addColumn('event_id', 'text', (c) => c.notNull().unique())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('room', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('received_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('processed_at_ms', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .execute();
  await db.schema
    .createIndex('inbox_unprocessed_idx')
    .on('inbox')
    .column('seq')
    .where(sql.ref('processed_at_ms'), 'is', null)
    .execute();

  await db.schema
    .createTable('cycles')
    .addColumn('sid', key, (c) => c.primaryKey().notNull())
    .addColumn('room', key, (c) => c.notNull())
    .addColumn('room_sid', 'text')
    .addColumn('identity', key, (c) => c.notNull())
    .addColumn('name', 'text')
    // ParticipantInfo.version is a uint32: it does not fit a PostgreSQL integer.
    .addColumn('name_version', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text')
    .addColumn('joined_at_ms', 'bigint')
    .addColumn('connected', isPostgres ? 'boolean' : 'integer', (c) => c.notNull())
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('ended_at_ms', 'bigint')
    .addColumn('ended_by', 'text')
    .addColumn('estimated_left_at_ms', 'bigint')
    .addColumn('last_seen_at_ms', 'bigint')
    .execute();
  await db.schema
    .createIndex('cycles_room_identity_idx')
    .on('cycles')
    .columns(['room', 'identity'])
    .execute();
  await db.schema.createIndex('cycles_room_sid_idx').on('cycles').column('room_sid').execute();
  // "Open" = neither LiveKit's end nor the reconciler's estimate; the reconciler lists these
  // every pass, so they get their own small index.
  await db.schema
    .createIndex('cycles_open_idx')
    .on('cycles')
    .columns(['room', 'sid'])
    .where(sql.ref('ended_at_ms'), 'is', null)
    .where(sql.ref('estimated_left_at_ms'), 'is', null)
    .execute();

  await db.schema
    .createTable('room_incarnations')
    .addColumn('room_sid', 'text', (c) => c.primaryKey().notNull())
    .addColumn('room', 'text', (c) => c.notNull())
    .addColumn('finished_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('room_verifications')
    .addColumn('room', key, (c) => c.primaryKey().notNull())
    .addColumn('last_verified_at_ms', 'bigint')
    .addColumn('last_attempt_at_ms', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey().notNull())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute();
}
