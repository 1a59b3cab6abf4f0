import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe } from 'vitest';

/** A fresh, empty database for one test. */
export interface TestDatabase {
  /** A DATABASE_URL for openStore(). */
  readonly url: string;
  /** Drops it. Call with passed=false to keep it for inspection (its location is printed). */
  cleanup(passed: boolean): Promise<void>;
}

export interface TestDialect {
  readonly name: 'sqlite' | 'postgres';
  /** False when PostgreSQL is unreachable and REQUIRE_POSTGRES is not 1: suites skip it. */
  readonly enabled: boolean;
  createDatabase(): Promise<TestDatabase>;
}

export const POSTGRES_TEST_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUIRE_POSTGRES = process.env.REQUIRE_POSTGRES === '1';

const postgresProblem = await probePostgres(POSTGRES_TEST_URL);
if (postgresProblem !== undefined && !REQUIRE_POSTGRES) {
  console.warn(
    `[test] PostgreSQL at ${redact(POSTGRES_TEST_URL)} is not reachable (${postgresProblem}): ` +
      'skipping the postgres variants. Set TEST_DATABASE_URL to point elsewhere, or ' +
      'REQUIRE_POSTGRES=1 to fail instead.',
  );
}

const sqlite: TestDialect = {
  name: 'sqlite',
  enabled: true,
  async createDatabase() {
    const dir = await mkdtemp(join(tmpdir(), 'attendance-test-'));
    const file = join(dir, 'attendance.db');
    return {
      url: `sqlite:${file}`,
      async cleanup(passed) {
        if (passed) await rm(dir, { recursive: true, force: true });
        else console.warn(`[test] kept SQLite database ${file}`);
      },
    };
  },
};

const postgres: TestDialect = {
  name: 'postgres',
  // With REQUIRE_POSTGRES=1 the suites run and createDatabase throws: the tests fail, not skip.
  enabled: postgresProblem === undefined || REQUIRE_POSTGRES,
  async createDatabase() {
    if (postgresProblem !== undefined) {
      throw new Error(
        `REQUIRE_POSTGRES=1 but PostgreSQL at ${redact(POSTGRES_TEST_URL)} is not reachable: ${postgresProblem}`,
      );
    }
    // One schema per test, chosen by search_path, so tests never see each other's tables.
    const schema = `test_${process.pid}_${randomBytes(6).toString('hex')}`;
    await withAdminClient((client) => client.query(`create schema "${schema}"`));
    const url = new URL(POSTGRES_TEST_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return {
      url: url.toString(),
      async cleanup(passed) {
        if (passed) {
          await withAdminClient((client) => client.query(`drop schema "${schema}" cascade`));
        } else {
          console.warn(`[test] kept PostgreSQL schema ${schema}`);
        }
      },
    };
  },
};

/** Both databases. Loop over it so every suite runs on each (kysely test/node/src/test-setup.ts). */
export const DIALECTS: readonly TestDialect[] = [sqlite, postgres];

/** `describe(`${title} [${dialect}]`)` once per dialect; skipped when that dialect is disabled. */
export function describeEachDialect(title: string, fn: (dialect: TestDialect) => void): void {
  for (const dialect of DIALECTS) {
    describe.skipIf(!dialect.enabled)(`${title} [${dialect.name}]`, () => fn(dialect));
  }
}

/**
 * Gives each test of the enclosing describe a fresh database; `url` is valid inside the test and
 * its beforeEach/afterEach hooks registered after this call. The database is dropped after the
 * test only when it passed. Close your store in an afterEach registered after this call (after
 * hooks run in reverse order).
 */
export function useTestDatabase(dialect: TestDialect): { readonly url: string } {
  let current: TestDatabase | undefined;
  beforeEach(async () => {
    current = await dialect.createDatabase();
  });
  afterEach(async (ctx) => {
    const db = current;
    current = undefined;
    await db?.cleanup(ctx.task.result?.state === 'pass');
  });
  return {
    get url(): string {
      if (current === undefined) throw new Error('useTestDatabase: url read outside a test');
      return current.url;
    },
  };
}

async function probePostgres(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (e: unknown) {
    return e instanceof Error ? e.message || e.name : String(e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
