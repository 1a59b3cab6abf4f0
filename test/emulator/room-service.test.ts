import {
  ParticipantInfo_State,
  RoomServiceClient,
  ServerError,
  TrackSource,
} from 'livekit-server-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type EmulatorServer,
  type GeneratedEvent,
  ManualClock,
  startEmulatorServer,
} from '../../src/emulator/index.js';

const KEY = 'devkey';
const SECRET = 'secret';

let server: EmulatorServer;
let client: RoomServiceClient;

beforeEach(async () => {
  server = await startEmulatorServer({ port: 0, apiKey: KEY, apiSecret: SECRET, seed: 7 });
  client = new RoomServiceClient(server.url, KEY, SECRET);
});

afterEach(async () => {
  await server.close();
});

async function rawPost(
  path: string,
  init: { body?: string; headers?: Record<string, string>; method?: string } = {},
) {
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? 'POST',
    headers: init.headers ?? { 'Content-Type': 'application/json' },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    text: await res.text(),
  };
}

async function bearer(grant: Record<string, unknown>): Promise<string> {
  const { AccessToken } = await import('livekit-server-sdk');
  const token = new AccessToken(KEY, SECRET, { ttl: '10m' });
  token.addGrant(grant);
  return `Bearer ${await token.toJwt()}`;
}

