import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, useLiveEnv } from '../helpers/live-env.js';

const MIN = 60_000;
const ROOM = 'class-101';
const iso = (ms: number) => new Date(ms).toISOString();

describeEachDialect('a session against the emulator and the reconciler', (dialect) => {
  const env = useLiveEnv(dialect);
  const emu = () => env.emu.emulator;
  const put = (body: unknown) => env.h.api('/api/v1/sessions/live-1', { method: 'PUT', body });

  it('checks LiveKit for ?verify=true and turns final after a pass once the class is over', async () => {
    expect(
      (
        await put({
          rooms: [ROOM, 'class-101-breakout'],
          startsAt: iso(T0),
          endsAt: iso(T0 + 10 * MIN),
          roster: [{ identity: 'alice' }, { identity: 'bob' }],
        })
      ).status,
    ).toBe(201);
    // Alice's join is lost: only a check with LiveKit can see her.
    emu().setWebhookFaults({ dropRate: 1 });
    const alice = emu().connect(ROOM, { identity: 'alice' });
    await env.settle();
    emu().setWebhookFaults(null);
    await env.advance(2 * MIN);
    const unseen = await env.h.api('/api/v1/sessions/live-1/participants/alice');
    expect(unseen.json).toMatchObject({ status: 'absent', attendedMs: 0, lastVerifiedAt: null });
    emu().resetApiCalls();
    const seen = await env.h.api('/api/v1/sessions/live-1/participants/alice?verify=true');
    expect(seen.status).toBe(200);
    expect(seen.json).toMatchObject({
      identity: 'alice',
      inMeeting: true,
      attendedMs: 2 * MIN,
      lastLeftAt: null,
      lastVerifiedAt: iso(T0 + 2 * MIN),
    });
    expect(seen.json.cycles[0]).toMatchObject({ sid: alice.sid, openedBy: 'reconciler' });
    // One ListRooms and one ListParticipants per session room, whatever the number of readers.
    expect(emu().apiCalls().ListParticipants).toBeLessThanOrEqual(2);

    await env.advance(10 * MIN); // the class is over; alice stays in the room
    let report = (await env.h.api('/api/v1/sessions/live-1/attendance')).json;
    expect(report.session.state).toBe('ended');
    expect(report.final).toBe(false); // no pass since the end
    await env.reconcile();
    report = (await env.h.api('/api/v1/sessions/live-1/attendance')).json;
    // Still in the room, but LiveKit confirmed her after the end: her time in the window is known.
    expect(report.final).toBe(true);
    expect(report.participants[0]).toMatchObject({
      identity: 'alice',
      inMeeting: true,
      attendedMs: 10 * MIN,
      lastLeftAt: iso(T0 + 10 * MIN),
      status: 'present',
    });
    expect(report.dataQuality).toMatchObject({
      cyclesOpenedByReconciler: 1,
      verificationFailures: 0,
    });
    expect(report.participants[1]).toMatchObject({ identity: 'bob', status: 'absent' });
  });
});
