import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openPostgresDriver } from '../../src/store/postgres/open-postgres-driver.js';
import { DIALECTS, useTestDatabase } from '../helpers/dialects.js';
import { rawQuery } from '../helpers/raw-sql.js';

const postgres = DIALECTS.find((d) => d.name === 'postgres')!;

describe.skipIf(!postgres.enabled)('a PostgreSQL connection lost while checked out', () => {
  const db = useTestDatabase(postgres);

  // Found by test/faults/postgres-restart.test.ts: the server stopping while a transaction held a
  // client between two statements crashed the service with an unhandled 'error' event.
  it('fails that transaction, logs it and leaves the process and the pool working', async () => {
    const warnings: string[] = [];
    const driver = openPostgresDriver(db.url, {
      info: () => undefined,
      warn: (_obj, msg) => warnings.push(msg),
    });
    try {
      const attempt = driver.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        await rawQuery(db.url, `select pg_terminate_backend(${rows[0]!.pid})`);
        // Idle in the transaction until the client notices the connection is gone.
        for (let i = 0; i < 600 && warnings.length === 0; i++)
          await new Promise((r) => setTimeout(r, 50));
        await sql`select 1`.execute(trx);
      });
      await expect(attempt).rejects.toThrow();
      // pg reports it once or twice (the server's FATAL message, then the closed socket).
      expect(warnings.length).toBeGreaterThan(0);
      expect(new Set(warnings)).toEqual(new Set(['postgres connection failed while in use']));
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(driver.db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await driver.db.destroy();
    }
  });
});
