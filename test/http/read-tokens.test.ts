import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { TEST_API_TOKEN, useHarness, webhookBody } from '../helpers/harness.js';

const READ_A = 'read-token-aaaaaaaaaaaa';
const READ_B = 'read-token-bbbbbbbbbbbb';
const SESSION = {
  rooms: ['algebra'],
  startsAt: '2026-12-01T09:00:00Z',
  endsAt: '2026-12-01T10:00:00Z',
};

describeEachDialect('read-only API tokens', (dialect) => {
  const h = useHarness(dialect, { API_READ_TOKENS: `${READ_A}, ${READ_B}` });
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  it('lets every read token call GET routes and /metrics', async () => {
    expect((await h.api('/api/v1/sessions/s1', { method: 'PUT', body: SESSION })).status).toBe(201);
    for (const token of [READ_A, READ_B]) {
      for (const url of [
        '/api/v1/rooms/algebra/attendance',
        '/api/v1/rooms/algebra/participants/ana',
        '/api/v1/sessions/s1',
        '/api/v1/sessions/s1/attendance?format=csv',
        '/api/v1/sessions',
        '/api/v1/audit?session=s1',
        '/metrics',
      ]) {
        const res = await h.app.inject({ method: 'GET', url, headers: as(token) });
        expect(res.statusCode, url).toBe(200);
      }
    }
  });

  it('answers 403 forbidden to a read token on every other method and changes nothing', async () => {
    expect((await h.api('/api/v1/sessions/s1', { method: 'PUT', body: SESSION })).status).toBe(201);
    const before = (await h.api('/api/v1/sessions/s1')).json;
    for (const [method, url, payload] of [
      ['PUT', '/api/v1/sessions/s1', { ...SESSION, title: 'changed' }],
      ['DELETE', '/api/v1/sessions/s1', undefined],
      ['PUT', '/api/v1/sessions/s1/participants/ana/override', { status: 'excused', reason: 'x' }],
      ['DELETE', '/api/v1/sessions/s1/participants/ana/override', undefined],
      ['POST', '/api/v1/reconcile', undefined],
    ] as const) {
      const res = await h.app.inject({
        method,
        url,
        headers: as(READ_A),
        ...(payload ? { payload } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json()).toEqual({
        error: 'forbidden',
        message: `a read-only token may not call ${method} routes`,
      });
    }
    expect((await h.api('/api/v1/sessions/s1')).json).toEqual(before);
    expect((await h.api('/api/v1/audit?session=s1')).json.entries).toHaveLength(1);
  });

  it('keeps the admin token able to write, and a near-miss of a read token unauthorised', async () => {
    const res = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/sessions/s2',
      headers: as(TEST_API_TOKEN),
      payload: SESSION,
    });
    expect(res.statusCode).toBe(201);
    for (const wrong of [`${READ_A}x`, READ_A.slice(0, -1), READ_A.toUpperCase(), ` ${READ_A}`]) {
      const r = await h.app.inject({ method: 'GET', url: '/api/v1/sessions', headers: as(wrong) });
      expect(r.statusCode, wrong).toBe(401);
    }
  });

  it('takes signed webhooks without any API token, read tokens configured or not', async () => {
    const body = webhookBody({
      event: 'room_started',
      id: 'EV_1',
      createdAtS: 1_764_000_000,
      room: { name: 'algebra' },
    });
    expect((await h.postWebhook(body)).status).toBe(200);
  });
});
