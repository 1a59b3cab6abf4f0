import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { TEST_API_TOKEN, useHarness } from '../helpers/harness.js';
import { MAX_NAME_LENGTH } from '../../src/core/index.js';
import { HTTP_ERRORS } from '../../src/http/index.js';

describeEachDialect('attendance API', (dialect) => {
  const h = useHarness(dialect);

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', `Bearer ${TEST_API_TOKEN}x`],
    ['a token without Bearer', TEST_API_TOKEN],
    ['an empty Bearer', 'Bearer '],
  ])('answers 401 to %s on every /api/ route', async (_name, authorization) => {
    for (const [method, url] of [
      ['GET', '/api/v1/rooms/r/participants/u'],
      ['GET', '/api/v1/rooms/r/attendance'],
      ['POST', '/api/v1/reconcile'],
      ['GET', '/metrics'],
    ] as const) {
      const res = await h.app.inject({
        method,
        url,
        headers: authorization !== undefined ? { authorization } : {},
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        error: 'unauthorized',
        message: 'send Authorization: Bearer <API_TOKEN>',
      });
    }
  });

  it.each([
    ['GET', '/%61pi/v1/rooms/r/participants/u'],
    ['GET', '/api/v1/rooms/r/%61ttendance'],
    ['POST', '/%61pi/v1/reconcile'],
    ['GET', '/metrics?x=1'],
    ['GET', '/api/v1/rooms/r/attendance?format=json&extra=1'],
  ] as const)(
    'answers 401 to %s %s without the token (any spelling of a protected route)',
    async (method, url) => {
      const res = await h.app.inject({ method, url });
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe('unauthorized');
    },
  );

  it.each([
    ['GET', '/metrics/'],
    ['GET', '//api/v1/rooms/r/attendance'],
  ] as const)('answers 404 to %s %s, which names no route', async (method, url) => {
    const res = await h.app.inject({ method, url });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
  });

  it('answers 414 with our JSON to a path segment longer than the router accepts', async () => {
    const res = await h.api(`/api/v1/rooms/${'x'.repeat(3000)}/attendance`);
    expect(res.status).toBe(414);
    expect(res.json).toMatchObject({ error: 'uri_too_long' });
  });

  it('answers 414 to a 10 KB path segment without echoing the path', async () => {
    const res = await h.api(`/api/v1/rooms/${'y'.repeat(10_000)}/attendance`);
    expect(res.status).toBe(414);
    expect(res.json).toEqual({ error: 'uri_too_long', message: HTTP_ERRORS.uri_too_long.message });
  });

  it('answers a bad percent-encoding 400 without echoing the path', async () => {
    const res = await h.app.inject({
      method: 'GET',
      url: `/api/v1/rooms/%E0%A4%A${'z'.repeat(500)}/attendance`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('zzz');
  });

  it('names at most 200 characters of an unknown path in a 404', async () => {
    const res = await h.app.inject({ method: 'GET', url: `/${'q'.repeat(10_000)}` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: 'not_found',
      message: `no route GET /${'q'.repeat(199)}…`,
    });
  });

  it('answers 415, not 400, to POST /api/v1/reconcile with text/plain', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/reconcile',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'text/plain' },
      payload: '{"room":"r"}',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({
      error: 'unsupported_media_type',
      message: HTTP_ERRORS.unsupported_media_type.message,
    });
  });

  it('documents /healthz as liveness only in the OpenAPI description', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.info.description).toContain('liveness check only');
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({
      status: 'ok',
      version: expect.any(String),
    });
  });

  it('refuses a NUL in the reconcile body room with 400', async () => {
    const res = await h.api('/api/v1/reconcile', { method: 'POST', body: { room: 'a\u0000b' } });
    expect(res.status).toBe(400);
  });

  it('answers a path that is not valid percent-encoding with a JSON 400', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/rooms/%E0%A4%A/attendance' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses a NUL in a room or identity with 400 (PostgreSQL text cannot hold one)', async () => {
    expect((await h.api('/api/v1/rooms/x/participants/a%00b')).status).toBe(400);
    expect((await h.api('/api/v1/rooms/x%00/attendance')).status).toBe(400);
  });

  it('ignores unknown query parameters (cache busters)', async () => {
    expect((await h.api('/api/v1/rooms/r/attendance?_=123')).status).toBe(200);
  });

  it('accepts POST /api/v1/reconcile with an empty JSON body', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/reconcile',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
      payload: '',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ room: null, dryRun: false });
  });

  it('serves /healthz without a token', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok' });
  });

  it('describes every route in /openapi.json from the validating schemas', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/analytics',
      '/api/v1/audit',
      '/api/v1/outbox',
      '/api/v1/reconcile',
      '/api/v1/rooms/{room}/attendance',
      '/api/v1/rooms/{room}/participants/{identity}',
      '/api/v1/sessions',
      '/api/v1/sessions/{id}',
      '/api/v1/sessions/{id}/attendance',
      '/api/v1/sessions/{id}/participants/{identity}',
      '/api/v1/sessions/{id}/participants/{identity}/override',
      '/readyz',
      '/webhooks/livekit',
    ]);
    const status = doc.paths['/api/v1/rooms/{room}/participants/{identity}'].get;
    expect(
      Object.keys(status.responses['200'].content['application/json'].schema.properties),
    ).toEqual([
      'room',
      'identity',
      'name',
      'inMeeting',
      'attendedMs',
      'firstJoinedAt',
      'lastLeftAt',
      'lastVerifiedAt',
      'cycles',
    ]);
  });

  it.each([
    ['an unknown field', { rooms: 'x' }],
    ['a non-boolean dryRun', { dryRun: 'maybe-not' }],
    ['an empty room', { room: '' }],
  ])('answers 400 to a reconcile body with %s', async (_name, body) => {
    const res = await h.api('/api/v1/reconcile', { method: 'POST', body });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_request');
  });

  it('answers 400 to malformed JSON and to an unknown query parameter, never 500', async () => {
    const bad = await h.app.inject({
      method: 'POST',
      url: '/api/v1/reconcile',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
      payload: '{"room":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_request');
    expect((await h.api('/api/v1/rooms/r/attendance?format=xml')).status).toBe(400);
    expect((await h.api('/api/v1/rooms/r/participants/u?verify=perhaps')).status).toBe(400);
    expect((await h.api(`/api/v1/rooms/${'x'.repeat(600)}/attendance`)).status).toBe(400);
    expect((await h.api(`/api/v1/rooms/${'x'.repeat(MAX_NAME_LENGTH)}/attendance`)).status).toBe(
      200,
    );
  });

  it('reports a pass with LiveKit unconfigured as failed and closes nothing', async () => {
    const res = await h.api('/api/v1/reconcile', { method: 'POST', body: { room: 'r1' } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      trigger: 'manual',
      outcome: 'failed',
      summary: { closed: 0, unverified: 1 },
      unverified: [{ room: 'r1', kind: 'misconfigured' }],
      error: {
        kind: 'misconfigured',
        reason: 'LIVEKIT_URL is not set; cannot ask LiveKit who is in the room',
      },
    });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: 'no route GET /nope' });
  });

  it('serves Prometheus metrics with the token', async () => {
    const res = await h.api('/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toContain('livekit_attendance_webhooks_received_total');
  });

  it('counts status reads, and status cache hits and misses (SQLite only)', async () => {
    const status = '/api/v1/rooms/room-a/participants/alice';
    for (let i = 0; i < 3; i++) expect((await h.api(status)).status).toBe(200);
    const body = (await h.api('/metrics')).body;
    const count = (result: string) =>
      Number(
        new RegExp(
          `livekit_attendance_status_cache_lookups_total\\{result="${result}"\\} (\\d+)`,
        ).exec(body)?.[1],
      );
    expect([count('miss'), count('hit')]).toEqual(dialect.name === 'sqlite' ? [1, 2] : [0, 0]);
    expect(body).toMatch(/^livekit_attendance_status_reads_total 3$/m);
  });

  it('uses only registered error codes in its schemas', () => {
    expect(Object.keys(HTTP_ERRORS)).toContain('invalid_request');
  });
});
