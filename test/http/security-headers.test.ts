import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { TEST_API_TOKEN, useHarness, webhookBody } from '../helpers/harness.js';

const CSP =
  "default-src 'self';script-src 'self';script-src-attr 'none';style-src 'self';" +
  "img-src 'self' data:;connect-src 'self';font-src 'self';object-src 'none';base-uri 'self';" +
  "form-action 'self';frame-ancestors 'none'";

describeEachDialect('security headers', (dialect) => {
  const h = useHarness(dialect);

  it.each([
    ['/healthz', {}, 200],
    ['/openapi.json', {}, 200],
    ['/api/v1/sessions', { authorization: `Bearer ${TEST_API_TOKEN}` }, 200],
    ['/api/v1/sessions', {}, 401],
    ['/metrics', { authorization: `Bearer ${TEST_API_TOKEN}` }, 200],
    ['/no/such/page', {}, 404],
  ])('sends helmet headers and our CSP on GET %s', async (url, headers, status) => {
    const res = await h.app.inject({ method: 'GET', url, headers });
    expect(res.statusCode).toBe(status);
    expect(res.headers).toMatchObject({
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
    });
  });

  it('keeps /openapi.json a JSON document', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toMatchObject({ openapi: '3.0.3' });
  });

  it('sends none of them on the webhook route', async () => {
    const body = webhookBody({
      event: 'room_started',
      id: 'EV_headers',
      createdAtS: Math.floor(Date.now() / 1000),
      room: { name: 'r' },
    });
    const signed = await h.postWebhook(body);
    expect(signed.status).toBe(200);
    const res = await h.app.inject({
      method: 'POST',
      url: '/webhooks/livekit',
      headers: { 'content-type': 'application/webhook+json' },
      payload: body,
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBeUndefined();
  });
});
