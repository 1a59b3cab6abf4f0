import { PostgresIntrospector, sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen: never edit once released (style.md §7). Imports no app code.

/**
 * One write path (issue #7): a cycle keeps the evidence its verdict is derived from, so that
 * webhooks and reconciler observations fold alike in any order, and the inbox can be replayed one
 * room at a time.
 * - cycles gain the evidence columns; existing rows are backfilled from their verdict (the closest
 *   evidence that yields the same verdict). `rebuild` recomputes them exactly from the journal.
 * - inbox gets (room, seq): per-room replay and claims.
 * - leases get a fencing token, bumped on every change of holder.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.introspection instanceof PostgresIntrospector;
  const bool = isPostgres ? 'boolean' : 'integer';
  const falseValue = isPostgres ? sql`false` : sql`0`;
  await db.schema
    .alterTable('cycles')
    .addColumn('room_sid_rank', 'bigint', (c) => c.notNull().defaultTo(-1))
    .execute();
  for (const column of ['join_seen', 'observed']) {
    await db.schema
      .alterTable('cycles')
      .addColumn(column, bool, (c) => c.notNull().defaultTo(falseValue))
      .execute();
  }
  for (const column of ['webhook_ended_at_ms', 'room_finished_at_ms', 'last_absent_at_ms']) {
    await db.schema.alterTable('cycles').addColumn(column, 'bigint').execute();
  }
  const trueValue = isPostgres ? sql`true` : sql`1`;
  await sql`
    update cycles set
      room_sid_rank = case when room_sid is null then -1
        when opened_by = 'webhook' then ${sql.lit(Number.MAX_SAFE_INTEGER)} else 0 end,
      join_seen = case when opened_by = 'webhook' then ${trueValue} else ${falseValue} end,
      observed = case when opened_by = 'reconciler' then ${trueValue} else ${falseValue} end,
      webhook_ended_at_ms = case when ended_by = 'webhook' then ended_at_ms end,
      room_finished_at_ms = case when ended_by = 'room_finished' then ended_at_ms end,
      last_seen_at_ms = case
        when estimated_left_at_ms is not null then estimated_left_at_ms else last_seen_at_ms end,
      last_absent_at_ms = case
        when estimated_left_at_ms is not null then estimated_left_at_ms + 1 end
  `.execute(db);
  await db.schema.createIndex('inbox_room_seq_idx').on('inbox').columns(['room', 'seq']).execute();
  // Cycles that only room_finished ended and that no answer from LiveKit has dated yet: the
  // reconciler asks about them once more. Few at any time; listed every pass.
  await db.schema
    .createIndex('cycles_unconfirmed_end_idx')
    .on('cycles')
    .columns(['room', 'sid'])
    .where(
      sql<boolean>`ended_by = 'room_finished' and webhook_ended_at_ms is null
        and room_finished_at_ms is not null
        and (last_absent_at_ms is null or last_absent_at_ms <= room_finished_at_ms)`,
    )
    .execute();
  await db.schema
    .alterTable('leases')
    .addColumn('token', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}
