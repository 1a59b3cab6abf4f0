import { expect, it } from 'vitest';
import { createRoomServiceGateway } from '../../src/livekit/index.js';
import { ReconcileScheduler, Reconciler, type ReconcileReport } from '../../src/service/index.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { startLiveKitGate, type LiveKitGate } from '../helpers/livekit-gate.js';
import { T0, useLiveEnv, type LiveEnv } from '../helpers/live-env.js';

/**
 * Issue #10, "LiveKit faults": the service on a real socket, LiveKit's webhooks signed and posted
 * by the emulator, every pass asking the emulator's RoomService through the real SDK. In each
 * scenario people sit in rooms with open cycles, two of them leave with their participant_left
 * lost and one joins with his participant_joined lost; then LiveKit's API fails for half an hour,
 * then recovers. Nothing may close while it fails, and afterwards every total must be what the
 * attendance model allows: exact where a webhook dated it, short by at most the time between the
 * last confirmation and the real leave where a pass did, never more than the real time.
 */

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** What a fault looks like from the outside, and how to cause and end it. */
interface Fault {
  /** The `kind` of the failure every failed room reports. */
  kind: string;
  on(): Promise<void> | void;
  off(): Promise<void> | void;
  /** One pass while it lasts; default: `POST /api/v1/reconcile`. */
  pass?(): Promise<ReconcileReport | null>;
}

/** T0: alice, bob (room-a) and carol (room-b) join; a pass at T0+2 confirms them. */
async function peopleWithLostWebhooks(env: LiveEnv) {
  const emu = env.emu.emulator;
  const alice = emu.connect('room-a', { identity: 'alice' });
  const bob = emu.connect('room-a', { identity: 'bob' });
  const carol = emu.connect('room-b', { identity: 'carol' });
  await env.settle();
  await env.advance(2 * MIN);
  expect((await env.reconcile()).summary).toMatchObject({ confirmed: 3, closed: 0 });
  await env.advance(1 * MIN);
  // T0+3: alice and carol leave, dave joins; LiveKit's webhooks about it are all lost.
  emu.setWebhookFaults({ dropRate: 1 });
  emu.disconnect('room-a', alice.sid);
  emu.disconnect('room-b', carol.sid);
  const dave = emu.connect('room-b', { identity: 'dave' });
  await env.settle();
  emu.setWebhookFaults(null);
  return { alice, bob, carol, dave };
}

/**
 * The whole scenario: lost webhooks, then `fault` for three passes 10 minutes apart (bob leaves
 * meanwhile, his webhook delivered), then recovery at T0+34.
 */
