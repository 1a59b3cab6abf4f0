import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InjectOptions } from 'fastify';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import {
  DEV_KEY,
  DEV_SECRET,
  TEST_API_TOKEN,
  useHarness,
  webhookBody,
} from '../helpers/harness.js';
import type { AttendanceStore } from '../../src/store/index.js';

// Hostile input, table-driven (issue #10): every case is sent to a service holding one room and
// one session; none may answer 5xx or crash it, and every rejected case must leave the stored
// data exactly as it was. Cases that are odd but valid say what they change.

const NOW_S = Math.floor(Date.now() / 1000);
const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');
const sha = (body: Buffer) => createHash('sha256').update(body).digest('base64');

/** A JWT over `body` with any header and claims (defaults: what LiveKit sends), HMAC-signed. */
function jwt(
  body: Buffer,
  o: {
    header?: object;
    claims?: Record<string, unknown>;
    secret?: string;
    hmac?: 'sha256' | 'sha512';
    raw?: { header?: string; payload?: string; signature?: string };
  } = {},
): string {
  const header = o.raw?.header ?? b64url(JSON.stringify(o.header ?? { alg: 'HS256', typ: 'JWT' }));
  const claims = {
    iss: DEV_KEY,
    nbf: NOW_S,
    iat: NOW_S,
    exp: NOW_S + 300,
    sha256: sha(body),
    ...o.claims,
  };
  const payload = o.raw?.payload ?? b64url(JSON.stringify(claims));
  const input = `${header}.${payload}`;
  const signature =
    o.raw?.signature ??
    createHmac(o.hmac ?? 'sha256', o.secret ?? DEV_SECRET)
      .update(input)
      .digest('base64url');
  return `${input}.${signature}`;
}

const joinedJson = (over: { room?: string; identity?: string; createdAt?: unknown } = {}) =>
  JSON.stringify({
    event: 'participant_joined',
    room: { sid: 'RM_h', name: over.room ?? 'hostile-room' },
    participant: {
      sid: 'PA_hostile',
      identity: over.identity ?? 'mallory',
      state: 'ACTIVE',
      joinedAt: String(NOW_S),
    },
    id: 'EV_hostile',
    createdAt: over.createdAt ?? String(NOW_S),
  });

/** A webhook POST of exactly these bytes, signed over them unless `auth` says otherwise. */
function webhook(
  body: Buffer | string,
  auth: ((bytes: Buffer) => string | undefined) | null = (b) => jwt(b),
  contentType = 'application/webhook+json',
): InjectOptions {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const authorization = auth === null ? undefined : auth(bytes);
  return {
    method: 'POST',
    url: '/webhooks/livekit',
    headers: {
      'content-type': contentType,
      ...(authorization === undefined ? {} : { authorization }),
    },
    payload: bytes,
  };
}

const api = (
  method: InjectOptions['method'],
  url: string,
  payload?: Buffer | string,
  contentType = 'application/json',
): InjectOptions => ({
  method,
  url,
  headers: {
    authorization: `Bearer ${TEST_API_TOKEN}`,
    ...(payload === undefined ? {} : { 'content-type': contentType }),
  },
  ...(payload === undefined ? {} : { payload }),
});

const SESSION = {
  rooms: ['seeded-room'],
  startsAt: '2026-12-01T09:00:00Z',
  endsAt: '2026-12-01T10:00:00Z',
};
const session = (over: Record<string, unknown>) => JSON.stringify({ ...SESSION, ...over });
const nested = (depth: number, open = '[', close = ']') =>
  `${open.repeat(depth)}${close.repeat(depth)}`;

