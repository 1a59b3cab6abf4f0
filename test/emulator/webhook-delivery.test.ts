import { ParticipantInfo_State, WebhookReceiver } from 'livekit-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator, ManualClock } from '../../src/emulator/index.js';
import { type ReceiverBehaviour, startWebhookReceiver } from '../helpers/emulator-receiver.js';

const KEY = 'devkey';
const SECRET = 'secret';
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  behaviour?: ReceiverBehaviour,
  extra: { spaceAfterComma?: boolean; retryScale?: number } = {},
) {
  const receiver = await startWebhookReceiver(behaviour);
  // Start at wall time so the SDK receiver's exp/nbf checks pass.
  const clock = new ManualClock({ startAtMs: Date.now() });
  const emu: Emulator = createEmulator({
    apiKey: KEY,
    apiSecret: SECRET,
    clock,
    webhookUrls: [receiver.url],
    seed: 1,
    ...extra,
  });
  cleanups.push(
    () => receiver.close(),
    () => emu.close(),
  );
  return { receiver, clock, emu };
}

describe('webhook delivery', () => {
  it('sends LiveKit headers and bodies the SDK receiver accepts', async () => {
    const { receiver, clock, emu } = await setup();
    const a = emu.connect('class-101', {
      identity: 'student-42',
      name: 'Ana Müller',
      attributes: { role: 'student' },
    });
    emu.publishTrack('class-101', a.sid, { source: 'CAMERA', type: 'VIDEO' });
    emu.disconnect('class-101', a.sid);
    await clock.advance(0);
    await emu.idle();
    expect(receiver.received.map((r) => r.event)).toEqual([
      'room_started',
      'participant_joined',
      'track_published',
      'track_unpublished',
      'participant_left',
    ]);
    const sdk = new WebhookReceiver(KEY, SECRET);
    for (const r of receiver.received) {
      expect(r.headers['content-type']).toBe('application/webhook+json');
      expect(r.headers['user-agent']).toBe('LiveKit');
      expect(r.headers.authorization).not.toMatch(/^Bearer /);
      const event = await sdk.receive(r.body, r.headers.authorization);
      expect(event.id).toBe(r.id);
      expect(event.id).toMatch(/^EV_[2-9A-HJ-NP-Za-km-z]{12}$/);
      expect(event.createdAt).toBe(BigInt(Math.floor(clock.now() / 1000)));
    }
    const first = receiver.received[1];
    await expect(
      sdk.receive(`${first?.body ?? ''} `, first?.headers.authorization),
    ).rejects.toThrow('sha256 checksum of body does not match');
    const joined = JSON.parse(receiver.received[1]?.body ?? '{}') as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.keys(joined)).toEqual(['event', 'room', 'participant', 'id', 'createdAt']);
    expect(Object.keys(joined['participant'] ?? {})).toEqual([
      'sid',
      'identity',
      'state',
      'joinedAt',
      'joinedAtMs',
      'name',
      'version',
      'permission',
      'attributes',
    ]);
    expect(joined['participant']?.['state']).toBe('ACTIVE');
    expect(joined['participant']?.['joinedAtMs']).toBe(String(a.joinedAtMs));
    expect(joined['participant']?.['version']).toBe(3);
    expect(Object.keys(joined['room'] ?? {})).toEqual([
      'sid',
      'name',
      'emptyTimeout',
      'departureTimeout',
      'creationTime',
      'creationTimeMs',
      'enabledCodecs',
      'numParticipants',
    ]);
    const track = JSON.parse(receiver.received[2]?.body ?? '{}') as Record<
      string,
      Record<string, unknown>
    >;
    expect(track['room']).toEqual({ sid: a.roomSid, name: 'class-101' });
    expect(track['participant']).toEqual({ sid: a.sid, identity: 'student-42' });
    expect(track['track']?.['type']).toBe('VIDEO');
    const unpublished = JSON.parse(receiver.received[3]?.body ?? '{}') as Record<
      string,
      Record<string, unknown>
    >;
    expect(unpublished['participant']).toEqual({ sid: a.sid, identity: 'student-42' });
    expect(unpublished['track']?.['sid']).toBe(track['track']?.['sid']);
    const left = await sdk.receive(
      receiver.received[4]?.body ?? '',
      receiver.received[4]?.headers.authorization,
    );
    expect(left.participant?.state).toBe(ParticipantInfo_State.DISCONNECTED);
    expect(JSON.parse(receiver.received[4]?.body ?? '{}').participant.disconnectReason).toBe(
      'CLIENT_INITIATED',
    );
  });

  it('can add ", " separators and still sign the raw bytes', async () => {
    const { receiver, clock, emu } = await setup(undefined, { spaceAfterComma: true });
    emu.connect('r', { identity: 'a, b', name: 'x,y' });
    await clock.advance(0);
    await emu.idle();
    const joined = receiver.received[1];
    expect(joined?.body).toContain('"event":"participant_joined", "room":{');
    expect(joined?.body).toContain('"identity":"a, b"');
    expect(joined?.body).toContain('"name":"x,y"');
    const event = await new WebhookReceiver(KEY, SECRET).receive(
      joined?.body ?? '',
      joined?.headers.authorization,
    );
    expect(event.participant?.identity).toBe('a, b');
  });

  it('retries transport errors and 5xx with 1/2/4/8 s backoff, then drops after 5 attempts', async () => {
    const { receiver, clock, emu } = await setup(() => 503);
    emu.createRoom('r');
    await clock.advance(0);
    expect(receiver.received).toHaveLength(1);
    await clock.advance(999);
    expect(receiver.received).toHaveLength(1);
    await clock.advance(1);
    expect(receiver.received).toHaveLength(2);
    await clock.advance(2_000);
    expect(receiver.received).toHaveLength(3);
    await clock.advance(4_000);
    expect(receiver.received).toHaveLength(4);
    await clock.advance(8_000);
    expect(receiver.received).toHaveLength(5);
    await clock.advance(60_000);
    expect(receiver.received).toHaveLength(5);
    expect(emu.deliveries()).toMatchObject([
      { event: 'room_started', attempts: 5, outcome: 'failed', reason: 'giving_up', status: 503 },
    ]);
    expect(new Set(receiver.received.map((r) => r.headers.authorization)).size).toBe(1);
  });

  it('retries a cut connection and delivers on the next attempt', async () => {
    const { receiver, clock, emu } = await setup(({ n }) => (n === 1 ? 'destroy' : 200));
    emu.createRoom('r');
    await clock.advance(1_000);
    expect(receiver.received.map((r) => r.event)).toEqual(['room_started', 'room_started']);
    expect(emu.deliveries()).toMatchObject([{ outcome: 'delivered', attempts: 2 }]);
  });

  it('does not retry 4xx other than 429, nor 501', async () => {
    const { receiver, clock, emu } = await setup(({ event }) =>
      event === 'room_started' ? 400 : 501,
    );
    emu.connect('r', { identity: 'u' });
    await clock.advance(60_000);
    expect(receiver.received.map((r) => r.event)).toEqual(['room_started', 'participant_joined']);
    expect(emu.deliveries().map((d) => [d.event, d.outcome, d.attempts, d.status])).toEqual([
      ['room_started', 'failed', 1, 400],
      ['participant_joined', 'failed', 1, 501],
    ]);
  });

  it('delivers serially in order per room and blocks a room behind a retrying event', async () => {
    const { receiver, clock, emu } = await setup(({ n }) => (n === 1 ? 500 : 200));
    emu.connect('a', { identity: 'u1' });
    await clock.advance(0);
    // The first room_started failed; its retry (after 1 s) must precede participant_joined.
    expect(receiver.received.map((r) => r.event)).toEqual(['room_started']);
    emu.connect('b', { identity: 'u2' });
    await clock.advance(0);
    expect(receiver.received.map((r) => `${r.event}`)).toEqual([
      'room_started',
      'room_started',
      'participant_joined',
    ]);
    await clock.advance(1_000);
    const forA = receiver.received
      .filter((r) => (JSON.parse(r.body) as { room: { name: string } }).room.name === 'a')
      .map((r) => r.event);
    expect(forA).toEqual(['room_started', 'room_started', 'participant_joined']);
  });

  it('drops events that waited more than 30 s in the queue', async () => {
    const { receiver, clock, emu } = await setup(() => 503);
    emu.createRoom('r', { departureTimeout: 3_600 });
    emu.connect('r', { identity: 'u' });
    emu.disconnect('r', emu.listParticipants('r')?.[0]?.sid ?? '');
    await clock.advance(15_000);
    receiver.setBehaviour(() => 200);
    await clock.advance(60_000);
    expect(emu.deliveries().map((d) => [d.event, d.outcome, d.reason ?? ''])).toEqual([
      ['room_started', 'failed', 'giving_up'],
      ['participant_joined', 'delivered', ''],
      ['participant_left', 'delivered', ''],
    ]);
    // With a longer outage the queued events age out.
    emu.clearDeliveries();
    emu.startWebhookOutage(40_000);
    for (const identity of ['v', 'w', 'x', 'y']) emu.connect('r', { identity });
    await clock.advance(120_000);
    // v: attempts at 0..15 s; w: 15..30 s; x dequeued at exactly 30 s (not older than 30 s) and
    // delivered at 45 s after the outage; y dequeued at 45 s is too old.
    expect(
      emu
        .deliveries()
        .map((d) => [
          JSON.parse(emu.generatedEvents().find((e) => e.id === d.id)?.body ?? '{}').participant
            .identity,
          d.outcome,
          d.reason ?? '',
          d.attempts,
        ]),
    ).toEqual([
      ['v', 'failed', 'giving_up', 5],
      ['w', 'failed', 'giving_up', 5],
      ['x', 'delivered', '', 5],
      ['y', 'dropped', 'max_age', 0],
    ]);
  });

  it('duplicates keep the same id and token; drops never reach the receiver', async () => {
    const { receiver, clock, emu } = await setup();
    emu.setWebhookFaults({ duplicateRate: 1 });
    emu.createRoom('r');
    await clock.advance(0);
    await emu.idle();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0]?.id).toBe(receiver.received[1]?.id);
    expect(receiver.received[0]?.body).toBe(receiver.received[1]?.body);
    expect(emu.deliveries().map((d) => d.duplicate)).toEqual([false, true]);
    emu.setWebhookFaults({ dropRate: 1 });
    emu.connect('r', { identity: 'u' });
    await clock.advance(0);
    await emu.idle();
    expect(receiver.received).toHaveLength(2);
    expect(emu.deliveries().at(-1)).toMatchObject({
      event: 'participant_joined',
      outcome: 'dropped',
      reason: 'fault_drop',
      attempts: 0,
    });
  });

  it('delays deliveries by delayMs on the emulator clock', async () => {
    const { receiver, clock, emu } = await setup();
    emu.setWebhookFaults({ delayMs: 5_000 });
    emu.createRoom('r');
    await clock.advance(4_999);
    expect(receiver.received).toHaveLength(0);
    await clock.advance(1);
    expect(receiver.received).toHaveLength(1);
  });

  it('scales retry backoff with retryScale', async () => {
    const { receiver, clock, emu } = await setup(({ n }) => (n < 3 ? 502 : 200), {
      retryScale: 0.01,
    });
    emu.createRoom('r');
    await clock.advance(30);
    expect(receiver.received).toHaveLength(3);
    expect(emu.deliveries()).toMatchObject([{ outcome: 'delivered', attempts: 3 }]);
  });

  it('sends each event to every URL with the same id', async () => {
    const second = await startWebhookReceiver();
    cleanups.push(() => second.close());
    const { receiver, clock, emu } = await setup();
    emu.setWebhookUrls([receiver.url, second.url]);
    emu.createRoom('r');
    await clock.advance(0);
    await emu.idle();
    expect(receiver.received.map((r) => r.id)).toEqual(second.received.map((r) => r.id));
    expect(receiver.received).toHaveLength(1);
  });

  it('drops new events once 200 are queued for a room', async () => {
    const { clock, emu } = await setup(() => 503);
    emu.createRoom('r');
    const a = emu.connect('r', { identity: 'u', state: 'JOINING' });
    // room_started is in flight, so 200 more fit in the queue and the next 3 are dropped.
    for (let i = 0; i < 203; i++) emu.publishTrack('r', a.sid);
    await clock.advance(0);
    expect(emu.deliveries().filter((d) => d.reason === 'queue_full')).toHaveLength(3);
  });
});
