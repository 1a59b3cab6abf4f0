import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { format, resolveConfig } from 'prettier';
import { afterEach, expect, it } from 'vitest';
import { AttendanceError } from '../../src/core/index.js';
import { openStore, parseDatabaseUrl } from '../../src/store/index.js';
import type { AttendanceStore } from '../../src/store/index.js';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';

interface SchemaSnapshot {
  tables: Record<string, string[]>;
  indexes: string[];
  /** SQLite only: CREATE TABLE as stored, which shows UNIQUE and AUTOINCREMENT. */
  ddl?: string[];
}

const MIGRATE_ONCE = fileURLToPath(new URL('./fixtures/migrate-once.ts', import.meta.url));

async function migrateInChildProcess(url: string): Promise<{ applied: string[] }> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import',
    'tsx',
    MIGRATE_ONCE,
    url,
  ]);
  return JSON.parse(stdout) as { applied: string[] };
}

describeEachDialect('store migrations', (dialect) => {
  const database = useTestDatabase(dialect);
  const opened: AttendanceStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  const open = async () => {
    const store = await openStore(database.url);
    opened.push(store);
    return store;
  };

  it('applies every migration once and nothing on the second run', async () => {
    const store = await open();
    expect(store.dialect).toBe(dialect.name);
    expect(await store.migrate()).toEqual({
      applied: [
        '0001-initial',
        '0002-status-read-index',
        '0003-evidence-and-journal',
        '0004-sessions',
        '0005-outbox',
        '0006-inbox-retention',
        '0007-audit-entry-tables',
      ],
    });
    expect(await store.migrate()).toEqual({ applied: [] });
    const again = await open();
    expect(await again.migrate()).toEqual({ applied: [] });
  });

  it('applies migrations once when three processes migrate at the same time', async () => {
    const results = await Promise.all([1, 2, 3].map(() => migrateInChildProcess(database.url)));
    expect(results.flatMap((r) => r.applied)).toEqual([
      '0001-initial',
      '0002-status-read-index',
      '0003-evidence-and-journal',
      '0004-sessions',
      '0005-outbox',
      '0006-inbox-retention',
      '0007-audit-entry-tables',
    ]);
  });

  it('throws migration_failed naming the migration when one fails', async () => {
    const store = await open();
    // A table the first migration is about to create makes it fail.
    await execute(database.url, 'create table cycles (x integer)');
    const error = await store.migrate().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AttendanceError);
    expect((error as AttendanceError).code).toBe('migration_failed');
    expect((error as AttendanceError).message).toBe('database migration failed in 0001-initial');

    // The failed migration left nothing half-done: once the obstacle is gone it applies whole.
    await execute(database.url, 'drop table cycles');
    expect(await store.migrate()).toEqual({
      applied: [
        '0001-initial',
        '0002-status-read-index',
        '0003-evidence-and-journal',
        '0004-sessions',
        '0005-outbox',
        '0006-inbox-retention',
        '0007-audit-entry-tables',
      ],
    });
  });

  it('produces the committed schema', async () => {
    const store = await open();
    await store.migrate();
    const schema = await readSchema(database.url);
    const file = fileURLToPath(
      new URL(`./__snapshots__/schema.${dialect.name}.json`, import.meta.url),
    );
    // Formatted as `prettier --write` would leave it, so formatting the repo never breaks the test.
    const text = await format(JSON.stringify(schema), {
      ...(await resolveConfig(file)),
      parser: 'json',
    });
    await expect(text).toMatchFileSnapshot(file);
  });
});

/** Tables (column: type, nullability, default) and index definitions, Kysely's own tables aside. */
async function readSchema(url: string): Promise<SchemaSnapshot> {
  const target = parseDatabaseUrl(url);
  if (target.dialect === 'sqlite') {
    const db = new Database(target.filename, { readonly: true });
    try {
      const tables = db
        .prepare(
          "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%' order by name",
        )
        .pluck()
        .all() as string[];
      const snapshot: SchemaSnapshot = { tables: {}, indexes: [] };
      for (const table of tables) {
        const columns = db.prepare(`pragma table_info("${table}")`).all() as {
          name: string;
          type: string;
          notnull: number;
          dflt_value: string | null;
          pk: number;
        }[];
        snapshot.tables[table] = columns.map(
          (c) =>
            `${c.name} ${c.type}${c.pk > 0 ? ' pk' : ''}${c.notnull ? ' not null' : ''}` +
            (c.dflt_value === null ? '' : ` default ${c.dflt_value}`),
        );
      }
      snapshot.indexes = db
        .prepare(
          "select sql from sqlite_master where type = 'index' and sql is not null order by name",
        )
        .pluck()
        .all() as string[];
      snapshot.ddl = db
        .prepare(
          "select sql from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%' order by name",
        )
        .pluck()
        .all() as string[];
      return snapshot;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    const columns = await client.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: string;
      column_default: string | null;
      is_identity: string;
      collation_name: string | null;
    }>(
      `select table_name, column_name, data_type, is_nullable, column_default, is_identity, collation_name
       from information_schema.columns
       where table_schema = current_schema() and table_name not like 'kysely_%'
       order by table_name, ordinal_position`,
    );
    const snapshot: SchemaSnapshot = { tables: {}, indexes: [] };
    for (const c of columns.rows) {
      (snapshot.tables[c.table_name] ??= []).push(
        `${c.column_name} ${c.data_type}` +
          (c.collation_name === null ? '' : ` collate ${c.collation_name}`) +
          (c.is_identity === 'YES' ? ' identity' : '') +
          (c.is_nullable === 'NO' ? ' not null' : '') +
          (c.column_default === null ? '' : ` default ${c.column_default}`),
      );
    }
    const indexes = await client.query<{ indexdef: string }>(
      `select replace(indexdef, current_schema() || '.', '') as indexdef from pg_indexes
       where schemaname = current_schema() and tablename not like 'kysely_%' order by indexname`,
    );
    snapshot.indexes = indexes.rows.map((r) => r.indexdef);
    return snapshot;
  } finally {
    await client.end();
  }
}

async function execute(url: string, statement: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  if (target.dialect === 'sqlite') {
    const db = new Database(target.filename);
    db.exec(statement);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  await client.query(statement);
  await client.end();
}
