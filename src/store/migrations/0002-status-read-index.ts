import type { Kysely } from 'kysely';

// Frozen: never edit once released (style.md §7). Imports no app code.

/**
 * The status read lists one identity's cycles ordered by join time then sid; with those columns in
 * the index it needs no sort (seen as "USE TEMP B-TREE FOR ORDER BY" in SQLite's plan).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('cycles_room_identity_idx').execute();
  await db.schema
    .createIndex('cycles_room_identity_idx')
    .on('cycles')
    .columns(['room', 'identity', 'joined_at_ms', 'sid'])
    .execute();
}
