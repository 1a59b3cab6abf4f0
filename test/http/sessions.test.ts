import { expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { rebuildFromJournal } from '../../src/service/index.js';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';
import { createHarness, webhookBody, type Harness } from '../helpers/harness.js';
import { usePerTest } from '../helpers/per-test.js';
import { shapeProblems } from '../helpers/schema-shape.js';

const MIN = 60_000;
/** 2026-11-30 09:00 UTC: the class runs 09:00–10:00. */
const T = Date.UTC(2026, 10, 30, 9, 0, 0);
const at = (minutes: number) => T + minutes * MIN;
const iso = (ms: number) => new Date(ms).toISOString();
const MAIN = 'class-main';
const BREAKOUT = 'class-breakout';

const ROSTER = [
  { identity: 'ana', name: 'Ana Müller', role: 'student' },
  { identity: 'bo' },
  { identity: 'chidi' },
  { identity: 'dana' },
  { identity: 'emil' },
  { identity: 'farah' },
  { identity: 'goro' },
  { identity: 'hana', name: 'Hana Sato' },
  { identity: 'ines', aliases: ['ines-phone'] },
  { identity: 'jo' },
];

function sessionBody(over: Record<string, unknown> = {}) {
  return {
    title: 'Algebra 1',
    rooms: [MAIN, BREAKOUT],
    startsAt: iso(at(0)),
    endsAt: iso(at(60)),
    hosts: ['teacher'],
    roster: ROSTER,
    tags: ['algebra', 'grade-9'],
    ...over,
  };
}

describeEachDialect('sessions over HTTP', (dialect) => {
  const db = useTestDatabase(dialect);
  const clock = new ManualClock(at(120));
  const harness = usePerTest('sessions harness', () => {
    clock.set(at(120));
    return createHarness({ databaseUrl: db.url, clock });
  });
  const h = (): Harness => harness();
  let seq = 0;

  async function post(body: string): Promise<void> {
    const r = await h().postWebhook(body);
    expect(r.status).toBe(200);
  }
  async function join(
    identity: string,
    sid: string,
    atMs: number,
    opts: { room?: string; kind?: string; name?: string } = {},
  ) {
    await post(
      webhookBody({
        event: 'participant_joined',
        id: `EV_${++seq}_${sid}`,
        createdAtS: Math.floor(atMs / 1000),
        room: { name: opts.room ?? MAIN, sid: `RM_${opts.room ?? MAIN}` },
        participant: {
          sid,
          identity,
          state: 'ACTIVE',
          joinedAtMs: atMs,
          ...(opts.name ? { name: opts.name, version: 1 } : {}),
          ...(opts.kind ? { kind: opts.kind } : {}),
        },
      }),
    );
  }
  async function leave(identity: string, sid: string, atMs: number, room = MAIN) {
    await post(
      webhookBody({
        event: 'participant_left',
        id: `EV_${++seq}_${sid}_left`,
        createdAtS: Math.floor(atMs / 1000),
        room: { name: room, sid: `RM_${room}` },
        participant: { sid, identity, state: 'DISCONNECTED' },
      }),
    );
  }
  async function attend(
    identity: string,
    sid: string,
    from: number,
    to: number | null,
    opts: { room?: string; kind?: string; name?: string } = {},
  ) {
    await join(identity, sid, at(from), opts);
    if (to !== null) await leave(identity, sid, at(to), opts.room);
  }
  const put = (id: string, body: unknown) =>
    h().api(`/api/v1/sessions/${encodeURIComponent(id)}`, { method: 'PUT', body });
  const report = async (id = 'algebra-1') => {
    const r = await h().api(`/api/v1/sessions/${id}/attendance`);
    expect(r.status).toBe(200);
    return r.json;
  };
  const row = (rep: any, identity: string) =>
    rep.participants.find((p: any) => p.identity === identity);
  /** The documented 200 answer of the participant route, from the OpenAPI description. */
  const participantSchema = () =>
    (h().app.swagger() as any).paths['/api/v1/sessions/{id}/participants/{identity}'].get.responses[
      '200'
    ].content['application/json'].schema;
  /** The documented 200 answer of the report route, from the OpenAPI description. */
  const reportSchema = () =>
    (h().app.swagger() as any).paths['/api/v1/sessions/{id}/attendance'].get.responses['200']
      .content['application/json'].schema;

  it('creates (201), replaces (200), reads, lists and deletes a session with resolved policy', async () => {
    const created = await put('algebra-1', sessionBody());
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: 'algebra-1',
      title: 'Algebra 1',
      rooms: [MAIN, BREAKOUT],
      startsAt: iso(at(0)),
      endsAt: iso(at(60)),
      timezone: 'UTC',
      hosts: ['teacher'],
      tags: ['algebra', 'grade-9'],
      state: 'ended',
      policy: {
        lateAfterMinutes: 5,
        leftEarlyMinutes: 5,
        presentPercent: 75,
        absentBelowMinutes: 1,
        lateFrom: 'start',
      },
      createdAt: iso(at(120)),
      updatedAt: iso(at(120)),
    });
    expect(created.json.roster[0]).toEqual({
      identity: 'ana',
      name: 'Ana Müller',
      role: 'student',
      aliases: [],
    });
    expect(created.json.roster[1]).toEqual({ identity: 'bo', name: null, role: null, aliases: [] });

    clock.set(at(121));
    // Any offset in, UTC out; a replaced policy is resolved again.
    const replaced = await put(
      'algebra-1',
      sessionBody({ startsAt: '2026-11-30T12:00:00+03:00', policy: { presentPercent: 50 } }),
    );
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({
      startsAt: iso(at(0)),
      createdAt: iso(at(120)),
      updatedAt: iso(at(121)),
      policy: { presentPercent: 50, lateAfterMinutes: 5 },
    });
    expect((await h().api('/api/v1/sessions/algebra-1')).json).toEqual(replaced.json);

    clock.set(at(30));
    expect((await h().api('/api/v1/sessions/algebra-1')).json.state).toBe('live');
    clock.set(at(-1));
    expect((await h().api('/api/v1/sessions/algebra-1')).json.state).toBe('scheduled');

    expect((await h().api('/api/v1/sessions/algebra-1', { method: 'DELETE' })).status).toBe(204);
    const gone = await h().api('/api/v1/sessions/algebra-1');
    expect(gone.status).toBe(404);
    expect(gone.json.error).toBe('session_not_found');
    expect((await h().api('/api/v1/sessions/algebra-1', { method: 'DELETE' })).status).toBe(404);
    expect((await h().api('/api/v1/sessions/algebra-1/attendance')).json.error).toBe(
      'session_not_found',
    );
  });

  it('creates a session once when the same PUT races itself', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => put('raced', sessionBody())));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    const audit = await h().api('/api/v1/audit?session=raced');
    expect(audit.json.entries.map((e: any) => e.action)).toEqual([
      'session.created',
      ...Array.from({ length: 5 }, () => 'session.updated'),
    ]);
  });

  it('lists sessions overlapping [from, to], newest first, by tag and room, in pages', async () => {
    for (let day = 0; day < 5; day++) {
      const start = at(day * 24 * 60);
      await put(`day-${day}`, {
        rooms: [day % 2 === 0 ? MAIN : BREAKOUT],
        startsAt: iso(start),
        endsAt: iso(start + 60 * MIN),
        tags: day < 3 ? ['early'] : [],
      });
    }
    const ids = (r: { json: any }) => r.json.sessions.map((s: any) => s.id);
    expect(ids(await h().api('/api/v1/sessions'))).toEqual([
      'day-4',
      'day-3',
      'day-2',
      'day-1',
      'day-0',
    ]);
    const from = encodeURIComponent(iso(at(24 * 60 + 30)));
    const to = encodeURIComponent(iso(at(3 * 24 * 60)));
    expect(ids(await h().api(`/api/v1/sessions?from=${from}&to=${to}`))).toEqual([
      'day-3',
      'day-2',
      'day-1',
    ]);
    expect(ids(await h().api('/api/v1/sessions?tag=early'))).toEqual(['day-2', 'day-1', 'day-0']);
    expect(ids(await h().api(`/api/v1/sessions?room=${BREAKOUT}`))).toEqual(['day-3', 'day-1']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor === null ? '' : `&cursor=${cursor}`;
      const page: any = await h().api(`/api/v1/sessions?limit=2${q}`);
      expect(page.json.sessions.length).toBeLessThanOrEqual(2);
      seen.push(...ids(page));
      cursor = page.json.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(['day-4', 'day-3', 'day-2', 'day-1', 'day-0']);
    expect((await h().api('/api/v1/sessions?from=yesterday')).json.error).toBe('invalid_request');
    expect((await h().api('/api/v1/sessions?cursor=abc')).json.error).toBe('invalid_request');
  });

  it('takes the body as sent: no type coercion, no NUL, bounded messages, canonical zones', async () => {
    const typed = await put('typed', sessionBody({ rooms: [123], tags: [5], hosts: [true] }));
    expect(typed.status).toBe(400);
    expect(typed.json.message).toContain('rooms[0] must be a string');
    expect(typed.json.message).toContain('hosts[0] must be a string');
    expect(typed.json.message).toContain('tags[0] must be a string');
    const nulls = await put(
      'nulls',
      sessionBody({
        title: 'a\u0000b',
        tags: ['x\u0000'],
        roster: [{ identity: 'a', name: '\u0000' }],
      }),
    );
    expect(nulls.status).toBe(400);
    expect(nulls.json.message).toContain('title must not contain NUL');
    const huge = await put('huge', sessionBody({ roster: Array.from({ length: 500 }, () => 0) }));
    expect(huge.status).toBe(400);
    expect(huge.json.message).toContain('… and 480 more');
    expect(huge.body.length).toBeLessThan(3_000);
    const defaults = await put(
      'defaults',
      sessionBody({ timezone: 'europe/istanbul', policy: { lateAfterMinutes: null } }),
    );
    expect(defaults.status).toBe(201);
    expect(defaults.json).toMatchObject({
      timezone: 'Europe/Istanbul',
      policy: { lateAfterMinutes: 5 },
    });
    for (const q of [
      'tag=a%00b',
      'room=%00',
      'cursor=' + Buffer.from('{"v":1,"s":1.5,"id":"x"}').toString('base64url'),
    ]) {
      const r = await h().api(`/api/v1/sessions?${q}`);
      expect(r.status, q).toBe(400);
    }
    expect((await h().api('/api/v1/audit?identity=%00')).status).toBe(400);
    const override = await h().api('/api/v1/sessions/defaults/participants/ana/override', {
      method: 'PUT',
      body: { status: 'excused', reason: 'r\u0000', author: 'a' },
    });
    expect(override.status).toBe(400);
  });

  it('answers each bad body with 400 invalid_session naming every problem', async () => {
    const cases: Array<[unknown, string[]]> = [
      [{}, ['rooms is required', 'startsAt is required', 'endsAt is required']],
      [
        sessionBody({ rooms: [], endsAt: iso(at(-10)) }),
        ['rooms must list 1 to 50', 'endsAt must be later than startsAt'],
      ],
      [sessionBody({ rooms: Array.from({ length: 51 }, (_, i) => `r${i}`) }), ['1 to 50']],
      [sessionBody({ endsAt: iso(at(8 * 24 * 60)) }), ['at most 7 days']],
      [sessionBody({ startsAt: '2026-11-30T09:00:00' }), ['with an offset']],
      [sessionBody({ startsAt: '2026-02-30T09:00:00Z' }), ['startsAt must be an ISO 8601']],
      [sessionBody({ timezone: 'Mars/Olympus' }), ['timezone must be an IANA']],
      [sessionBody({ timezone: '+03:00' }), ['timezone must be an IANA']],
      [
        sessionBody({ policy: { presentPercent: 150, lateFrom: 'teacher' } }),
        ['presentPercent', 'lateFrom'],
      ],
      [
        sessionBody({ roster: [{ identity: 'a' }, { identity: 'b', aliases: ['a'] }] }),
        ['already'],
      ],
      [sessionBody({ roster: [{ name: 'no identity' }] }), ['roster[0].identity is required']],
      [sessionBody({ colour: 'blue' }), ['colour is not a known field']],
      [sessionBody({ rooms: [MAIN, MAIN] }), ['repeats']],
      [[1, 2], ['JSON object']],
    ];
    for (const [body, fragments] of cases) {
      const r = await put('bad', body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.json.error).toBe('invalid_session');
      for (const f of fragments) expect(r.json.message).toContain(f);
    }
    const badId = await put('has space', sessionBody());
    expect(badId.status).toBe(400);
    expect(badId.json).toMatchObject({ error: 'invalid_session' });
    expect(badId.json.message).toContain('id must be');
    expect((await put('x'.repeat(129), sessionBody())).json.error).toBe('invalid_session');
    expect((await h().api('/api/v1/sessions/bad')).status).toBe(404);
  });

  it('computes every status and edge from stored cycles', async () => {
    await put('algebra-1', sessionBody());
    await attend('teacher', 'PA_t', -10, 62, { name: 'Mr. T' });
    await attend('ana', 'PA_a', -5, 65); // joined before the start, left after the end
    await attend('bo', 'PA_b', 12, 60); // late
    await attend('chidi', 'PA_c', 0, 40); // left early
    await attend('dana', 'PA_d1', 0, 50); // two devices at once
    await attend('dana', 'PA_d2', 30, 60);
    await attend('emil', 'PA_e1', 0, 60); // main room plus a breakout at once
    await attend('emil', 'PA_e2', 20, 45, { room: BREAKOUT });
    await attend('farah', 'PA_f1', -10, 3); // a reconnect across the boundary... and inside
    await attend('farah', 'PA_f2', 4, 70);
    await attend('goro', 'PA_g1', 0, 20); // partial
    await attend('goro', 'PA_g2', 35, 58);
    await attend('ines-phone', 'PA_i', 1, 59, { kind: 'SIP' }); // phone dial-in by alias
    await join('jo', 'PA_j', at(10)); // 30 s: absent
    await leave('jo', 'PA_j', at(10) + 30_000);
    await attend('visitor', 'PA_v', 5, 55, { name: 'A Visitor' }); // a guest
    await attend('recorder', 'PA_r', 0, 60, { kind: 'EGRESS' }); // not counted, not listed
    await attend('zed', 'PA_z', 70, 80); // after the window: not listed

    const rep = await report();
    expect(rep.session.id).toBe('algebra-1');
    expect(shapeProblems(rep, reportSchema())).toEqual([]);
    expect(rep.final).toBe(true); // ended, nothing open, and no LiveKit configured
    const identities = rep.participants.map((p: any) => p.identity);
    expect(identities).toEqual([...ROSTER.map((m) => m.identity), 'teacher', 'visitor']);

    expect(row(rep, 'ana')).toMatchObject({
      name: 'Ana Müller',
      role: 'student',
      onRoster: true,
      isHost: false,
      status: 'present',
      computedStatus: 'present',
      override: null,
      inMeeting: false,
      attendedMs: 60 * MIN,
      attendedPercent: 100,
      firstJoinedAt: iso(at(0)),
      lastLeftAt: iso(at(60)),
      lateByMs: 0,
      leftEarlyByMs: 0,
      connections: 1,
      reconnects: 0,
      joinedByPhone: false,
    });
    expect(row(rep, 'ana').cycles).toEqual([
      {
        room: MAIN,
        sid: 'PA_a',
        kind: 'STANDARD',
        joinedAt: iso(at(-5)),
        leftAt: iso(at(65)),
        durationMs: 60 * MIN,
        openedBy: 'webhook',
        closedBy: 'webhook',
      },
    ]);
    expect(row(rep, 'bo')).toMatchObject({
      status: 'late',
      lateByMs: 12 * MIN,
      attendedMs: 48 * MIN,
    });
    expect(row(rep, 'chidi')).toMatchObject({ status: 'left_early', leftEarlyByMs: 20 * MIN });
    expect(row(rep, 'dana')).toMatchObject({
      status: 'present',
      attendedMs: 60 * MIN,
      connections: 2,
      reconnects: 0,
    });
    expect(row(rep, 'emil')).toMatchObject({ attendedMs: 60 * MIN, connections: 2 });
    expect(row(rep, 'emil').cycles.map((c: any) => c.room)).toEqual([MAIN, BREAKOUT]);
    expect(row(rep, 'farah')).toMatchObject({
      status: 'present',
      attendedMs: 59 * MIN,
      attendedPercent: 98.3,
      reconnects: 1,
      connections: 2,
      firstJoinedAt: iso(at(0)),
    });
    expect(row(rep, 'goro')).toMatchObject({
      status: 'partial',
      attendedMs: 43 * MIN,
      attendedPercent: 71.7,
      leftEarlyByMs: 2 * MIN,
    });
    expect(row(rep, 'hana')).toMatchObject({
      name: 'Hana Sato',
      status: 'absent',
      attendedMs: 0,
      firstJoinedAt: null,
      lastLeftAt: null,
      connections: 0,
      cycles: [],
    });
    expect(row(rep, 'ines')).toMatchObject({
      status: 'present',
      joinedByPhone: true,
      attendedMs: 58 * MIN,
      onRoster: true,
    });
    expect(row(rep, 'ines').cycles[0]).toMatchObject({ sid: 'PA_i', kind: 'SIP' });
    expect(row(rep, 'jo')).toMatchObject({ status: 'absent', attendedMs: 30_000 });
    expect(row(rep, 'teacher')).toMatchObject({ isHost: true, onRoster: false, name: 'Mr. T' });
    expect(row(rep, 'visitor')).toMatchObject({
      onRoster: false,
      isHost: false,
      status: 'present',
    });
    expect(rep.summary).toEqual({
      expected: 10,
      attended: 11,
      guests: 1,
      present: 7,
      late: 1,
      left_early: 1,
      partial: 1,
      absent: 2,
      excused: 0,
    });
    expect(rep.dataQuality).toMatchObject({
      webhooksReceived: expect.any(Number),
      duplicatesDropped: 0,
      cyclesOpenedByReconciler: 0,
      cyclesClosedByReconciler: 0,
      verificationFailures: 0,
      lastVerifiedAt: null,
    });
    expect(rep.dataQuality.webhooksReceived).toBeGreaterThan(20);

    // A duplicate delivery is counted as dropped, and changes nothing.
    const again = webhookBody({
      event: 'participant_left',
      id: `EV_${seq}_PA_z_left`,
      createdAtS: Math.floor(at(80) / 1000),
      room: { name: MAIN, sid: `RM_${MAIN}` },
      participant: { sid: 'PA_z', identity: 'zed', state: 'DISCONNECTED' },
    });
    expect((await h().postWebhook(again)).json).toMatchObject({ status: 'duplicate' });
    await attend('late-dup', 'PA_ld', 30, 31);
    const dupBody = webhookBody({
      event: 'participant_left',
      id: `EV_${seq}_PA_ld_left`,
      createdAtS: Math.floor(at(31) / 1000),
      room: { name: MAIN, sid: `RM_${MAIN}` },
      participant: { sid: 'PA_ld', identity: 'late-dup', state: 'DISCONNECTED' },
    });
    expect((await h().postWebhook(dupBody)).json).toMatchObject({ status: 'duplicate' });
    expect((await report()).dataQuality.duplicatesDropped).toBe(1);

    // The participant route gives the same row, for a member asked by alias too.
    const ines = await h().api('/api/v1/sessions/algebra-1/participants/ines-phone');
    expect(ines.status).toBe(200);
    // Serialised by the route itself: the bytes must still be the documented shape.
    expect(ines.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(shapeProblems(ines.json, participantSchema())).toEqual([]);
    const { lastVerifiedAt, ...inesRow } = ines.json;
    expect(lastVerifiedAt).toBeNull();
    expect(inesRow).toEqual(row(rep, 'ines'));
    const nobody = await h().api('/api/v1/sessions/algebra-1/participants/never-came');
    expect(nobody.status).toBe(200);
    expect(shapeProblems(nobody.json, participantSchema())).toEqual([]);
    expect(nobody.json).toMatchObject({
      identity: 'never-came',
      status: 'absent',
      attendedMs: 0,
      onRoster: false,
      cycles: [],
    });
  });

  it('measures lateness from the host when lateFrom is host (hosts from the start)', async () => {
    await put('algebra-1', sessionBody({ policy: { lateFrom: 'host' } }));
    await attend('teacher', 'PA_t', 10, 60);
    await attend('bo', 'PA_b', 12, 60);
    await attend('ana', 'PA_a', 20, 60);
    const rep = await report();
    expect(row(rep, 'teacher')).toMatchObject({ status: 'late', lateByMs: 10 * MIN });
    expect(row(rep, 'bo')).toMatchObject({ status: 'present', lateByMs: 2 * MIN });
    expect(row(rep, 'ana')).toMatchObject({ status: 'late', lateByMs: 10 * MIN });

    // No host came: measured from the start.
    await put('no-host', sessionBody({ hosts: ['absent-teacher'], policy: { lateFrom: 'host' } }));
    expect(row(await report('no-host'), 'bo')).toMatchObject({
      lateByMs: 12 * MIN,
      status: 'late',
    });
  });

  it('overrides win, keep computedStatus, are audited, and go with their session', async () => {
    await put('algebra-1', sessionBody());
    const path = '/api/v1/sessions/algebra-1/participants/hana/override';
    const set = await h().api(path, {
      method: 'PUT',
      body: { status: 'excused', reason: 'Doctor’s note', author: 'ms.smith' },
    });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({
      identity: 'hana',
      status: 'excused',
      computedStatus: 'absent',
      override: {
        status: 'excused',
        reason: 'Doctor’s note',
        author: 'ms.smith',
        at: iso(at(120)),
      },
    });
    // The roster and the host who never came: all absent but the excused one.
    const withOverride = await report();
    expect(withOverride.summary).toMatchObject({ excused: 1, absent: 10 });
    expect(shapeProblems(withOverride, reportSchema())).toEqual([]);
    // Before the session exists in anyone's cycles, by alias: the member gets it.
    const byAlias = await h().api('/api/v1/sessions/algebra-1/participants/ines-phone/override', {
      method: 'PUT',
      body: { status: 'present', reason: 'was on the phone', author: 'ms.smith' },
    });
    expect(byAlias.json).toMatchObject({ identity: 'ines', status: 'present' });

    for (const bad of [
      { status: 'sleeping', reason: 'r', author: 'a' },
      { status: 'present', reason: '', author: 'a' },
      { status: 'present', reason: 'x'.repeat(501), author: 'a' },
      { status: 'present', reason: 'r' },
    ]) {
      const r = await h().api(path, { method: 'PUT', body: bad });
      expect(r.status).toBe(400);
      expect(r.json.error).toBe('invalid_request');
    }
    expect((await h().api(path, { method: 'DELETE' })).status).toBe(204);
    expect(row(await report(), 'hana')).toMatchObject({ status: 'absent', override: null });
    // A retried DELETE is harmless, and records nothing.
    expect((await h().api(path, { method: 'DELETE' })).status).toBe(204);

    const audit = await h().api('/api/v1/audit?session=algebra-1');
    expect(audit.status).toBe(200);
    expect(audit.json.entries.map((e: any) => e.action)).toEqual([
      'session.created',
      'override.set',
      'override.set',
      'override.removed',
    ]);
    expect(audit.json.entries[1]).toMatchObject({
      source: 'api',
      actor: 'ms.smith',
      session: 'algebra-1',
      identity: 'hana',
      reason: 'Doctor’s note',
      before: null,
      after: { status: 'excused', reason: 'Doctor’s note', author: 'ms.smith' },
    });

    expect((await h().api('/api/v1/sessions/algebra-1', { method: 'DELETE' })).status).toBe(204);
    await put('algebra-1', sessionBody());
    expect(row(await report(), 'ines')).toMatchObject({ status: 'absent', override: null });
  });

  it('re-decides past reports on a new policy and after a rebuild, never freezing them', async () => {
    await put('algebra-1', sessionBody());
    await attend('goro', 'PA_g1', 0, 20);
    await attend('goro', 'PA_g2', 35, 58);
    expect(row(await report(), 'goro').status).toBe('partial');
    await put('algebra-1', sessionBody({ policy: { presentPercent: 50 } }));
    expect(row(await report(), 'goro').status).toBe('present');

    const before = await report();
    const result = await rebuildFromJournal({
      writer: h().rt.writer,
      logger: h().rt.logger,
      now: () => clock.now(),
    });
    expect(result.failedRooms).toEqual([]);
    const after = await report();
    expect(after.participants).toEqual(before.participants);
    // Nothing changed, so the rebuild recorded nothing.
    const rebuilt = await h().api(`/api/v1/audit?room=${MAIN}`);
    expect(rebuilt.json.entries.filter((e: any) => e.source === 'rebuild')).toEqual([]);
  });

  it('splits one person between two sessions back to back in one room', async () => {
    await put('first', sessionBody({ rooms: [MAIN] }));
    await put(
      'second',
      sessionBody({ rooms: [MAIN], startsAt: iso(at(60)), endsAt: iso(at(120)) }),
    );
    await attend('ana', 'PA_a', 30, 90);
    expect(row(await report('first'), 'ana')).toMatchObject({
      attendedMs: 30 * MIN,
      lateByMs: 30 * MIN,
      leftEarlyByMs: 0,
    });
    expect(row(await report('second'), 'ana')).toMatchObject({
      attendedMs: 30 * MIN,
      lateByMs: 0,
      leftEarlyByMs: 30 * MIN,
    });
  });

  it('is not final while live or while a cycle is open, and counts up to now', async () => {
    await put('algebra-1', sessionBody());
    await join('ana', 'PA_a', at(0));
    clock.set(at(30));
    let rep = await report();
    expect(rep.session.state).toBe('live');
    expect(rep.final).toBe(false);
    expect(row(rep, 'ana')).toMatchObject({
      inMeeting: true,
      attendedMs: 30 * MIN,
      lastLeftAt: null,
      leftEarlyByMs: 0,
    });
    clock.set(at(90));
    rep = await report();
    expect(rep.final).toBe(false); // ended, but ana's cycle is still open inside the window
    expect(row(rep, 'ana')).toMatchObject({ attendedMs: 60 * MIN, lastLeftAt: iso(at(60)) });
    await leave('ana', 'PA_a', at(61));
    expect((await report()).final).toBe(true);
  });

  it('writes CSV with the exact columns, zoned times across daylight saving, and safe cells', async () => {
    // Europe/Berlin leaves summer time on 2026-10-25 at 01:00 UTC (03:00 → 02:00 local).
    const start = Date.UTC(2026, 9, 25, 0, 30);
    await put('dst', {
      rooms: [MAIN],
      startsAt: iso(start),
      endsAt: iso(start + 60 * MIN),
      timezone: 'Europe/Berlin',
      roster: [{ identity: 'ana', name: '=HYPERLINK("x")', role: '@admin' }, { identity: 'bo' }],
    });
    await join('ana', 'PA_a', start + 5 * MIN);
    await leave('ana', 'PA_a', start + 50 * MIN);
    const csv = await h().api('/api/v1/sessions/dst/attendance?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe(
      'identity,name,role,status,attendedMinutes,attendedPercent,firstJoinedAt,lastLeftAt,lateByMinutes,leftEarlyByMinutes,connections,reconnects,joinedByPhone,onRoster,isHost,timezone',
    );
    expect(lines[1]).toBe(
      `ana,"'=HYPERLINK(""x"")",'@admin,left_early,45.0,75.0,2026-10-25T02:35:00+02:00,2026-10-25T02:20:00+01:00,5.0,10.0,1,0,false,true,false,Europe/Berlin`,
    );
    expect(lines[2]).toBe('bo,,,absent,0.0,0.0,,,0.0,0.0,0,0,false,true,false,Europe/Berlin');
    expect(lines[3]).toBe('');
    const viaAccept = await h().api('/api/v1/sessions/dst/attendance', {
      headers: { accept: 'text/csv' },
    });
    expect(viaAccept.body).toBe(csv.body);
    const json = await report('dst');
    expect(row(json, 'ana')).toMatchObject({ attendedMs: 45 * MIN, attendedPercent: 75 });
  });

  it('records cycle changes in the audit trail, in the same transaction, with filters and pages', async () => {
    await put('algebra-1', sessionBody());
    await attend('ana', 'PA_a', 0, 30);
    await attend('bo', 'PA_b', 5, null);
    const all = await h().api('/api/v1/audit');
    const actions = all.json.entries.map((e: any) => [e.action, e.source, e.sid]);
    expect(actions).toEqual([
      ['session.created', 'api', null],
      ['cycle.opened', 'webhook', 'PA_a'],
      ['cycle.closed', 'webhook', 'PA_a'],
      ['cycle.opened', 'webhook', 'PA_b'],
    ]);
    const closed = all.json.entries[2];
    expect(closed).toMatchObject({
      room: MAIN,
      identity: 'ana',
      session: null,
      before: { joinedAt: iso(at(0)), leftAt: null },
      after: { joinedAt: iso(at(0)), leftAt: iso(at(30)), closedBy: 'webhook' },
    });
    expect(typeof closed.id).toBe('number');
    const byIdentity = await h().api('/api/v1/audit?identity=bo');
    expect(byIdentity.json.entries.map((e: any) => e.sid)).toEqual(['PA_b']);
    const bySession = await h().api('/api/v1/audit?session=algebra-1');
    expect(bySession.json.entries).toHaveLength(4);
    const page1 = await h().api('/api/v1/audit?limit=3');
    expect(page1.json.entries).toHaveLength(3);
    const page2 = await h().api(`/api/v1/audit?limit=3&cursor=${page1.json.nextCursor}`);
    expect(page2.json.entries.map((e: any) => e.sid)).toEqual(['PA_b']);
    expect(page2.json.nextCursor).toBeNull();
    const since = await h().api(`/api/v1/audit?since=${encodeURIComponent(iso(at(121)))}`);
    expect(since.json.entries).toEqual([]);
  });
});
