import type { Session, SessionState } from '../../core/index.js';
import { calendarDate, clockTime, zoneLabel } from './display.js';
import { html, type Html } from './html.js';
import { sessionPath } from './session-page.js';

/** The sign-in form; `error` when the last attempt failed. */
export function signInBody(opts: { error: string | null; next: string }): Html {
  return html`<div class="sign-in">
    <h1>Sign in</h1>
    <p>Use the service's API token, or a read-only token to look without changing anything.</p>
    ${opts.error ? html`<p class="error" role="alert" id="sign-in-error">${opts.error}</p>` : ''}
    <form method="post" action="/sign-in" class="stack">
      <input type="hidden" name="next" value="${opts.next}" />
      <label for="token">API token</label>
      <input
        id="token"
        name="token"
        type="password"
        autocomplete="current-password"
        required
        autofocus
        ${opts.error ? html`aria-describedby="sign-in-error" aria-invalid="true"` : ''}
      />
      <button type="submit">Sign in</button>
    </form>
  </div>`;
}

/** The list of sessions, newest first. */
export function sessionsBody(opts: {
  sessions: readonly { session: Session; state: SessionState }[];
  tag: string | null;
}): Html {
  const rows = opts.sessions.map(
    ({ session: s, state }) =>
      html`<tr>
        <td><a href="${sessionPath(s.id)}">${s.title ?? s.id}</a></td>
        <td>
          ${calendarDate(s.startsAtMs, s.timezone)},
          ${clockTime(s.startsAtMs, s.timezone)}–${clockTime(s.endsAtMs, s.timezone)}
          <small class="muted">${zoneLabel(s.timezone, s.startsAtMs)}</small>
        </td>
        <td>
          <span class="badge state-${state}"
            >${state === 'live' ? 'Live now' : state === 'ended' ? 'Ended' : 'Scheduled'}</span
          >
        </td>
        <td>${s.roster.length}</td>
        <td>
          ${s.tags.map((t) => html`<a class="tag" href="/sessions?tag=${encodeURIComponent(t)}">${t}</a> `)}
        </td>
      </tr>`,
  );
  return html`<h1>Sessions${opts.tag ? html` tagged “${opts.tag}”` : ''}</h1>
    ${opts.tag ? html`<p><a href="/sessions">All sessions</a></p>` : ''}
    ${
      opts.sessions.length === 0
        ? html`<p class="muted">
            No sessions yet. Applications create them with <code>PUT /api/v1/sessions/{id}</code>.
          </p>`
        : html`<div class="table-wrap">
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">Session</th>
                  <th scope="col">When</th>
                  <th scope="col">State</th>
                  <th scope="col">Roster</th>
                  <th scope="col">Tags</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>
          </div>`
    }`;
}

/** A page for "no such session" and the like. */
export function messageBody(title: string, text: string): Html {
  return html`<h1>${title}</h1>
    <p>${text}</p>
    <p><a href="/sessions">Back to sessions</a></p>`;
}
