import { expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { OutboxInsert } from '../../src/store/index.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, makeCycle, makeSession, useMigratedStore } from './use-store.js';

const HOUR = 3_600_000;

function row(id: string, stream: string, overrides: Partial<OutboxInsert> = {}): OutboxInsert {
  return {
    id,
    type: 'participant.joined',
    stream,
    room: stream,
    sessionId: null,
    payload: `{"id":"${id}"}`,
    createdAtMs: T0,
    nextAttemptAtMs: T0,
    deadlineAtMs: T0 + 24 * HOUR,
    ...overrides,
  };
}

describeEachDialect('store outbox', (dialect) => {
  const ctx = useMigratedStore(dialect);

  it('claims only the oldest pending row of each stream, and the next once it is delivered', async () => {
    const { store } = ctx;
    await store.insertOutbox([row('a1', 'room-a'), row('b1', 'room-b'), row('a2', 'room-a')]);
    const first = await store.claimOutbox('me', T0, 60_000, 10);
    expect(first.map((r) => r.id)).toEqual(['a1', 'b1']);
    // Claimed rows are leased; a2 waits behind a1.
    expect(await store.claimOutbox('other', T0, 60_000, 10)).toEqual([]);
    const a1 = first[0]!;
    expect(
      await store.finishOutboxAttempt({
        seq: a1.seq,
        holder: 'me',
        atMs: T0 + 5,
        status: 'delivered',
        nextAttemptAtMs: a1.nextAttemptAtMs,
        lastStatus: 204,
        lastError: null,
        ackedTargets: [],
      }),
    ).toBe(true);
    expect((await store.claimOutbox('other', T0, 60_000, 10)).map((r) => r.id)).toEqual(['a2']);
    expect(await store.countOutboxPending(100)).toBe(2); // b1 (claimed) and a2 (claimed)
  });

  it('leaves a row alone until it is due, and refuses a finish from a holder that lost it', async () => {
    const { store } = ctx;
    await store.insertOutbox([row('a1', 'room-a', { nextAttemptAtMs: T0 + 5_000 })]);
    expect(await store.claimOutbox('me', T0 + 4_999, 60_000, 10)).toEqual([]);
    const [a1] = await store.claimOutbox('me', T0 + 5_000, 60_000, 10);
    expect(a1).toMatchObject({ id: 'a1', attempts: 0, status: 'pending' });
    const finish = (holder: string) =>
      store.finishOutboxAttempt({
        seq: a1!.seq,
        holder,
        atMs: T0 + 6_000,
        status: 'pending',
        nextAttemptAtMs: T0 + 11_000,
        lastStatus: 500,
        lastError: 'HTTP 500',
        ackedTargets: ['http://a'],
      });
    expect(await finish('thief')).toBe(false);
    expect(await finish('me')).toBe(true);
    const [listed] = await store.listOutbox({ status: 'pending', limit: 10 });
    expect(listed).toMatchObject({
      id: 'a1',
      attempts: 1,
      lastStatus: 500,
      lastError: 'HTTP 500',
      nextAttemptAtMs: T0 + 11_000,
      lastAttemptAtMs: T0 + 6_000,
      ackedTargets: ['http://a'],
    });
  });

  it('lets a failed row stop blocking its stream, and retry puts it back in front', async () => {
    const { store } = ctx;
    await store.insertOutbox([row('a1', 'room-a'), row('a2', 'room-a')]);
    const [a1] = await store.claimOutbox('me', T0, 60_000, 10);
    await store.finishOutboxAttempt({
      seq: a1!.seq,
      holder: 'me',
      atMs: T0 + 24 * HOUR,
      status: 'failed',
      nextAttemptAtMs: T0 + 24 * HOUR,
      lastStatus: null,
      lastError: 'connect ECONNREFUSED',
      ackedTargets: [],
    });
    expect((await store.listOutbox({ status: 'failed', limit: 10 })).map((r) => r.id)).toEqual([
      'a1',
    ]);
    expect((await store.claimOutbox('me', T0, 60_000, 10)).map((r) => r.id)).toEqual(['a2']);
    expect(await store.retryFailedOutbox(T0 + 25 * HOUR, T0 + 49 * HOUR)).toBe(1);
    const [again] = await store.listOutbox({ status: 'pending', limit: 1 });
    expect(again).toMatchObject({
      id: 'a1',
      attempts: 0,
      nextAttemptAtMs: T0 + 25 * HOUR,
      deadlineAtMs: T0 + 49 * HOUR,
    });
    expect(await store.retryFailedOutbox(T0, T0)).toBe(0);
  });

  it('prunes delivered rows older than the cutoff, and nothing else', async () => {
    const { store } = ctx;
    await store.insertOutbox([row('old', 'r1'), row('new', 'r2'), row('waiting', 'r3')]);
    const claimed = await store.claimOutbox('me', T0, 60_000, 10);
    const finish = (id: string, atMs: number) =>
      store.finishOutboxAttempt({
        seq: claimed.find((r) => r.id === id)!.seq,
        holder: 'me',
        atMs,
        status: 'delivered',
        nextAttemptAtMs: T0,
        lastStatus: 200,
        lastError: null,
        ackedTargets: [],
      });
    await finish('old', T0 + 1_000);
    await finish('new', T0 + 5_000);
    expect(await store.pruneDeliveredOutbox(T0 + 5_000, 10)).toBe(1);
    expect(await store.pruneDeliveredOutbox(T0 + 5_000, 10)).toBe(0);
    expect((await store.listOutbox({ status: 'delivered', limit: 10 })).map((r) => r.id)).toEqual([
      'new',
    ]);
    expect(await store.countOutboxPending(10)).toBe(1);
  });

  it("gives a crashed holder's row to another once its lease expired (same id: at least once)", async () => {
    const { store } = ctx;
    await store.insertOutbox([row('a1', 'room-a')]);
    const [mine] = await store.claimOutbox('crashed', T0, 1, 10);
    // The lease runs by the database's clock: wait until it has passed.
    const deadline = Date.now() + 5_000;
    let taken: Awaited<ReturnType<typeof store.claimOutbox>> = [];
    while (taken.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      taken = await store.claimOutbox('rescuer', T0, 60_000, 10);
    }
    expect(taken.map((r) => [r.id, r.seq])).toEqual([[mine!.id, mine!.seq]]);
    const late = {
      seq: mine!.seq,
      atMs: T0,
      status: 'delivered' as const,
      nextAttemptAtMs: T0,
      lastStatus: 200,
      lastError: null,
      ackedTargets: [],
    };
    expect(await store.finishOutboxAttempt({ ...late, holder: 'crashed' })).toBe(false);
    expect(await store.finishOutboxAttempt({ ...late, holder: 'rescuer' })).toBe(true);
  });

  it('pages a listing by seq', async () => {
    const { store } = ctx;
    await store.insertOutbox(['1', '2', '3'].map((id) => row(id, `room-${id}`)));
    const page1 = await store.listOutbox({ status: 'pending', limit: 2 });
    expect(page1.map((r) => r.id)).toEqual(['1', '2']);
    const page2 = await store.listOutbox({
      status: 'pending',
      afterSeq: page1[1]!.seq,
      limit: 2,
    });
    expect(page2.map((r) => r.id)).toEqual(['3']);
  });

  it('gives two stores claiming at the same instant disjoint rows', async () => {
    const { store } = ctx;
    const other = await openStore(ctx.url);
    try {
      await store.insertOutbox(
        Array.from({ length: 40 }, (_, i) => row(`e${i}`, `room-${i % 20}`)),
      );
      const [a, b] = await Promise.all([
        store.claimOutbox('a', T0, 60_000, 15),
        other.claimOutbox('b', T0, 60_000, 15),
      ]);
      const ids = [...a, ...b].map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      // Only the heads of the 20 streams (e0..e19) are claimable.
      expect(ids.every((id) => Number(id.slice(1)) < 20)).toBe(true);
      expect(ids.length).toBe(20);
    } finally {
      await other.close();
    }
  });

  it('widens a mark and deletes it only at the version read', async () => {
    const { store } = ctx;
    await store.markOutbound([{ kind: 'room', name: 'room-a', fromMs: 100, toMs: 200 }]);
    const [read] = await store.listOutboxMarks(10);
    expect(read).toEqual({ kind: 'room', name: 'room-a', fromMs: 100, toMs: 200, version: 1 });
    await store.markOutbound([{ kind: 'room', name: 'room-a', fromMs: 50, toMs: 150 }]);
    await store.deleteOutboxMarks([read!]);
    expect(await store.listOutboxMarks(10)).toEqual([
      { kind: 'room', name: 'room-a', fromMs: 50, toMs: 200, version: 2 },
    ]);
    await store.deleteOutboxMarks([{ kind: 'room', name: 'room-a', version: 2 }]);
    expect(await store.listOutboxMarks(10)).toEqual([]);
  });

  it('lists the open cycles of (room, identity) pairs', async () => {
    const { store } = ctx;
    await store.saveCycles([
      makeCycle({ sid: 'PA_1' }),
      makeCycle({ sid: 'PA_2', endedAtMs: T0 + 10, endedBy: 'webhook' }),
      makeCycle({ sid: 'PA_3', identity: 'bob' }),
      makeCycle({ sid: 'PA_4', room: 'room-b' }),
    ]);
    const open = await store.listOpenIdentityCycles([
      { room: 'room-a', identity: 'alice' },
      { room: 'room-b', identity: 'alice' },
    ]);
    expect(open.map((c) => c.sid).sort()).toEqual(['PA_1', 'PA_4']);
  });

  it('finds registered sessions by room and window, and ended ones not yet announced', async () => {
    const { store } = ctx;
    await store.saveSession(makeSession({ id: 's1', rooms: ['room-a'] }));
    await store.saveSession(makeSession({ id: 's2', rooms: ['room-a', 'room-b'] }));
    await store.saveSession(makeSession({ id: 'unregistered', rooms: ['room-a'] }));
    await store.registerOutboundSession('s1');
    await store.registerOutboundSession('s2');
    await store.registerOutboundSession('s2');
    expect(await store.listOutboundSessionsOverlapping('room-a', T0, T0 + 1)).toEqual(['s1', 's2']);
    expect(
      await store.listOutboundSessionsOverlapping('room-b', T0 + 2 * HOUR, T0 + 3 * HOUR),
    ).toEqual([]);
    expect(await store.listUnannouncedEndedSessions(0, T0 + HOUR - 1, 10)).toEqual([]);
    expect(await store.listUnannouncedEndedSessions(0, T0 + HOUR, 10)).toEqual(['s1', 's2']);
    await store.setOutboundSessionEnded('s1', T0 + HOUR);
    expect(await store.listUnannouncedEndedSessions(0, T0 + HOUR, 10)).toEqual(['s2']);
    await store.saveOutboundStatuses('s1', [
      { identity: 'alice', status: 'late' },
      { identity: 'bob', status: 'present' },
    ]);
    await store.saveOutboundStatuses('s1', [{ identity: 'alice', status: 'excused' }]);
    expect(await store.getOutboundStatuses('s1')).toEqual(
      new Map([
        ['alice', 'excused'],
        ['bob', 'present'],
      ]),
    );
    await store.deleteOutboundSession('s1');
    expect(await store.getOutboundStatuses('s1')).toEqual(new Map());
    expect(await store.listOutboundSessionsOverlapping('room-a', T0, T0 + 1)).toEqual(['s2']);
  });
});
