import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { startEmulatorServer, type EmulatorServer } from '../../src/emulator/index.js';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';
import { createHarness, useHarness, webhookBody, type Harness } from '../helpers/harness.js';

const OLD = { key: 'APIold', secret: 'old-secret-0123456789abcdef0123' };
const NEW = { key: 'APInew', secret: 'new-secret-0123456789abcdef0123' };
const KEYS = `${OLD.key}: ${OLD.secret}\n${NEW.key}: ${NEW.secret}`;
const NOW_S = Math.floor(Date.now() / 1000);

const joined = (id: string, identity: string) =>
  webhookBody({
    event: 'participant_joined',
    id,
    createdAtS: NOW_S,
    room: { name: 'rotation' },
    participant: { sid: `PA_${id}`, identity, state: 'ACTIVE', joinedAtMs: NOW_S * 1000 },
  });

describeEachDialect('LiveKit key rotation (LIVEKIT_KEYS)', (dialect) => {
  const h = useHarness(dialect, { LIVEKIT_KEYS: KEYS });

  it('accepts webhooks signed with any listed key, each verified with its own secret', async () => {
    expect(await h.postWebhook(joined('EV_old', 'ana'), OLD)).toMatchObject({ status: 200 });
    expect(await h.postWebhook(joined('EV_new', 'ben'), NEW)).toMatchObject({ status: 200 });
    expect(await h.rt.store.countInbox()).toEqual({ total: 2, unprocessed: 0 });
  });

  it.each([
    ['an unknown iss', { key: 'APIgone', secret: OLD.secret }],
    ["a listed iss signed with another key's secret", { key: OLD.key, secret: NEW.secret }],
    ['the development pair', { key: 'devkey', secret: 'secret' }],
  ])('answers %s with the usual 401 and stores nothing', async (_name, signer) => {
    const res = await h.postWebhook(joined('EV_x', 'eve'), signer);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({
      error: 'unauthorized',
      message: expect.stringMatching(/^webhook signature rejected: /) as unknown,
    });
    expect(JSON.stringify(res.json)).not.toContain('secret-0123');
    expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
  });
});

describeEachDialect('RoomService calls during a key rotation', (dialect) => {
  const db = useTestDatabase(dialect);
  let emu: EmulatorServer | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    await emu?.close();
    h = emu = undefined;
  });

  async function start(env: Record<string, string>): Promise<Harness> {
    // LiveKit knows only the new pair: it signs webhooks and checks API calls with it.
    emu = await startEmulatorServer({ port: 0, apiKey: NEW.key, apiSecret: NEW.secret });
    h = await createHarness({ databaseUrl: db.url, livekitUrl: emu.url, env });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    emu.emulator.setWebhookUrls([`http://127.0.0.1:${port}/webhooks/livekit`]);
    return h;
  }

  it('signs them with LIVEKIT_API_KEY and its secret from LIVEKIT_KEYS', async () => {
    const app = await start({ LIVEKIT_KEYS: KEYS, LIVEKIT_API_KEY: NEW.key });
    emu!.emulator.connect('rotation', { identity: 'ana' });
    await emu!.emulator.idle();
    const pass = await app.api('/api/v1/reconcile', { method: 'POST', body: {} });
    expect(pass.json).toMatchObject({ outcome: 'ok', summary: { confirmed: 1, opened: 0 } });
  });

  it('signs them with the first pair when LIVEKIT_API_KEY is unset (LiveKit refuses the old key)', async () => {
    const app = await start({ LIVEKIT_KEYS: KEYS });
    emu!.emulator.connect('rotation', { identity: 'ana' });
    await emu!.emulator.idle();
    // The webhook (signed with the new key) was verified; the API call with the old key is refused.
    expect(await app.rt.store.countInbox()).toMatchObject({ total: 2 });
    const pass = await app.api('/api/v1/reconcile', { method: 'POST', body: {} });
    expect(pass.json).toMatchObject({ outcome: 'failed', summary: { confirmed: 0 } });
    expect(JSON.stringify(pass.json)).not.toContain('secret-0123');
  });
});
