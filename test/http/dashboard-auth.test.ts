import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/dialects.js';
import { createHarness, TEST_API_TOKEN, useHarness, type Harness } from '../helpers/harness.js';
import { recordEndedClass } from '../dashboard/class-fixture.js';
import { signIn } from '../helpers/dashboard.js';

const READ_TOKEN = 'test-read-token-0123456789';

function postForm(h: Harness, url: string, cookie: string, form: Record<string, string>) {
  return h.app.inject({
    method: 'POST',
    url,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
}

// The dashboard reads through the session API's service; one dialect covers its HTTP rules.
describe('dashboard sign-in and forms over HTTP [sqlite]', () => {
  const h = useHarness(DIALECTS[0]!, { API_READ_TOKENS: READ_TOKEN });

  it('shows the sign-in form at / and sets no cookie before signing in', async () => {
    const res = await h.app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body).toContain('<label for="token">API token</label>');
    expect(res.body).toContain('type="password"');
    expect(res.body).toContain('<button type="submit">Sign in</button>');
  });

  it('answers a wrong token with the form and an error, and sets nothing', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=wrong-token-wrong-token',
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body).toContain('That token is not valid');
  });

  it('redirects after sign-in only to a path of this site', async () => {
    const attacks = [
      '//evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '/\r\n/evil.example',
      '\t//evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      '/\\/evil.example',
      '/\u0000/evil.example',
      '/\u007f/evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
      'evil.example',
      '',
    ];
    for (const next of attacks) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/sign-in',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ token: TEST_API_TOKEN, next }).toString(),
      });
      expect([next, res.statusCode, res.headers.location]).toEqual([next, 303, '/']);
      const form = await h.app.inject({ url: `/?next=${encodeURIComponent(next)}` });
      expect([next, /name="next" value="([^"]*)"/.exec(form.body)?.[1]]).toEqual([next, '/']);
    }
    for (const next of ['/sessions', '/sessions/algebra-1?x=1#top', '/analytics?tag=a%2Fb']) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/sign-in',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ token: TEST_API_TOKEN, next }).toString(),
      });
      expect(res.headers.location).toBe(next);
    }
  });

  it('sets an httpOnly SameSite=Strict cookie, Secure only over HTTPS', async () => {
    const plain = await h.app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${TEST_API_TOKEN}`,
    });
    const flags = (c: unknown) =>
      String(c)
        .split(';')
        .slice(1)
        .map((f) => f.trim())
        .sort();
    expect(flags(plain.headers['set-cookie'])).toEqual([
      'HttpOnly',
      'Max-Age=43200',
      'Path=/',
      'SameSite=Strict',
    ]);
    const tls = await h.app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-proto': 'https',
      },
      payload: `token=${TEST_API_TOKEN}`,
    });
    expect(flags(tls.headers['set-cookie'])).toContain('Secure');
  });

  it('keeps every dashboard page and its data behind the cookie', async () => {
    await recordEndedClass(h);
    const page = await h.app.inject({ url: '/sessions/algebra-1' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/?next=%2Fsessions%2Falgebra-1');
    for (const url of [
      '/sessions/algebra-1/attendance.csv',
      '/live/events',
      '/live/people?room=algebra',
    ]) {
      const res = await h.app.inject({ url });
      expect([url, res.statusCode]).toEqual([url, 401]);
    }
    // The bearer token opens the API, not the dashboard.
    const bearer = await h.app.inject({
      url: '/sessions/algebra-1/attendance.csv',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}` },
    });
    expect(bearer.statusCode).toBe(401);
    const { cookie } = await signIn(h, TEST_API_TOKEN);
    const csv = await h.app.inject({
      url: '/sessions/algebra-1/attendance.csv',
      headers: { cookie },
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toBe((await h.api('/api/v1/sessions/algebra-1/attendance?format=csv')).body);
    const json = await h.app.inject({
      url: '/sessions/algebra-1/attendance.json',
      headers: { cookie },
    });
    const api = (await h.api('/api/v1/sessions/algebra-1/attendance')).json;
    expect({ ...json.json(), generatedAt: null }).toEqual({ ...api, generatedAt: null });
    expect(json.headers['content-disposition']).toBe(
      'attachment; filename="attendance-algebra-1.json"',
    );
  });

  it('refuses an override posted without the CSRF token, or from another site', async () => {
    await recordEndedClass(h);
    const { cookie, csrf } = await signIn(h, TEST_API_TOKEN);
    const url = '/sessions/algebra-1/participants/cy/override';
    const form = { status: 'excused', reason: 'note', author: 'Ms T' };
    expect((await postForm(h, url, cookie, form)).statusCode).toBe(403);
    expect((await postForm(h, url, cookie, { ...form, _csrf: 'x'.repeat(43) })).statusCode).toBe(
      403,
    );
    const foreign = await h.app.inject({
      method: 'POST',
      url,
      headers: {
        cookie,
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({ ...form, _csrf: csrf }).toString(),
    });
    expect(foreign.statusCode).toBe(403);
    const trail = await h.api('/api/v1/audit?session=algebra-1&identity=cy');
    expect(trail.json.entries).toEqual([]);

    const ok = await postForm(h, url, cookie, { ...form, _csrf: csrf });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/sessions/algebra-1/participants/cy?saved=set');
    const after = await h.api('/api/v1/audit?session=algebra-1&identity=cy');
    expect(after.json.entries.map((e: any) => [e.action, e.actor, e.reason])).toEqual([
      ['override.set', 'Ms T', 'note'],
    ]);
  });

  it('accepts a form from the host a reverse proxy forwards for, and still refuses others', async () => {
    await recordEndedClass(h);
    const proxied = {
      host: '127.0.0.1:8080',
      'x-forwarded-host': 'attendance.example, 10.0.0.1',
      'x-forwarded-proto': 'https',
      'content-type': 'application/x-www-form-urlencoded',
    };
    const signInAs = (origin: string) =>
      h.app.inject({
        method: 'POST',
        url: '/sign-in',
        headers: { ...proxied, origin },
        payload: new URLSearchParams({ token: TEST_API_TOKEN, next: '/sessions' }).toString(),
      });
    const ok = await signInAs('https://attendance.example');
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/sessions');
    for (const origin of ['https://evil.example', 'https://10.0.0.1', 'null']) {
      const res = await signInAs(origin);
      expect([origin, res.statusCode, res.headers['set-cookie']]).toEqual([origin, 403, undefined]);
    }
    // Directly, Origin must name Host; X-Forwarded-Host is only another name for this site.
    const direct = await h.app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: {
        host: 'attendance.example',
        origin: 'https://attendance.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({ token: TEST_API_TOKEN }).toString(),
    });
    expect(direct.statusCode).toBe(303);

    const { cookie, csrf } = await signIn(h, TEST_API_TOKEN);
    const url = '/sessions/algebra-1/participants/cy/override';
    const form = { status: 'excused', reason: 'note', author: 'Ms T' };
    const post = (origin: string, body: Record<string, string>) =>
      h.app.inject({
        method: 'POST',
        url,
        headers: { ...proxied, cookie, origin },
        payload: new URLSearchParams(body).toString(),
      });
    expect((await post('https://evil.example', { ...form, _csrf: csrf })).statusCode).toBe(403);
    // The right origin without the CSRF token is still refused: the token is the protection.
    expect((await post('https://attendance.example', form)).statusCode).toBe(403);
    expect((await post('https://attendance.example', { ...form, _csrf: csrf })).statusCode).toBe(
      303,
    );
  });

  it('shows a read-only token the participant page without a form and refuses its post', async () => {
    await recordEndedClass(h);
    const { cookie, csrf } = await signIn(h, READ_TOKEN);
    const page = await h.app.inject({
      url: '/sessions/algebra-1/participants/cy',
      headers: { cookie },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('read-only token');
    expect(page.body).not.toContain('Save override');
    const res = await postForm(h, '/sessions/algebra-1/participants/cy/override', cookie, {
      _csrf: csrf,
      status: 'excused',
      reason: 'forged',
      author: 'x',
    });
    expect(res.statusCode).toBe(403);
  });

  it('signs out: the cookie is cleared', async () => {
    const { cookie, csrf } = await signIn(h, TEST_API_TOKEN);
    const res = await postForm(h, '/sign-out', cookie, { _csrf: csrf });
    expect(res.statusCode).toBe(303);
    expect(String(res.headers['set-cookie'])).toMatch(/^lka_session=;.*Max-Age=0/);
  });
});

