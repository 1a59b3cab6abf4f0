import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cycle } from '../../src/core/index.js';
import { openStore, type AttendanceStore } from '../../src/store/index.js';
import { SqliteReadCache } from '../../src/store/sqlite/read-cache.js';
import { DIALECTS, describeEachDialect } from '../helpers/dialects.js';
import { T0, makeCycle, useMigratedStore } from './use-store.js';

// SQLite answers repeated status reads from memory (SqliteReadCache); these tests hold either
// dialect to the same promise: a status read always shows every write committed before it starts,
// whoever wrote it.
describeEachDialect('status reads after writes', (dialect) => {
  const ctx = useMigratedStore(dialect);
  const others: AttendanceStore[] = [];
  afterEach(async () => {
    await Promise.all(others.splice(0).map((s) => s.close()));
  });

  const cycleSids = async (store: AttendanceStore) =>
    (await store.getIdentityAttendance('room-a', 'alice')).cycles.map((c) => c.sid);

  it('shows a cycle saved after an earlier read of the same identity', async () => {
    const { store } = ctx;
    expect(await cycleSids(store)).toEqual([]);
    await store.saveCycles([makeCycle({ sid: 'PA_1' })]);
    expect(await cycleSids(store)).toEqual(['PA_1']);
    await store.saveCycles([makeCycle({ sid: 'PA_1', endedAtMs: T0 + 5_000, endedBy: 'webhook' })]);
    const [cycle] = (await store.getIdentityAttendance('room-a', 'alice')).cycles;
    expect(cycle?.endedAtMs).toBe(T0 + 5_000);
  });

  it('shows writes committed by a transaction, and not those rolled back', async () => {
    const { store } = ctx;
    await store.saveCycles([makeCycle({ sid: 'PA_1' })]);
    expect(await cycleSids(store)).toEqual(['PA_1']);
    await store.transaction((tx) =>
      tx.saveCycles([makeCycle({ sid: 'PA_2', joinedAtMs: T0 + 60_000 })]),
    );
    expect(await cycleSids(store)).toEqual(['PA_1', 'PA_2']);
    await expect(
      store.transaction(async (tx) => {
        await tx.saveCycles([makeCycle({ sid: 'PA_3', joinedAtMs: T0 + 90_000 })]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await cycleSids(store)).toEqual(['PA_1', 'PA_2']);
  });

  it("shows a room's new lastVerifiedAt, with or without cycles", async () => {
    const { store } = ctx;
    await store.saveCycles([makeCycle({ sid: 'PA_1' })]);
    expect((await store.getIdentityAttendance('room-a', 'alice')).lastVerifiedAtMs).toBe(null);
    expect((await store.getIdentityAttendance('room-a', 'nobody')).lastVerifiedAtMs).toBe(null);
    await store.markRoomVerified('room-a', T0 + 99);
    expect((await store.getIdentityAttendance('room-a', 'alice')).lastVerifiedAtMs).toBe(T0 + 99);
    expect((await store.getIdentityAttendance('room-a', 'nobody')).lastVerifiedAtMs).toBe(T0 + 99);
  });

  it('shows what another connection to the same database wrote', async () => {
    const { store } = ctx;
    const other = await openStore(ctx.url);
    others.push(other);
    await store.saveCycles([makeCycle({ sid: 'PA_1' })]);
    expect(await cycleSids(store)).toEqual(['PA_1']);
    await other.saveCycles([makeCycle({ sid: 'PA_2', joinedAtMs: T0 + 60_000 })]);
    expect(await cycleSids(store)).toEqual(['PA_1', 'PA_2']);
    await other.transaction((tx) => tx.markRoomVerified('room-a', T0 + 7));
    expect((await store.getIdentityAttendance('room-a', 'alice')).lastVerifiedAtMs).toBe(T0 + 7);
  });

  it('keeps answers apart for rooms and identities whose names run together', async () => {
    const { store } = ctx;
    await store.saveCycles([
      makeCycle({ sid: 'PA_1', room: 'ab', identity: 'c' }),
      makeCycle({ sid: 'PA_2', room: 'a', identity: 'bc' }),
    ]);
    expect((await store.getIdentityAttendance('ab', 'c')).cycles.map((c) => c.sid)).toEqual([
      'PA_1',
    ]);
    expect((await store.getIdentityAttendance('a', 'bc')).cycles.map((c) => c.sid)).toEqual([
      'PA_2',
    ]);
  });
});

describe('SQLite status reads', () => {
  const sqlite = DIALECTS.find((d) => d.name === 'sqlite');
  if (sqlite === undefined) throw new Error('no sqlite test dialect');
  const ctx = useMigratedStore(sqlite);

  it('shows a write made by another process (the CLI, a second instance)', async () => {
    const { store } = ctx;
    await store.saveCycles([makeCycle({ sid: 'PA_1' })]);
    expect((await store.getIdentityAttendance('room-a', 'alice')).cycles[0]?.endedAtMs).toBe(null);
    const file = ctx.url.slice('sqlite:'.length);
    execFileSync(process.execPath, [
      '--input-type=module',
      '-e',
      `import Database from 'better-sqlite3';
       const db = new Database(process.argv[1]);
       db.prepare("update cycles set ended_at_ms = ?, ended_by = 'manual' where sid = 'PA_1'").run(${T0 + 1_000});
       db.close();`,
      file,
    ]);
    const [cycle] = (await store.getIdentityAttendance('room-a', 'alice')).cycles;
    expect(cycle?.endedAtMs).toBe(T0 + 1_000);
    expect(cycle?.endedBy).toBe('manual');
  });

  it('hands out rows that cannot be changed by one reader under another', async () => {
    const { store } = ctx;
    await store.saveCycles([makeCycle({ sid: 'PA_1' })]);
    const first = await store.getIdentityAttendance('room-a', 'alice');
    expect(() => (first.cycles as Cycle[]).push(makeCycle({ sid: 'PA_x' }))).toThrow(TypeError);
    expect(() => {
      (first.cycles[0] as { endedAtMs: number | null }).endedAtMs = 1;
    }).toThrow(TypeError);
    expect((await store.getIdentityAttendance('room-a', 'alice')).cycles).toEqual([
      makeCycle({ sid: 'PA_1' }),
    ]);
  });
});

describe('SqliteReadCache', () => {
  let database: Database.Database | undefined;
  afterEach(() => database?.close());
  const open = () => {
    database = new Database(':memory:');
    database.exec('create table t (x integer)');
    return database;
  };
  const counting = () => {
    let reads = 0;
    return {
      read: (value: string) => () => {
        reads++;
        return value;
      },
      get reads() {
        return reads;
      },
    };
  };

  it('reads once while nothing changes, and again after any write', () => {
    const db = open();
    const cache = new SqliteReadCache<string>(db, { maxEntries: 10 });
    const c = counting();
    expect(cache.get('k', c.read('v1'))).toBe('v1');
    expect(cache.get('k', c.read('v2'))).toBe('v1');
    expect(c.reads).toBe(1);
    db.prepare('insert into t values (1)').run();
    expect(cache.get('k', c.read('v3'))).toBe('v3');
    expect(c.reads).toBe(2);
  });

  /** Two connections to one WAL file with a table `t`, closed and removed after `fn`. */
  const withTwoConnections = (fn: (db: Database.Database, other: Database.Database) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'read-cache-'));
    const file = join(dir, 'cache.db');
    const db = new Database(file);
    const other = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.exec('create table t (x integer)');
      fn(db, other);
    } finally {
      other.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('drops everything after a write by another connection', () => {
    withTwoConnections((db, other) => {
      const cache = new SqliteReadCache<string>(db, { maxEntries: 10 });
      expect(cache.get('k', () => 'before')).toBe('before');
      expect(cache.get('k', () => 'unused')).toBe('before');
      other.prepare('insert into t values (1)').run();
      expect(cache.get('k', () => 'after')).toBe('after');
    });
  });

  it('never keeps rows under a version older than they are', () => {
    withTwoConnections((db, other) => {
      const cache = new SqliteReadCache<number>(db, { maxEntries: 10 });
      let reads = 0;
      const count = () => ++reads;
      cache.get('k', count);
      // Another connection commits after these rows were read: the entry must not outlive it.
      cache.get('j', () => {
        const n = count();
        other.exec('insert into t values (1)');
        return n;
      });
      expect(cache.get('j', count)).toBe(3);
    });
  });

  it('keeps an awaited read only when nothing changed while it ran', async () => {
    const db = open();
    const cache = new SqliteReadCache<string>(db, { maxEntries: 10 });
    const c = counting();
    expect(await cache.getAsync('k', () => Promise.resolve(c.read('v1')()))).toBe('v1');
    expect(await cache.getAsync('k', () => Promise.resolve(c.read('v2')()))).toBe('v1');
    expect(c.reads).toBe(1);
    // While one read awaits, a write lands and another lookup sees the new version: the first
    // read's value predates the write and must not be kept under that version.
    const racing = await cache.getAsync('j', async () => {
      const v = c.read('stale')();
      await Promise.resolve();
      db.exec('insert into t values (1)');
      await cache.getAsync('other', () => Promise.resolve('x'));
      return v;
    });
    expect(racing).toBe('stale');
    expect(await cache.getAsync('j', () => Promise.resolve(c.read('fresh')()))).toBe('fresh');
    expect(await cache.getAsync('j', () => Promise.resolve(c.read('unused')()))).toBe('fresh');
    expect(c.reads).toBe(3);
  });

  it('keeps no awaited read under a version another connection moved on from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'read-cache-'));
    const file = join(dir, 'cache.db');
    const db = new Database(file);
    const other = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.exec('create table t (x integer)');
      const cache = new SqliteReadCache<number>(db, { maxEntries: 10 });
      await cache.getAsync('k', async () => {
        await Promise.resolve();
        other.exec('insert into t values (1)');
        await cache.getAsync('other', () => Promise.resolve(0));
        return 1;
      });
      expect(await cache.getAsync('k', () => Promise.resolve(2))).toBe(2);
      expect(await cache.getAsync('k', () => Promise.resolve(3))).toBe(2);
    } finally {
      other.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a size that is not a non-negative integer', () => {
    const db = open();
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new SqliteReadCache<string>(db, { maxEntries: bad })).toThrow(RangeError);
    }
  });

  it('holds at most maxEntries, dropping the oldest first', () => {
    const cache = new SqliteReadCache<string>(open(), { maxEntries: 2 });
    const c = counting();
    cache.get('a', c.read('a'));
    cache.get('b', c.read('b'));
    cache.get('c', c.read('c'));
    expect(cache.size).toBe(2);
    cache.get('b', c.read('b'));
    cache.get('c', c.read('c'));
    expect(c.reads).toBe(3);
    cache.get('a', c.read('a'));
    expect(c.reads).toBe(4);
  });

  it('tells an observer of every hit and miss', () => {
    const db = open();
    const seen: boolean[] = [];
    const cache = new SqliteReadCache<string>(db, { onLookup: (hit) => seen.push(hit) });
    cache.get('k', () => 'v');
    cache.get('k', () => 'v');
    db.exec('insert into t values (1)');
    cache.get('k', () => 'v');
    expect(seen).toEqual([false, true, false]);
  });

  it('reads every time with maxEntries 0, each a miss', () => {
    const seen: boolean[] = [];
    const cache = new SqliteReadCache<string>(open(), {
      maxEntries: 0,
      onLookup: (hit) => seen.push(hit),
    });
    const c = counting();
    cache.get('k', c.read('v'));
    cache.get('k', c.read('v'));
    expect(c.reads).toBe(2);
    expect(seen).toEqual([false, false]);
    expect(cache.size).toBe(0);
  });
});
