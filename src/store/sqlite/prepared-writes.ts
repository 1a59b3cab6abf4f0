import type BetterSqlite3 from 'better-sqlite3';
import { fromCycleRow, toCycleRow, toInboxRow, type CycleRow } from '../rows.js';
import { CYCLE_COLUMNS as ALL_CYCLE_COLUMNS } from '../cycle-ops.js';
import { OUTBOX_INSERT_COLUMNS, toOutboxRow } from '../outbox-rows.js';
import { AUDIT_INSERT_COLUMNS, auditInsertValues } from '../session-rows.js';
import type { StoreOps } from '../store.js';

export type TransactionHotOps = Pick<
  StoreOps,
  | 'insertInbox'
  | 'getCycles'
  | 'saveCycles'
  | 'getRoomFinishTimes'
  | 'appendAudit'
  | 'addWebhookTallies'
  | 'insertOutbox'
  | 'markOutbound'
  | 'writeOutbound'
  | 'listOpenIdentityCycles'
>;

// Every column, in the order the statements bind them.
const CYCLE_COLUMNS = ALL_CYCLE_COLUMNS;

/**
 * The columns that cycles' secondary indexes hold (cycles_room_identity_idx, cycles_room_sid_idx,
 * the key of cycles_open_idx). SQLite rewrites an index entry whenever its column is in an UPDATE's
 * SET list, even with an unchanged value. saveCycles leaves them out when they equal the row as
 * this transaction read it (the result is the same row as a full upsert gives), which spares two
 * random index pages per update: ~25 % of an ingest transaction's time. Correctness never depends
 * on this list matching the indexes, only on the omitted values being unchanged, which the UPDATE's
 * WHERE checks.
 */
const INDEXED_COLUMNS = [
  'room',
  'identity',
  'room_sid',
  'joined_at_ms',
] as const satisfies ReadonlyArray<keyof CycleRow>;
const UNINDEXED_COLUMNS = CYCLE_COLUMNS.filter(
  (c) => c !== 'sid' && !(INDEXED_COLUMNS as readonly string[]).includes(c),
);

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
 * The ingest transaction's statements as better-sqlite3 statements prepared once, run row by
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
    updateCycleUnindexed: database.prepare(
      // The indexed columns are checked by the database too: if anything else in the transaction
      // changed them since they were read, nothing is updated and saveCycles upserts instead.
      `update cycles set ${UNINDEXED_COLUMNS.map((c) => `${c} = ?`).join(', ')}
       where sid = ? and ${INDEXED_COLUMNS.map((c) => `${c} is ?`).join(' and ')}`,
    ),
    getFinish: database.prepare('select finished_at_ms from room_incarnations where room_sid = ?'),
    appendAudit: database.prepare(
      `insert into audit_log (${AUDIT_INSERT_COLUMNS.join(', ')})
       values (${AUDIT_INSERT_COLUMNS.map(() => '?').join(', ')})`,
    ),
    // Outbound events (EVENT_WEBHOOK_URLS): what the ingest transaction adds when they are on.
    insertOutbox: database.prepare(
      `insert into outbox (${OUTBOX_INSERT_COLUMNS.join(', ')})
       values (${OUTBOX_INSERT_COLUMNS.map(() => '?').join(', ')})`,
    ),
    markOutbound: database.prepare(
      `insert into outbox_marks (kind, name, from_ms, to_ms, version) values (?, ?, ?, ?, 1)
       on conflict (kind, name) do update set
         from_ms = min(outbox_marks.from_ms, excluded.from_ms),
         to_ms = max(outbox_marks.to_ms, excluded.to_ms),
         version = outbox_marks.version + 1`,
    ),
    listOpenIdentityCycles: database.prepare(
      `select * from cycles where room = ? and identity = ?
       and ended_at_ms is null and estimated_left_at_ms is null`,
    ),
    addTally: database.prepare(
      `insert into webhook_tallies (room, minute_ms, received, duplicates) values (?, ?, ?, ?)
       on conflict (room, minute_ms) do update set
         received = webhook_tallies.received + excluded.received,
         duplicates = webhook_tallies.duplicates + excluded.duplicates`,
    ),
  });
  const encodeBoolean = (b: boolean) => (b ? 1 : 0);
  return () => {
    // Prepared on first use: the tables exist only once migrate() has run.
    const p = (prepared ??= prepare());
    // Indexed columns of the rows as stored, for the sids this transaction has read or written.
    const stored = new Map<string, IndexedValues>();
    const remember = (row: CycleRow) => stored.set(row.sid, indexedValues(row));
    const insertOutbox: TransactionHotOps['insertOutbox'] = (rows) => {
      for (const r of rows) {
        const row = toOutboxRow(r);
        p.insertOutbox.run(OUTBOX_INSERT_COLUMNS.map((c) => row[c]));
      }
      return Promise.resolve();
    };
    const markOutbound: TransactionHotOps['markOutbound'] = (marks) => {
      for (const m of marks) p.markOutbound.run(m.kind, m.name, m.fromMs, m.toMs);
      return Promise.resolve();
    };
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
          if (row) {
            remember(row);
            cycles.push(fromCycleRow(row));
          }
        }
        return Promise.resolve(cycles);
      },
      saveCycles(cycles) {
        const lasts = new Map(cycles.map((c) => [c.sid, c]));
        for (const cycle of lasts.values()) {
          const row = toCycleRow(cycle, encodeBoolean);
          const before = stored.get(row.sid);
          const unindexedOnly =
            before !== undefined && INDEXED_COLUMNS.every((c, i) => before[i] === row[c]);
          // 0 rows changed: another statement of this transaction deleted the row or changed an
          // indexed column since it was read (the transaction holds the write lock, so nothing
          // outside it can have). The full upsert then writes the row whatever its state.
          const updated =
            unindexedOnly &&
            p.updateCycleUnindexed.run([
              ...UNINDEXED_COLUMNS.map((c) => row[c]),
              row.sid,
              ...INDEXED_COLUMNS.map((c) => row[c]),
            ]).changes === 1;
          if (!updated) p.saveCycle.run(CYCLE_COLUMNS.map((c) => row[c]));
          remember(row);
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
      appendAudit(records) {
        // Measured with 50 records per ingest transaction: ~0.5 ms here, ~1 ms for the generic
        // multi-row insert, which Kysely builds and SQLite prepares anew for every batch size.
        for (const record of records) p.appendAudit.run(auditInsertValues(record));
        return Promise.resolve();
      },
      addWebhookTallies(tallies) {
        // One prepared upsert per tally: the generic multi-row upsert is built, compiled and
        // prepared anew for every batch (~12 µs per ingested webhook on the bench machine). Each
        // run adds, so tallies of one (room, minute) need no summing first.
        for (const t of tallies) p.addTally.run(t.room, t.minuteMs, t.received, t.duplicates);
        return Promise.resolve();
      },
      insertOutbox,
      markOutbound,
      async writeOutbound(rows, marks) {
        await insertOutbox(rows);
        await markOutbound(marks);
      },
      listOpenIdentityCycles(pairs) {
        const cycles = [];
        for (const { room, identity } of pairs) {
          for (const row of p.listOpenIdentityCycles.all(room, identity) as CycleRow[]) {
            remember(row);
            cycles.push(fromCycleRow(row));
          }
        }
        return Promise.resolve(cycles);
      },
    };
  };
}

type IndexedValues = readonly unknown[];

function indexedValues(row: CycleRow): IndexedValues {
  return INDEXED_COLUMNS.map((c) => row[c]);
}
