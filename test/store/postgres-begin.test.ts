import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKyselyStore } from '../../src/store/kysely-store.js';
import { openPostgresDriver } from '../../src/store/postgres/open-postgres-driver.js';
import type { StoreDriver } from '../../src/store/store-driver.js';
import { DIALECTS, useTestDatabase } from '../helpers/dialects.js';

const postgres = DIALECTS.find((d) => d.name === 'postgres')!;

// BeginWithFirstStatementDriver sends `begin` with a transaction's first statement: these hold it
// to what Kysely's own driver promises (one transaction, its rows, commit and rollback).
describe.skipIf(!postgres.enabled)(
  'PostgreSQL transactions whose begin travels with a statement',
  () => {
    const database = useTestDatabase(postgres);
    let driver: StoreDriver;
    beforeEach(async () => {
      driver = openPostgresDriver(database.url);
      await sql`create table if not exists t (n int primary key)`.execute(driver.db);
      await sql`truncate t`.execute(driver.db);
    });
    afterEach(() => driver.db.destroy());

    const count = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from t`.execute(driver.db)).rows[0]!.n;
    const xid = sql<{ x: string }>`select txid_current()::text as x`;

    it('runs a first statement without parameters inside the transaction and returns its rows', async () => {
      const ids = await driver.db.transaction().execute(async (trx) => {
        const first = (await xid.execute(trx)).rows[0]!.x;
        const second = (await xid.execute(trx)).rows[0]!.x;
        return [first, second];
      });
      expect(ids[0]).toMatch(/^\d+$/);
      expect(ids[1]).toBe(ids[0]); // one transaction: autocommit statements get one id each
    });

    it('runs a first statement with parameters inside the transaction too', async () => {
      const [a, b] = await driver.db.transaction().execute(async (trx) => {
        await sql`insert into t values (${1})`.execute(trx);
        return [(await xid.execute(trx)).rows[0]!.x, (await xid.execute(trx)).rows[0]!.x];
      });
      expect(b).toBe(a);
      expect(await count()).toBe(1);
    });

    it('rolls back everything, the first statement included, when the transaction throws', async () => {
      const attempt = driver.db.transaction().execute(async (trx) => {
        await driver.holdRooms!(trx, ['room-a']);
        await sql`insert into t values (${1})`.execute(trx);
        throw new Error('boom');
      });
      await expect(attempt).rejects.toThrow('boom');
      expect(await count()).toBe(0);
      // The connection went back clean: the next transaction commits.
      await driver.db.transaction().execute(async (trx) => {
        await sql`insert into t values (${2})`.execute(trx);
      });
      expect(await count()).toBe(1);
    });

    it('reports an aborted transaction at commit, as PostgreSQL answers it', async () => {
      const attempt = driver.db.transaction().execute(async (trx) => {
        await sql`insert into t values (${1})`.execute(trx);
        await sql`insert into t values (${1})`.execute(trx).catch(() => undefined); // duplicate key
      });
      await expect(attempt).rejects.toThrow();
      expect(await count()).toBe(0);
    });

    it('commits a transaction that ran nothing, and holds a room until commit', async () => {
      await driver.db.transaction().execute(() => Promise.resolve());
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const first = driver.db.transaction().execute(async (trx) => {
        await driver.holdRooms!(trx, ['room-a', 'room-b']);
        await held;
        await sql`insert into t values (${1})`.execute(trx);
      });
      await new Promise((r) => setTimeout(r, 100));
      const second = driver.db.transaction().execute(async (trx) => {
        await driver.holdRooms!(trx, ['room-b']);
        return count();
      });
      await new Promise((r) => setTimeout(r, 100));
      release();
      await first;
      // The second transaction waited for room-b, so it saw the first one's row.
      expect(await second).toBe(1);
    });
  },
);

// The ingest transaction's writes (src/store/postgres/bulk-writes.ts) are fixed statements over
// arrays: they must reach PostgreSQL as named prepared statements, parsed once per connection.
describe.skipIf(!postgres.enabled)('PostgreSQL ingest writes as prepared statements', () => {
  const database = useTestDatabase(postgres);

  it('prepares the inbox insert once per connection and reuses it', async () => {
    const driver = openPostgresDriver(database.url);
    const store = createKyselyStore(driver);
    try {
      await store.migrate();
      const entry = (n: number) => ({
        eventId: `EV_prepared_${n}`,
        source: 'webhook' as const,
        type: 'participant_joined',
        room: 'room-p',
        createdAtMs: 1_700_000_000_000 + n,
        receivedAtMs: 1_700_000_000_000 + n,
        body: `{"n":${n}}`,
      });
      const seen = await driver.db.transaction().execute(async (trx) => {
        const hot = driver.createTransactionHotOps!(trx);
        const first = await hot.insertInbox!([entry(1), entry(2), entry(1)]);
        const again = await hot.insertInbox!([entry(2), entry(3)]);
        const { rows } = await sql<{ name: string }>`
          select name from pg_prepared_statements where name like 'attendance_%'`.execute(trx);
        return { first, again, names: rows.map((r) => r.name) };
      });
      expect(seen.first).toEqual(['EV_prepared_1', 'EV_prepared_2']);
      expect(seen.again).toEqual(['EV_prepared_3']);
      expect(seen.names).toEqual(['attendance_insert_inbox']);
      expect((await store.countInbox()).total).toBe(3);
    } finally {
      await store.close();
    }
  });
});
