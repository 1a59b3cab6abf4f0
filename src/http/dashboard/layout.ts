import { CSRF_FIELD, type Viewer } from './dashboard-auth.js';
import { html, type Html } from './html.js';

/** Where the dashboard's files are served (scripts, styles, uPlot). */
export const ASSETS_PREFIX = '/assets/';

export type NavItem = 'live' | 'sessions' | 'analytics';

const NAV: ReadonlyArray<{ id: NavItem; href: string; label: string }> = [
  { id: 'live', href: '/', label: 'Live' },
  { id: 'sessions', href: '/sessions', label: 'Sessions' },
  { id: 'analytics', href: '/analytics', label: 'Analytics' },
];

export interface PageOptions {
  title: string;
  viewer: Viewer | null;
  nav?: NavItem;
  body: Html;
  /** Module scripts under /assets/ (no inline scripts: the CSP allows 'self' only). */
  scripts?: readonly string[];
  /** Extra stylesheets under /assets/. */
  styles?: readonly string[];
}

/** The HTML document every page shares: head, header with navigation and sign-out, main. */
export function page(opts: PageOptions): string {
  const v = opts.viewer;
  const header = v
    ? html`<header class="top">
        <a class="brand" href="/">LiveKit attendance</a>
        <nav aria-label="Main">
          <ul>
            ${NAV.map(
              (n) =>
                html`<li>
                  <a href="${n.href}" ${n.id === opts.nav ? html`aria-current="page"` : ''}
                    >${n.label}</a
                  >
                </li>`,
            )}
          </ul>
        </nav>
        <div class="who">
          <span class="role role-${v.role}">${v.role === 'admin' ? 'Admin' : 'Read-only'}</span>
          <form method="post" action="/sign-out">
            <input type="hidden" name="${CSRF_FIELD}" value="${v.csrfToken}" />
            <button type="submit" class="link">Sign out</button>
          </form>
        </div>
      </header>`
    : html`<header class="top"><span class="brand">LiveKit attendance</span></header>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>${opts.title} · LiveKit attendance</title>
        <link rel="icon" href="${ASSETS_PREFIX}favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="${ASSETS_PREFIX}dashboard.css" />
        ${(opts.styles ?? []).map(
          (s) => html`<link rel="stylesheet" href="${ASSETS_PREFIX}${s}" />`,
        )}
        ${(opts.scripts ?? []).map(
          (s) => html`<script type="module" src="${ASSETS_PREFIX}${s}"></script>`,
        )}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        ${header}
        <main id="main" tabindex="-1">${opts.body}</main>
      </body>
    </html>`.html;
}
