import { PostgresIntrospector, sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen: never edit once released (style.md §7). Imports no app code.
// Numbered 0006: 0005 is the outbox's (issue #10), built beside this one.

/**
 * Inbox retention (INBOX_RETENTION_DAYS): an index for finding applied entries older than the
 * cutoff without scanning the inbox, and per room the newest LiveKit time pruned, which tells
 * `rebuild` which of the room's cycles the retained inbox no longer covers.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.introspection instanceof PostgresIntrospector;
  const key = isPostgres ? sql`text collate "C"` : 'text';

  // The pruning query: applied entries by created_at_ms, oldest first.
  await db.schema
    .createIndex('inbox_applied_created_idx')
    .on('inbox')
    .column('created_at_ms')
    .where(sql.ref('processed_at_ms'), 'is not', null)
    .execute();

  await db.schema
    .createTable('inbox_prune_horizons')
    .addColumn('room', key, (c) => c.primaryKey().notNull())
    // The newest created_at_ms of an entry of this room that was pruned.
    .addColumn('pruned_through_ms', 'bigint', (c) => c.notNull())
    .execute();
}
