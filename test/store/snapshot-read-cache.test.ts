import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, parseDatabaseUrl, type AttendanceStore } from '../../src/store/index.js';
import { DIALECTS, useTestDatabase } from '../helpers/dialects.js';
import { T0, makeCycle } from './use-store.js';

const postgres = DIALECTS.find((d) => d.name === 'postgres')!;

// A heavy read cache on PostgreSQL serves an entry only while no transaction has ended since it
// was read, by this instance or any other (SnapshotReadCache).
describe.skipIf(!postgres.enabled)('the PostgreSQL cache of heavy reads', () => {
  const database = useTestDatabase(postgres);
  let store: AttendanceStore;
  let other: pg.Client; // another instance, writing on its own connection
  beforeEach(async () => {
    store = await openStore(database.url);
    await store.migrate();
    const target = parseDatabaseUrl(database.url);
    if (target.dialect !== 'postgres') throw new Error('not PostgreSQL');
    other = new pg.Client({ connectionString: target.connectionString });
    await other.connect();
  });
  afterEach(async () => {
    await other.end();
    await store.close();
  });

  /** A cached read of the room's cycle count, and how many times it really read. */
  function countedRead(cache: ReturnType<AttendanceStore['createReadCache']>) {
    let reads = 0;
    const get = () =>
      cache.get('room-a', async () => {
        reads += 1;
        return (await store.listRoomCycles('room-a')).length;
      });
    return { get, reads: () => reads };
  }
  const insertElsewhere = (sid: string) =>
    other.query(
      `insert into cycles (sid, room, identity, name_version, connected, join_seen, observed, opened_by, joined_at_ms)
       values ($1, 'room-a', 'bob', 1, true, true, false, 'webhook', ${T0})`,
      [sid],
    );

  it('serves what it read until another instance commits, then reads what was committed', async () => {
    const read = countedRead(store.createReadCache<number>(8, { heavy: true }));
    await store.saveCycles([makeCycle({ sid: 'PA_1' })]);
    // Other tests share the cluster, and any transaction ending there also moves the snapshot:
    // so not every get can hit, but gets in a row with nothing ending between them do.
    for (let i = 0; i < 200; i++) expect(await read.get()).toBe(1);
    expect(read.reads()).toBeLessThan(200);
    await insertElsewhere('PA_2');
    const before = read.reads();
    expect(await read.get()).toBe(2);
    expect(read.reads()).toBe(before + 1);
  });

  it('keeps nothing read while a commit landed, and sees a commit that was in progress', async () => {
    const cache = store.createReadCache<number>(8, { heavy: true });
    await other.query('begin');
    await insertElsewhere('PA_1'); // in progress, invisible
    let reads = 0;
    const value = await cache.get('room-a', async () => {
      reads += 1;
      const n = (await store.listRoomCycles('room-a')).length;
      await other.query('commit'); // lands between the read and the check after it
      return n;
    });
    expect(value).toBe(0);
    expect(await countedRead(cache).get()).toBe(1);
    expect(reads).toBe(1);
  });

  it('reads every time when the read is not heavy', async () => {
    const read = countedRead(store.createReadCache<number>(8));
    await read.get();
    await read.get();
    expect(read.reads()).toBe(2);
  });
});