async function survives(env: LiveEnv, fault: Fault): Promise<void> {
  const emu = env.emu.emulator;
  const people = await peopleWithLostWebhooks(env);
  await fault.on();
  const pass = fault.pass ?? (() => env.reconcile());
  for (let i = 0; i < 3; i++) {
    await env.advance(10 * MIN);
    if (i === 1) {
      emu.disconnect('room-a', people.bob.sid); // T0+23, webhooks still flow
      await env.settle();
    }
    const failed: ReconcileReport | null = await pass();
    expect(failed).toMatchObject({ outcome: 'failed', summary: { closed: 0, opened: 0 } });
    expect(failed!.unverified.map((u) => u.kind)).toContain(fault.kind);
  }
  // Nothing closed because LiveKit could not say: alice is still in (counted up to now, as an
  // open cycle is), her room unverified since T0+2, its failures counted and explained.
  expect(await env.status('room-a', 'alice')).toMatchObject({
    inMeeting: true,
    lastVerifiedAt: iso(T0 + 2 * MIN),
  });
  expect(await env.status('room-b', 'dave')).toMatchObject({ inMeeting: false, attendedMs: 0 });
  const verification = await env.h.rt.store.getRoomVerification('room-a');
  expect(verification).toMatchObject({
    lastVerifiedAtMs: T0 + 2 * MIN,
    lastError: expect.stringMatching(new RegExp(`^${fault.kind}: `)),
  });
  expect(verification!.consecutiveFailures).toBeGreaterThanOrEqual(3);
  const metrics = (await env.h.api('/metrics')).body;
  expect(metrics).toMatch(
    new RegExp(`livekit_attendance_livekit_api_errors_total\\{kind="${fault.kind}"\\} [1-9]`),
  );

  await fault.off();
  await env.advance(1 * MIN); // T0+34
  const recovered = await env.reconcile();
  expect(recovered.outcome).toBe('ok');
  // The stale cycles close at their last confirmation (T0+2), not at recovery; dave's lost join
  // is recovered at LiveKit's joinedAt.
  expect(recovered.actions).toEqual([
    {
      room: 'room-a',
      identity: 'alice',
      sid: people.alice.sid,
      action: 'close',
      at: iso(T0 + 2 * MIN),
    },
    {
      room: 'room-b',
      identity: 'carol',
      sid: people.carol.sid,
      action: 'close',
      at: iso(T0 + 2 * MIN),
    },
    {
      room: 'room-b',
      identity: 'dave',
      sid: people.dave.sid,
      action: 'open',
      at: iso(people.dave.joinedAtMs),
    },
  ]);
  // Ground truth at T0+34: alice and carol stayed 3 minutes (the model allows 1 short: their
  // last confirmation was at 2), bob 23 (his leave was delivered), dave has been in for 31.
  expect(await env.status('room-a', 'alice')).toMatchObject({
    inMeeting: false,
    attendedMs: 2 * MIN,
    cycles: [expect.objectContaining({ closedBy: 'reconciler', leftAt: iso(T0 + 2 * MIN) })],
  });
  expect(await env.status('room-b', 'carol')).toMatchObject({
    inMeeting: false,
    attendedMs: 2 * MIN,
  });
  expect(await env.status('room-a', 'bob')).toMatchObject({
    inMeeting: false,
    attendedMs: 23 * MIN,
    cycles: [expect.objectContaining({ closedBy: 'webhook' })],
  });
  expect(await env.status('room-b', 'dave')).toMatchObject({
    inMeeting: true,
    attendedMs: 31 * MIN,
    lastVerifiedAt: iso(T0 + 34 * MIN),
  });
  expect(await env.h.rt.store.getRoomVerification('room-a')).toMatchObject({
    lastError: null,
    consecutiveFailures: 0,
  });
}

describeEachDialect('LiveKit faults: outage', (dialect) => {
  let gate: LiveKitGate | null = null;
  const env = useLiveEnv(dialect, {
    reachLiveKit: async (url) => (gate = await startLiveKitGate(url)),
  });

  it('closes nothing while LiveKit refuses connections, then closes at the last confirmation', async () => {
    await survives(env, { kind: 'unreachable', on: () => gate!.down(), off: () => gate!.up() });
  });

  it('closes nothing while LiveKit answers 503, then closes at the last confirmation', async () => {
    const emu = env.emu.emulator;
    await survives(env, {
      kind: 'server_error',
      on: () => emu.setApiFault({ mode: 'unavailable' }),
      off: () => emu.setApiFault(null),
    });
  });
});