describe('the sign-in cookie and DASHBOARD_SESSION_SECRET', () => {
  const open: Harness[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
  });
  async function instance(secret?: string): Promise<Harness> {
    const h = await createHarness({
      databaseUrl: 'sqlite::memory:',
      env: secret === undefined ? {} : { DASHBOARD_SESSION_SECRET: secret },
    });
    open.push(h);
    return h;
  }
  const status = async (h: Harness, cookie: string) =>
    (await h.app.inject({ url: '/sessions', headers: { cookie } })).statusCode;

  it('refuses a cookie made under another secret, accepts one made under the same', async () => {
    const a = await instance('first-dashboard-secret-0123456789abcdef');
    const b = await instance('second-dashboard-secret-0123456789abcdef');
    const a2 = await instance('first-dashboard-secret-0123456789abcdef');
    const { cookie } = await signIn(a, TEST_API_TOKEN);
    expect(await status(a, cookie)).toBe(200);
    // Another instance sharing the secret (behind a load balancer) takes it; another secret not.
    expect(await status(a2, cookie)).toBe(200);
    expect(await status(b, cookie)).toBe(303);
  });

  it('does not derive the key from API_TOKEN: without a secret, the process has its own', async () => {
    const withSecret = await instance('first-dashboard-secret-0123456789abcdef');
    const without = await instance();
    const { cookie } = await signIn(without, TEST_API_TOKEN);
    expect(await status(without, cookie)).toBe(200);
    // Same API_TOKEN, other key: the cookie's key has nothing to do with the token.
    expect(await status(withSecret, cookie)).toBe(303);
  });
});
