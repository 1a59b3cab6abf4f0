import type BetterSqlite3 from 'better-sqlite3';

/** Entries kept at most; the oldest go first. ~1–2 KB each for a participant with a few cycles. */
export const READ_CACHE_MAX_ENTRIES = 10_000;

export interface ReadCacheOptions {
  /** Entries kept at most (default READ_CACHE_MAX_ENTRIES); 0 reads every time, caching nothing. */
  maxEntries?: number | undefined;
  /** Told of every lookup: answered from memory (true) or read (false, always with 0 entries). */
  onLookup?: ((hit: boolean) => void) | undefined;
}

/**
 * Results of reads kept in memory for as long as the SQLite database has not changed since they
 * were read. Two counters tell "changed", each cheap (~1 µs), checked before every lookup:
 * - `total_changes()`: rows inserted, updated or deleted by this connection (committed or not:
 *   a rolled-back write also empties the cache, which is merely conservative);
 * - `PRAGMA data_version`: changes by any other connection, in this process or another (the CLI,
 *   a second service instance on the same file), committed since this connection last looked.
 * Any change empties the whole cache: no key-by-key invalidation to get wrong. The counters are
 * read before the rows, so an entry is never older than the version it is stored under (a commit
 * landing in between only empties the cache at the next lookup).
 * Neither counter moves for schema changes made on this connection (DDL): migrations are safe
 * because Kysely's migrator also inserts into its migration table; any other DDL path would have
 * to empty the cache itself.
 */
export class SqliteReadCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly totalChanges: BetterSqlite3.Statement<[], number>;
  private readonly dataVersion: BetterSqlite3.Statement<[], number>;
  private changes = -1;
  private dataVersionSeen = -1;

  private readonly maxEntries: number;
  private readonly onLookup: ((hit: boolean) => void) | undefined;

  constructor(database: BetterSqlite3.Database, options: ReadCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? READ_CACHE_MAX_ENTRIES;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) {
      throw new RangeError(`maxEntries must be a non-negative integer, got ${maxEntries}`);
    }
    this.maxEntries = maxEntries;
    this.onLookup = options.onLookup;
    // Two statements: ~0.1 µs and ~3 µs; one select of both via pragma_data_version costs more.
    this.totalChanges = database.prepare<[], number>('select total_changes()').pluck();
    this.dataVersion = database.prepare<[], number>('pragma data_version').pluck();
  }

  /** The cached value of `key`, or the value `read()` gives (then cached). */
  get(key: string, read: () => V): V {
    if (this.maxEntries === 0) {
      this.onLookup?.(false);
      return read();
    }
    this.refresh();
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.onLookup?.(true);
      return hit;
    }
    this.onLookup?.(false);
    const value = read();
    this.keep(key, value);
    return value;
  }

  /**
   * `get` for reads that await (several queries through Kysely, which queue behind a running
   * transaction). The value is kept only if neither counter moved from before the read to after
   * it: otherwise a write committed while the read was under way, and a lookup in between may
   * already have moved the cache to the newer version, under which this older value must not be
   * kept.
   */
  async getAsync(key: string, read: () => Promise<V>): Promise<V> {
    if (this.maxEntries === 0) {
      this.onLookup?.(false);
      return read();
    }
    this.refresh();
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.onLookup?.(true);
      return hit;
    }
    this.onLookup?.(false);
    const changes = this.changes;
    const dataVersion = this.dataVersionSeen;
    const value = await read();
    this.refresh();
    if (this.changes === changes && this.dataVersionSeen === dataVersion) this.keep(key, value);
    return value;
  }

  /** Empties the cache when either counter moved since it was last read. */
  private refresh(): void {
    const changes = this.totalChanges.get() ?? -1;
    const dataVersion = this.dataVersion.get() ?? -1;
    if (changes !== this.changes || dataVersion !== this.dataVersionSeen) {
      this.entries.clear();
      this.changes = changes;
      this.dataVersionSeen = dataVersion;
    }
  }

  private keep(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries) {
      // Map iterates in insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, value);
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }
}
