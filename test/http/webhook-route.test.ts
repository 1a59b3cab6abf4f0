import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';
import { createHarness, webhookBody, type Harness } from '../helpers/harness.js';
import { createHash, createHmac } from 'node:crypto';
import { signWebhook } from '../../src/emulator/index.js';
import { MAX_NAME_LENGTH } from '../../src/core/index.js';

/** A LiveKit-style webhook token over exactly `bytes` (the emulator's signer takes text). */
function signBytes(bytes: Buffer, iatSeconds: number): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const sha256 = createHash('sha256').update(bytes).digest('base64');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
    iss: 'devkey',
    exp: iatSeconds + 300,
    nbf: iatSeconds,
    iat: iatSeconds,
    sha256,
  })}`;
  return `${input}.${createHmac('sha256', 'secret').update(input).digest('base64url')}`;
}

interface Vector {
  name: string;
  apiKey: string;
  apiSecret: string;
  iat: number;
  body: string;
  token: string;
}
const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/livekit-webhook-vectors.json', import.meta.url), 'utf8'),
) as Vector[];
const joined = vectors.find((v) => v.name === 'derived-participant_joined')!;
const left = vectors.find((v) => v.name === 'derived-participant_left')!;

const NOW_S = 1_700_000_100;

describeEachDialect('POST /webhooks/livekit', (dialect) => {
  const db = useTestDatabase(dialect);
  let h: Harness;
  beforeEach(async () => {
    // LiveKit tokens live 5 minutes: run inside the vectors' validity windows.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW_S * 1000);
    h = await createHarness({ databaseUrl: db.url });
  });
  afterEach(async () => {
    await h.close();
    vi.useRealTimers();
  });

  const post = (
    body: string,
    authorization: string | undefined,
    contentType = 'application/webhook+json',
  ) =>
    h.app.inject({
      method: 'POST',
      url: '/webhooks/livekit',
      headers: {
        'content-type': contentType,
        ...(authorization !== undefined ? { authorization } : {}),
      },
      payload: body,
    });

  it('accepts the real LiveKit vector and shows the cycle in a status read after the 200', async () => {
    vi.setSystemTime(joined.iat * 1000 + 1000);
    const res = await post(joined.body, joined.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'accepted',
      eventId: 'EV_eugWmGhovZmm',
      event: 'participant_joined',
    });
    const s = await h.api('/api/v1/rooms/class-101/participants/student-42');
    expect(s.status).toBe(200);
    expect(s.json).toMatchObject({
      room: 'class-101',
      identity: 'student-42',
      name: 'Ana Müller',
      inMeeting: true,
      firstJoinedAt: '2023-11-14T22:13:25.250Z',
      lastLeftAt: null,
      lastVerifiedAt: null,
    });
    expect(s.json.cycles).toEqual([
      {
        sid: 'PA_4mZ8kX2aQbTe',
        kind: 'STANDARD',
        joinedAt: '2023-11-14T22:13:25.250Z',
        leftAt: null,
        durationMs: 1000 + 10_000 - 5_250,
        counted: true,
        openedBy: 'webhook',
        closedBy: null,
      },
    ]);

    vi.setSystemTime(left.iat * 1000 + 1000);
    expect((await post(left.body, left.token)).json()).toMatchObject({ status: 'accepted' });
    const after = await h.api('/api/v1/rooms/class-101/participants/student-42');
    expect(after.json).toMatchObject({
      inMeeting: false,
      attendedMs: 1_700_003_600_000 - 1_700_000_005_250,
      lastLeftAt: '2023-11-14T23:13:20.000Z',
    });
    expect(after.json.cycles[0]).toMatchObject({
      leftAt: '2023-11-14T23:13:20.000Z',
      closedBy: 'webhook',
    });
  });

  it('answers a redelivery with 200 duplicate and stores it once', async () => {
    vi.setSystemTime(joined.iat * 1000 + 1000);
    await post(joined.body, joined.token);
    const again = await post(joined.body, joined.token);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'duplicate', eventId: 'EV_eugWmGhovZmm' });
    expect(await h.rt.store.countInbox()).toEqual({ total: 1, unprocessed: 0 });
  });

  it('accepts application/json too', async () => {
    vi.setSystemTime(joined.iat * 1000 + 1000);
    expect((await post(joined.body, joined.token, 'application/json')).statusCode).toBe(200);
  });

  it.each([
    [
      'a missing Authorization header',
      (_t: string) => undefined as string | undefined,
      (b: string) => b,
    ],
    ['a Bearer-prefixed token', (t: string) => `Bearer ${t}`, (b: string) => b],
    ['a body changed by one trailing space', (t: string) => t, (b: string) => `${b} `],
    ['a garbage token', () => 'not.a.jwt', (b: string) => b],
  ])('rejects %s with 401 and stores nothing', async (_name, auth, mutate) => {
    vi.setSystemTime(joined.iat * 1000 + 1000);
    const res = await post(mutate(joined.body), auth(joined.token));
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'unauthorized' });
    expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
  });

  it('rejects an expired token (no widened clock tolerance)', async () => {
    vi.setSystemTime((joined.iat + 300 + 11) * 1000);
    expect((await post(joined.body, joined.token)).statusCode).toBe(401);
    vi.setSystemTime((joined.iat + 300 + 9) * 1000);
    expect((await post(joined.body, joined.token)).statusCode).toBe(200);
  });

  // A LiveKit whose clock runs ahead of ours signs tokens that start in our future.
  it('takes a token starting up to 3 minutes in our future, and not one further ahead', async () => {
    vi.setSystemTime((joined.iat - 4 * 60) * 1000);
    expect((await post(joined.body, joined.token)).statusCode).toBe(401);
    expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
    vi.setSystemTime((joined.iat - 2 * 60) * 1000);
    expect((await post(joined.body, joined.token)).statusCode).toBe(200);
  });

  it('rejects a token signed with another secret or key', async () => {
    const body = webhookBody({
      event: 'room_started',
      id: 'EV_x',
      createdAtS: NOW_S,
      room: { name: 'r' },
    });
    expect((await h.postWebhook(body, { iatSeconds: NOW_S, secret: 'wrong' })).status).toBe(401);
    expect((await h.postWebhook(body, { iatSeconds: NOW_S, key: 'otherkey' })).status).toBe(401);
    expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
  });

  it.each([
    ['not JSON', '{bad'],
    ['JSON without an event field', '{"id":"EV_1"}'],
    ['a JSON array', '[1,2]'],
    ['a wrongly typed field', '{"event":"participant_joined","createdAt":"abc"}'],
    ['an empty body', ''],
  ])('answers a correctly signed body that is %s with 400', async (_name, body) => {
    const res = await h.postWebhook(body, { iatSeconds: NOW_S });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'malformed_event' });
    expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
  });

  it.each([
    [
      'has no createdAt (times must come from LiveKit)',
      {
        event: 'participant_joined',
        id: 'EV_nc',
        room: { name: 'r', sid: 'RM_1' },
        participant: { sid: 'PA_1', identity: 'u', state: 'ACTIVE', joinedAtMs: '1700000005250' },
      },
    ],
    [
      'has an absurd joinedAtMs',
      {
        event: 'participant_joined',
        id: 'EV_big',
        createdAt: String(NOW_S),
        room: { name: 'r', sid: 'RM_1' },
        participant: {
          sid: 'PA_1',
          identity: 'u',
          state: 'ACTIVE',
          joinedAtMs: '9000000000000000000',
        },
      },
    ],
    [
      'names a NUL identity',
      {
        event: 'participant_joined',
        id: 'EV_nul',
        createdAt: String(NOW_S),
        room: { name: 'r', sid: 'RM_1' },
        participant: {
          sid: 'PA_1',
          identity: 'a\u0000b',
          state: 'ACTIVE',
          joinedAtMs: '1700000005250',
        },
      },
    ],
  ])(
    'answers 400 to a signed attendance event that %s, and stores nothing',
    async (_name, event) => {
      const res = await h.postWebhook(JSON.stringify(event), { iatSeconds: NOW_S });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error: 'malformed_event' });
      expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
    },
  );

  it('answers 200 and ignores event types it does not use', async () => {
    const body = JSON.stringify({
      event: 'egress_started',
      egressInfo: { egressId: 'EG_1' },
      id: 'EV_eg',
      createdAt: String(NOW_S),
    });
    const res = await h.postWebhook(body, { iatSeconds: NOW_S });
    expect(res).toEqual({
      status: 200,
      json: { status: 'ignored', eventId: 'EV_eg', event: 'egress_started' },
    });
    expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
  });

  it('answers 413 for a body over the limit, before verifying anything', async () => {
    const body = JSON.stringify({ event: 'room_started', pad: 'x'.repeat(1_100_000) });
    const signed = signWebhook({ apiKey: 'devkey', apiSecret: 'secret', body, iatSeconds: NOW_S });
    const res = await post(body, signed.token);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('answers 415 for a content type LiveKit never sends', async () => {
    const res = await post('hello', 'x', 'text/plain');
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ error: 'unsupported_media_type' });
  });

  it('keeps hostile room and identity names exact', async () => {
    const names = [
      ["r'; DROP TABLE cycles;--", 'x" OR 1=1 --'],
      ['教室/101', 'José/Ñ'],
      ['room with spaces?#', '../../etc/passwd'],
    ];
    let i = 0;
    for (const [room, identity] of names) {
      i += 1;
      const body = webhookBody({
        event: 'participant_joined',
        id: `EV_odd${i}`,
        createdAtS: NOW_S,
        room: { name: room!, sid: `RM_${i}` },
        participant: {
          sid: `PA_${i}`,
          identity: identity!,
          state: 'ACTIVE',
          joinedAtMs: NOW_S * 1000 - 60_000,
          name: identity!,
        },
      });
      expect((await h.postWebhook(body, { iatSeconds: NOW_S })).status).toBe(200);
      const s = await h.api(
        `/api/v1/rooms/${encodeURIComponent(room!)}/participants/${encodeURIComponent(identity!)}`,
      );
      expect(s.status).toBe(200);
      expect(s.json).toMatchObject({ room, identity, inMeeting: true, attendedMs: 60_000 });
    }
  });

  const postBytes = (bytes: Buffer, authorization: string) =>
    h.app.inject({
      method: 'POST',
      url: '/webhooks/livekit',
      headers: { 'content-type': 'application/webhook+json', authorization },
      payload: bytes,
    });

  const joinedIn = (room: string, identity: string, id = 'EV_len') =>
    webhookBody({
      event: 'participant_joined',
      id,
      createdAtS: NOW_S,
      room: { name: room, sid: 'RM_len' },
      participant: { sid: `PA_${id}`, identity, state: 'ACTIVE', joinedAtMs: NOW_S * 1000 },
    });

  it('refuses with 400 a signed event whose room or identity is longer than the API can read', async () => {
    const long = 'é'.repeat(MAX_NAME_LENGTH + 1);
    for (const body of [joinedIn(long, 'u', 'EV_r'), joinedIn('r', long, 'EV_i')]) {
      const res = await h.postWebhook(body, { iatSeconds: NOW_S });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error: 'malformed_event' });
    }
    expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
  });

  it('accepts a room and identity of exactly the limit and reads them back', async () => {
    const room = '教'.repeat(MAX_NAME_LENGTH);
    const identity = '😀'.repeat(MAX_NAME_LENGTH); // astral: one character each, as maxLength counts
    expect((await h.postWebhook(joinedIn(room, identity), { iatSeconds: NOW_S })).status).toBe(200);
    const s = await h.api(
      `/api/v1/rooms/${encodeURIComponent(room)}/participants/${encodeURIComponent(identity)}`,
    );
    expect(s.status).toBe(200);
    expect(s.json).toMatchObject({ room, identity, inMeeting: true });
  });

  it('refuses with 400 a signed event with an empty identity, which no API path can name', async () => {
    const res = await h.postWebhook(joinedIn('r', ''), { iatSeconds: NOW_S });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: 'malformed_event',
      message: 'participant identity is empty',
    });
    expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
  });

  it('verifies the sha256 claim over the raw bytes: other bytes that decode to the same text are 401', async () => {
    // Signed: valid UTF-8 holding U+FFFD. Sent: a lone 0xFF byte, which a lenient decoder also
    // turns into U+FFFD. The text matches, the bytes do not.
    const signedText = joinedIn('r\uFFFD', 'u', 'EV_swap');
    const signed = Buffer.from(signedText, 'utf8');
    const at = signed.indexOf(Buffer.from('\uFFFD', 'utf8'));
    const sent = Buffer.concat([
      signed.subarray(0, at),
      Buffer.from([0xff]),
      signed.subarray(at + 3),
    ]);
    const res = await postBytes(sent, signBytes(signed, NOW_S));
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      error: 'unauthorized',
      message: 'webhook signature rejected: body hash does not match the signed sha256',
    });
    expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
  });

  it('answers 400, not 401, to a correctly signed body that is not UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"event":"room_started","id":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const res = await postBytes(bytes, signBytes(bytes, NOW_S));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'malformed_event', message: 'signed body is not UTF-8' });
    expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
  });

  it('verifies a body with a BOM on its bytes (signed: 400 not JSON; BOM added after signing: 401)', async () => {
    const json = Buffer.from(joinedIn('r', 'u', 'EV_bom'), 'utf8');
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]);
    const signedWithBom = await postBytes(withBom, signBytes(withBom, NOW_S));
    expect(signedWithBom.statusCode).toBe(400);
    expect(signedWithBom.json()).toEqual({
      error: 'malformed_event',
      message: 'signed body is not JSON',
    });
    const bomAddedLater = await postBytes(withBom, signBytes(json, NOW_S));
    expect(bomAddedLater.statusCode).toBe(401);
    expect(await h.rt.store.countInbox()).toEqual({ total: 0, unprocessed: 0 });
  });

  it('stores the body of an accepted webhook exactly as its bytes', async () => {
    const body = joinedIn('Zürich ☕', 'José', 'EV_exact');
    const res = await postBytes(
      Buffer.from(body, 'utf8'),
      signBytes(Buffer.from(body, 'utf8'), NOW_S),
    );
    expect(res.statusCode).toBe(200);
    const [entry] = await h.rt.store.readInbox(0, 10);
    expect(entry?.body).toBe(body);
  });
});
