import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';
import { EVENT_SECRET, startEventReceiver, type EventReceiver } from '../helpers/event-receiver.js';
import { createHarness, webhookBody, type Harness } from '../helpers/harness.js';
import { startLiveEnv, T0 as LIVE_T0, type LiveEnv } from '../helpers/live-env.js';
import { rawQuery } from '../helpers/raw-sql.js';

const T0 = Date.UTC(2027, 2, 1, 9, 0, 0);
const SECOND = 1000;
const MIN = 60 * SECOND;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

let nextId = 0;
function join(room: string, identity: string, sid: string, atMs: number): string {
  return webhookBody({
    event: 'participant_joined',
    id: `EV_${++nextId}`,
    createdAtS: atMs / 1000,
    room: { name: room, sid: `RM_${room}` },
    participant: { sid, identity, state: 'ACTIVE', joinedAtMs: atMs },
  });
}
function leave(room: string, identity: string, sid: string, joinedAtMs: number, atMs: number) {
  return webhookBody({
    event: 'participant_left',
    id: `EV_${++nextId}`,
    createdAtS: atMs / 1000,
    room: { name: room, sid: `RM_${room}` },
    participant: { sid, identity, state: 'DISCONNECTED', joinedAtMs },
  });
}

describeEachDialect('outbound attendance events', (dialect) => {
  const db = useTestDatabase(dialect);
  let receiver: EventReceiver;
  const harnesses: Harness[] = [];
  let h: Harness;

  const open = async (env: Record<string, string> = {}) => {
    const opened = await createHarness({
      databaseUrl: db.url,
      env: { EVENT_WEBHOOK_URLS: receiver.url, EVENT_WEBHOOK_SECRET: EVENT_SECRET, ...env },
    });
    harnesses.push(opened);
    return opened;
  };
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    receiver = await startEventReceiver();
    h = await open();
  });
  afterEach(async () => {
    for (const x of harnesses.splice(0)) await x.close();
    await receiver.close();
    vi.useRealTimers();
  });
  const post = async (body: string) => expect((await h.postWebhook(body)).status).toBe(200);
  const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);
  const drain = (x: Harness = h) => x.rt.outbound!.deliverer.drain();
  const watch = (x: Harness = h) => x.rt.outbound!.watcher.runOnce();
  const types = (events = receiver.accepted()) =>
    events.map((e) => `${e.body!.type} ${String(e.body!.data.identity ?? e.body!.data.session)}`);
  const outboxRows = async () =>
    Number(
      (await rawQuery<{ n: number | string }>(db.url, 'select count(*) as n from outbox'))[0]!.n,
    );

  it('sends joins and leaves signed by Standard Webhooks, in order per room', async () => {
    await post(join('room-a', 'alice', 'PA_a1', T0));
    await post(join('room-b', 'carol', 'PA_c1', T0 + SECOND));
    await post(join('room-a', 'bob', 'PA_b1', T0 + 2 * SECOND));
    await post(leave('room-a', 'alice', 'PA_a1', T0, T0 + 30 * SECOND));
    expect(await drain()).toMatchObject({ delivered: 4, retried: 0, failed: 0 });
    expect(receiver.received.every((r) => r.verifyError === null)).toBe(true);
    const roomA = receiver.accepted().filter((e) => e.body!.data.room === 'room-a');
    expect(types(roomA)).toEqual([
      'participant.joined alice',
      'participant.joined bob',
      'participant.left alice',
    ]);
    const left = roomA[2]!;
    expect(left.body).toEqual({
      type: 'participant.left',
      timestamp: iso(T0 + 30 * SECOND),
      data: {
        identity: 'alice',
        room: 'room-a',
        sid: 'PA_a1',
        joinedAt: iso(T0),
        leftAt: iso(T0 + 30 * SECOND),
        source: 'webhook',
      },
    });
    expect(left.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(left.timestamp).toBe(String(Math.floor(Date.now() / 1000)));
    expect(left.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(left.headers['content-type']).toBe('application/json');
  });

  it('announces a person once across two devices: first open joins, last close leaves', async () => {
    await post(join('room-a', 'alice', 'PA_1', T0));
    await post(join('room-a', 'alice', 'PA_2', T0 + SECOND));
    await post(leave('room-a', 'alice', 'PA_1', T0, T0 + 10 * SECOND));
    await post(leave('room-a', 'alice', 'PA_2', T0 + SECOND, T0 + 20 * SECOND));
    // A duplicate changes nothing and writes nothing.
    expect(await outboxRows()).toBe(2);
    await drain();
    expect(types()).toEqual(['participant.joined alice', 'participant.left alice']);
    expect(receiver.accepted()[1]!.body!.data).toMatchObject({ sid: 'PA_2' });
  });

  it('sends a join and a leave for a presence whose join was lost', async () => {
    await post(leave('room-a', 'alice', 'PA_1', T0, T0 + 10 * SECOND));
    await drain();
    expect(types()).toEqual(['participant.joined alice', 'participant.left alice']);
    // The late join does not reopen the cycle, so it announces nothing.
    await post(join('room-a', 'alice', 'PA_1', T0));
    await drain();
    expect(receiver.accepted()).toHaveLength(2);
  });

  it('writes nothing for a track event or a recorder, and one row per arrival or departure', async () => {
    await post(join('room-a', 'alice', 'PA_1', T0));
    await watch(); // consumes the room's mark
    const marks = async () =>
      Number(
        (
          await rawQuery<{ n: number | string }>(db.url, 'select count(*) as n from outbox_marks')
        )[0]!.n,
      );
    expect([await outboxRows(), await marks()]).toEqual([1, 0]);
    const track = webhookBody({
      event: 'track_published',
      id: `EV_${++nextId}`,
      createdAtS: (T0 + 5 * SECOND) / 1000,
      room: { name: 'room-a', sid: 'RM_room-a' },
      participant: { sid: 'PA_1', identity: 'alice' },
      reduced: true,
    });
    await post(track);
    const recorder = webhookBody({
      event: 'participant_joined',
      id: `EV_${++nextId}`,
      createdAtS: T0 / 1000,
      room: { name: 'room-a', sid: 'RM_room-a' },
      participant: {
        sid: 'EG_1',
        identity: 'egress',
        state: 'ACTIVE',
        joinedAtMs: T0,
        kind: 'EGRESS',
      },
    });
    await post(recorder);
    // The recorder's cycle is new (a mark for the sessions), but it is no arrival.
    expect([await outboxRows(), await marks()]).toEqual([1, 1]);
  });

  it('lists the outbox by status with a cursor, behind the API token', async () => {
    receiver.respond = () => 500;
    for (let i = 0; i < 3; i++) await post(join(`room-${i}`, `p${i}`, `PA_${i}`, T0));
    const first = await h.api('/api/v1/outbox?status=pending&limit=2');
    expect(first.json.events.map((e: any) => e.room)).toEqual(['room-0', 'room-1']);
    const second = await h.api(
      `/api/v1/outbox?status=pending&limit=2&cursor=${first.json.nextCursor}`,
    );
    expect(second.json).toMatchObject({ events: [{ room: 'room-2' }], nextCursor: null });
    const otherStatus = await h.api(`/api/v1/outbox?status=failed&cursor=${first.json.nextCursor}`);
    expect(otherStatus.status).toBe(400);
    expect((await h.api('/api/v1/outbox?status=delivered')).json).toMatchObject({
      error: 'invalid_request',
    });
    const anonymous = await h.app.inject({ method: 'GET', url: '/api/v1/outbox' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('counts deliveries by outcome and the backlog on /metrics', async () => {
    receiver.respond = (body) => (body?.data.identity === 'bob' ? 500 : 204);
    await post(join('room-a', 'alice', 'PA_a', T0));
    await post(join('room-b', 'bob', 'PA_b', T0));
    await drain();
    const text = (await h.api('/metrics')).body;
    expect(text).toContain('livekit_attendance_outbound_deliveries_total{outcome="delivered"} 1');
    expect(text).toContain('livekit_attendance_outbound_deliveries_total{outcome="retry"} 1');
    expect(text).toContain('livekit_attendance_outbox_backlog 1');
  });

  it("holds a room's later event until its earlier one is delivered, with the same id on retry", async () => {
    receiver.respond = (body, attempt) =>
      body?.data.identity === 'alice' && body.type === 'participant.joined' && attempt === 1
        ? 503
        : 204;
    await post(join('room-a', 'alice', 'PA_a', T0));
    await post(join('room-a', 'bob', 'PA_b', T0 + SECOND));
    await post(join('room-b', 'carol', 'PA_c', T0 + SECOND));
    expect(await drain()).toMatchObject({ delivered: 1, retried: 1 });
    // carol (another room) went out; bob waits behind alice.
    expect(types()).toEqual(['participant.joined carol']);
    const pending = await h.api('/api/v1/outbox?status=pending');
    expect(pending.status).toBe(200);
    expect(pending.json.events).toMatchObject([
      {
        type: 'participant.joined',
        room: 'room-a',
        status: 'pending',
        attempts: 1,
        lastStatus: 503,
        lastError: 'HTTP 503',
        nextAttemptAt: iso(T0 + 5 * SECOND),
        createdAt: iso(T0),
      },
      { type: 'participant.joined', room: 'room-a', attempts: 0, lastError: null },
    ]);
    advance(4 * SECOND);
    expect(await drain()).toMatchObject({ claimed: 0 });
    advance(1 * SECOND);
    await drain();
    expect(types()).toEqual([
      'participant.joined carol',
      'participant.joined alice',
      'participant.joined bob',
    ]);
    const aliceAttempts = receiver.received.filter((r) => r.body?.data.identity === 'alice');
    expect(aliceAttempts.map((r) => r.answeredStatus)).toEqual([503, 204]);
    expect(aliceAttempts[0]!.id).toBe(aliceAttempts[1]!.id);
    expect((await h.api('/api/v1/outbox')).json.events).toEqual([]);
  });

  it('backs off from 5 s, doubling up to an hour, and fails after 24 hours; retry sends it again', async () => {
    receiver.respond = () => 500;
    await post(join('room-a', 'alice', 'PA_a', T0));
    const gaps: number[] = [];
    let last = Date.now();
    for (;;) {
      await drain();
      const [row] = (await h.api('/api/v1/outbox?status=pending')).json.events;
      if (row === undefined) break;
      const next = Date.parse(row.nextAttemptAt);
      gaps.push((next - last) / SECOND);
      vi.setSystemTime(next);
      last = next;
    }
    expect(gaps.slice(0, 11)).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]);
    expect(gaps.slice(10, -1).every((g) => g === 3600)).toBe(true);
    // The last attempt is at the deadline, 24 hours after the event was written.
    expect(last).toBe(T0 + 24 * HOUR);
    const failed = (await h.api('/api/v1/outbox?status=failed')).json.events;
    expect(failed).toMatchObject([
      { status: 'failed', attempts: gaps.length + 1, nextAttemptAt: null, lastStatus: 500 },
    ]);
    const ids = new Set(receiver.received.map((r) => r.id));
    expect(ids.size).toBe(1);
    expect(receiver.received).toHaveLength(gaps.length + 1);

    receiver.respond = () => 200;
    expect(await h.rt.outbox.retryFailed()).toBe(1);
    await drain();
    expect(receiver.accepted().map((r) => r.id)).toEqual([...ids]);
    expect((await h.api('/api/v1/outbox?status=failed')).json.events).toEqual([]);
  });

  it('never sends one event twice when two instances deliver at the same instant', async () => {
    const other = await open();
    for (let i = 0; i < 30; i++) await post(join(`room-${i}`, `p${i}`, `PA_${i}`, T0));
    const [a, b] = await Promise.all([
      other.rt.outbound!.deliverer.runOnce(),
      h.rt.outbound!.deliverer.runOnce(),
    ]);
    expect(a.delivered + b.delivered).toBe(30);
    const ids = receiver.received.map((r) => r.id);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
  });

  it('announces an override as a status change, and a session becoming final once', async () => {
    const put = await h.api('/api/v1/sessions/class-1', {
      method: 'PUT',
      body: {
        rooms: ['room-a'],
        startsAt: iso(T0),
        endsAt: iso(T0 + 10 * MIN),
        roster: [{ identity: 'alice' }, { identity: 'bob' }],
      },
    });
    expect(put.status).toBe(201);
    expect(await watch()).toBe(0); // everyone starts absent: nothing to announce
    await post(join('room-a', 'alice', 'PA_a', T0 + 30 * SECOND));
    advance(2 * MIN);
    expect(await watch()).toBe(1);
    const override = await h.api('/api/v1/sessions/class-1/participants/bob/override', {
      method: 'PUT',
      body: { status: 'excused', reason: 'doctor', author: 'teacher' },
    });
    expect(override.status).toBe(200);
    expect(await watch()).toBe(1);
    await drain();
    const statuses = receiver.accepted().filter((e) => e.body!.type === 'session.status_changed');
    expect(statuses.map((e) => e.body!.data)).toMatchObject([
      { session: 'class-1', identity: 'alice', previousStatus: 'absent', status: 'partial' },
      {
        session: 'class-1',
        identity: 'bob',
        previousStatus: 'absent',
        status: 'excused',
        computedStatus: 'absent',
        override: { status: 'excused', reason: 'doctor', author: 'teacher' },
      },
    ]);

    await post(leave('room-a', 'alice', 'PA_a', T0 + 30 * SECOND, T0 + 10 * MIN));
    advance(10 * MIN);
    await watch();
    await watch();
    await drain();
    const tail = receiver.accepted().slice(statuses.length + 1);
    expect(types(tail)).toEqual([
      'participant.left alice',
      'session.status_changed alice',
      'session.ended class-1',
    ]);
    expect(tail[1]!.body!.data).toMatchObject({ previousStatus: 'partial', status: 'present' });
    expect(tail[2]!.body).toMatchObject({
      type: 'session.ended',
      data: {
        session: 'class-1',
        startsAt: iso(T0),
        endsAt: iso(T0 + 10 * MIN),
        summary: { expected: 2, attended: 1, byStatus: { present: 1, excused: 1, absent: 0 } },
      },
    });
    // Once: later rounds, and a new change, send no second session.ended.
    await h.api('/api/v1/sessions/class-1/participants/bob/override', { method: 'DELETE' });
    await watch();
    await drain();
    const after = receiver.accepted().slice(statuses.length + 4);
    expect(types(after)).toEqual(['session.status_changed bob']);
    expect(after[0]!.body!.data).toMatchObject({ previousStatus: 'excused', status: 'absent' });
  });

  it('announces a change once when two instances watch sessions at the same time', async () => {
    const other = await open();
    await h.api('/api/v1/sessions/s', {
      method: 'PUT',
      body: { rooms: ['room-a'], startsAt: iso(T0), endsAt: iso(T0 + 10 * MIN) },
    });
    await h.api('/api/v1/sessions/s/participants/zoe/override', {
      method: 'PUT',
      body: { status: 'excused', reason: 'ill', author: 'teacher' },
    });
    const written = await Promise.all([watch(other), watch(h)]);
    expect(written.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await watch(other)).toBe(0);
    await drain(other);
    expect(types()).toEqual(['session.status_changed zoe']);
  });

  it('announces status changes a policy change causes', async () => {
    const body = (lateAfterMinutes: number) => ({
      rooms: ['room-a'],
      startsAt: iso(T0),
      endsAt: iso(T0 + 10 * MIN),
      roster: [{ identity: 'alice' }],
      policy: { lateAfterMinutes, presentPercent: 50 },
    });
    await h.api('/api/v1/sessions/s', { method: 'PUT', body: body(5) });
    await post(join('room-a', 'alice', 'PA_a', T0 + 3 * MIN));
    advance(8 * MIN);
    await watch();
    await h.api('/api/v1/sessions/s', { method: 'PUT', body: body(1) });
    await watch();
    await drain();
    expect(
      receiver
        .accepted()
        .filter((e) => e.body!.type === 'session.status_changed')
        .map((e) => [e.body!.data.previousStatus, e.body!.data.status]),
    ).toEqual([
      ['absent', 'present'],
      ['present', 'late'],
    ]);
  });
});

describeEachDialect('outbound events not configured', (dialect) => {
  const db = useTestDatabase(dialect);
  it('writes nothing to the outbox and has no deliverer', async () => {
    const h = await createHarness({ databaseUrl: db.url });
    try {
      expect(h.rt.outbound).toBe(null);
      const body = join('room-a', 'alice', 'PA_1', Math.floor(Date.now() / 1000) * 1000);
      expect((await h.postWebhook(body)).status).toBe(200);
      await h.api('/api/v1/sessions/s', {
        method: 'PUT',
        body: { rooms: ['room-a'], startsAt: iso(T0), endsAt: iso(T0 + MIN) },
      });
      for (const table of ['outbox', 'outbox_marks', 'outbound_sessions']) {
        const rows = await rawQuery<{ n: number | string }>(
          db.url,
          `select count(*) as n from ${table}`,
        );
        expect([table, Number(rows[0]!.n)]).toEqual([table, 0]);
      }
      expect((await h.api('/api/v1/outbox')).json).toEqual({ events: [], nextCursor: null });
    } finally {
      await h.close();
    }
  });
});

describeEachDialect('outbound events from the reconciler', (dialect) => {
  const db = useTestDatabase(dialect);
  let receiver: EventReceiver;
  let env: LiveEnv;
  beforeEach(async () => {
    receiver = await startEventReceiver();
    env = await startLiveEnv(db.url, {
      env: { EVENT_WEBHOOK_URLS: receiver.url, EVENT_WEBHOOK_SECRET: EVENT_SECRET },
    });
  });
  afterEach(async () => {
    await env.close();
    await receiver.close();
  });

  it('announces a presence only LiveKit listed, and its end when LiveKit stops listing it', async () => {
    const emu = env.emu.emulator;
    emu.setWebhookFaults({ dropRate: 1 });
    const { sid } = emu.connect('room-r', { identity: 'dana' });
    await env.settle();
    await env.advance(MIN);
    await env.reconcile();
    await env.advance(MIN);
    emu.disconnect('room-r', sid);
    await env.settle();
    await env.advance(MIN);
    await env.reconcile();
    await env.h.rt.outbound!.deliverer.drain();
    expect(receiver.accepted().map((e) => e.body)).toMatchObject([
      {
        type: 'participant.joined',
        data: { identity: 'dana', sid, source: 'reconciler', leftAt: null },
      },
      {
        type: 'participant.left',
        // Closed at the last moment LiveKit confirmed it (reconciliation rule 3).
        data: { identity: 'dana', sid, source: 'reconciler', leftAt: iso(LIVE_T0 + MIN) },
      },
    ]);
  });
});
