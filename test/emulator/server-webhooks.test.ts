import { WebhookReceiver } from 'livekit-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEmulator,
  type EmulatorServer,
  ManualClock,
  startEmulatorServer,
} from '../../src/emulator/index.js';
import { startWebhookReceiver } from '../helpers/emulator-receiver.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('emulator server with webhooks on the wall clock', () => {
  it('delivers signed webhooks for participants added through the control API', async () => {
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const server: EmulatorServer = await startEmulatorServer({
      port: 0,
      apiKey: 'k',
      apiSecret: 's',
      webhookUrls: [receiver.url],
    });
    cleanups.push(() => server.close());
    const res = await fetch(`${server.url}/emulator/rooms/r%2F1/participants`, {
      method: 'POST',
      body: JSON.stringify({ identity: 'u' }),
    });
    expect(res.status).toBe(201);
    await server.emulator.idle();
    const sdk = new WebhookReceiver('k', 's');
    const events = await Promise.all(
      receiver.received.map((r) => sdk.receive(r.body, r.headers.authorization)),
    );
    expect(events.map((e) => [e.event, e.room?.name])).toEqual([
      ['room_started', 'r/1'],
      ['participant_joined', 'r/1'],
    ]);
  });
});

describe('emulator ids without a seed', () => {
  it('uses crypto randomness for sids and event ids', () => {
    const emu = createEmulator({ clock: new ManualClock() });
    cleanups.push(() => emu.close());
    const a = emu.connect('r', { identity: 'u' });
    expect(a.sid).toMatch(/^PA_[2-9A-HJ-NP-Za-km-z]{12}$/);
    expect(a.roomSid).toMatch(/^RM_[2-9A-HJ-NP-Za-km-z]{12}$/);
    expect(emu.generatedEvents()[0]?.id).toMatch(/^EV_[2-9A-HJ-NP-Za-km-z]{12}$/);
  });
});

describe('Retry-After', () => {
  it('is honoured on 429', async () => {
    const receiver = await startWebhookReceiver(({ n }) =>
      n === 1 ? { status: 429, headers: { 'Retry-After': '3' } } : 200,
    );
    cleanups.push(() => receiver.close());
    const clock = new ManualClock({ startAtMs: Date.now() });
    const emu = createEmulator({ clock, webhookUrls: [receiver.url], seed: 3 });
    cleanups.push(() => emu.close());
    emu.createRoom('r');
    await clock.advance(2_999);
    // Without Retry-After the retry would have come after 1 s.
    expect(receiver.received).toHaveLength(1);
    await clock.advance(1);
    expect(receiver.received).toHaveLength(2);
    expect(emu.deliveries()).toMatchObject([{ outcome: 'delivered', attempts: 2 }]);
  });
});
