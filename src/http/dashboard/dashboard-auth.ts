import { hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  createDigestResolver,
  tokenDigest,
  type ApiTokens,
  type TokenRole,
} from '../bearer-auth.js';

declare module '@fastify/secure-session' {
  interface SessionData {
    /** SHA-256 of the token signed in with (base64url). */
    tk: string;
    csrf: string;
    author: string;
  }
}

/** How long a sign-in lasts, in seconds (the cookie's own expiry, checked by secure-session). */
export const SIGN_IN_SECONDS = 12 * 60 * 60;
export const SESSION_COOKIE = 'lka_session';
/** The form field that carries the CSRF token. */
export const CSRF_FIELD = '_csrf';

/** Who is looking at the dashboard: the role of the token they signed in with. */
export interface Viewer {
  role: TokenRole;
  /** Goes into every form that changes something; compared with the cookie's copy. */
  csrfToken: string;
  /** The name last used as an override's author, to fill the form in again. */
  author: string | null;
}

/** The secret of this process when DASHBOARD_SESSION_SECRET is unset: a restart signs everyone out. */
const PROCESS_SECRET = randomBytes(32);

/**
 * The cookie key, derived from DASHBOARD_SESSION_SECRET (or this process's random secret) and
 * nothing else: never from a token, so a cookie gives no way to test token guesses offline.
 * Instances that share the secret accept each other's cookies.
 */
export function sessionKey(secret: string | null): Buffer {
  return Buffer.from(
    hkdfSync('sha256', secret ?? PROCESS_SECRET, 'livekit-attendance', 'dashboard-session', 32),
  );
}

/**
 * Sign-in and the cookie's contents. The cookie (encrypted and authenticated by secure-session)
 * holds the SHA-256 digest of the token, never the token, and each request checks that digest
 * against the tokens configured now: removing a read token signs its holders out.
 */
export class DashboardAuth {
  /** The bearer check's own comparison: every token, constant time, no early exit. */
  private readonly roleOfDigest: (digest: Buffer) => TokenRole | null;

  constructor(tokens: ApiTokens) {
    this.roleOfDigest = createDigestResolver(tokens);
  }

  /** Signs in with `token`; false (and nothing stored) when it is no token of ours. */
  signIn(req: FastifyRequest, token: string): boolean {
    const d = tokenDigest(token.trim());
    if (this.roleOfDigest(d) === null) return false;
    // A fresh session: nothing from before the sign-in survives (no fixation of a CSRF token).
    req.session.regenerate();
    req.session.set('tk', d.toString('base64url'));
    req.session.set('csrf', randomBytes(32).toString('base64url'));
    req.session.options(cookieOptions(req));
    return true;
  }

  signOut(req: FastifyRequest): void {
    req.session.delete();
    req.session.options(cookieOptions(req));
  }

  viewer(req: FastifyRequest): Viewer | null {
    const tk: unknown = req.session.get('tk');
    const csrf: unknown = req.session.get('csrf');
    if (typeof tk !== 'string' || typeof csrf !== 'string') return null;
    const role = this.roleOfDigest(Buffer.from(tk, 'base64url'));
    if (role === null) return null;
    const author: unknown = req.session.get('author');
    return { role, csrfToken: csrf, author: typeof author === 'string' ? author : null };
  }

  rememberAuthor(req: FastifyRequest, author: string): void {
    req.session.set('author', author);
    req.session.options(cookieOptions(req));
  }
}

/** Whether a form's CSRF token is the session's (constant time). */
export function csrfMatches(viewer: Viewer, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(viewer.csrfToken);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The first value of a header a proxy may have sent several times or as a list. */
function firstValue(header: string | string[] | undefined): string | undefined {
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
  return first === '' ? undefined : first;
}

/**
 * A form posted from another site is refused even before its CSRF token is looked at: browsers
 * send `Origin` with every POST, and it must name this host, as the browser saw it: `Host`, or
 * behind a reverse proxy that rewrites `Host` (nginx's default) the first `X-Forwarded-Host`.
 * The CSRF token and SameSite=Strict remain the real protection.
 */
export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  if (host === '') return false;
  const own = [req.headers.host, firstValue(req.headers['x-forwarded-host'])];
  return own.some((h) => h !== undefined && h.toLowerCase() === host);
}

/** HTTPS directly, or behind a proxy that says so: only then may the cookie be `Secure`. */
function servedOverHttps(req: FastifyRequest): boolean {
  return req.protocol === 'https' || firstValue(req.headers['x-forwarded-proto']) === 'https';
}

function cookieOptions(req: FastifyRequest) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: servedOverHttps(req),
    maxAge: SIGN_IN_SECONDS,
  };
}

/**
 * Only paths of this site, so a link cannot send a signed-in user elsewhere. Browsers drop tabs
 * and newlines from a URL and read a backslash as `/`, so `/\t/evil.example` would be `//evil.example`:
 * any control character or backslash is refused, the path must start with one `/` not followed by
 * another, and it must resolve to this origin.
 */
export function safeNext(next: string | undefined): string {
  if (next === undefined || next.length > 2048) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\\]/.test(next)) return '/';
  if (!next.startsWith('/') || next.startsWith('//')) return '/';
  try {
    const url = new URL(next, 'http://x');
    return url.origin === 'http://x' ? next : '/';
  } catch {
    return '/';
  }
}

/** Where an HTML page sends someone who is not signed in. */
export function redirectToSignIn(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const next = safeNext(req.url);
  return reply.redirect(next === '/' ? '/' : `/?next=${encodeURIComponent(next)}`, 303);
}
