import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttendanceError } from '../../src/core/index.js';
import { openStore, type AttendanceStore, type InboxEntry } from '../../src/store/index.js';
import { openSqliteDriver } from '../../src/store/sqlite/open-sqlite-driver.js';
import { DIALECTS, useTestDatabase } from '../helpers/dialects.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

const entry = (eventId: string): InboxEntry => ({
  eventId,
  source: 'webhook',
  type: 'participant_joined',
  room: 'r1',
  createdAtMs: 1_000,
  receivedAtMs: 1_000,
  body: '{}',
});

/** Resolves once the event loop has run a timer callback: it is not blocked. */
const timerTick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('SQLite connection settings', () => {
  const db = useTestDatabase(sqlite);
  const file = () => db.url.slice('sqlite:'.length);

  it('commits with synchronous = FULL in WAL mode unless told otherwise', async () => {
    const read = async (opts: Parameters<typeof openSqliteDriver>[1]) => {
      const driver = await openSqliteDriver(file(), opts);
      try {
        const pragma = async (name: string) =>
          Object.values((await sql.raw(`pragma ${name}`).execute(driver.db)).rows[0] as object)[0];
        return {
          synchronous: await pragma('synchronous'),
          journalMode: await pragma('journal_mode'),
          busyTimeout: await pragma('busy_timeout'),
        };
      } finally {
        await driver.db.destroy();
      }
    };
    // SQLite's numbers: 1 NORMAL, 2 FULL. busy_timeout 0: SQLite never sleeps on the event loop.
    expect(await read({})).toEqual({ synchronous: 2, journalMode: 'wal', busyTimeout: 0 });
    expect(await read({ synchronous: 'normal' })).toEqual({
      synchronous: 1,
      journalMode: 'wal',
      busyTimeout: 0,
    });
  });
});

describe('SQLite with another connection holding the write lock', () => {
  const db = useTestDatabase(sqlite);
  const file = () => db.url.slice('sqlite:'.length);
  let store: AttendanceStore | undefined;
  let other: Database.Database | undefined;
  afterEach(async () => {
    if (other?.inTransaction) other.exec('rollback');
    other?.close();
    other = undefined;
    await store?.close();
    store = undefined;
  });

  /** Opens the store with a lock-wait observer; `waiting` resolves at its first wait. */
  function open(opts: { migrate: boolean; lockWaitMs?: number }) {
    let onWait = (_what: string): void => undefined;
    const waiting = new Promise<string>((resolve) => (onWait = resolve));
    const waits: string[] = [];
    const opened = openStore(db.url, {
      sqlite: {
        onLockWait: (what) => {
          waits.push(what);
          onWait(what);
        },
        ...(opts.lockWaitMs === undefined ? {} : { lockWaitMs: opts.lockWaitMs }),
      },
    }).then(async (s) => {
      store = s;
      if (opts.migrate) await s.migrate();
      return s;
    });
    return { opened, waiting, waits };
  }

  function lockFromOtherConnection(): Database.Database {
    other = new Database(file());
    other.exec('begin immediate');
    return other;
  }

  it.each([
    [
      'a store transaction',
      (s: AttendanceStore) => s.transaction((tx) => tx.insertInbox([entry('EV_1')])),
    ],
    [
      'a write outside a transaction (the lease)',
      (s: AttendanceStore) => s.tryAcquireLease('reconcile', 'me', 60_000),
    ],
  ])(
    'waits for the lock without blocking the event loop, then commits %s',
    async (_name, write) => {
      const { opened, waiting } = open({ migrate: true });
      const s = await opened;
      const lock = lockFromOtherConnection();
      const order: string[] = [];
      const written = write(s).then(() => order.push('written'));
      expect(await waiting).toMatch(/^begin immediate$|^insert$/);
      await timerTick();
      order.push('timer ran');
      expect(order).toEqual(['timer ran']);
      lock.exec('commit');
      await written;
      expect(order).toEqual(['timer ran', 'written']);
      const rows = (table: string) =>
        (lock.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
      expect(rows('inbox') + rows('leases')).toBe(1);
    },
  );

  it('switches a new file to WAL and migrates it once the other connection lets go', async () => {
    // A fresh file in rollback-journal mode, written by another connection: the switch to WAL
    // needs an exclusive lock, the migrations the write lock.
    const lock = lockFromOtherConnection();
    lock.exec('create table other_app (x integer)');
    const { opened, waiting } = open({ migrate: true });
    const order: string[] = [];
    const migrated = opened.then(() => order.push('migrated'));
    expect(await waiting).toBe('journal_mode = WAL');
    await timerTick();
    order.push('timer ran');
    lock.exec('commit');
    await migrated;
    expect(order).toEqual(['timer ran', 'migrated']);
    expect(await store!.countInbox()).toEqual({ total: 0, unprocessed: 0 });
  });

  it('fails a write that waits past the bound with database_busy and commits nothing', async () => {
    const { opened } = open({ migrate: true, lockWaitMs: 50 });
    const s = await opened;
    const lock = lockFromOtherConnection();
    const error = await s
      .transaction((tx) => tx.insertInbox([entry('EV_1')]))
      .then(
        () => null,
        (e: unknown) => e as AttendanceError,
      );
    expect(error?.code).toBe('database_busy');
    expect(error?.message).toMatch(
      /^the SQLite database stayed locked by another connection for \d+ ms \(begin immediate\)$/,
    );
    lock.exec('commit');
    expect(await s.countInbox()).toEqual({ total: 0, unprocessed: 0 });
    await s.transaction((tx) => tx.insertInbox([entry('EV_2')]));
    expect(await s.countInbox()).toEqual({ total: 1, unprocessed: 1 });
  });
});