interface Case {
  name: string;
  request: InjectOptions;
  /** The expected status; every case is also checked to be below 500. */
  status: number;
  /** Error code expected in the body, for rejections. */
  error?: string;
  /** An odd but valid input that is stored: what the inbox count becomes (seeded: 1). */
  storesInbox?: number;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const json = Buffer.from(joinedJson());

const CASES: Case[] = [
  // ---- Webhook JWT forms ------------------------------------------------------------------------
  { name: 'no Authorization header', request: webhook(json, null), status: 401 },
  {
    name: 'a Bearer-prefixed token',
    request: webhook(json, (b) => `Bearer ${jwt(b)}`),
    status: 401,
  },
  {
    name: 'alg none with no signature',
    request: webhook(json, (b) =>
      jwt(b, { header: { alg: 'none', typ: 'JWT' }, raw: { signature: '' } }),
    ),
    status: 401,
  },
  {
    name: 'alg HS512 signed with the right secret (LiveKit signs HS256 only)',
    request: webhook(json, (b) => jwt(b, { header: { alg: 'HS512', typ: 'JWT' }, hmac: 'sha512' })),
    status: 401,
  },
  {
    name: 'alg RS256 in the header',
    request: webhook(json, (b) => jwt(b, { header: { alg: 'RS256', typ: 'JWT' } })),
    status: 401,
  },
  {
    name: 'a signature made with another secret',
    request: webhook(json, (b) => jwt(b, { secret: 'nope' })),
    status: 401,
  },
  {
    name: 'the sha256 claim missing',
    request: webhook(json, (b) => jwt(b, { claims: { sha256: undefined } })),
    status: 401,
  },
  {
    name: 'the sha256 of another body',
    request: webhook(json, () => jwt(Buffer.from('{}'))),
    status: 401,
  },
  {
    name: 'the sha256 in hex',
    request: webhook(json, (b) =>
      jwt(b, { claims: { sha256: createHash('sha256').update(b).digest('hex') } }),
    ),
    status: 401,
  },
  {
    name: 'the sha256 as a number',
    request: webhook(json, (b) => jwt(b, { claims: { sha256: 12345 } })),
    status: 401,
  },
  {
    name: 'a payload that is not base64url',
    request: webhook(json, (b) => jwt(b, { raw: { payload: '!!!not*base64!!!' } })),
    status: 401,
  },
  {
    name: 'a header that is base64 of garbage',
    request: webhook(json, (b) => jwt(b, { raw: { header: b64url('\u0000\u00ff{{{') } })),
    status: 401,
  },
  {
    name: 'a token of two parts',
    request: webhook(json, (b) => jwt(b).split('.').slice(0, 2).join('.')),
    status: 401,
  },
  { name: 'a token of four parts', request: webhook(json, (b) => `${jwt(b)}.extra`), status: 401 },
  {
    name: 'a 12 KB Authorization header of junk',
    request: webhook(json, () => `${'x'.repeat(6000)}.${'y'.repeat(6000)}.z`),
    status: 401,
  },
  {
    name: 'a 12 KB JWT header, correctly signed (stored: the signature is good)',
    request: webhook(json, (b) =>
      jwt(b, { raw: { header: b64url(JSON.stringify({ alg: 'HS256', pad: 'x'.repeat(9000) })) } }),
    ),
    status: 200,
    storesInbox: 2,
  },
  {
    name: 'an expired token',
    request: webhook(json, (b) =>
      jwt(b, { claims: { iat: NOW_S - 7200, nbf: NOW_S - 7200, exp: NOW_S - 3600 } }),
    ),
    status: 401,
  },
  {
    name: 'a token not valid for an hour',
    request: webhook(json, (b) => jwt(b, { claims: { nbf: NOW_S + 3600 } })),
    status: 401,
  },
  {
    name: 'exp as a non-numeric string',
    request: webhook(json, (b) => jwt(b, { claims: { exp: 'tomorrow' } })),
    status: 401,
  },
  {
    name: 'an unknown iss',
    request: webhook(json, (b) => jwt(b, { claims: { iss: 'APIother' } })),
    status: 401,
  },
  {
    name: 'a payload that is a JSON array',
    request: webhook(json, (b) => jwt(b, { raw: { payload: b64url('["iss"]') } })),
    status: 401,
  },

  // ---- Webhook bodies: sizes and encodings -----------------------------------------------------
  {
    name: 'a body over WEBHOOK_BODY_LIMIT_BYTES',
    request: webhook(Buffer.alloc(70_000, 0x20)),
    status: 413,
  },
  { name: 'text/plain', request: webhook(json, undefined, 'text/plain'), status: 415 },
  {
    name: 'a signed empty body',
    request: webhook(Buffer.alloc(0)),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a signed body with a BOM',
    request: webhook(Buffer.concat([BOM, json])),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a BOM added after signing',
    request: webhook(Buffer.concat([BOM, json]), () => jwt(json)),
    status: 401,
  },
  {
    name: 'signed bytes that are not UTF-8',
    request: webhook(
      Buffer.concat([json.subarray(0, 20), Buffer.from([0xff, 0xfe, 0xc3]), json.subarray(20)]),
    ),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a signed UTF-16LE body',
    request: webhook(Buffer.from(joinedJson(), 'utf16le')),
    status: 400,
    error: 'malformed_event',
  },
  { name: 'signed JSON null', request: webhook('null'), status: 400, error: 'malformed_event' },
  {
    name: 'a signed JSON number',
    request: webhook('12345'),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'signed arrays nested 10,000 deep',
    request: webhook(nested(10_000)),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a signed unknown field nested 5,000 objects deep (stored: unknown fields are ignored)',
    request: webhook(
      `{"event":"room_started","id":"EV_n","createdAt":"${NOW_S}","room":{"name":"r"},"x":${'{"x":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    ),
    status: 200,
    storesInbox: 2,
  },
  {
    name: 'a signed room that is arrays nested 5,000 deep',
    request: webhook(
      `{"event":"room_started","id":"EV_n","createdAt":"${NOW_S}","room":${nested(5000)}}`,
    ),
    status: 400,
    error: 'malformed_event',
  },

  // ---- Webhook names and timestamps -------------------------------------------------------------
  {
    name: 'a NUL in the room name',
    request: webhook(joinedJson({ room: 'a\u0000b' })),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a NUL in the identity',
    request: webhook(joinedJson({ identity: '\u0000' })),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a 600-character identity',
    request: webhook(joinedJson({ identity: 'i'.repeat(600) })),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'an empty identity',
    request: webhook(joinedJson({ identity: '' })),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a negative createdAt',
    request: webhook(joinedJson({ createdAt: '-5' })),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a createdAt past int64',
    request: webhook(joinedJson({ createdAt: '99999999999999999999999' })),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a createdAt in the year 5000',
    request: webhook(joinedJson({ createdAt: '95617584000' })),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a non-numeric createdAt',
    request: webhook(joinedJson({ createdAt: 'yesterday' })),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a createdAt of 1e30 as a JSON number',
    request: webhook(joinedJson({ createdAt: 1e30 })),
    status: 400,
    error: 'malformed_event',
  },
  {
    name: 'a unicode identity (stored as it is)',
    request: webhook(joinedJson({ identity: 'zoë-ﷺ-🧑‍🏫-\u202eevil' })),
    status: 200,
    storesInbox: 2,
  },
  {
    name: 'a room named ".." (stored as it is)',
    request: webhook(joinedJson({ room: '..' })),
    status: 200,
    storesInbox: 2,
  },

  // ---- API: names in paths ----------------------------------------------------------------------
  {
    name: 'a NUL in a room path',
    request: api('GET', '/api/v1/rooms/a%00b/participants/x'),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'an encoded slash in a room path',
    request: api('GET', '/api/v1/rooms/a%2Fb/participants/x'),
    status: 200,
  },
  {
    // inject() resolves %2E%2E as a WHATWG URL does (a `..` segment); a socket passes it on.
    name: 'a room path of %2E%2E',
    request: api('GET', '/api/v1/rooms/%2E%2E/participants/x'),
    status: 404,
  },
  {
    name: 'a raw .. in the path',
    request: api('GET', '/api/v1/rooms/../../participants/x'),
    status: 404,
  },
  {
    name: 'a 3,000-character room segment',
    request: api('GET', `/api/v1/rooms/${'r'.repeat(3000)}/attendance`),
    status: 414,
    error: 'uri_too_long',
  },
  {
    name: 'a 600-character identity segment',
    request: api('GET', `/api/v1/rooms/r/participants/${'i'.repeat(600)}`),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'broken percent-encoding',
    request: api('GET', '/api/v1/rooms/%E0%A4%A/attendance'),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'percent-encoded bytes that are not UTF-8',
    request: api('GET', '/api/v1/rooms/%FF%FE/attendance'),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a session id with a NUL',
    request: api('GET', '/api/v1/sessions/a%00b'),
    status: 404,
    error: 'session_not_found',
  },

  // ---- API: bodies ------------------------------------------------------------------------------
  {
    name: 'a session body with a BOM',
    request: api('PUT', '/api/v1/sessions/s2', Buffer.concat([BOM, Buffer.from(session({}))])),
    status: 400,
  },
  {
    name: 'a session body that is not UTF-8',
    request: api(
      'PUT',
      '/api/v1/sessions/s2',
      Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
    ),
    status: 400,
  },
  {
    name: 'a UTF-16 session body',
    request: api('PUT', '/api/v1/sessions/s2', Buffer.from(session({}), 'utf16le')),
    status: 400,
  },
  {
    name: 'a 5 MB session body',
    request: api('PUT', '/api/v1/sessions/s2', session({ title: 't'.repeat(5_000_000) })),
    status: 413,
    error: 'payload_too_large',
  },
  {
    name: 'a session body nested 3,000 deep',
    request: api('PUT', '/api/v1/sessions/s2', `{"tags":${nested(3000)}}`),
    status: 400,
  },
  {
    name: 'a session with a NUL in a room',
    request: api('PUT', '/api/v1/sessions/s2', session({ rooms: ['a\u0000'] })),
    status: 400,
    error: 'invalid_session',
  },
  {
    name: 'a session starting at a negative year',
    request: api('PUT', '/api/v1/sessions/s2', session({ startsAt: '-000001-01-01T00:00:00Z' })),
    status: 400,
  },
  {
    name: 'a session starting at a number',
    request: api('PUT', '/api/v1/sessions/s2', session({ startsAt: 1e300 })),
    status: 400,
  },
  {
    name: 'a session ending in the year 275760',
    request: api('PUT', '/api/v1/sessions/s2', session({ endsAt: '+275760-09-13T00:00:01Z' })),
    status: 400,
  },
  {
    name: 'a reconcile body that is text',
    request: api('POST', '/api/v1/reconcile', 'room=x', 'text/plain'),
    status: 415,
  },
  {
    name: 'a reconcile room with a NUL',
    request: api('POST', '/api/v1/reconcile', '{"room":"\\u0000","dryRun":true}'),
    status: 400,
  },

  // ---- API: query timestamps and cursors -------------------------------------------------------
  {
    name: 'sessions from a non-date',
    request: api('GET', '/api/v1/sessions?from=yesterday'),
    status: 400,
  },
  {
    name: 'sessions from a huge year',
    request: api('GET', '/api/v1/sessions?from=%2B999999-01-01T00:00:00Z'),
    status: 400,
  },
  {
    name: 'audit since a huge number',
    request: api('GET', '/api/v1/audit?since=99999999999999999999'),
    status: 400,
  },
  {
    name: 'a made-up room cursor',
    request: api('GET', '/api/v1/rooms/seeded-room/attendance?cursor=AAAA'),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a negative page limit',
    request: api('GET', '/api/v1/rooms/seeded-room/attendance?limit=-1'),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a page limit of -1e309',
    request: api('GET', '/api/v1/rooms/seeded-room/attendance?limit=-1e309'),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a page limit of 1e309',
    request: api('GET', '/api/v1/rooms/seeded-room/attendance?limit=1e309'),
    status: 400,
    error: 'invalid_request',
  },

  // ---- API: tokens ------------------------------------------------------------------------------
  {
    name: 'a 12 KB bearer token',
    request: {
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { authorization: `Bearer ${'t'.repeat(12_000)}` },
    },
    status: 401,
    error: 'unauthorized',
  },
  {
    name: 'a bearer token with Latin-1 bytes',
    request: {
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}\u00e9` },
    },
    status: 401,
    error: 'unauthorized',
  },
  {
    name: 'a webhook JWT sent as the API token',
    request: {
      method: 'DELETE',
      url: '/api/v1/sessions/s1',
      headers: { authorization: `Bearer ${jwt(json)}` },
    },
    status: 401,
    error: 'unauthorized',
  },
];

