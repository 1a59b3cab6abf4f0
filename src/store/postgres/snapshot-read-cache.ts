import { sql, type Kysely } from 'kysely';
import type { Database } from '../rows.js';
import type { ReadCache } from '../store.js';

/**
 * A ReadCache for PostgreSQL, checked against the database's own visibility: entries are kept with
 * the snapshot (`pg_current_snapshot()`: xmin, xmax, in-progress xids) they were read under, and
 * served while the current snapshot is the same one. Any transaction that ends, on any instance,
 * changes it (its xid leaves the in-progress list, or xmax moves past it), so an equal snapshot
 * means nothing was committed since the entry was read. A lookup costs one round trip, which is
 * why only composite reads (a session report's inputs) use it.
 *
 * A value is kept only if the snapshot was the same before and after its read: then each of the
 * read's statements saw that same snapshot, whatever their number.
 */
export class SnapshotReadCache<V> implements ReadCache<V> {
  private snapshot: string | null = null;
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxEntries: number,
  ) {}

  async get(key: string, read: () => Promise<V>): Promise<V> {
    const before = await this.currentSnapshot();
    if (before !== this.snapshot) {
      this.entries.clear();
      this.snapshot = before;
    }
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const value = await read();
    // Kept only under the newest snapshot seen: an older value must not land in a newer cache.
    if ((await this.currentSnapshot()) === before && this.snapshot === before) {
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next();
        if (oldest.done !== true) this.entries.delete(oldest.value);
      }
      this.entries.set(key, value);
    }
    return value;
  }

  private async currentSnapshot(): Promise<string> {
    const { rows } = await sql<{ s: string }>`select pg_current_snapshot()::text as s`.execute(
      this.db,
    );
    return rows[0]?.s ?? '';
  }
}
