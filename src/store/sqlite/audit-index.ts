import type BetterSqlite3 from 'better-sqlite3';

/**
 * How often a store transaction also brings the audit entry tables up to date, in ms. Longer
 * batches write more entries per index page; the records not yet indexed are read from
 * `audit_log` by id, so a second of them costs a read very little.
 */
export const AUDIT_INDEX_INTERVAL_MS = 1_000;

/** A row when migration 0007 has run (its tables exist), none before. */
export const AUDIT_INDEX_MIGRATED_SQL =
  "select 1 from sqlite_master where type = 'table' and name = 'audit_index_state'";

export interface AuditIndexer {
  /**
   * Inside a store transaction, just before its COMMIT: indexes the records written since the
   * last time when AUDIT_INDEX_INTERVAL_MS has passed, so the entries commit with the transaction
   * (and roll back with it).
   */
  indexIfDue(): void;
  /**
   * Whether this process committed a transaction since it last indexed and records are waiting
   * (reads only): a process that only read, such as a `report`, leaves the file as it found it.
   */
  shouldIndexAtClose(): boolean;
  /** Inside a store transaction: indexes every record written so far. */
  indexAll(): void;
}

export interface AuditIndexerOptions {
  intervalMs?: number | undefined;
}

/**
 * Keeps `audit_rooms` and `audit_identities` (migration 0007) complete up to
 * `audit_index_state.indexed_through`. Sound because SQLite has one writer at a time, and every
 * store transaction takes the write lock at BEGIN IMMEDIATE: ids are assigned while it is held,
 * so a transaction that indexes sees every record committed before it, every record committed
 * after it has a larger id (AUTOINCREMENT never reuses one), and the entries and the watermark
 * commit or roll back together. (Audit records are never deleted; a retention that deletes them
 * must delete their entries in the same transaction.) Any process writing to the file does this in
 * its own transactions; a record not indexed yet, also one of a process that stopped before
 * indexing it, is found above the watermark by listAuditByEntryTables. If a COMMIT fails after
 * indexing, the entries roll back and the next indexing (a second later) writes them.
 */
export function createAuditIndexer(
  database: BetterSqlite3.Database,
  opts: AuditIndexerOptions = {},
): AuditIndexer {
  const intervalMs = opts.intervalMs ?? AUDIT_INDEX_INTERVAL_MS;
  let lastMs = Number.NEGATIVE_INFINITY;
  // A transaction committed (or is about to) since this process last indexed.
  let wroteSinceIndexing = false;
  let prepared: ReturnType<typeof prepare> | undefined;
  const prepare = () => ({
    watermark: database.prepare('select indexed_through from audit_index_state').pluck(),
    top: database.prepare('select max(id) from audit_log').pluck(),
    // In key order, so that each leaf is written once however many of its entries are added. No
    // conflict is possible (the watermark is read in this transaction); DO NOTHING keeps a repeat
    // harmless all the same.
    rooms: database.prepare(
      `insert into audit_rooms (room, id) select room, id from audit_log
       where id > ? and id <= ? and room is not null order by room, id
       on conflict do nothing`,
    ),
    identities: database.prepare(
      `insert into audit_identities (identity, id) select identity, id from audit_log
       where id > ? and id <= ? and identity is not null order by identity, id
       on conflict do nothing`,
    ),
    advance: database.prepare('update audit_index_state set indexed_through = ?'),
  });
  const statements = () => {
    // Before migration 0007 (a store opened to check or run migrations) there is nothing to do.
    if (prepared === undefined && migrated()) prepared = prepare();
    return prepared;
  };
  const migrated = () => database.prepare(AUDIT_INDEX_MIGRATED_SQL).get() !== undefined;
  const pending = (p: NonNullable<ReturnType<typeof statements>>) => {
    const from = Number(p.watermark.get() ?? 0);
    const through = Number(p.top.get() ?? 0);
    return { from, through };
  };
  const indexAll = () => {
    wroteSinceIndexing = false;
    const p = statements();
    if (p === undefined) return;
    const { from, through } = pending(p);
    if (through <= from) return;
    p.rooms.run(from, through);
    p.identities.run(from, through);
    p.advance.run(through);
  };
  return {
    indexIfDue() {
      // Never outside a transaction (SQLite ends one on some errors): the entries and the
      // watermark must commit with the records they cover, under the write lock.
      if (!database.inTransaction) return;
      // Only when to index, never what is recorded: a monotonic clock of this process.
      const t = performance.now();
      if (t - lastMs < intervalMs) {
        wroteSinceIndexing = true;
        return;
      }
      lastMs = t;
      indexAll();
    },
    shouldIndexAtClose() {
      if (!wroteSinceIndexing) return false;
      const p = statements();
      if (p === undefined) return false;
      const { from, through } = pending(p);
      return through > from;
    },
    indexAll,
  };
}
