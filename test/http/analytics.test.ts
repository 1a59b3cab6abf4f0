import { expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';
import { createHarness, webhookBody, type Harness } from '../helpers/harness.js';
import { usePerTest } from '../helpers/per-test.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
/** 2026-11-30 09:00 UTC: the first class; the second is a day later, both ten minutes long. */
const T = Date.UTC(2026, 10, 30, 9, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const ROSTER = [
  { identity: 'ana', name: 'Ana Müller' },
  { identity: 'bo', name: 'Bo Chen' },
  { identity: 'cy', name: 'Cy Park' },
];

describeEachDialect('GET /api/v1/analytics', (dialect) => {
  const db = useTestDatabase(dialect);
  const clock = new ManualClock(T + 2 * DAY);
  const harness = usePerTest('analytics harness', async () => {
    clock.set(T + 2 * DAY);
    const h = await createHarness({ databaseUrl: db.url, clock });
    await recordTwoClasses(h);
    return h;
  });
  let seq = 0;

  async function attend(h: Harness, room: string, identity: string, from: number, to: number) {
    const roomRef = { name: room, sid: `RM_${room}` };
    const sid = `PA_${++seq}`;
    for (const body of [
      webhookBody({
        event: 'participant_joined',
        id: `EV_${sid}_j`,
        createdAtS: from / 1000,
        room: roomRef,
        participant: { sid, identity, state: 'ACTIVE', joinedAtMs: from },
      }),
      webhookBody({
        event: 'participant_left',
        id: `EV_${sid}_l`,
        createdAtS: to / 1000,
        room: roomRef,
        participant: { sid, identity, state: 'DISCONNECTED' },
      }),
    ]) {
      expect((await h.postWebhook(body)).status).toBe(200);
    }
  }

  async function recordTwoClasses(h: Harness): Promise<void> {
    const put = async (id: string, room: string, startsAt: number, tags: string[]) =>
      expect(
        (
          await h.api(`/api/v1/sessions/${id}`, {
            method: 'PUT',
            body: {
              title: id,
              rooms: [room],
              startsAt: iso(startsAt),
              endsAt: iso(startsAt + 10 * MIN),
              roster: ROSTER,
              tags,
            },
          })
        ).status,
      ).toBe(201);
    await put('algebra-1', 'alg-1', T, ['algebra']);
    await put('algebra-2', 'alg-2', T + DAY, ['algebra']);
    await put('physics-1', 'phy-1', T + 2 * MIN, ['physics']);
    await attend(h, 'alg-1', 'ana', T, T + 10 * MIN);
    await attend(h, 'alg-1', 'bo', T + 6 * MIN, T + 10 * MIN); // late by 6 min
    await attend(h, 'alg-2', 'ana', T + DAY, T + DAY + 10 * MIN);
    await attend(h, 'alg-2', 'bo', T + DAY, T + DAY + 10 * MIN);
    await attend(h, 'phy-1', 'zed', T + 2 * MIN, T + 12 * MIN);
    const excuse = await h.api('/api/v1/sessions/algebra-2/participants/cy/override', {
      method: 'PUT',
      body: { status: 'excused', reason: 'ill', author: 'Ms T' },
    });
    expect(excuse.status).toBe(200);
  }

  const person = (over: Record<string, unknown>) => ({
    sessionsExpected: 2,
    attended: 0,
    present: 0,
    late: 0,
    leftEarly: 0,
    partial: 0,
    absent: 0,
    excused: 0,
    ...over,
  });

  it('gives per person and per session figures for a tag', async () => {
    const r = await harness().api('/api/v1/analytics?tag=algebra');
    expect(r.status).toBe(200);
    expect(r.json.truncated).toBe(false);
    expect(r.json.people).toEqual([
      person({
        identity: 'ana',
        name: 'Ana Müller',
        attended: 2,
        present: 2,
        attendanceRate: 100,
        meanLatenessMinutes: 0,
      }),
      person({
        identity: 'bo',
        name: 'Bo Chen',
        attended: 2,
        present: 1,
        late: 1,
        attendanceRate: 100,
        meanLatenessMinutes: 3,
      }),
      person({
        identity: 'cy',
        name: 'Cy Park',
        absent: 1,
        excused: 1,
        attendanceRate: 0,
        meanLatenessMinutes: null,
      }),
    ]);
    const points = (counts: number[], start: number) =>
      counts.map((present, i) => ({ at: iso(start + i * MIN), present }));
    expect(r.json.sessions).toEqual([
      {
        id: 'algebra-1',
        title: 'algebra-1',
        startsAt: iso(T),
        endsAt: iso(T + 10 * MIN),
        state: 'ended',
        expected: 3,
        attended: 2,
        attendanceRate: 66.7,
        presentOverTime: points([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0], T),
        presentStepMinutes: 1,
      },
      {
        id: 'algebra-2',
        title: 'algebra-2',
        startsAt: iso(T + DAY),
        endsAt: iso(T + DAY + 10 * MIN),
        state: 'ended',
        expected: 3,
        attended: 2,
        attendanceRate: 100,
        presentOverTime: points([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0], T + DAY),
        presentStepMinutes: 1,
      },
    ]);
  });

  it('narrows to one identity and to a time range', async () => {
    const bo = await harness().api('/api/v1/analytics?tag=algebra&identity=bo');
    expect(bo.json.people.map((p: any) => p.identity)).toEqual(['bo']);
    expect(bo.json.sessions.map((s: any) => s.id)).toEqual(['algebra-1', 'algebra-2']);
    const zed = await harness().api('/api/v1/analytics?identity=zed');
    expect(zed.json.sessions.map((s: any) => s.id)).toEqual(['physics-1']);
    expect(zed.json.people).toEqual([
      person({
        identity: 'zed',
        name: null,
        sessionsExpected: 0,
        attended: 1,
        present: 1,
        attendanceRate: null,
        meanLatenessMinutes: 0,
      }),
    ]);
    const range = await harness().api(
      `/api/v1/analytics?from=${encodeURIComponent(iso(T + DAY))}&to=${encodeURIComponent(iso(T + 2 * DAY))}`,
    );
    expect(range.json.sessions.map((s: any) => s.id)).toEqual(['algebra-2']);
  });

  it('finds a roster member by one of their aliases, as the participant route does', async () => {
    const h = harness();
    const put = await h.api('/api/v1/sessions/chem-1', {
      method: 'PUT',
      body: {
        title: 'chem-1',
        rooms: ['chem-1'],
        startsAt: iso(T + 3 * MIN),
        endsAt: iso(T + 13 * MIN),
        roster: [{ identity: 'dee', name: 'Dee Ray', aliases: ['dee-phone'] }],
        tags: ['chem'],
      },
    });
    expect(put.status).toBe(201);
    await attend(h, 'chem-1', 'dee-phone', T + 3 * MIN, T + 13 * MIN);
    const byMember = await h.api('/api/v1/analytics?identity=dee');
    const byAlias = await h.api('/api/v1/analytics?identity=dee-phone');
    for (const r of [byMember, byAlias]) {
      expect(r.json.sessions.map((s: any) => s.id)).toEqual(['chem-1']);
      expect(r.json.people).toEqual([
        person({
          identity: 'dee',
          name: 'Dee Ray',
          sessionsExpected: 1,
          attended: 1,
          present: 1,
          attendanceRate: 100,
          meanLatenessMinutes: 0,
        }),
      ]);
    }
    expect((await h.api('/api/v1/analytics?identity=nobody')).json).toMatchObject({
      people: [],
      sessions: [],
    });
  });

  it('answers CSV with one line per person', async () => {
    const r = await harness().api('/api/v1/analytics?tag=algebra&format=csv');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.body).toBe(
      [
        'identity,name,sessionsExpected,attended,present,late,leftEarly,partial,absent,excused,attendanceRate,meanLatenessMinutes',
        'ana,Ana Müller,2,2,2,0,0,0,0,0,100,0',
        'bo,Bo Chen,2,2,1,1,0,0,0,0,100,3',
        'cy,Cy Park,2,0,0,0,0,0,1,1,0,',
        '',
      ].join('\r\n'),
    );
  });

  it('refuses a date without an offset, and a request without the token', async () => {
    const bad = await harness().api('/api/v1/analytics?from=2026-11-30T09:00:00');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_request');
    const anon = await harness().app.inject({ url: '/api/v1/analytics' });
    expect(anon.statusCode).toBe(401);
  });
});
