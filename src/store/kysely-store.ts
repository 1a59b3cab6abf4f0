import { runMigrations } from './run-migrations.js';
import { createStoreOps } from './store-ops.js';
import type { StoreDriver, StoreLogger } from './store-driver.js';
import type { AttendanceStore, StoreOps } from './store.js';

/** AttendanceStore for every dialect: the dialect folders only build the StoreDriver. */
export function createKyselyStore(driver: StoreDriver, logger?: StoreLogger): AttendanceStore {
  const { db } = driver;
  const encodeBoolean = (value: boolean) => driver.encodeBoolean(value);
  const ops = createStoreOps(db, encodeBoolean);

  return {
    ...ops,
    ...driver.createHotReads?.(ops),
    dialect: driver.dialect,

    transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> {
      return db.transaction().execute(async (trx) => {
        await driver.serializeWriters?.(trx);
        // The driver's prepared statements run on the connection this transaction holds.
        return fn({ ...createStoreOps(trx, encodeBoolean), ...driver.createTransactionHotOps?.() });
      });
    },

    resetDerivedState() {
      return db
        .transaction()
        .execute((trx) => createStoreOps(trx, encodeBoolean).resetDerivedState());
    },

    async tryAcquireLease(name, holder, nowMs, ttlMs) {
      // One statement, so the database serialises racers: the insert wins when the row is absent;
      // otherwise the update applies only when the lease expired or is ours, and RETURNING yields
      // a row only when this holder now holds it (pg-boss trySetCronTime does the same).
      const row = await db
        .insertInto('leases')
        .values({ name, holder, expires_at_ms: nowMs + ttlMs })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet((eb) => ({
              holder: eb.ref('excluded.holder'),
              expires_at_ms: eb.ref('excluded.expires_at_ms'),
            }))
            .where((eb) =>
              eb.or([
                eb('leases.expires_at_ms', '<=', nowMs),
                eb('leases.holder', '=', eb.ref('excluded.holder')),
              ]),
            ),
        )
        .returning('holder')
        .executeTakeFirst();
      return row !== undefined;
    },

    async releaseLease(name, holder) {
      await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
    },

    migrate() {
      return runMigrations(driver, logger);
    },

    async close() {
      await db.destroy();
    },
  };
}
