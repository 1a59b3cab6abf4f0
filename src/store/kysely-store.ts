import { sql } from 'kysely';
import { deferBookkeeping } from './bookkeeping-writes.js';
import { mergeOps } from './merge-ops.js';
import { listPendingMigrations, runMigrations } from './run-migrations.js';
import { createStoreOps } from './store-ops.js';
import type { StoreDriver, StoreLogger } from './store-driver.js';
import type { AttendanceStore, ReadCache, StoreOps } from './store.js';

/** AttendanceStore for every dialect: the dialect folders only build the StoreDriver. */
export function createKyselyStore(driver: StoreDriver, logger?: StoreLogger): AttendanceStore {
  const { db } = driver;
  const ops = createStoreOps(db, driver);

  return {
    ...ops,
    ...driver.createHotReads?.(ops),
    dialect: driver.dialect,

    createReadCache<V>(maxEntries: number, opts?: { heavy?: boolean }): ReadCache<V> {
      const cache =
        maxEntries > 0
          ? driver.createReadCache?.<V>(maxEntries, { heavy: opts?.heavy === true })
          : undefined;
      return cache ?? { get: (_key, read) => read() };
    },

    transaction<T>(
      fn: (tx: StoreOps) => Promise<T>,
      opts?: { rooms?: readonly (string | null)[] },
    ): Promise<T> {
      return db.transaction().execute(async (trx) => {
        if (opts?.rooms && opts.rooms.length > 0) await driver.holdRooms?.(trx, opts.rooms);
        // The driver's prepared statements run on the connection this transaction holds.
        const ops: StoreOps = mergeOps(
          createStoreOps(trx, driver),
          driver.createTransactionHotOps?.(trx) ?? {},
        );
        const { writeBookkeeping } = driver;
        if (writeBookkeeping === undefined) {
          const result = await fn(ops);
          driver.beforeCommit?.(trx);
          return result;
        }
        const deferred = deferBookkeeping((records, tallies) =>
          writeBookkeeping(trx, records, tallies),
        );
        const reads: Pick<StoreOps, 'listAudit' | 'sumWebhookTallies'> = {
          // Reads of the deferred tables see this transaction's own writes, as without deferral.
          listAudit: async (query) => (await deferred.flush(), ops.listAudit(query)),
          sumWebhookTallies: async (rooms, fromMs, toMs) => (
            await deferred.flush(),
            ops.sumWebhookTallies(rooms, fromMs, toMs)
          ),
        };
        const result = await fn(mergeOps(ops, deferred.ops, reads));
        await deferred.flush();
        driver.beforeCommit?.(trx);
        return result;
      });
    },

    async tryAcquireLease(name, holder, ttlMs) {
      // One statement, so the database serialises racers: the insert wins when the row is absent;
      // otherwise the update applies only when the lease expired or is ours, and RETURNING yields
      // a row only when this holder now holds it (pg-boss trySetCronTime does the same). Expiry is
      // the database's clock: an instance whose clock runs ahead cannot take a live lease. The
      // token changes whenever the lease was free or had expired, so a holder that lost its lease
      // (even to nobody) can tell from a renewal, and its fenced writes fail.
      const now = driver.nowMsSql;
      // In a transaction: on SQLite its BEGIN IMMEDIATE is where a busy database is waited for.
      const row = await db.transaction().execute((trx) =>
        trx
          .insertInto('leases')
          .values({ name, holder, expires_at_ms: sql<number>`${now} + ${ttlMs}`, token: 1 })
          .onConflict((oc) =>
            oc
              .column('name')
              .doUpdateSet((eb) => ({
                holder: eb.ref('excluded.holder'),
                expires_at_ms: eb.ref('excluded.expires_at_ms'),
                token: sql<number>`case when leases.holder = excluded.holder and leases.expires_at_ms > ${now}
                then leases.token else leases.token + 1 end`,
              }))
              .where((eb) =>
                eb.or([
                  eb('leases.expires_at_ms', '<=', now),
                  eb('leases.holder', '=', eb.ref('excluded.holder')),
                ]),
              ),
          )
          .returning('token')
          .executeTakeFirst(),
      );
      return row === undefined ? null : Number(row.token);
    },

    async releaseLease(name, holder) {
      // Expired rather than deleted: the row keeps its token, so the next taker gets a new one and
      // a stale pass of this holder that renews later is still told it lost the lease.
      await db
        .updateTable('leases')
        .set({ expires_at_ms: 0 })
        .where('name', '=', name)
        .where('holder', '=', holder)
        .execute();
    },

    migrate() {
      return runMigrations(driver, logger);
    },

    listPendingMigrations() {
      return listPendingMigrations(driver);
    },

    async close() {
      await driver.beforeClose?.(logger);
      await db.destroy();
    },
  };
}
