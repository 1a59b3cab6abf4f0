import Database from 'better-sqlite3';
import pg from 'pg';
import { parseDatabaseUrl } from '../../src/store/index.js';

/**
 * Runs one SQL statement on its own connection, outside the store (triggers that make a write
 * fail, probes of the raw tables), and returns its rows.
 */
export async function rawQuery<T = Record<string, unknown>>(
  url: string,
  statement: string,
): Promise<T[]> {
  const target = parseDatabaseUrl(url);
  if (target.dialect === 'sqlite') {
    const db = new Database(target.filename);
    try {
      const prepared = db.prepare(statement);
      if (prepared.reader) return prepared.all() as T[];
      prepared.run();
      return [];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    return (await client.query(statement)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The database's clock in epoch ms, as the store's leases read it. */
export function dbNowMsSql(dialect: 'sqlite' | 'postgres'): string {
  return dialect === 'postgres'
    ? '(extract(epoch from clock_timestamp()) * 1000)::bigint'
    : "cast((julianday('now') - 2440587.5) * 86400000 as integer)";
}
