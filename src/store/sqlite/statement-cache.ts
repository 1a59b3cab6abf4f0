import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Prepared statements kept per connection; the least recently used goes first. */
export const STATEMENT_CACHE_SIZE = 500;

/** Statements worth keeping: DML and transaction control, not one-off DDL or pragmas. */
const REUSED = /^\s*(select|insert|update|delete|with|begin|commit|rollback|savepoint|release)\b/i;

/**
 * The database as Kysely's SQLite driver sees it, with `prepare` answered from a cache keyed by
 * the SQL text. Kysely prepares every query it runs; SQLite's prepare (parse and plan) costs more
 * than running a small indexed query, so the service's repeated queries (every webhook, every
 * status read) each pay it once. Reusing a statement is safe here: Kysely runs it to completion
 * with all() or run() before the next query starts (the service never streams), and SQLite
 * re-prepares a statement by itself when the schema changes.
 */
export function withStatementCache(
  database: BetterSqlite3.Database,
  maxStatements = STATEMENT_CACHE_SIZE,
): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare(sql) {
      const cached = statements.get(sql);
      if (cached !== undefined) {
        // Map keeps insertion order: re-inserting makes this the most recently used.
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      if (REUSED.test(sql)) {
        if (statements.size >= maxStatements) {
          const oldest = statements.keys().next();
          if (oldest.done !== true) statements.delete(oldest.value);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