describeEachDialect('LiveKit faults: hang and slow answers', (dialect) => {
  const env = useLiveEnv(dialect, { env: { LIVEKIT_TIMEOUT_SECONDS: '1' } });

  it('times a hung LiveKit out after LIVEKIT_TIMEOUT_SECONDS and closes nothing', async () => {
    const emu = env.emu.emulator;
    await survives(env, {
      kind: 'timeout',
      on: () => emu.setApiFault({ mode: 'hang' }),
      off: () => emu.setApiFault(null),
    });
  });

  it('ignores answers that come after the timeout, and closes nothing', async () => {
    const emu = env.emu.emulator;
    // Every answer comes 30 s late (on LiveKit's clock: it arrives once the test moves time on,
    // long after the SDK gave up at 1 s and the pass ended).
    await survives(env, {
      kind: 'timeout',
      on: () => emu.setApiFault({ mode: 'hang', hangMs: 30_000, methods: ['ListParticipants'] }),
      off: () => emu.setApiFault(null),
    });
  });

  it('runs passes one at a time while LiveKit hangs, and is never stuck behind one', async () => {
    const emu = env.emu.emulator;
    await peopleWithLostWebhooks(env);
    emu.setApiFault({ mode: 'hang' });
    let running = 0;
    let most = 0;
    const outcomes: string[] = [];
    env.h.rt.events.on('reconcile:pass:start', () => {
      most = Math.max(most, ++running);
    });
    env.h.rt.events.on('reconcile:pass:complete', (r) => {
      running -= 1;
      outcomes.push(r.outcome);
    });
    // Three operators ask at once, and a scheduler retries as fast as it may.
    const scheduler = new ReconcileScheduler({
      reconciler: env.h.rt.reconciler,
      intervalMs: 50,
      retryMinMs: 10,
      logger: env.h.rt.logger,
    });
    scheduler.start();
    const manual = await Promise.all([env.reconcile(), env.reconcile(), env.reconcile()]);
    await scheduler.stop(); // returns: the running pass times out, no other is started
    expect(manual.map((r) => r.outcome)).toEqual(['failed', 'failed', 'failed']);
    expect(most).toBe(1);
    expect(running).toBe(0);
    expect(outcomes.length).toBeGreaterThanOrEqual(4);
    expect(new Set(outcomes)).toEqual(new Set(['failed']));
    expect((await env.h.rt.store.listOpenCycles()).map((c) => c.identity).sort()).toEqual([
      'alice',
      'bob',
      'carol',
    ]);
    emu.setApiFault(null);
    expect((await env.reconcile()).summary).toMatchObject({ closed: 2, opened: 1, confirmed: 1 });
  });
});

describeEachDialect('LiveKit faults: refused credentials', (dialect) => {
  const env = useLiveEnv(dialect);

  it('treats 401 unauthenticated as unknown, never as an empty room', async () => {
    const emu = env.emu.emulator;
    await survives(env, {
      kind: 'auth',
      on: () => emu.setApiFault({ mode: 'unauthenticated' }),
      off: () => emu.setApiFault(null),
    });
  });

  it('treats a wrong API secret as unknown, and says so in the room verification', async () => {
    // An instance configured with the wrong secret: LiveKit answers its token 401 (plain text).
    const wrong = new Reconciler({
      writer: env.h.rt.writer,
      gateway: createRoomServiceGateway({
        url: env.emu.url,
        apiKey: 'devkey',
        apiSecret: 'not-the-secret',
        timeoutMs: 2_000,
      }),
      clock: env.h.rt.clock,
      logger: env.h.rt.logger,
      events: env.h.rt.events,
    });
    await survives(env, {
      kind: 'auth',
      on: () => undefined,
      off: () => undefined,
      pass: () => wrong.runPass({ trigger: 'manual' }),
    });
  });
});

/**
 * LiveKit's clock 2 minutes off the service's. LiveKit stamps `createdAt`, `joinedAt` and its
 * webhook tokens with its own clock and checks the service's API tokens against it; the service
 * dates only its own sightings. Ahead, its webhook tokens start in the service's future (taken up
 * to 3 minutes ahead) and its times are 2 minutes later than the service's; behind, 2 minutes
 * earlier, and its API must still accept the service's tokens. Either way the service dates its
 * sightings by LiveKit's clock (as the webhooks' signing times show it), and "now" for open cycles
 * never past it, or an open cycle, or one a pass closes, counts 2 minutes too many. Passes every minute, a session around it all; after every step nobody LiveKit still
 * has is closed, no cycle is negative, no total (room or session) exceeds the real time.
 */
const SKEWS = [
  {
    how: 'ahead of',
    offsetMs: 2 * MIN,
    // Exact where a webhook dated the leave; bob's lost one closes at his last confirmation, dated
    // on LiveKit's clock (T0+2 by ours, T0+4 by its), 1 minute before his leave. While open, a
    // cycle counts from LiveKit's join to our now: short by the skew, never long.
    webhooks: 'accepted',
    totalsMin: { alice: 3, bob: 2, carol: 7 },
  },
  {
    how: 'behind',
    offsetMs: -2 * MIN,
    // Exact where a webhook dated the leave; bob's lost one closes at his last confirmation
    // (T0+2 by our clock, T0 by LiveKit's: dated on LiveKit's), 1 minute before his leave.
    webhooks: 'accepted',
    totalsMin: { alice: 3, bob: 2, carol: 7 },
  },
] as const;

