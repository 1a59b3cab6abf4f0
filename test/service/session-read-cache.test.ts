import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { openStore } from '../../src/store/index.js';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';
import { createHarness, webhookBody, type Harness } from '../helpers/harness.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Session reads keep their inputs until the database changes (SQLite) and compute the answer at
 * every read: a live session's numbers move with the clock alone, and any write, by this
 * process or another, is seen at the next read. PostgreSQL reads every time; same answers.
 */
describeEachDialect('session reads between writes', (dialect) => {
  const db = useTestDatabase(dialect);
  const clock = new ManualClock(T0);
  let h: Harness;
  beforeEach(async () => {
    clock.set(T0);
    h = await createHarness({ databaseUrl: db.url, clock });
  });
  afterEach(() => h.close());

  const join = (id: string, identity: string, sid: string, atMs: number) =>
    h.postWebhook(
      webhookBody({
        event: 'participant_joined',
        id,
        createdAtS: Math.floor(atMs / 1000),
        room: { name: 'algebra' },
        participant: { sid, identity, state: 'ACTIVE', joinedAtMs: atMs },
      }),
    );
  const leave = (id: string, identity: string, sid: string, atMs: number, joinedAtMs: number) =>
    h.postWebhook(
      webhookBody({
        event: 'participant_left',
        id,
        createdAtS: Math.floor(atMs / 1000),
        room: { name: 'algebra' },
        participant: { sid, identity, state: 'DISCONNECTED', joinedAtMs },
      }),
    );
  const participant = async (identity: string) =>
    (await h.api(`/api/v1/sessions/s1/participants/${identity}`)).json;
  const report = async () => (await h.api('/api/v1/sessions/s1/attendance')).json;

  beforeEach(async () => {
    const put = await h.api('/api/v1/sessions/s1', {
      method: 'PUT',
      body: {
        rooms: ['algebra'],
        startsAt: iso(T0),
        endsAt: iso(T0 + 60 * MIN),
        roster: [{ identity: 'ana', aliases: ['ana-phone'] }, { identity: 'ben' }],
      },
    });
    expect(put.status).toBe(201);
    expect((await join('EV_1', 'ana', 'PA_1', T0)).status).toBe(200);
  });

  it('moves a live participant and report with the clock, without any write', async () => {
    clock.set(T0 + 10 * MIN);
    expect(await participant('ana')).toMatchObject({ inMeeting: true, attendedMs: 10 * MIN });
    expect((await report()).participants[0]).toMatchObject({ attendedMs: 10 * MIN });
    clock.set(T0 + 30 * MIN);
    expect(await participant('ana')).toMatchObject({ inMeeting: true, attendedMs: 30 * MIN });
    expect((await report()).participants[0]).toMatchObject({ attendedMs: 30 * MIN });
    clock.set(T0 + 90 * MIN);
    const ended = await report();
    expect(ended.session.state).toBe('ended');
    expect(ended.participants[0]).toMatchObject({ attendedMs: 60 * MIN });
  });

  it('sees each webhook at the next read, for the member and through an alias', async () => {
    clock.set(T0 + 20 * MIN);
    expect((await participant('ben')).status).toBe('absent');
    expect((await participant('ana-phone')).identity).toBe('ana');
    expect((await join('EV_2', 'ben', 'PA_2', T0 + 5 * MIN)).status).toBe(200);
    expect(await participant('ben')).toMatchObject({ inMeeting: true, attendedMs: 15 * MIN });
    expect((await leave('EV_3', 'ana', 'PA_1', T0 + 12 * MIN, T0)).status).toBe(200);
    expect(await participant('ana-phone')).toMatchObject({
      inMeeting: false,
      attendedMs: 12 * MIN,
    });
    expect((await report()).summary).toMatchObject({ attended: 2 });
  });

  it('sees a change written by another process at the next read', async () => {
    clock.set(T0 + 20 * MIN);
    expect((await participant('ben')).status).toBe('absent');
    expect((await report()).participants.find((p: any) => p.identity === 'ben').status).toBe(
      'absent',
    );
    const other = await openStore(db.url);
    try {
      await other.saveOverride({
        sessionId: 's1',
        identity: 'ben',
        status: 'excused',
        reason: 'doctor',
        author: 'cli',
        atMs: T0,
      });
    } finally {
      await other.close();
    }
    expect((await participant('ben')).status).toBe('excused');
    expect((await report()).participants.find((p: any) => p.identity === 'ben').status).toBe(
      'excused',
    );
  });

  it('answers with the session as written last, roster included', async () => {
    clock.set(T0 + 20 * MIN);
    expect((await participant('ben')).onRoster).toBe(true);
    const put = await h.api('/api/v1/sessions/s1', {
      method: 'PUT',
      body: {
        rooms: ['algebra'],
        startsAt: iso(T0),
        endsAt: iso(T0 + 60 * MIN),
        roster: [{ identity: 'ana' }],
      },
    });
    expect(put.status).toBe(200);
    expect((await participant('ben')).onRoster).toBe(false);
    expect((await participant('ana-phone')).identity).toBe('ana-phone');
    expect((await h.api('/api/v1/sessions/s1')).json.roster).toHaveLength(1);
  });
});
