import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { TEST_API_TOKEN, useHarness, webhookBody } from '../helpers/harness.js';

const READ = 'read-token-rrrrrrrrrrrr';
const LIMIT = 3;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describeEachDialect('per-token rate limits', (dialect) => {
  const h = useHarness(dialect, {
    API_READ_TOKENS: READ,
    API_RATE_LIMIT_PER_MINUTE: String(LIMIT),
  });
  const get = (url: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'GET', url, headers });

  it('answers 429 rate_limited with Retry-After once a token used its minute, in our error shape', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const res = await get('/api/v1/sessions', bearer(TEST_API_TOKEN));
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1 - i));
    }
    const res = await get('/api/v1/sessions', bearer(TEST_API_TOKEN));
    expect(res.statusCode).toBe(429);
    expect(res.json()).toEqual({
      error: 'rate_limited',
      message: expect.stringMatching(/^more than 3 requests a minute with this token/) as unknown,
    });
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    // Another token has a bucket of its own.
    expect((await get('/api/v1/sessions', bearer(READ))).statusCode).toBe(200);
  });

  it('counts requests without a valid token by address, whatever token they make up', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const res = await get('/api/v1/sessions', bearer(`guess-${i}-0123456789abcdef`));
      expect(res.statusCode).toBe(401);
    }
    expect((await get('/api/v1/sessions', bearer('guess-x-0123456789abcdef'))).statusCode).toBe(
      429,
    );
    expect((await get('/no/such/route')).statusCode).toBe(429);
    // A valid token is not held back by the guesses made from its address.
    expect((await get('/api/v1/sessions', bearer(TEST_API_TOKEN))).statusCode).toBe(200);
  });

  it('never limits the webhook route or the probes', async () => {
    for (let i = 0; i < LIMIT * 3; i++) {
      const body = webhookBody({
        event: 'room_started',
        id: `EV_${i}`,
        createdAtS: Math.floor(Date.now() / 1000),
        room: { name: 'busy' },
      });
      expect((await h.postWebhook(body)).status).toBe(200);
      expect((await get('/healthz')).statusCode).toBe(200);
      expect((await get('/readyz')).statusCode).toBe(200);
    }
    const webhook = await h.app.inject({ method: 'POST', url: '/webhooks/livekit' });
    expect(webhook.headers['x-ratelimit-limit']).toBeUndefined();
  });
});

describeEachDialect('rate limits turned off', (dialect) => {
  const h = useHarness(dialect, { API_RATE_LIMIT_PER_MINUTE: '0' });

  it('lets a token make any number of requests with API_RATE_LIMIT_PER_MINUTE=0', async () => {
    for (let i = 0; i < 20; i++) expect((await h.api('/api/v1/sessions')).status).toBe(200);
    expect((await h.api('/api/v1/sessions')).headers['x-ratelimit-limit']).toBeUndefined();
  });
});