for (const { how, offsetMs, webhooks, totalsMin } of SKEWS) {
  describeEachDialect(`LiveKit's clock 2 minutes ${how} the service's`, (dialect) => {
    const env = useLiveEnv(dialect, { livekitClockOffsetMs: offsetMs });

    it('closes no present participant and never counts more than the real time in the room', async () => {
      const emu = env.emu.emulator;
      const startMs = T0;
      /** Real time in the room, by the service's clock: [join, leave) in minutes after T0. */
      const stays: Record<string, [number, number]> = {
        alice: [0, 3],
        bob: [0, 3],
        carol: [1, 8],
      };
      const truthMs = (identity: string) => {
        const [from, to] = stays[identity]!;
        const nowMin = (Date.now() - startMs) / MIN;
        return Math.max(0, Math.min(to, nowMin) - from) * MIN;
      };
      const present = new Set<string>();
      const check = async (when: string) => {
        for (const identity of Object.keys(stays)) {
          const s = await env.status('room-a', identity);
          const at = `${identity} at ${when}`;
          expect(s.attendedMs, at).toBeLessThanOrEqual(truthMs(identity));
          const row = await env.h.api(`/api/v1/sessions/skewed/participants/${identity}`);
          expect(row.json.attendedMs, `${at} (session)`).toBeLessThanOrEqual(truthMs(identity));
          for (const c of s.cycles) {
            expect(c.durationMs, at).toBeGreaterThanOrEqual(0);
            // A participant LiveKit still has is never closed.
            if (present.has(identity)) expect(c.leftAt, at).toBeNull();
          }
        }
      };
      const passAndCheck = async (when: string) => {
        const report = await env.reconcile();
        expect(report.outcome, when).toBe('ok');
        await check(when);
        return report;
      };
      // A session around it all, so that its window clips nothing.
      const session = await env.h.api('/api/v1/sessions/skewed', {
        method: 'PUT',
        body: { rooms: ['room-a'], startsAt: iso(T0 - 10 * MIN), endsAt: iso(T0 + 60 * MIN) },
      });
      expect(session.status).toBe(201);
      const alice = emu.connect('room-a', { identity: 'alice' });
      const bob = emu.connect('room-a', { identity: 'bob' });
      present.add('alice').add('bob');
      await env.settle();
      await check('T0');
      await env.advance(1 * MIN);
      await passAndCheck('T0+1');
      const carol = emu.connect('room-a', { identity: 'carol' });
      present.add('carol');
      await env.settle();
      await env.advance(1 * MIN);
      await passAndCheck('T0+2');
      await env.advance(1 * MIN);
      // T0+3: alice leaves (her webhook delivered, if LiveKit's tokens are accepted), bob too,
      // his participant_left lost.
      emu.disconnect('room-a', alice.sid);
      await env.settle();
      emu.setWebhookFaults({ dropRate: 1 });
      emu.disconnect('room-a', bob.sid);
      await env.settle();
      emu.setWebhookFaults(null);
      present.delete('alice');
      present.delete('bob');
      for (const m of [4, 5, 6, 7, 8]) {
        await env.advance(1 * MIN);
        if (m === 8) {
          emu.disconnect('room-a', carol.sid);
          present.delete('carol');
          await env.settle();
        }
        await passAndCheck(`T0+${m}`);
      }
      await env.advance(1 * MIN);
      await passAndCheck('T0+9');
      // Everyone has left and every cycle is closed, none longer than the stay it records.
      expect(await env.h.rt.store.listOpenCycles()).toEqual([]);
      for (const identity of Object.keys(stays)) {
        const s = await env.status('room-a', identity);
        expect(s.inMeeting, identity).toBe(false);
        expect(s.cycles.length, identity).toBe(1);
        expect(s.attendedMs, identity).toBe(totalsMin[identity as keyof typeof totalsMin] * MIN);
      }
      const metrics = (await env.h.api('/metrics')).body;
      expect(metrics).toMatch(
        new RegExp(`livekit_attendance_webhooks_received_total\\{outcome="${webhooks}"\\} [1-9]`),
      );
      // Not one refused: a LiveKit 2 minutes ahead is within the tolerance for a token's start.
      expect(metrics).not.toMatch(/webhooks_received_total\{outcome="rejected"\} [1-9]/);
    });
  });
}
