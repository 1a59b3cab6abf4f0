import { PostgresIntrospector, sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen: never edit once released (style.md §7). Imports no app code.

/**
 * SQLite only: the audit trail's room and identity indexes become tables written in batches.
 *
 * `audit_log_room_idx` and `audit_log_identity_idx` cost SQLite ingest 10–20 % of its webhooks per
 * second: every audit record dirties a leaf of each, a different leaf per room and per person, and
 * each of those pages is written to the WAL at every commit and copied back at every checkpoint.
 * `audit_rooms` and `audit_identities` hold the same (key, id) pairs, but sqlite/audit-index.ts
 * writes them about once a second in key order, so one commit writes many entries into each leaf.
 * `audit_index_state.indexed_through` is the id up to which they are complete; records above it
 * are read from `audit_log` itself. PostgreSQL keeps its plain indexes: its ids can commit out of
 * order, so a watermark could pass a record that is not yet visible, and it meets its ingest
 * target with them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (db.introspection instanceof PostgresIntrospector) return;

  for (const [table, column] of [
    ['audit_rooms', 'room'],
    ['audit_identities', 'identity'],
  ] as const) {
    await db.schema
      .createTable(table)
      .addColumn(column, 'text', (c) => c.notNull())
      .addColumn('id', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pkey`, [column, 'id'])
      .modifyEnd(sql`without rowid`)
      .execute();
    // In key order, so each leaf is written once.
    await sql`insert into ${sql.table(table)} (${sql.ref(column)}, id)
      select ${sql.ref(column)}, id from audit_log where ${sql.ref(column)} is not null
      order by ${sql.ref(column)}, id`.execute(db);
  }

  await db.schema
    .createTable('audit_index_state')
    // One row.
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('indexed_through', 'integer', (c) => c.notNull())
    .execute();
  await sql`insert into audit_index_state (id, indexed_through)
    values (1, coalesce((select max(id) from audit_log), 0))`.execute(db);

  await db.schema.dropIndex('audit_log_room_idx').execute();
  await db.schema.dropIndex('audit_log_identity_idx').execute();
}
