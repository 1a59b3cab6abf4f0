import { expect } from 'vitest';
import type { Harness } from './harness.js';

/** Signs in through the dashboard's form; returns the cookie to send back and the CSRF token. */
export async function signIn(h: Harness, token: string): Promise<{ cookie: string; csrf: string }> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token, next: '/' }).toString(),
  });
  expect(res.statusCode).toBe(303);
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  const home = await h.app.inject({ url: '/sessions', headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home.body)?.[1];
  expect(csrf).toBeDefined();
  return { cookie, csrf: csrf! };
}
