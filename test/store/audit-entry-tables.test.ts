import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/core/index.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { openStore, parseDatabaseUrl } from '../../src/store/index.js';
import type { AttendanceStore, AuditQuery } from '../../src/store/index.js';
import { DIALECTS, useTestDatabase } from '../helpers/dialects.js';
import { T0, makeAudit } from './use-store.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

/**
 * SQLite finds audit records by room and identity through tables written about once a second
 * (migration 0007, sqlite/audit-index.ts), and reads the records above their watermark from
 * audit_log. These tests put records on both sides of the watermark, and check each time that
 * they did, since whichever side a record is on must not change what a listing returns.
 */
describe('SQLite audit entry tables', () => {
  const database = useTestDatabase(sqlite);
  const opened: AttendanceStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  const filename = () => {
    const target = parseDatabaseUrl(database.url);
    if (target.dialect !== 'sqlite') throw new Error('not SQLite');
    return target.filename;
  };
  /** The database as another reader sees it, for what the store does not expose. */
  const inspect = <T>(read: (db: Database.Database) => T): T => {
    const db = new Database(filename(), { readonly: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  };
  const watermark = () =>
    inspect(
      (db) =>
        (
          db.prepare('select indexed_through from audit_index_state').get() as {
            indexed_through: number;
          }
        ).indexed_through,
    );
  const entries = () =>
    inspect((db) => ({
      rooms: db.prepare('select count(*) from audit_rooms').pluck().get(),
      identities: db.prepare('select count(*) from audit_identities').pluck().get(),
    }));
  const open = async (auditIndexIntervalMs?: number) => {
    const store = await openStore(database.url, { sqlite: { auditIndexIntervalMs } });
    opened.push(store);
    await store.migrate();
    return store;
  };
  /** Every page of a listing, `limit` at a time, following the cursor. */
  const pages = async (store: AttendanceStore, q: Omit<AuditQuery, 'limit'>, limit: number) => {
    const sids: (string | null)[] = [];
    let afterId: number | undefined;
    for (;;) {
      const page = await store.listAudit({
        ...q,
        limit,
        ...(afterId === undefined ? {} : { afterId }),
      });
      sids.push(...page.map((r) => r.sid));
      if (page.length < limit) return sids;
      afterId = page.at(-1)!.id;
    }
  };
  const records = (from: number, count: number): AuditRecord[] =>
    Array.from({ length: count }, (_, k) => {
      const i = from + k;
      return makeAudit({
        sid: `PA_${i}`,
        atMs: T0 + i * 1_000,
        room: i % 3 === 0 ? 'room-b' : i % 7 === 0 ? null : 'room-a',
        identity: i % 2 === 0 ? 'alice' : i % 5 === 0 ? null : 'bob',
        session: i % 4 === 0 ? 'S_1' : null,
      });
    });
  const expectListings = async (store: AttendanceStore, written: readonly AuditRecord[]) => {
    const sidsWhere = (keep: (r: AuditRecord) => boolean) => written.filter(keep).map((r) => r.sid);
    for (const limit of [1, 4, 100]) {
      expect(await pages(store, { room: 'room-a' }, limit)).toEqual(
        sidsWhere((r) => r.room === 'room-a'),
      );
      expect(await pages(store, { identity: 'bob' }, limit)).toEqual(
        sidsWhere((r) => r.identity === 'bob'),
      );
      expect(await pages(store, { room: 'room-b', identity: 'alice' }, limit)).toEqual(
        sidsWhere((r) => r.room === 'room-b' && r.identity === 'alice'),
      );
      for (const rooms of [['room-b'], ['room-a', 'room-b']]) {
        const sessionRooms = { rooms, sinceMs: T0 + 5_000, untilMs: T0 + 30_000 };
        expect(await pages(store, { session: 'S_1', sessionRooms }, limit)).toEqual(
          sidsWhere(
            (r) =>
              r.session === 'S_1' ||
              (r.session === null &&
                r.room !== null &&
                rooms.includes(r.room) &&
                r.atMs >= sessionRooms.sinceMs &&
                r.atMs <= sessionRooms.untilMs),
          ),
        );
      }
    }
    expect(await pages(store, { room: 'room-z' }, 10)).toEqual([]);
    expect(await pages(store, { identity: 'carol' }, 10)).toEqual([]);
  };

  it('lists the same records before indexing, across the watermark and after it', async () => {
    const store = await open(60_000);
    // Outside a transaction nothing indexes: every record is above the watermark.
    const first = records(0, 20);
    await store.appendAudit(first);
    expect(watermark()).toBe(0);
    await expectListings(store, first);

    // A transaction indexes what is waiting (its first one is always due), with its own records.
    const second = records(20, 10);
    await store.transaction((tx) => tx.appendAudit(second));
    const all = await store.listAudit({ limit: 1_000 });
    expect(watermark()).toBe(all.at(-1)!.id);
    expect(entries()).toEqual({
      rooms: [...first, ...second].filter((r) => r.room !== null).length,
      identities: [...first, ...second].filter((r) => r.identity !== null).length,
    });

    // Not due again yet: these stay above the watermark, and pages cross it.
    const third = records(30, 15);
    await store.transaction((tx) => tx.appendAudit(third));
    expect(watermark()).toBe(all.at(-1)!.id);
    await expectListings(store, [...first, ...second, ...third]);
    expect(await pages(store, { room: 'room-a', sinceMs: T0 + 25_000 }, 2)).toEqual(
      [...second, ...third]
        .filter((r) => r.room === 'room-a' && r.atMs >= T0 + 25_000)
        .map((r) => r.sid),
    );
  });

  it('indexes nothing in a transaction that fails, and what waits in the next', async () => {
    const store = await open(0);
    await store.appendAudit(records(0, 5));
    await expect(
      store.transaction(async (tx) => {
        await tx.appendAudit(records(5, 5));
        throw new Error('apply failed');
      }),
    ).rejects.toThrow('apply failed');
    expect(watermark()).toBe(0);
    expect(entries()).toEqual({ rooms: 0, identities: 0 });
    await store.transaction(() => Promise.resolve());
    expect(watermark()).toBe(5);
    await expectListings(store, records(0, 5));
  });

  it("finds another process's records, indexed or not, and indexes its own at close", async () => {
    const reader = await open(60_000);
    const writer = await open(60_000);
    // The writer's first transaction indexes (nothing yet); its next is not due for a minute.
    await writer.transaction(() => Promise.resolve());
    const written = records(0, 12);
    await writer.transaction((tx) => tx.appendAudit(written));
    expect(watermark()).toBe(0);
    await expectListings(reader, written);

    // A process that only read leaves the file as it found it at close, even with records waiting.
    const idle = await open();
    await expectListings(idle, written);
    await idle.close();
    opened.splice(opened.indexOf(idle), 1);
    expect(watermark()).toBe(0);

    await writer.close();
    opened.splice(opened.indexOf(writer), 1);
    expect(watermark()).toBe(12);
    await expectListings(reader, written);
  });

  it('never skips a record when a reader follows the cursor while another writes', async () => {
    // The listing reads in several statements; records committed between them must not let a
    // page return a later record without an earlier one (the cursor would pass it for good).
    const writer = await open(0);
    const reader = await open(0);
    const sessionRooms = {
      rooms: ['room-a', 'room-b'],
      sinceMs: 0,
      untilMs: Number.MAX_SAFE_INTEGER,
    };
    const expected: (string | null)[] = [];
    let writing = true;
    const write = (async () => {
      for (let i = 0; i < 300; i++) {
        // A room's record and then the session's own, in one commit.
        const pair = [
          makeAudit({ sid: `room_${i}`, room: i % 2 === 0 ? 'room-a' : 'room-b', session: null }),
          makeAudit({ sid: `session_${i}`, room: null, identity: null, session: 'S_1' }),
        ];
        await writer.transaction((tx) => tx.appendAudit(pair));
        expected.push(...pair.map((r) => r.sid));
      }
      writing = false;
    })();
    const seen: (string | null)[] = [];
    let afterId: number | undefined;
    for (let idle = false; !idle;) {
      const stillWriting = writing;
      const page = await reader.listAudit({
        session: 'S_1',
        sessionRooms,
        limit: 3,
        ...(afterId === undefined ? {} : { afterId }),
      });
      seen.push(...page.map((r) => r.sid));
      if (page.length > 0) afterId = page.at(-1)!.id;
      idle = !stillWriting && page.length === 0;
    }
    await write;
    expect(seen).toEqual(expected);
  });

  it('migration 0007 indexes the records written before it and drops the two indexes', async () => {
    const db = new Kysely<any>({
      dialect: new SqliteDialect({ database: new Database(filename()) }),
    });
    const written = records(0, 40);
    try {
      const migrator = new Migrator({
        db,
        provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) },
      });
      expect((await migrator.migrateTo('0006-inbox-retention')).error).toBeUndefined();
      for (const r of written) {
        await db
          .insertInto('audit_log')
          .values({
            at_ms: r.atMs,
            action: r.action,
            source: r.source,
            session: r.session,
            room: r.room,
            identity: r.identity,
            sid: r.sid,
          })
          .execute();
      }
    } finally {
      await db.destroy();
    }
    // A store serving before it migrates (not ready yet) lists through the old indexes.
    const early = await openStore(database.url);
    opened.push(early);
    await expectListings(early, written);
    await early.transaction((tx) => tx.appendAudit([]));

    const store = await open();
    expect(watermark()).toBe(40);
    expect(entries()).toEqual({
      rooms: written.filter((r) => r.room !== null).length,
      identities: written.filter((r) => r.identity !== null).length,
    });
    expect(
      inspect((d) =>
        d
          .prepare("select name from sqlite_master where type = 'index' and tbl_name = 'audit_log'")
          .pluck()
          .all(),
      ),
    ).toEqual(['audit_log_session_idx']);
    await expectListings(store, written);
  });
});
