import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { withStatementCache } from '../../src/store/sqlite/statement-cache.js';

describe('SQLite statement cache', () => {
  let database: Database.Database | undefined;
  afterEach(() => database?.close());
  const open = () => {
    database = new Database(':memory:');
    database.exec('create table t (x integer)');
    return database;
  };

  it('hands out the same prepared statement for the same SQL, and runs it correctly again', () => {
    const db = withStatementCache(open());
    const insert = db.prepare('insert into t (x) values (?)');
    expect(db.prepare('insert into t (x) values (?)')).toBe(insert);
    insert.run([1]);
    db.prepare('insert into t (x) values (?)').run([2]);
    expect(db.prepare('select x from t order by x').all([])).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it('keeps no DDL or pragma, which run once', () => {
    const db = withStatementCache(open());
    const ddl = 'create table if not exists u (y integer)';
    expect(db.prepare(ddl)).not.toBe(db.prepare(ddl));
    expect(db.prepare('pragma user_version')).not.toBe(db.prepare('pragma user_version'));
  });

  it('drops the least recently used statement beyond its size', () => {
    const db = withStatementCache(open(), 2);
    const a = db.prepare('select 1');
    const b = db.prepare('select 2');
    expect(db.prepare('select 1')).toBe(a); // a is now the most recent
    db.prepare('select 3'); // evicts b
    expect(db.prepare('select 1')).toBe(a);
    expect(db.prepare('select 2')).not.toBe(b);
  });

  it('answers from the new schema after the table it reads changes', () => {
    const raw = open();
    const db = withStatementCache(raw);
    raw.exec('insert into t values (1)');
    expect(db.prepare('select * from t').all([])).toEqual([{ x: 1 }]);
    raw.exec('alter table t add column y integer default 7');
    expect(db.prepare('select * from t').all([])).toEqual([{ x: 1, y: 7 }]);
    raw.exec('drop table t; create table t (z text)');
    raw.exec("insert into t values ('a')");
    expect(db.prepare('select * from t').all([])).toEqual([{ z: 'a' }]);
  });
});
