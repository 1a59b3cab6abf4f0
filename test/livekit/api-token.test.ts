import { RoomServiceClient } from 'livekit-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulatorServer, type EmulatorServer } from '../../src/emulator/index.js';
import { createRoomServiceGateway } from '../../src/livekit/index.js';

const MIN = 60_000;
const servers: EmulatorServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function livekitWithClockOff(offsetMs: number): Promise<EmulatorServer> {
  const server = await startEmulatorServer({ port: 0, clockOffsetMs: offsetMs });
  servers.push(server);
  server.emulator.connect('r', { identity: 'u' });
  return server;
}

describe('RoomService tokens', () => {
  it.each([
    ['5 minutes behind', -5 * MIN],
    ['5 minutes ahead of', 5 * MIN],
  ])('are accepted by a LiveKit whose clock runs %s ours', async (_how, offsetMs) => {
    const server = await livekitWithClockOff(offsetMs);
    const gateway = createRoomServiceGateway({
      url: server.url,
      apiKey: 'devkey',
      apiSecret: 'secret',
      timeoutMs: 2_000,
    });
    expect(await gateway.listRooms()).toMatchObject({ ok: true, value: [{ name: 'r' }] });
    expect(await gateway.listParticipants('r')).toMatchObject({
      ok: true,
      value: [{ identity: 'u' }],
    });
  });

  it("where the SDK's own (nbf = now) are refused 2 minutes behind", async () => {
    const server = await livekitWithClockOff(-2 * MIN);
    await expect(
      new RoomServiceClient(server.url, 'devkey', 'secret').listRooms(),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('still prove the secret: a wrong one is refused', async () => {
    const server = await livekitWithClockOff(0);
    const gateway = createRoomServiceGateway({
      url: server.url,
      apiKey: 'devkey',
      apiSecret: 'wrong',
      timeoutMs: 2_000,
    });
    expect(await gateway.listRooms()).toMatchObject({
      ok: false,
      error: { kind: 'auth', status: 401 },
    });
  });
});
