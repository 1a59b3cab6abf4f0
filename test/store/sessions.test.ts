import { expect, it } from 'vitest';
import type { Session } from '../../src/core/index.js';
import type { SessionListQuery } from '../../src/store/index.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { rawQuery } from '../helpers/raw-sql.js';
import { T0, makeOverride, makeSession, useMigratedStore } from './use-store.js';

const HOUR = 3_600_000;

describeEachDialect('store sessions', (dialect) => {
  const ctx = useMigratedStore(dialect);

  const ids = (sessions: Session[]) => sessions.map((s) => s.id);
  /** Rows of a session in a filter table, read past the store. */
  const memberRows = async (table: 'session_rooms' | 'session_tags', id: string) =>
    (
      await rawQuery<{ n: number | string }>(
        ctx.url,
        `select count(*) as n from ${table} where session_id = '${id}'`,
      )
    ).map((r) => Number(r.n))[0];

  it('round-trips every field, with nulls, aliases and unicode', async () => {
    const { store } = ctx;
    const session: Session = {
      id: 'S.1_a:b-C',
      title: null,
      rooms: ['教室/101', "r'; DROP TABLE sessions;--", 'room-a'],
      startsAtMs: 1_700_000_000_000,
      endsAtMs: 1_700_003_600_000,
      timezone: 'America/Argentina/Buenos_Aires',
      hosts: ['Zoë', 'host-2'],
      roster: [
        { identity: 'zoë', name: null, role: null, aliases: [] },
        { identity: 'bob', name: 'Bob "the" O\'Brien 🎓', role: 'student', aliases: ['bob-phone'] },
      ],
      tags: ['数学', 'week 1'],
      policy: {
        lateAfterMinutes: 0,
        leftEarlyMinutes: 2.5,
        presentPercent: 100,
        absentBelowMinutes: 0,
        lateFrom: 'host',
      },
      createdAtMs: 1_699_999_000_000,
      updatedAtMs: 1_699_999_500_000,
    };
    await store.saveSession(session);
    expect(await store.getSession(session.id)).toEqual(session);
    expect(await store.getSession('S_missing')).toBe(null);
    const withTitle = makeSession({ id: 'S_2', title: 'Café ☕' });
    await store.saveSession(withTitle);
    expect(await store.getSession('S_2')).toEqual(withTitle);
  });

  it('replaces every field of a session saved again, its rooms and tags too', async () => {
    const { store } = ctx;
    await store.saveSession(
      makeSession({ id: 'S_1', rooms: ['room-a', 'room-b'], tags: ['old', 'kept'] }),
    );
    const second = makeSession({
      id: 'S_1',
      title: null,
      rooms: ['room-c'],
      startsAtMs: T0 + HOUR,
      endsAtMs: T0 + 2 * HOUR,
      timezone: 'Asia/Tokyo',
      hosts: [],
      roster: [],
      // A repeated tag is kept as given and filtered on once.
      tags: ['kept', 'new', 'new'],
      policy: { ...makeSession({ id: 'x' }).policy, lateFrom: 'host' },
      createdAtMs: T0 - 60_000,
      updatedAtMs: T0 + 5,
    });
    await store.saveSession(second);
    expect(await store.getSession('S_1')).toEqual(second);
    const list = (q: Partial<SessionListQuery>) => store.listSessions({ limit: 10, ...q });
    expect(ids(await list({ room: 'room-a' }))).toEqual([]);
    expect(ids(await list({ room: 'room-b' }))).toEqual([]);
    expect(ids(await list({ room: 'room-c' }))).toEqual(['S_1']);
    expect(ids(await list({ tag: 'old' }))).toEqual([]);
    expect(ids(await list({ tag: 'kept' }))).toEqual(['S_1']);
    expect(ids(await list({ tag: 'new' }))).toEqual(['S_1']);
    expect(await memberRows('session_rooms', 'S_1')).toBe(1);
    expect(await memberRows('session_tags', 'S_1')).toBe(2);
  });

  it('deletes a session with its rooms, tags and overrides, and says whether it existed', async () => {
    const { store } = ctx;
    await store.saveSession(makeSession({ id: 'S_1', rooms: ['room-a', 'room-b'] }));
    await store.saveSession(makeSession({ id: 'S_2' }));
    await store.saveOverride(makeOverride({ sessionId: 'S_1', identity: 'alice' }));
    await store.saveOverride(makeOverride({ sessionId: 'S_1', identity: 'bob' }));
    await store.saveOverride(makeOverride({ sessionId: 'S_2', identity: 'alice' }));

    expect(await store.deleteSession('S_1')).toBe(true);
    expect(await store.getSession('S_1')).toBe(null);
    expect(await store.listOverrides('S_1')).toEqual([]);
    expect(await memberRows('session_rooms', 'S_1')).toBe(0);
    expect(await memberRows('session_tags', 'S_1')).toBe(0);
    expect(ids(await store.listSessions({ room: 'room-a', limit: 10 }))).toEqual(['S_2']);
    expect(ids(await store.listSessions({ tag: 'team', limit: 10 }))).toEqual(['S_2']);
    // The other session keeps everything.
    expect(await store.getSession('S_2')).toEqual(makeSession({ id: 'S_2' }));
    expect((await store.listOverrides('S_2')).map((o) => o.identity)).toEqual(['alice']);

    expect(await store.deleteSession('S_1')).toBe(false);
    expect(await store.deleteSession('S_never')).toBe(false);
  });

  it('lists newest first, ties by id descending in byte order', async () => {
    const { store } = ctx;
    await store.saveSession(makeSession({ id: 'S_old', startsAtMs: T0 - HOUR }));
    await store.saveSession(makeSession({ id: 'a', startsAtMs: T0 }));
    await store.saveSession(makeSession({ id: 'B', startsAtMs: T0 }));
    await store.saveSession(makeSession({ id: 'b', startsAtMs: T0 }));
    await store.saveSession(makeSession({ id: 'S_new', startsAtMs: T0 + HOUR }));
    expect(ids(await store.listSessions({ limit: 10 }))).toEqual(['S_new', 'b', 'a', 'B', 'S_old']);
    expect(ids(await store.listSessions({ limit: 2 }))).toEqual(['S_new', 'b']);
    expect(await store.listSessions({ limit: 10, room: 'room-none' })).toEqual([]);
  });

  it('pages through every session once, across equal start times, with or without filters', async () => {
    const { store } = ctx;
    const all: Session[] = [];
    for (let i = 0; i < 23; i++) {
      const session = makeSession({
        id: `S_${String(i).padStart(2, '0')}`,
        // Groups of three share a start time, so pages break inside ties.
        startsAtMs: T0 + Math.floor(i / 3) * HOUR,
        endsAtMs: T0 + Math.floor(i / 3) * HOUR + HOUR,
        tags: i % 2 === 0 ? ['even'] : ['odd'],
      });
      all.push(session);
      await store.saveSession(session);
    }
    const expected = (filter: (s: Session) => boolean) =>
      ids(
        all
          .filter(filter)
          .sort((x, y) => y.startsAtMs - x.startsAtMs || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0)),
      );
    const pageThrough = async (query: Omit<SessionListQuery, 'limit' | 'after'>) => {
      const seen: string[] = [];
      let after: SessionListQuery['after'];
      for (;;) {
        const page = await store.listSessions({ ...query, limit: 4, ...(after ? { after } : {}) });
        seen.push(...ids(page));
        const last = page.at(-1);
        if (page.length < 4 || last === undefined) return seen;
        after = { startsAtMs: last.startsAtMs, id: last.id };
      }
    };
    expect(await pageThrough({})).toEqual(expected(() => true));
    expect(await pageThrough({ tag: 'even' })).toEqual(expected((s) => s.tags.includes('even')));
    const window = { fromMs: T0 + 2 * HOUR, toMs: T0 + 5 * HOUR };
    expect(await pageThrough(window)).toEqual(
      expected((s) => s.endsAtMs >= window.fromMs && s.startsAtMs <= window.toMs),
    );
  });

  it('filters by an overlapping window, bounds included', async () => {
    const { store } = ctx;
    const from = T0 + 10 * HOUR;
    const to = T0 + 20 * HOUR;
    const sessions = [
      makeSession({ id: 'ends_at_from', startsAtMs: from - HOUR, endsAtMs: from }),
      makeSession({ id: 'ends_before_from', startsAtMs: from - HOUR, endsAtMs: from - 1 }),
      makeSession({ id: 'starts_at_to', startsAtMs: to, endsAtMs: to + HOUR }),
      makeSession({ id: 'starts_after_to', startsAtMs: to + 1, endsAtMs: to + HOUR }),
      makeSession({ id: 'inside', startsAtMs: from + 1, endsAtMs: to - 1 }),
      makeSession({ id: 'around', startsAtMs: from - HOUR, endsAtMs: to + HOUR }),
    ];
    for (const s of sessions) await store.saveSession(s);
    const listed = async (q: Omit<SessionListQuery, 'limit'>) =>
      ids(await store.listSessions({ ...q, limit: 10 })).sort();
    expect(await listed({ fromMs: from, toMs: to })).toEqual(
      ['around', 'ends_at_from', 'inside', 'starts_at_to'].sort(),
    );
    expect(await listed({ fromMs: from })).toEqual(
      ['around', 'ends_at_from', 'inside', 'starts_after_to', 'starts_at_to'].sort(),
    );
    expect(await listed({ toMs: to })).toEqual(
      ['around', 'ends_at_from', 'ends_before_from', 'inside', 'starts_at_to'].sort(),
    );
  });

  it('filters by room and tag, each or both', async () => {
    const { store } = ctx;
    await store.saveSession(makeSession({ id: 'S_1', rooms: ['room-a', 'room-b'], tags: ['x'] }));
    await store.saveSession(makeSession({ id: 'S_2', rooms: ['room-b'], tags: ['x', 'y'] }));
    await store.saveSession(makeSession({ id: 'S_3', rooms: ['room-c'], tags: [] }));
    const list = async (q: Omit<SessionListQuery, 'limit'>) =>
      ids(await store.listSessions({ ...q, limit: 10 }));
    expect(await list({ room: 'room-a' })).toEqual(['S_1']);
    expect(await list({ room: 'room-b' })).toEqual(['S_2', 'S_1']);
    expect(await list({ tag: 'x' })).toEqual(['S_2', 'S_1']);
    expect(await list({ tag: 'y' })).toEqual(['S_2']);
    expect(await list({ room: 'room-a', tag: 'y' })).toEqual([]);
    expect(await list({ room: 'room-b', tag: 'y' })).toEqual(['S_2']);
    expect(await list({ tag: 'X' })).toEqual([]);
  });

  it('saves and deletes sessions inside a transaction, and rolls both back on throw', async () => {
    const { store } = ctx;
    await store.saveSession(makeSession({ id: 'S_kept', rooms: ['room-a'] }));
    await expect(
      store.transaction(async (tx) => {
        await tx.saveSession(makeSession({ id: 'S_new' }));
        await tx.saveSession(makeSession({ id: 'S_kept', rooms: ['room-z'] }));
        expect(await tx.deleteSession('S_new')).toBe(true);
        await tx.saveSession(makeSession({ id: 'S_new' }));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await store.getSession('S_new')).toBe(null);
    expect(await store.getSession('S_kept')).toEqual(
      makeSession({ id: 'S_kept', rooms: ['room-a'] }),
    );
    expect(ids(await store.listSessions({ room: 'room-a', limit: 10 }))).toEqual(['S_kept']);
    expect(await store.listSessions({ room: 'room-z', limit: 10 })).toEqual([]);
  });
});

describeEachDialect('store overrides', (dialect) => {
  const ctx = useMigratedStore(dialect);

  it('saves, replaces, lists by identity in byte order, and deletes', async () => {
    const { store } = ctx;
    expect(await store.getOverride('S_1', 'alice')).toBe(null);
    await store.saveOverride(
      makeOverride({ sessionId: 'S_1', identity: 'bob', status: 'present' }),
    );
    await store.saveOverride(makeOverride({ sessionId: 'S_1', identity: 'alice' }));
    await store.saveOverride(makeOverride({ sessionId: 'S_1', identity: 'Zed' }));
    await store.saveOverride(makeOverride({ sessionId: 'S_1', identity: '教室/101' }));
    await store.saveOverride(makeOverride({ sessionId: 'S_2', identity: 'alice' }));
    expect((await store.listOverrides('S_1')).map((o) => o.identity)).toEqual([
      'Zed',
      'alice',
      'bob',
      '教室/101',
    ]);

    const replaced = makeOverride({
      sessionId: 'S_1',
      identity: 'alice',
      status: 'late',
      reason: 'train délayed 🚆',
      author: 'admin',
      atMs: T0 + 99,
    });
    await store.saveOverride(replaced);
    expect(await store.getOverride('S_1', 'alice')).toEqual(replaced);
    expect(await store.getOverride('S_2', 'alice')).toEqual(
      makeOverride({ sessionId: 'S_2', identity: 'alice' }),
    );

    expect(await store.deleteOverride('S_1', 'alice')).toBe(true);
    expect(await store.deleteOverride('S_1', 'alice')).toBe(false);
    expect(await store.getOverride('S_1', 'alice')).toBe(null);
    expect((await store.listOverrides('S_1')).map((o) => o.identity)).toEqual([
      'Zed',
      'bob',
      '教室/101',
    ]);
    expect(await store.listOverrides('S_none')).toEqual([]);
  });
});
