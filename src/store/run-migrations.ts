import { Migrator } from 'kysely';
import { AttendanceError } from '../core/index.js';
import { migrationProvider } from './migrations/index.js';
import type { StoreDriver, StoreLogger } from './store-driver.js';

function createMigrator(driver: StoreDriver, migrationTableSchema: string | undefined): Migrator {
  return new Migrator({
    db: driver.db,
    provider: migrationProvider,
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
}

/**
 * Names of the migrations this version has that the database has not applied, in order; empty
 * when it is up to date. Reads only (never creates Kysely's tables); throws when the database
 * cannot be asked.
 */
export async function listPendingMigrations(driver: StoreDriver): Promise<string[]> {
  const migrator = createMigrator(driver, await driver.migrationTableSchema());
  const migrations = await migrator.getMigrations();
  return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/**
 * Applies pending migrations under Kysely's lock (advisory lock on PostgreSQL; on SQLite the
 * migration transaction's write lock) and returns the names applied. Never throws for "nothing
 * to do"; throws `migration_failed` naming the migration otherwise.
 */
export async function runMigrations(
  driver: StoreDriver,
  logger?: StoreLogger,
): Promise<{ applied: string[] }> {
  const migrationTableSchema = await driver.migrationTableSchema();
  const migrator = createMigrator(driver, migrationTableSchema);
  const { error, results = [] } = await migrator.migrateToLatest();
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const what = failed === undefined ? 'before any migration ran' : `in ${failed}`;
    throw new AttendanceError('migration_failed', `database migration failed ${what}`, {
      cause: error,
    });
  }
  if (applied.length > 0) logger?.info({ applied }, 'migrations applied');
  return { applied };
}
