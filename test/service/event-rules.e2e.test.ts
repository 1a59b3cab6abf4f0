import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, useLiveEnv } from '../helpers/live-env.js';

const MIN = 60_000;
const ROOM = 'class-101';

/** attendance-model "Event rules", end to end: emulator → signed webhooks over HTTP → status API. */
describeEachDialect('event rules end to end', (dialect) => {
  const env = useLiveEnv(dialect);
  const emu = () => env.emu.emulator;

  it('counts two devices of one identity once (union of cycles)', async () => {
    const phone = emu().connect(ROOM, { identity: 'alice' });
    await env.advance(5 * MIN);
    // A second device with the same identity replaces the first (DUPLICATE_IDENTITY), new sid.
    emu().reconnect(ROOM, 'alice');
    await env.advance(5 * MIN);
    const s = await env.status(ROOM, 'alice');
    expect(s.cycles.map((c: { sid: string }) => c.sid)).toContain(phone.sid);
    expect(s.cycles).toHaveLength(2);
    expect(s).toMatchObject({ inMeeting: true, attendedMs: 10 * MIN });
  });

  it('keeps a stale participant_left after a rejoin from ending the new connection', async () => {
    emu().connect(ROOM, { identity: 'bob' });
    await env.advance(2 * MIN);
    emu().reconnect(ROOM, 'bob', { staleLeft: true });
    await env.advance(3 * MIN);
    expect(await env.status(ROOM, 'bob')).toMatchObject({ inMeeting: true, attendedMs: 5 * MIN });
  });

  it('gives an aborted join zero attendance', async () => {
    const { sid } = emu().connect(ROOM, { identity: 'carol', state: 'JOINING' });
    await env.advance(MIN);
    emu().disconnect(ROOM, sid, { reason: 'JOIN_FAILURE' });
    await env.settle();
    const s = await env.status(ROOM, 'carol');
    expect(s).toMatchObject({ inMeeting: false, attendedMs: 0 });
    expect(s.cycles).toEqual([
      expect.objectContaining({ sid, durationMs: 0, counted: false, closedBy: 'webhook' }),
    ]);
  });

  it('recreates the cycle from participant_left when the join was lost', async () => {
    emu().setWebhookFaults({ dropRate: 1 });
    const { sid } = emu().connect(ROOM, { identity: 'dan' });
    await env.settle();
    emu().setWebhookFaults(null);
    await env.advance(7 * MIN);
    emu().disconnect(ROOM, sid);
    await env.settle();
    const s = await env.status(ROOM, 'dan');
    expect(s).toMatchObject({ attendedMs: 7 * MIN, firstJoinedAt: new Date(T0).toISOString() });
    expect(s.cycles[0]).toMatchObject({ openedBy: 'webhook', closedBy: 'webhook' });
  });

  it('closes every open cycle of the room on room_finished, at the event time', async () => {
    emu().connect(ROOM, { identity: 'erin' });
    emu().connect(ROOM, { identity: 'frank' });
    await env.advance(4 * MIN);
    emu().endRoom(ROOM);
    await env.settle();
    await env.advance(10 * MIN);
    for (const identity of ['erin', 'frank']) {
      const s = await env.status(ROOM, identity);
      expect(s).toMatchObject({ inMeeting: false, attendedMs: 4 * MIN });
      // DeleteRoom disconnects everyone (participant_left, ROOM_DELETED) before room_finished.
      expect(s.cycles[0].closedBy).toMatch(/^(webhook|room_finished)$/);
    }
  });

  it('records agents and recorders but does not count them; SIP callers count', async () => {
    emu().connect(ROOM, { identity: 'bot', kind: 'AGENT' });
    emu().connect(ROOM, { identity: 'rec', kind: 'EGRESS' });
    emu().connect(ROOM, { identity: 'phone', kind: 'SIP' });
    await env.advance(3 * MIN);
    expect(await env.status(ROOM, 'bot')).toMatchObject({ inMeeting: false, attendedMs: 0 });
    expect((await env.status(ROOM, 'rec')).cycles[0]).toMatchObject({
      kind: 'EGRESS',
      counted: false,
    });
    expect(await env.status(ROOM, 'phone')).toMatchObject({ inMeeting: true, attendedMs: 3 * MIN });
  });

  it('gives exact totals under duplicated, delayed webhooks', async () => {
    emu().setWebhookFaults({ duplicateRate: 1, delayMs: 500 });
    const a = emu().connect(ROOM, { identity: 'gus' });
    await env.advance(2 * MIN);
    emu().disconnect(ROOM, a.sid);
    await env.advance(MIN);
    const b = emu().connect(ROOM, { identity: 'gus' });
    await env.advance(3 * MIN);
    emu().disconnect(ROOM, b.sid);
    await env.advance(MIN);
    const s = await env.status(ROOM, 'gus');
    expect(s).toMatchObject({ inMeeting: false, attendedMs: 5 * MIN });
    expect(s.cycles).toHaveLength(2);
  });

  it('reports an identity that never joined as absent with zero time', async () => {
    expect(await env.status(ROOM, 'nobody')).toEqual({
      room: ROOM,
      identity: 'nobody',
      name: null,
      inMeeting: false,
      attendedMs: 0,
      firstJoinedAt: null,
      lastLeftAt: null,
      lastVerifiedAt: null,
      cycles: [],
    });
  });

  it('lists a room report as JSON and CSV', async () => {
    emu().connect(ROOM, { identity: 'hana', name: '=cmd|calc' });
    emu().connect(ROOM, { identity: 'ivan', name: 'Ivan, "The" Great' });
    await env.advance(2 * MIN);
    const json = await env.h.api(`/api/v1/rooms/${ROOM}/attendance`);
    expect(json.json.participants).toEqual([
      expect.objectContaining({
        identity: 'hana',
        attendedMs: 2 * MIN,
        inMeeting: true,
        cycleCount: 1,
      }),
      expect.objectContaining({
        identity: 'ivan',
        attendedMs: 2 * MIN,
        inMeeting: true,
        cycleCount: 1,
      }),
    ]);
    const csv = await env.h.api(`/api/v1/rooms/${ROOM}/attendance?format=csv`);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const start = new Date(T0).toISOString();
    expect(csv.body).toBe(
      'identity,name,attendedMs,inMeeting,firstJoinedAt,lastLeftAt,cycleCount\r\n' +
        `hana,'=cmd|calc,120000,true,${start},,1\r\n` +
        `ivan,"Ivan, ""The"" Great",120000,true,${start},,1\r\n`,
    );
    const viaAccept = await env.h.api(`/api/v1/rooms/${ROOM}/attendance`, {
      headers: { accept: 'text/csv' },
    });
    expect(viaAccept.body).toBe(csv.body);
  });
});