/** Everything the service stores that a request could change. */
async function snapshot(store: AttendanceStore) {
  const rooms = await store.listJournalRooms();
  return {
    inbox: await store.countInbox(),
    rooms,
    cycles: await Promise.all(rooms.map((r) => store.listRoomCycles(r))),
    sessions: await store.listSessions({ limit: 500 }),
    audit: (await store.listAudit({ limit: 10_000 })).length,
  };
}

describeEachDialect('hostile input', (dialect) => {
  const h = useHarness(dialect, { WEBHOOK_BODY_LIMIT_BYTES: '65536' });

  it('has at least 40 cases across the webhook route and the API', () => {
    expect(
      CASES.filter((c) => c.request.url === '/webhooks/livekit').length,
    ).toBeGreaterThanOrEqual(20);
    expect(
      CASES.filter((c) => typeof c.request.url === 'string' && c.request.url.startsWith('/api/'))
        .length,
    ).toBeGreaterThanOrEqual(20);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const seeded = webhookBody({
      event: 'participant_joined',
      id: 'EV_seed',
      createdAtS: NOW_S,
      room: { name: 'seeded-room' },
      participant: { sid: 'PA_seed', identity: 'ana', state: 'ACTIVE', joinedAtMs: NOW_S * 1000 },
    });
    expect((await h.postWebhook(seeded)).status).toBe(200);
    const put = await h.api('/api/v1/sessions/s1', { method: 'PUT', body: SESSION });
    expect(put.status).toBe(201);
    const before = await snapshot(h.rt.store);
    expect(before.inbox.total).toBe(1);

    const res = await h.app.inject(c.request);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(c.status);
    expect(res.statusCode).toBeLessThan(500);
    if (c.status >= 400) {
      expect(res.json()).toEqual({
        error: c.error ?? expect.any(String),
        message: expect.any(String),
      });
    }
    const after = await snapshot(h.rt.store);
    if (c.storesInbox === undefined) expect(after).toEqual(before);
    else expect(after.inbox.total).toBe(c.storesInbox);
    // Still serving, with its data readable.
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await h.api('/api/v1/rooms/seeded-room/participants/ana')).json).toMatchObject({
      inMeeting: true,
    });
  });
});