describe('RoomService over Twirp with the official SDK', () => {
  it('lists rooms and participants with exact values', async () => {
    const emu = server.emulator;
    const a = emu.connect('class-101', {
      identity: 'student-42',
      name: 'Ana Müller',
      metadata: 'm',
    });
    emu.connect('class-101', { identity: 'agent-1', kind: 'AGENT' });
    emu.connect('other', { identity: 'x', state: 'JOINING' });

    const rooms = await client.listRooms();
    expect(rooms.map((r) => r.name)).toEqual(['class-101', 'other']);
    expect(rooms[0]?.emptyTimeout).toBe(300);
    expect(rooms[0]?.departureTimeout).toBe(20);
    expect(rooms[0]?.numParticipants).toBe(1);
    expect(rooms[0]?.sid).toMatch(/^RM_[2-9A-HJ-NP-Za-km-z]{12}$/);
    expect((await client.listRooms(['other'])).map((r) => r.name)).toEqual(['other']);

    const participants = await client.listParticipants('class-101');
    expect(participants.map((p) => [p.identity, p.state, p.kind])).toEqual([
      ['student-42', ParticipantInfo_State.ACTIVE, 0],
      ['agent-1', ParticipantInfo_State.ACTIVE, 4],
    ]);
    const p = await client.getParticipant('class-101', 'student-42');
    expect(p.sid).toBe(a.sid);
    expect(p.name).toBe('Ana Müller');
    expect(p.metadata).toBe('m');
    expect(p.joinedAtMs).toBe(BigInt(a.joinedAtMs));
    expect(p.version).toBe(3);
    const joining = await client.listParticipants('other');
    expect(joining[0]?.state).toBe(ParticipantInfo_State.JOINING);
  });

  it('answers snake_case JSON with every default emitted and a bare application/json content type', async () => {
    server.emulator.connect('r1', { identity: 'u' });
    const auth = await bearer({ roomAdmin: true, room: 'r1' });
    const res = await rawPost('/twirp/livekit.RoomService/GetParticipant', {
      body: '{"room":"r1","identity":"u"}',
      headers: { 'Content-Type': 'application/json', Authorization: auth },
    });
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/json');
    const keys = Object.keys(JSON.parse(res.text) as object);
    expect(keys).toEqual([
      'sid',
      'identity',
      'state',
      'tracks',
      'metadata',
      'joined_at',
      'joined_at_ms',
      'name',
      'version',
      'permission',
      'region',
      'is_publisher',
      'kind',
      'attributes',
      'disconnect_reason',
      'kind_details',
      'data_tracks',
      'client_protocol',
      'capabilities',
    ]);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(body['state']).toBe('ACTIVE');
    expect(body['kind']).toBe('STANDARD');
    expect(body['disconnect_reason']).toBe('UNKNOWN_REASON');
    expect(typeof body['joined_at_ms']).toBe('string');
    expect(body['tracks']).toEqual([]);

    const empty = await rawPost('/twirp/livekit.RoomService/ListParticipants', {
      body: '{"room":"nope"}',
      headers: {
        'Content-Type': 'application/json',
        Authorization: await bearer({ roomAdmin: true, room: 'nope' }),
      },
    });
    expect(empty).toEqual({
      status: 200,
      contentType: 'application/json',
      text: '{"participants":[]}',
    });
  });

  it('surfaces a missing participant as ServerError 404 not_found', async () => {
    server.emulator.createRoom('r1');
    const err = await client.getParticipant('r1', 'ghost').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).status).toBe(404);
    expect((err as ServerError).code).toBe('not_found');
    expect((err as ServerError).message).toBe('twirp error unknown: participant does not exist');
    const missingRoom = await client.getParticipant('no-room', 'ghost').catch((e: unknown) => e);
    expect((missingRoom as ServerError).code).toBe('not_found');
    expect(await client.listParticipants('no-room')).toEqual([]);
  });

  it('answers ListParticipants on a missing room with 404 in Cloud mode', async () => {
    const cloud = await startEmulatorServer({ port: 0, missingRoomListParticipants: 'not_found' });
    try {
      const err = await new RoomServiceClient(cloud.url, 'devkey', 'secret')
        .listParticipants('none')
        .catch((e: unknown) => e);
      expect((err as ServerError).status).toBe(404);
      expect((err as ServerError).code).toBe('not_found');
      expect((err as ServerError).message).toBe('requested room does not exist');
    } finally {
      await cloud.close();
    }
  });

  it('removes a participant with PARTICIPANT_REMOVED and 404s an unknown one', async () => {
    server.emulator.connect('r1', { identity: 'u' });
    await client.removeParticipant('r1', 'u');
    expect(await client.listParticipants('r1')).toEqual([]);
    const left = server.emulator.generatedEvents().at(-1);
    expect(left?.event).toBe('participant_left');
    expect(JSON.parse(left?.body ?? '{}').participant.disconnectReason).toBe('PARTICIPANT_REMOVED');
    const err = await client.removeParticipant('r1', 'u').catch((e: unknown) => e);
    expect((err as ServerError).status).toBe(404);
    expect((err as ServerError).code).toBe('not_found');
  });

  it('creates and deletes rooms', async () => {
    const room = await client.createRoom({ name: 'made', emptyTimeout: 60, departureTimeout: 5 });
    expect(room.name).toBe('made');
    expect(room.emptyTimeout).toBe(60);
    expect(room.departureTimeout).toBe(5);
    expect((await client.createRoom({ name: 'made' })).sid).toBe(room.sid);
    server.emulator.connect('made', { identity: 'u' });
    await client.deleteRoom('made');
    expect(await client.listRooms()).toEqual([]);
    expect(server.emulator.generatedEvents().map((e) => e.event)).toEqual([
      'room_started',
      'participant_joined',
      'participant_left',
      'room_finished',
    ]);
    const err = await client.deleteRoom('made').catch((e: unknown) => e);
    expect((err as ServerError).status).toBe(404);
    expect((err as ServerError).code).toBe('not_found');
  });

  it('rejects a wrong secret with a plain-text 401 the SDK reports without a code', async () => {
    const bad = new RoomServiceClient(server.url, KEY, 'wrong');
    const err = await bad.listRooms().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).status).toBe(401);
    expect((err as ServerError).code).toBeUndefined();
    const unknownKey = await new RoomServiceClient(server.url, 'other', SECRET)
      .listRooms()
      .catch((e: unknown) => e);
    expect((unknownKey as ServerError).message).toBe('invalid API key\n');
  });

  it('checks grants: missing token or wrong room is Twirp unauthenticated', async () => {
    const noToken = await rawPost('/twirp/livekit.RoomService/ListRooms', { body: '{}' });
    expect(noToken).toEqual({
      status: 401,
      contentType: 'application/json',
      text: '{"code":"unauthenticated","msg":"permissions denied"}',
    });
    const wrongRoom = await rawPost('/twirp/livekit.RoomService/ListParticipants', {
      body: '{"room":"a"}',
      headers: {
        'Content-Type': 'application/json',
        Authorization: await bearer({ roomAdmin: true, room: 'b' }),
      },
    });
    expect(wrongRoom.status).toBe(401);
    expect(JSON.parse(wrongRoom.text)).toEqual({
      code: 'unauthenticated',
      msg: 'permissions denied',
    });
    const listOnly = await rawPost('/twirp/livekit.RoomService/CreateRoom', {
      body: '{"name":"x"}',
      headers: {
        'Content-Type': 'application/json',
        Authorization: await bearer({ roomList: true }),
      },
    });
    expect(listOnly.status).toBe(401);
    const notBearer = await rawPost('/twirp/livekit.RoomService/ListRooms', {
      body: '{}',
      headers: { 'Content-Type': 'application/json', Authorization: 'Token abc' },
    });
    expect(notBearer).toEqual({
      status: 401,
      contentType: 'text/plain; charset=utf-8',
      text: 'invalid authorization header. Must start with Bearer \n',
    });
  });

  it('rejects tokens without exp or expired beyond the 60 s leeway', async () => {
    const { createHmac } = await import('node:crypto');
    const sign = (claims: object): string => {
      const h = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
      const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${h}.${p}.${createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url')}`;
    };
    const now = Math.floor(Date.now() / 1000);
    const call = (token: string) =>
      rawPost('/twirp/livekit.RoomService/ListRooms', {
        body: '{}',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      });
    expect((await call(sign({ iss: KEY, video: { roomList: true } }))).status).toBe(401);
    expect((await call(sign({ iss: KEY, exp: now - 90, video: { roomList: true } }))).status).toBe(
      401,
    );
    expect((await call(sign({ iss: KEY, exp: now - 30, video: { roomList: true } }))).status).toBe(
      200,
    );
  });

  it('routes like Twirp: bad_route, malformed, unimplemented', async () => {
    const auth = await bearer({ roomList: true });
    const get = await rawPost('/twirp/livekit.RoomService/ListRooms', {
      method: 'GET',
      headers: { Authorization: auth },
    });
    expect(get.status).toBe(404);
    expect(JSON.parse(get.text)).toEqual({
      code: 'bad_route',
      msg: 'unsupported method "GET" (only POST is allowed)',
      meta: { twirp_invalid_route: 'GET /twirp/livekit.RoomService/ListRooms' },
    });
    const ct = await rawPost('/twirp/livekit.RoomService/ListRooms', {
      body: '{}',
      headers: { 'Content-Type': 'text/plain', Authorization: auth },
    });
    expect(ct.status).toBe(404);
    expect(JSON.parse(ct.text).code).toBe('bad_route');
    const unknown = await rawPost('/twirp/livekit.RoomService/Nope', {
      body: '{}',
      headers: { 'Content-Type': 'application/json', Authorization: auth },
    });
    expect(JSON.parse(unknown.text).msg).toBe(
      'no handler for path "/twirp/livekit.RoomService/Nope"',
    );
    const bad = await rawPost('/twirp/livekit.RoomService/ListRooms', {
      body: '{bad',
      headers: { 'Content-Type': 'application/json;charset=UTF-8', Authorization: auth },
    });
    expect(bad).toEqual({
      status: 400,
      contentType: 'application/json',
      text: '{"code":"malformed","msg":"the json request could not be decoded"}',
    });
    const unimpl = await rawPost('/twirp/livekit.RoomService/SendData', {
      body: '{}',
      headers: { 'Content-Type': 'application/json', Authorization: auth },
    });
    expect(unimpl.status).toBe(501);
    expect(JSON.parse(unimpl.text).code).toBe('unimplemented');
  });

  it('counts API calls per method and resets', async () => {
    server.emulator.connect('a', { identity: 'u' });
    await client.listRooms();
    await client.listParticipants('a');
    await client.listParticipants('b');
    expect(server.emulator.apiCalls()).toEqual({ ListRooms: 1, ListParticipants: 2 });
    server.emulator.resetApiCalls();
    expect(server.emulator.apiCalls()).toEqual({});
  });

  it('injects programmatic faults that the SDK surfaces by status', async () => {
    server.emulator.createRoom('a');
    for (const [mode, status, code] of [
      ['unavailable', 503, 'unavailable'],
      ['unknown', 500, 'unknown'],
      ['deadline_exceeded', 408, 'deadline_exceeded'],
      ['unauthenticated', 401, 'unauthenticated'],
    ] as const) {
      server.emulator.setApiFault({ mode });
      const err = await client.listRooms().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServerError);
      expect([(err as ServerError).status, (err as ServerError).code]).toEqual([status, code]);
    }
    server.emulator.setApiFault({ mode: 'unavailable', rooms: ['a'] });
    expect(await client.listRooms()).toHaveLength(1);
    expect(
      ((await client.listParticipants('a').catch((e: unknown) => e)) as ServerError).status,
    ).toBe(503);
    expect(await client.listParticipants('b')).toEqual([]);
    server.emulator.setApiFault(null);
    expect(await client.listParticipants('a')).toEqual([]);
  });

  it('drops the connection (fetch TypeError) and hangs past the SDK timeout (TimeoutError)', async () => {
    server.emulator.setApiFault({ mode: 'drop' });
    const dropped = await client.listRooms().catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(TypeError);
    server.emulator.setApiFault({ mode: 'hang' });
    const impatient = new RoomServiceClient(server.url, KEY, SECRET, { requestTimeout: 0.3 });
    const hung = await impatient.listRooms().catch((e: unknown) => e);
    expect((hung as DOMException).name).toBe('TimeoutError');
  });

  it('honours the X-Lk-Mock header per request', async () => {
    const auth = await bearer({ roomList: true });
    const res = await rawPost('/twirp/livekit.RoomService/ListRooms', {
      body: '{}',
      headers: {
        'Content-Type': 'application/json',
        Authorization: auth,
        'X-Lk-Mock': 'unavailable',
      },
    });
    expect(res).toEqual({
      status: 503,
      contentType: 'application/json',
      text: '{"code":"unavailable","msg":"no response from servers"}',
    });
    const ok = await rawPost('/twirp/livekit.RoomService/ListRooms', {
      body: '{}',
      headers: { 'Content-Type': 'application/json', Authorization: auth },
    });
    expect(ok.text).toBe('{"rooms":[]}');
  });

  it('lists published tracks on the participant', async () => {
    const a = server.emulator.connect('r', { identity: 'u' });
    server.emulator.publishTrack('r', a.sid, { source: 'MICROPHONE', type: 'AUDIO' });
    const p = await client.getParticipant('r', 'u');
    expect(p.tracks.map((t) => t.source)).toEqual([TrackSource.MICROPHONE]);
    expect(p.isPublisher).toBe(true);
  });

  it('stamps times and checks tokens on its own clock when clockOffsetMs is set', async () => {
    const startAtMs = Date.UTC(2027, 0, 11, 9);
    const clock = new ManualClock({ startAtMs });
    const events: GeneratedEvent[] = [];
    const ahead = await startEmulatorServer({
      port: 0,
      clock,
      clockOffsetMs: 120_000,
      onEvent: (e) => events.push(e),
    });
    try {
      const { joinedAtMs } = ahead.emulator.connect('r', { identity: 'u' });
      expect(joinedAtMs).toBe(startAtMs + 120_000);
      expect(events[0]?.createdAtMs).toBe(startAtMs + 120_000);
      // Timers stay on `clock`: the 20 s departure timeout is 20 s of it.
      ahead.emulator.disconnect('r', ahead.emulator.listParticipants('r')![0]!.sid);
      await clock.advance(20_000);
      expect(ahead.emulator.listRooms()).toEqual([]);
      // A token made now is "not valid yet" for a server 2 minutes behind (60 s leeway).
      const behind = await startEmulatorServer({ port: 0, clockOffsetMs: -120_000 });
      try {
        const call = new RoomServiceClient(behind.url, 'devkey', 'secret').listRooms();
        await expect(call).rejects.toMatchObject({ status: 401 });
        expect(await new RoomServiceClient(ahead.url, 'devkey', 'secret').listRooms()).toEqual([]);
      } finally {
        await behind.close();
      }
    } finally {
      await ahead.close();
    }
  });
});
