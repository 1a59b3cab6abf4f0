import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttendanceError } from '../../src/core/index.js';
import { openStore, parseDatabaseUrl } from '../../src/store/index.js';

describe('parseDatabaseUrl', () => {
  it.each([
    ['sqlite:./data/attendance.db', './data/attendance.db'],
    ['sqlite:data.db', 'data.db'],
    ['sqlite:/abs/path.db', '/abs/path.db'],
    ['sqlite:///abs/path.db', '/abs/path.db'],
    ['sqlite:///abs/my%20file.db', '/abs/my file.db'],
    ['sqlite::memory:', ':memory:'],
  ])('reads %s as the SQLite file %s', (url, filename) => {
    expect(parseDatabaseUrl(url)).toEqual({ dialect: 'sqlite', filename });
  });

  it.each([
    'postgres://user:pw@db.example:5432/attendance',
    'postgresql://localhost/attendance?sslmode=require',
    'postgres:///attendance?host=/var/run/postgresql',
  ])('passes %s to pg unchanged', (url) => {
    expect(parseDatabaseUrl(url)).toEqual({ dialect: 'postgres', connectionString: url });
  });

  it.each([
    ['mysql://root:secret@localhost/db', 'scheme "mysql:" is not supported'],
    ['./attendance.db', 'it has no scheme'],
    ['', 'it has no scheme'],
    ['sqlite:', 'the sqlite URL names no file'],
    ['sqlite://host/path.db', 'use sqlite:///absolute/path or sqlite:relative/path'],
    ['sqlite:///', 'the sqlite URL names no file'],
    ['postgres://user:p@ss@[bad', 'it is not a valid postgres:// URL'],
  ])('rejects %s with config_invalid', (url, reason) => {
    let error: unknown;
    try {
      parseDatabaseUrl(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AttendanceError);
    expect((error as AttendanceError).code).toBe('config_invalid');
    expect((error as AttendanceError).message).toContain(`DATABASE_URL is invalid: ${reason} (`);
    expect((error as AttendanceError).message).not.toContain('secret');
  });
});

describe('openStore', () => {
  it('creates the parent directory of a SQLite file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attendance-open-'));
    try {
      const file = join(dir, 'nested', 'deeper', 'attendance.db');
      const store = await openStore(`sqlite:${file}`);
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
      await store.close();
      expect((await stat(file)).isFile()).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('opens an in-memory SQLite database', async () => {
    const store = await openStore('sqlite::memory:');
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
    expect(await store.insertInbox([])).toEqual([]);
    await store.close();
  });

  it('fails with database_unavailable when PostgreSQL cannot be reached', async () => {
    const error = await openStore('postgres://nobody@127.0.0.1:1/none').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AttendanceError);
    expect((error as AttendanceError).code).toBe('database_unavailable');
    expect((error as AttendanceError).message).toBe('cannot open the postgres database');
  });
});
