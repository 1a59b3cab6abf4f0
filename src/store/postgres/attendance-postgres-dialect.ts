/* eslint-disable @typescript-eslint/no-explicit-any -- Kysely's Dialect API hands introspectors a Kysely<any>. */
import {
  DEFAULT_MIGRATION_LOCK_TABLE,
  DEFAULT_MIGRATION_TABLE,
  PostgresDialect,
  PostgresIntrospector,
  sql,
} from 'kysely';
import type {
  DatabaseIntrospector,
  DatabaseMetadataOptions,
  Driver,
  Kysely,
  TableMetadata,
} from 'kysely';
import type pg from 'pg';
import { BeginWithFirstStatementDriver } from './begin-with-first-statement-driver.js';

interface ColumnRow {
  table_schema: string;
  table_name: string;
  table_kind: string;
  column_name: string;
  data_type: string;
  data_type_schema: string;
  is_nullable: boolean;
  has_default: boolean;
  is_auto_incrementing: boolean;
}

/**
 * Kysely's PostgreSQL dialect, except that introspection (which its Migrator uses to find
 * `kysely_migration`) looks only at the current schema, and that a transaction's `begin` travels
 * with its first statement (BeginWithFirstStatementDriver). Kysely's own introspector reads every
 * schema of the database: slow on a shared database, and it fails outright when another schema
 * is dropped while it runs (seen with one schema per test).
 */
export class AttendancePostgresDialect extends PostgresDialect {
  readonly #pool: pg.Pool;

  constructor(config: { pool: pg.Pool }) {
    super(config);
    this.#pool = config.pool;
  }

  override createDriver(): Driver {
    return new BeginWithFirstStatementDriver(this.#pool);
  }

  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

// Extends PostgresIntrospector so that `instanceof PostgresIntrospector` (migrations use it to
// detect the dialect) still holds.
class CurrentSchemaIntrospector extends PostgresIntrospector {
  readonly #db: Kysely<any>;

  constructor(db: Kysely<any>) {
    super(db);
    this.#db = db;
  }

  override async getTables(
    options: DatabaseMetadataOptions = { withInternalKyselyTables: false },
  ): Promise<TableMetadata[]> {
    const { rows } = await sql<ColumnRow>`
      select ns.nspname as table_schema, c.relname as table_name, c.relkind as table_kind, a.attname as column_name,
        t.typname as data_type, tns.nspname as data_type_schema,
        not a.attnotnull as is_nullable, a.atthasdef as has_default,
        (a.attidentity <> '' or coalesce(pg_get_expr(d.adbin, d.adrelid), '') like 'nextval(%')
          as is_auto_incrementing
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
      join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      join pg_catalog.pg_type t on t.oid = a.atttypid
      join pg_catalog.pg_namespace tns on tns.oid = t.typnamespace
      left join pg_catalog.pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
      where ns.nspname = current_schema() and c.relkind in ('r', 'v', 'p')
      order by c.relname, a.attnum`.execute(this.#db);
    const tables = new Map<
      string,
      TableMetadata & { columns: TableMetadata['columns'][number][] }
    >();
    for (const row of rows) {
      const internal =
        row.table_name === DEFAULT_MIGRATION_TABLE ||
        row.table_name === DEFAULT_MIGRATION_LOCK_TABLE;
      if (internal && !options.withInternalKyselyTables) continue;
      let table = tables.get(row.table_name);
      if (table === undefined) {
        table = {
          name: row.table_name,
          schema: row.table_schema,
          isView: row.table_kind === 'v',
          columns: [],
        };
        tables.set(row.table_name, table);
      }
      table.columns.push({
        name: row.column_name,
        dataType: row.data_type,
        dataTypeSchema: row.data_type_schema,
        isNullable: row.is_nullable,
        hasDefaultValue: row.has_default,
        isAutoIncrementing: row.is_auto_incrementing,
      });
    }
    return [...tables.values()];
  }
}
