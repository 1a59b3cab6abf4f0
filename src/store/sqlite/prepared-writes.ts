import type BetterSqlite3 from 'better-sqlite3';
import { fromCycleRow, toCycleRow, toInboxRow, type CycleRow } from '../rows.js';
import type { StoreOps } from '../store.js';

export type TransactionHotOps = Pick<
  StoreOps,
  'insertInbox' | 'getCycles' | 'saveCycles' | 'getRoomFinishTimes'
>;

const CYCLE_COLUMNS = [
  'sid',
  'room',
  'room_sid',
  'identity',
  'name',
  'name_version',
  'kind',
  'joined_at_ms',
  'connected',
  'opened_by',
  'ended_at_ms',
  'ended_by',
  'estimated_left_at_ms',
  'last_seen_at_ms',
] as const satisfies ReadonlyArray<keyof CycleRow>;

const INBOX_COLUMNS = [
  'event_id',
  'source',
  'event_type',
  'room',
  'created_at_ms',
  'received_at_ms',
  'body',
  'processed_at_ms',
] as const;

/**
 * The ingest transaction's four statements as better-sqlite3 statements prepared once, run row by
 * row. Only valid inside a store transaction: SQLite has the one connection, which Kysely holds for
 * the whole transaction, so these run between its BEGIN IMMEDIATE and COMMIT (or ROLLBACK). Kysely
 * builds, compiles and prepares every statement anew and hops through promises per query; webhook
 * batches make that the largest share of ingest time after signature verification. Same semantics
 * as the generic ops (first occurrence wins in insertInbox, last in saveCycles).
 */
export function createPreparedWrites(database: BetterSqlite3.Database): () => TransactionHotOps {
  let prepared: ReturnType<typeof prepare> | undefined;
  const prepare = () => ({
    insertInbox: database.prepare(
      `insert into inbox (${INBOX_COLUMNS.join(', ')}) values (${INBOX_COLUMNS.map(() => '?').join(', ')})
       on conflict (event_id) do nothing`,
    ),
    getCycle: database.prepare('select * from cycles where sid = ?'),
    saveCycle: database.prepare(
      `insert into cycles (${CYCLE_COLUMNS.join(', ')}) values (${CYCLE_COLUMNS.map(() => '?').join(', ')})
       on conflict (sid) do update set ${CYCLE_COLUMNS.slice(1)
         .map((c) => `${c} = excluded.${c}`)
         .join(', ')}`,
    ),
    getFinish: database.prepare('select finished_at_ms from room_incarnations where room_sid = ?'),
  });
  const encodeBoolean = (b: boolean) => (b ? 1 : 0);
  return () => {
    // Prepared on first use: the tables exist only once migrate() has run.
    const p = (prepared ??= prepare());
    return {
      insertInbox(entries, opts) {
        const inserted: string[] = [];
        const seen = new Set<string>();
        for (const entry of entries) {
          if (seen.has(entry.eventId)) continue;
          seen.add(entry.eventId);
          const row = toInboxRow(entry, opts?.processedAtMs ?? null);
          const info = p.insertInbox.run(INBOX_COLUMNS.map((c) => row[c] ?? null));
          if (info.changes === 1) inserted.push(entry.eventId);
        }
        return Promise.resolve(inserted);
      },
      getCycles(sids) {
        const cycles = [];
        for (const sid of new Set(sids)) {
          const row = p.getCycle.get(sid) as CycleRow | undefined;
          if (row) cycles.push(fromCycleRow(row));
        }
        return Promise.resolve(cycles);
      },
      saveCycles(cycles) {
        const lasts = new Map(cycles.map((c) => [c.sid, c]));
        for (const cycle of lasts.values()) {
          const row = toCycleRow(cycle, encodeBoolean);
          p.saveCycle.run(CYCLE_COLUMNS.map((c) => row[c]));
        }
        return Promise.resolve();
      },
      getRoomFinishTimes(roomSids) {
        const times = new Map<string, number>();
        for (const roomSid of new Set(roomSids)) {
          const row = p.getFinish.get(roomSid) as { finished_at_ms: number } | undefined;
          if (row) times.set(roomSid, row.finished_at_ms);
        }
        return Promise.resolve(times);
      },
    };
  };
}
