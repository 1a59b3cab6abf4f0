import type { Kysely } from 'kysely';
import type { AuditRecord } from '../../core/index.js';
import { sumTallies } from '../bookkeeping-writes.js';
import { CYCLE_COLUMNS } from '../cycle-ops.js';
import { toCycleRow, toInboxRow, type Database } from '../rows.js';
import { AUDIT_INSERT_COLUMNS, toAuditRow } from '../session-rows.js';
import type { StoreOps, WebhookTally } from '../store.js';
import { preparedStatement } from './prepared-statements.js';

/** A column and its PostgreSQL type, as `unnest` needs the arrays typed. */
type Typed<C extends string> = readonly [column: C, type: 'text' | 'int8' | 'int4' | 'bool'];

const INBOX: readonly Typed<keyof ReturnType<typeof toInboxRow>>[] = [
  ['event_id', 'text'],
  ['source', 'text'],
  ['event_type', 'text'],
  ['room', 'text'],
  ['created_at_ms', 'int8'],
  ['received_at_ms', 'int8'],
  ['body', 'text'],
  ['processed_at_ms', 'int8'],
];

const CYCLE_TYPES: Record<(typeof CYCLE_COLUMNS)[number], Typed<string>[1]> = {
  sid: 'text',
  room: 'text',
  room_sid: 'text',
  room_sid_rank: 'int8',
  identity: 'text',
  name: 'text',
  name_version: 'int8',
  kind: 'text',
  joined_at_ms: 'int8',
  connected: 'bool',
  join_seen: 'bool',
  observed: 'bool',
  webhook_ended_at_ms: 'int8',
  room_finished_at_ms: 'int8',
  last_absent_at_ms: 'int8',
  opened_by: 'text',
  ended_at_ms: 'int8',
  ended_by: 'text',
  estimated_left_at_ms: 'int8',
  last_seen_at_ms: 'int8',
};
const CYCLES = CYCLE_COLUMNS.map((c) => [c, CYCLE_TYPES[c]] as const);

const AUDIT_TYPES: Record<(typeof AUDIT_INSERT_COLUMNS)[number], Typed<string>[1]> = {
  at_ms: 'int8',
  action: 'text',
  source: 'text',
  actor: 'text',
  session: 'text',
  room: 'text',
  identity: 'text',
  sid: 'text',
  before_json: 'text',
  after_json: 'text',
  reason: 'text',
};
const AUDIT = AUDIT_INSERT_COLUMNS.map((c) => [c, AUDIT_TYPES[c]] as const);

const TALLIES = [
  ['room', 'text'],
  ['minute_ms', 'int8'],
  ['received', 'int4'],
  ['duplicates', 'int4'],
] as const;

/** `insert into table (columns) select * from unnest($first::type[], …)`. */
function insertFromArrays(table: string, columns: readonly Typed<string>[], first = 1): string {
  const arrays = columns.map(([, type], i) => `$${first + i}::${type}[]`).join(', ');
  return `insert into ${table} (${columns.map(([c]) => c).join(', ')}) select * from unnest(${arrays})`;
}

/** One array per column, in the columns' order. */
function arraysOf<R>(rows: readonly R[], columns: readonly Typed<string>[]): unknown[][] {
  return columns.map(([c]) => rows.map((r) => (r as Record<string, unknown>)[c] ?? null));
}

const insertInbox = preparedStatement(
  'attendance_insert_inbox',
  `${insertFromArrays('inbox', INBOX)} on conflict (event_id) do nothing returning event_id`,
);

const upsertCycles = preparedStatement(
  'attendance_upsert_cycles',
  `${insertFromArrays('cycles', CYCLES)} on conflict (sid) do update set ${CYCLE_COLUMNS.filter(
    (c) => c !== 'sid',
  )
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`,
);

// A data-modifying CTE runs whether or not the outer statement reads it: both writes, one round
// trip. Empty arrays unnest to no rows, so either part may be empty.
const writeBookkeepingStatement = preparedStatement(
  'attendance_write_bookkeeping',
  `with tallied as (${insertFromArrays('webhook_tallies', TALLIES)}
     on conflict (room, minute_ms) do update set
       received = webhook_tallies.received + excluded.received,
       duplicates = webhook_tallies.duplicates + excluded.duplicates)
   ${insertFromArrays('audit_log', AUDIT, TALLIES.length + 1)}`,
);

/**
 * The ingest transaction's writes on PostgreSQL as fixed statements over arrays (`unnest`), run as
 * prepared statements: one parse and plan per connection instead of one per batch, and no query
 * built by Kysely value by value (a batch of webhooks is ~35 values each, which Kysely turned into
 * a few thousand nodes and PostgreSQL into a VALUES list to plan). Same semantics as the generic
 * ops: the first occurrence of an event id wins, the last version of a cycle is written.
 */
export function createBulkWrites(
  trx: Kysely<Database>,
): Required<Pick<StoreOps, 'insertInbox' | 'saveCycles'>> {
  return {
    async insertInbox(entries, opts) {
      const firsts = new Map<string, (typeof entries)[number]>();
      for (const entry of entries) if (!firsts.has(entry.eventId)) firsts.set(entry.eventId, entry);
      if (firsts.size === 0) return [];
      const rows = [...firsts.values()].map((e) => toInboxRow(e, opts?.processedAtMs ?? null));
      const { rows: inserted } = await trx.executeQuery<{ event_id: string }>(
        insertInbox(arraysOf(rows, INBOX)),
      );
      const ids = new Set(inserted.map((r) => r.event_id));
      return [...firsts.keys()].filter((id) => ids.has(id));
    },

    async saveCycles(cycles) {
      const lasts = new Map<string, (typeof cycles)[number]>();
      for (const cycle of cycles) lasts.set(cycle.sid, cycle);
      if (lasts.size === 0) return;
      const rows = [...lasts.values()].map((c) => toCycleRow(c, (b) => b));
      await trx.executeQuery(upsertCycles(arraysOf(rows, CYCLES)));
    },
  };
}

/** A transaction's audit records and webhook tallies in one statement (see deferBookkeeping). */
export async function writeBookkeeping(
  trx: Kysely<Database>,
  records: readonly AuditRecord[],
  tallies: readonly WebhookTally[],
): Promise<void> {
  if (records.length === 0 && tallies.length === 0) return;
  // Summed: PostgreSQL refuses to upsert one row twice in a statement.
  const sums = sumTallies(tallies).map((t) => ({
    room: t.room,
    minute_ms: t.minuteMs,
    received: t.received,
    duplicates: t.duplicates,
  }));
  await trx.executeQuery(
    writeBookkeepingStatement([
      ...arraysOf(sums, TALLIES),
      ...arraysOf(records.map(toAuditRow), AUDIT),
    ]),
  );
}