/** One request over a real socket with the path exactly as given (fetch would normalise it). */
function rawRequest(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: opts.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describeEachDialect('hostile input over a real socket', (dialect) => {
  const h = useHarness(dialect, { WEBHOOK_BODY_LIMIT_BYTES: '65536' });
  const auth = { authorization: `Bearer ${TEST_API_TOKEN}` };

  it.each<
    [
      string,
      { method?: string; path: string; headers?: Record<string, string>; body?: Buffer },
      number,
    ]
  >([
    [
      'a room path of %2E%2E reaches the room ".."',
      { path: '/api/v1/rooms/%2E%2E/participants/x', headers: auth },
      200,
    ],
    // Paths are not normalised: a raw `..` segment is a room named "..", like %2E%2E.
    ['a raw .. segment', { path: '/api/v1/rooms/../participants/x', headers: auth }, 200],
    ['an encoded slash', { path: '/api/v1/rooms/a%2Fb/attendance', headers: auth }, 200],
    [
      'a webhook body over the limit',
      {
        method: 'POST',
        path: '/webhooks/livekit',
        headers: { 'content-type': 'application/webhook+json' },
        body: Buffer.alloc(70_000, 0x20),
      },
      413,
    ],
  ])('%s', async (_name, opts, status) => {
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const before = await snapshot(h.rt.store);
    const res = await rawRequest(port, opts);
    expect(res.status).toBe(status);
    expect(await snapshot(h.rt.store)).toEqual(before);
    expect((await rawRequest(port, { path: '/healthz' })).status).toBe(200);
  });
});
