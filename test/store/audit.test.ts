import { expect, it } from 'vitest';
import type { AuditRecord, StoredAuditRecord } from '../../src/core/index.js';
import type { AuditQuery } from '../../src/store/index.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, makeAudit, makeCycle, makeEntry, useMigratedStore } from './use-store.js';
import {
  AUDIT_INSERT_COLUMNS,
  auditInsertValues,
  toAuditRow,
} from '../../src/store/session-rows.js';

/** The records as listAudit gives them back: an absent before/after reads as null. */
const stored = (records: readonly AuditRecord[]) =>
  records.map(({ before, after, ...rest }) => ({
    ...rest,
    before: before ?? null,
    after: after ?? null,
  }));
const unstored = (records: StoredAuditRecord[]) => records.map(({ id: _id, ...rest }) => rest);

describeEachDialect('store audit trail', (dialect) => {
  const ctx = useMigratedStore(dialect);

  it('appends records and lists them oldest first with JSON values as written', async () => {
    const { store } = ctx;
    const records: AuditRecord[] = [
      makeAudit({ atMs: T0 + 5, before: undefined, after: undefined }),
      makeAudit({
        atMs: T0,
        action: 'override.set',
        source: 'api',
        actor: 'teacher@example.com',
        session: 'S_1',
        room: null,
        identity: '教室/101',
        sid: null,
        before: { status: 'late', nested: { list: [1, 'two', null, true] } },
        after: { status: 'excused', note: 'Zoë "the" O\'Brien 🎓' },
        reason: 'doctor',
      }),
      makeAudit({ action: 'cycle.corrected', before: 'a string', after: 42 }),
      makeAudit({ action: 'cycle.closed', before: [], after: false }),
    ];
    await store.appendAudit(records);
    await store.appendAudit([]);
    // The same again in a transaction: SQLite's prepared statement must write the same rows.
    await store.transaction(async (tx) => {
      await tx.appendAudit(records);
      await tx.appendAudit([]);
    });
    const listed = await store.listAudit({ limit: 10 });
    expect(unstored(listed)).toEqual([...stored(records), ...stored(records)]);
    const listedIds = listed.map((r) => r.id);
    expect(listedIds).toEqual([...listedIds].sort((a, b) => a - b));
    expect(new Set(listedIds).size).toBe(8);
    expect(listedIds.every((id) => Number.isSafeInteger(id))).toBe(true);
  });

  it('gives later appends larger ids, in and out of transactions', async () => {
    const { store } = ctx;
    await store.appendAudit([makeAudit({ sid: 'PA_1' })]);
    await store.transaction((tx) => tx.appendAudit([makeAudit({ sid: 'PA_2' })]));
    await store.appendAudit([makeAudit({ sid: 'PA_3' }), makeAudit({ sid: 'PA_4' })]);
    await store.transaction((tx) =>
      tx.appendAudit([makeAudit({ sid: 'PA_5', before: undefined }), makeAudit({ sid: 'PA_6' })]),
    );
    const listed = await store.listAudit({ limit: 10 });
    expect(listed.map((r) => r.sid)).toEqual(['PA_1', 'PA_2', 'PA_3', 'PA_4', 'PA_5', 'PA_6']);
    expect(listed[4]?.before).toBe(null);
  });

  it('rolls back records written in a transaction that throws', async () => {
    const { store } = ctx;
    await store.appendAudit([makeAudit({ sid: 'PA_before' })]);
    await expect(
      store.transaction(async (tx) => {
        await tx.saveCycles([makeCycle({ sid: 'PA_x' })]);
        await tx.appendAudit([makeAudit({ sid: 'PA_x' }), makeAudit({ sid: 'PA_y' })]);
        expect((await tx.listAudit({ limit: 10 })).map((r) => r.sid)).toEqual([
          'PA_before',
          'PA_x',
          'PA_y',
        ]);
        throw new Error('apply failed');
      }),
    ).rejects.toThrow('apply failed');
    expect((await store.listAudit({ limit: 10 })).map((r) => r.sid)).toEqual(['PA_before']);
    expect(await store.getCycles(['PA_x'])).toEqual([]);
  });

  it('filters by room, identity, time and id, and pages without gaps or repeats', async () => {
    const { store } = ctx;
    const records = Array.from({ length: 30 }, (_, i) =>
      makeAudit({
        atMs: T0 + (i % 10) * 1_000,
        room: i % 3 === 0 ? 'room-b' : 'room-a',
        identity: i % 2 === 0 ? 'alice' : 'bob',
        sid: `PA_${i}`,
      }),
    );
    // Two batches, one of them in a transaction (SQLite's prepared path).
    await store.appendAudit(records.slice(0, 15));
    await store.transaction((tx) => tx.appendAudit(records.slice(15)));
    const sids = async (q: Omit<AuditQuery, 'limit'>, limit = 100) =>
      (await store.listAudit({ ...q, limit })).map((r) => r.sid);
    const expected = (keep: (r: AuditRecord, i: number) => boolean) =>
      records.filter(keep).map((r) => r.sid);

    expect(await sids({ room: 'room-b' })).toEqual(expected((r) => r.room === 'room-b'));
    expect(await sids({ identity: 'bob' })).toEqual(expected((r) => r.identity === 'bob'));
    expect(await sids({ sinceMs: T0 + 7_000 })).toEqual(expected((r) => r.atMs >= T0 + 7_000));
    expect(await sids({ room: 'room-a', identity: 'alice', sinceMs: T0 + 5_000 })).toEqual(
      expected((r) => r.room === 'room-a' && r.identity === 'alice' && r.atMs >= T0 + 5_000),
    );
    expect(await sids({ room: 'room-z' })).toEqual([]);
    expect(await sids({}, 4)).toEqual(expected((_r, i) => i < 4));

    const all = await store.listAudit({ limit: 100 });
    const afterId = all[9]!.id;
    expect(await sids({ afterId })).toEqual(expected((_r, i) => i >= 10));

    // Pages of one room: each continues after the last id of the previous one.
    const seen: (string | null)[] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await store.listAudit({
        room: 'room-a',
        limit: 3,
        ...(cursor === undefined ? {} : { afterId: cursor }),
      });
      seen.push(...page.map((r) => r.sid));
      if (page.length < 3) break;
      cursor = page.at(-1)!.id;
    }
    expect(seen).toEqual(expected((r) => r.room === 'room-a'));
  });

  it("lists a session's records and its rooms' untagged records since a time", async () => {
    const { store } = ctx;
    await store.appendAudit([
      makeAudit({ sid: 'old_room_a', room: 'room-a', atMs: T0 - 1 }),
      makeAudit({ sid: 'session_set', session: 'S_1', room: null, action: 'session.created' }),
      makeAudit({ sid: 'since_room_a', room: 'room-a', atMs: T0 }),
      makeAudit({ sid: 'other_session_room_a', session: 'S_2', room: 'room-a', atMs: T0 + 1 }),
      makeAudit({ sid: 'since_room_b', room: 'room-b', atMs: T0 + 2 }),
      makeAudit({ sid: 'room_c', room: 'room-c', atMs: T0 + 3 }),
      makeAudit({ sid: 'session_old', session: 'S_1', room: 'room-z', atMs: T0 - 99 }),
      makeAudit({ sid: 'untagged_no_room', room: null, atMs: T0 + 4 }),
    ]);
    const sids = async (q: Omit<AuditQuery, 'limit'>, limit = 100) =>
      (await store.listAudit({ ...q, limit })).map((r) => r.sid);

    expect(await sids({ session: 'S_1' })).toEqual(['session_set', 'session_old']);
    const withRooms = { rooms: ['room-a', 'room-b'], sinceMs: T0, untilMs: T0 + 2 };
    expect(await sids({ session: 'S_1', sessionRooms: withRooms })).toEqual([
      'session_set',
      'since_room_a',
      'since_room_b',
      'session_old',
    ]);
    // The other filters narrow both halves.
    expect(await sids({ session: 'S_1', sessionRooms: withRooms, sinceMs: T0 + 1 })).toEqual([
      'since_room_b',
    ]);
    expect(await sids({ session: 'S_1', sessionRooms: withRooms, room: 'room-a' })).toEqual([
      'since_room_a',
    ]);
    const first = await store.listAudit({ session: 'S_1', sessionRooms: withRooms, limit: 2 });
    expect(first.map((r) => r.sid)).toEqual(['session_set', 'since_room_a']);
    expect(
      await sids({ session: 'S_1', sessionRooms: withRooms, afterId: first.at(-1)!.id }),
    ).toEqual(['since_room_b', 'session_old']);
    expect(
      await sids({ session: 'S_1', sessionRooms: { rooms: [], sinceMs: 0, untilMs: T0 } }),
    ).toEqual(['session_set', 'session_old']);
    expect(await sids({ session: 'S_none', sessionRooms: withRooms })).toEqual([
      'since_room_a',
      'since_room_b',
    ]);
    // Records of the rooms written after the window's end belong to later sessions.
    const until = { ...withRooms, untilMs: T0 + 1 };
    expect(await sids({ session: 'S_none', sessionRooms: until })).toEqual(['since_room_a']);
  });

  it('appends batches larger than one statement can bind', async () => {
    const { store } = ctx;
    const records = Array.from({ length: 7_000 }, (_, i) =>
      makeAudit({ sid: `PA_${i}`, atMs: T0 + i }),
    );
    await store.appendAudit(records);
    await store.transaction((tx) => tx.appendAudit(records.map((r) => ({ ...r, room: 'room-t' }))));
    const outside = await store.listAudit({ room: 'room-a', limit: 10_000 });
    const inside = await store.listAudit({ room: 'room-t', limit: 10_000 });
    expect(outside.map((r) => r.sid)).toEqual(records.map((r) => r.sid));
    expect(inside.map((r) => r.sid)).toEqual(records.map((r) => r.sid));
    expect(inside[0]!.id).toBeGreaterThan(outside.at(-1)!.id);
  });

  it("keeps the audit trail and webhook tallies when a room's derived state is reset", async () => {
    const { store } = ctx;
    await store.insertInbox([makeEntry('EV_1')]);
    await store.saveCycles([makeCycle({ sid: 'PA_1' })]);
    await store.appendAudit([makeAudit({ sid: 'PA_1' })]);
    await store.addWebhookTallies([{ room: 'room-a', minuteMs: T0, received: 3, duplicates: 1 }]);
    await store.transaction((tx) => tx.resetRoom('room-a'), { rooms: ['room-a'] });
    expect(await store.getCycles(['PA_1'])).toEqual([]);
    expect((await store.listAudit({ room: 'room-a', limit: 10 })).map((r) => r.sid)).toEqual([
      'PA_1',
    ]);
    expect(await store.sumWebhookTallies(['room-a'], T0, T0)).toEqual({
      received: 3,
      duplicates: 1,
    });
  });
});

it('binds the values of toAuditRow in AUDIT_INSERT_COLUMNS order (SQLite ingest binds these)', () => {
  // Every field distinct, so that two values in each other's place cannot pass.
  const record = makeAudit({
    atMs: T0 + 7,
    action: 'override.set',
    source: 'api',
    actor: 'actor-1',
    session: 'session-1',
    room: 'room-1',
    identity: 'identity-1',
    sid: 'PA_sid',
    before: { status: 'late' },
    after: { status: 'excused' },
    reason: 'reason-1',
  });
  const row = toAuditRow(record);
  expect(auditInsertValues(record)).toEqual(AUDIT_INSERT_COLUMNS.map((c) => row[c]));
  expect(new Set(auditInsertValues(record)).size).toBe(AUDIT_INSERT_COLUMNS.length);
});
