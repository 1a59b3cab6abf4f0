import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, makeEntry, useMigratedStore } from './use-store.js';

describeEachDialect('store inbox', (dialect) => {
  const ctx = useMigratedStore(dialect);

  it('inserts new entries and returns only the ids that were new', async () => {
    const { store } = ctx;
    expect(await store.insertInbox([makeEntry('EV_1'), makeEntry('EV_2')])).toEqual([
      'EV_1',
      'EV_2',
    ]);
    expect(
      await store.insertInbox([makeEntry('EV_2'), makeEntry('EV_3'), makeEntry('EV_1')]),
    ).toEqual(['EV_3']);
    expect(await store.insertInbox([])).toEqual([]);
    expect(await store.countInbox()).toEqual({ total: 3, unprocessed: 3 });
  });

  it('stores entries already processed when told so', async () => {
    const { store } = ctx;
    expect(await store.insertInbox([makeEntry('EV_p')], { processedAtMs: T0 })).toEqual(['EV_p']);
    expect(await store.countInbox()).toEqual({ total: 1, unprocessed: 0 });
    const [stored] = await store.readInbox(0, 10);
    expect(stored?.processedAtMs).toBe(T0);
  });

  it('keeps the first of two entries with the same id in one batch', async () => {
    const { store } = ctx;
    const first = makeEntry('EV_dup', { body: 'first' });
    const second = makeEntry('EV_dup', { body: 'second' });
    expect(await store.insertInbox([first, second])).toEqual(['EV_dup']);
    const [stored] = await store.readInbox(0, 10);
    expect(stored?.body).toBe('first');
  });

  it('stores every field exactly and numbers entries in insertion order', async () => {
    const { store } = ctx;
    const body = '{"event":"room_finished","room":{"name":"教室/101"}}\n';
    await store.insertInbox([
      makeEntry('EV_a', { room: '教室/101', body, createdAtMs: T0, receivedAtMs: T0 + 7 }),
      makeEntry('RC_b', {
        source: 'reconciler',
        type: 'reconcile:close',
        room: null,
        createdAtMs: 1,
        receivedAtMs: 2,
        body: '{}',
      }),
    ]);
    const rows = await store.readInbox(0, 10);
    expect(rows).toEqual([
      {
        seq: rows[0]?.seq,
        eventId: 'EV_a',
        source: 'webhook',
        type: 'participant_joined',
        room: '教室/101',
        createdAtMs: T0,
        receivedAtMs: T0 + 7,
        body,
        processedAtMs: null,
        attempts: 0,
        lastError: null,
      },
      {
        seq: (rows[0]?.seq ?? 0) + 1,
        eventId: 'RC_b',
        source: 'reconciler',
        type: 'reconcile:close',
        room: null,
        createdAtMs: 1,
        receivedAtMs: 2,
        body: '{}',
        processedAtMs: null,
        attempts: 0,
        lastError: null,
      },
    ]);
    expect(typeof rows[0]?.seq).toBe('number');
  });

  it('lists unprocessed entries oldest first and drops them once marked processed', async () => {
    const { store } = ctx;
    await store.insertInbox(['EV_1', 'EV_2', 'EV_3', 'EV_4'].map((id) => makeEntry(id)));
    expect((await store.listUnprocessed(2)).map((e) => e.eventId)).toEqual(['EV_1', 'EV_2']);

    await store.markProcessed(['EV_1', 'EV_3'], T0 + 500);
    const unprocessed = await store.listUnprocessed(10);
    expect(unprocessed.map((e) => e.eventId)).toEqual(['EV_2', 'EV_4']);
    expect(await store.countInbox()).toEqual({ total: 4, unprocessed: 2 });

    const all = await store.readInbox(0, 10);
    expect(all.map((e) => [e.eventId, e.processedAtMs])).toEqual([
      ['EV_1', T0 + 500],
      ['EV_2', null],
      ['EV_3', T0 + 500],
      ['EV_4', null],
    ]);
    await store.markProcessed([], T0);
  });

  it('counts failed attempts and keeps the last error', async () => {
    const { store } = ctx;
    await store.insertInbox([makeEntry('EV_1'), makeEntry('EV_2')]);
    await store.recordProcessingFailure('EV_1', 'boom');
    await store.recordProcessingFailure('EV_1', "second: can't parse");
    await store.recordProcessingFailure('EV_missing', 'ignored');
    const [one, two] = await store.listUnprocessed(10);
    expect([one?.attempts, one?.lastError]).toEqual([2, "second: can't parse"]);
    expect([two?.attempts, two?.lastError]).toEqual([0, null]);
  });

  it('reads the inbox from a cursor in pages', async () => {
    const { store } = ctx;
    await store.insertInbox(['EV_1', 'EV_2', 'EV_3', 'EV_4', 'EV_5'].map((id) => makeEntry(id)));
    const seen: string[] = [];
    let cursor = 0;
    for (;;) {
      const page = await store.readInbox(cursor, 2);
      if (page.length === 0) break;
      seen.push(page.map((e) => e.eventId).join(','));
      cursor = page[page.length - 1]?.seq ?? cursor;
    }
    expect(seen).toEqual(['EV_1,EV_2', 'EV_3,EV_4', 'EV_5']);
  });

  it('inserts batches larger than one statement can bind', async () => {
    const { store } = ctx;
    const entries = Array.from({ length: 9_000 }, (_, i) => makeEntry(`EV_${i}`));
    const inserted = await store.insertInbox(entries);
    expect(inserted.length).toBe(9_000);
    expect(inserted[8_999]).toBe('EV_8999');
    expect(await store.insertInbox(entries.slice(4_000, 4_010))).toEqual([]);
    expect(await store.countInbox()).toEqual({ total: 9_000, unprocessed: 9_000 });
  });
});
