import { RoomServiceClient } from 'livekit-server-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EmulatorServer, startEmulatorServer } from '../../src/emulator/index.js';

let server: EmulatorServer;

beforeEach(async () => {
  server = await startEmulatorServer({ port: 0 });
});

afterEach(async () => {
  await server.close();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'Content-Type': 'application/json' },
        }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}

const roomPath = (room: string) => `/emulator/rooms/${encodeURIComponent(room)}/participants`;

describe('control API', () => {
  it('connects a participant (201) into rooms with unicode, spaces and slashes', async () => {
    const room = 'Klasse 5/b – Müller';
    const res = await call('POST', roomPath(room), {
      identity: 'schüler 1',
      name: 'Ana',
      kind: 'AGENT',
      state: 'JOINING',
    });
    expect(res.status).toBe(201);
    expect(res.body?.['identity']).toBe('schüler 1');
    expect(res.body?.['state']).toBe('JOINING');
    expect(res.body?.['sid']).toMatch(/^PA_/);
    expect(typeof res.body?.['joinedAtMs']).toBe('number');
    const listed = await new RoomServiceClient(server.url, 'devkey', 'secret').listParticipants(
      room,
    );
    expect(listed.map((p) => [p.identity, p.kind, p.state])).toEqual([['schüler 1', 4, 0]]);
  });

  it('rejects bad participant input with 400 and a JSON error', async () => {
    expect(await call('POST', roomPath('r'), {})).toEqual({
      status: 400,
      body: { error: 'invalid_argument', message: '"identity" must be a non-empty string' },
    });
    expect((await call('POST', roomPath('r'), { identity: 'u', kind: 'ROBOT' })).status).toBe(400);
    expect(
      (await call('POST', roomPath('r'), { identity: 'u', state: 'DISCONNECTED' })).status,
    ).toBe(400);
    expect((await call('POST', roomPath('r'), '{not json')).status).toBe(400);
  });

  it('disconnects by sid with a reason, 404 for an unknown sid, 400 for an unknown reason', async () => {
    const joined = await call('POST', roomPath('r'), { identity: 'u' });
    const sid = String(joined.body?.['sid']);
    expect((await call('DELETE', `${roomPath('r')}/${sid}?reason=NOPE`)).status).toBe(400);
    expect(await call('DELETE', `${roomPath('r')}/${sid}?reason=CONNECTION_TIMEOUT`)).toEqual({
      status: 200,
      body: { sid, reason: 'CONNECTION_TIMEOUT' },
    });
    expect((await call('DELETE', `${roomPath('r')}/${sid}`)).status).toBe(404);
    const events = server.emulator.generatedEvents();
    expect(JSON.parse(events.at(-1)?.body ?? '{}').participant.disconnectReason).toBe(
      'CONNECTION_TIMEOUT',
    );
  });

  it('sets webhook faults (200) and rejects out-of-range values (400)', async () => {
    expect(await call('POST', '/emulator/faults', { dropRate: 0.5, delayMs: 100 })).toEqual({
      status: 200,
      body: { dropRate: 0.5, duplicateRate: 0, delayMs: 100, outageMs: 0 },
    });
    expect((await call('POST', '/emulator/faults', { dropRate: 1.5 })).status).toBe(400);
    expect((await call('POST', '/emulator/faults', { delayMs: -1 })).status).toBe(400);
    expect((await call('POST', '/emulator/faults', { duplicateRate: 'x' })).status).toBe(400);
    expect(server.emulator.webhookFaults()).toEqual({
      dropRate: 0.5,
      duplicateRate: 0,
      delayMs: 100,
      outageMs: 0,
    });
  });

  it('shows state, deliveries and API calls, and sets API faults', async () => {
    await call('POST', roomPath('r'), { identity: 'u' });
    const state = await call('GET', '/emulator/state');
    expect(state.status).toBe(200);
    const rooms = state.body?.['rooms'] as Array<{
      name: string;
      participants: Array<{ identity: string }>;
    }>;
    expect(rooms.map((r) => [r.name, r.participants.map((p) => p.identity)])).toEqual([
      ['r', ['u']],
    ]);
    expect(await call('GET', '/emulator/deliveries')).toEqual({
      status: 200,
      body: { deliveries: [] },
    });
    expect(await call('POST', '/emulator/api-fault', { mode: 'unavailable' })).toEqual({
      status: 200,
      body: { fault: { mode: 'unavailable' } },
    });
    expect((await call('POST', '/emulator/api-fault', { mode: 'explode' })).status).toBe(400);
    const err = await new RoomServiceClient(server.url, 'devkey', 'secret')
      .listRooms()
      .catch((e: unknown) => e);
    expect((err as { status: number }).status).toBe(503);
    expect(await call('GET', '/emulator/api-calls')).toEqual({
      status: 200,
      body: { ListRooms: 1 },
    });
    expect((await call('GET', '/emulator/nothing')).status).toBe(404);
  });

  it('answers unknown paths like Go: plain 404', async () => {
    const res = await fetch(`${server.url}/elsewhere`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('404 page not found\n');
  });
});
