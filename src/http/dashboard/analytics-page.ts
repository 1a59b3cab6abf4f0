import type { AnalyticsAnswer } from '../../service/index.js';
import { calendarDate, clockTime, percent } from './display.js';
import { html, type Html } from './html.js';
import { sessionPath } from './session-page.js';

export interface AnalyticsFilters {
  tag: string;
  identity: string;
  /** `YYYY-MM-DD` (UTC days), as the date inputs give them. */
  from: string;
  to: string;
  /** The session whose "present over time" is drawn; default the latest. */
  session: string;
}

function query(f: AnalyticsFilters): string {
  const q = new URLSearchParams();
  for (const k of ['tag', 'identity', 'from', 'to'] as const) if (f[k] !== '') q.set(k, f[k]);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

function filterForm(f: AnalyticsFilters, a: AnalyticsAnswer): Html {
  return html`<form method="get" action="/analytics" class="filters panel" role="search">
    <label>Tag <input name="tag" value="${f.tag}" placeholder="e.g. algebra" /></label>
    <label>Person <input name="identity" value="${f.identity}" placeholder="identity" /></label>
    <label>From <input type="date" name="from" value="${f.from}" /></label>
    <label>To <input type="date" name="to" value="${f.to}" /></label>
    ${
      a.sessions.length > 0
        ? html`<label
            >Session over time
            <select name="session">
              ${[...a.sessions]
                .reverse()
                .map(
                  (s) =>
                    html`<option value="${s.id}" ${s.id === f.session ? html`selected` : ''}>
                      ${s.title ?? s.id}, ${calendarDate(s.startsAtMs, 'UTC')}
                    </option>`,
                )}
            </select></label
          >`
        : ''
    }
    <button type="submit">Show</button>
  </form>`;
}

function rateSection(a: AnalyticsAnswer): Html {
  return html`<section class="panel" aria-labelledby="rate-h">
    <h2 id="rate-h">Attendance rate by session</h2>
    <div class="chart-block">
      <figure
        class="chart"
        data-chart="rate"
        data-table="rate-table"
        data-y-label="Attended, % of roster"
        aria-hidden="true"
      ></figure>
      <div class="chart-scroll">
        <table class="list" id="rate-table">
          <caption class="visually-hidden">
            Attendance rate by session (the chart's data)
          </caption>
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">Date (UTC)</th>
              <th scope="col" class="num">Attended</th>
              <th scope="col" class="num">Rate</th>
            </tr>
          </thead>
          <tbody>
            ${a.sessions.map(
              (s) =>
                html`<tr data-x="${s.startsAtMs / 1000}" data-y="${s.attendanceRate ?? ''}">
                  <td><a href="${sessionPath(s.id)}">${s.title ?? s.id}</a></td>
                  <td>${calendarDate(s.startsAtMs, 'UTC')}</td>
                  <td class="num">${s.attended} / ${s.expected}</td>
                  <td class="num">${percent(s.attendanceRate)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </div>
  </section>`;
}

function presentSection(a: AnalyticsAnswer, id: string): Html {
  const s = a.sessions.find((x) => x.id === id) ?? a.sessions.at(-1);
  if (s === undefined) return html``;
  return html`<section class="panel" aria-labelledby="present-h">
    <h2 id="present-h">People connected over time: ${s.title ?? s.id}</h2>
    <div class="chart-block">
      <figure
        class="chart"
        data-chart="present"
        data-table="present-table"
        data-y-label="People connected"
        aria-hidden="true"
      ></figure>
      <div class="chart-scroll">
        <table class="list" id="present-table">
          <caption class="visually-hidden">
            People connected
            ${s.presentStepMinutes === 1 ? 'each minute' : `every ${s.presentStepMinutes} minutes`}
            (the chart's data)
          </caption>
          <thead>
            <tr>
              <th scope="col">Time (UTC)</th>
              <th scope="col" class="num">Connected</th>
            </tr>
          </thead>
          <tbody>
            ${s.presentOverTime.map(
              (p) =>
                html`<tr data-x="${p.atMs / 1000}" data-y="${p.present}">
                  <td>${clockTime(p.atMs, 'UTC')}</td>
                  <td class="num">${p.present}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </div>
  </section>`;
}

function peopleSection(a: AnalyticsAnswer, f: AnalyticsFilters): Html {
  return html`<section class="panel" aria-labelledby="people-h">
    <h2 id="people-h">People</h2>
    <p><a class="button" href="/analytics.csv${query(f)}" download>Download CSV</a></p>
    <div class="table-wrap">
      <table class="list" id="people-table">
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col" class="num">Expected</th>
            <th scope="col" class="num">Attended</th>
            <th scope="col" class="num">Present</th>
            <th scope="col" class="num">Late</th>
            <th scope="col" class="num">Left early</th>
            <th scope="col" class="num">Partial</th>
            <th scope="col" class="num">Absent</th>
            <th scope="col" class="num">Excused</th>
            <th scope="col">Attendance rate</th>
            <th scope="col" class="num">Mean lateness</th>
          </tr>
        </thead>
        <tbody>
          ${a.people.map(
            (p) =>
              html`<tr data-identity="${p.identity}">
                <th scope="row">
                  <a
                    href="/analytics?identity=${encodeURIComponent(p.identity)}${
                      f.tag ? `&tag=${encodeURIComponent(f.tag)}` : ''
                    }"
                    >${p.name ?? p.identity}</a
                  >
                  <span class="identity">${p.identity}</span>
                </th>
                <td class="num">${p.sessionsExpected}</td>
                <td class="num">${p.attended}</td>
                <td class="num">${p.present}</td>
                <td class="num">${p.late}</td>
                <td class="num">${p.leftEarly}</td>
                <td class="num">${p.partial}</td>
                <td class="num">${p.absent}</td>
                <td class="num">${p.excused}</td>
                <td class="rate-cell">
                  ${
                    p.attendanceRate === null
                      ? '—'
                      : html`<span class="rate-bar" data-rate="${p.attendanceRate}"></span>
                          ${percent(p.attendanceRate)}`
                  }
                </td>
                <td class="num">
                  ${p.meanLatenessMinutes === null ? '—' : `${p.meanLatenessMinutes} min`}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

export function analyticsBody(a: AnalyticsAnswer, f: AnalyticsFilters): Html {
  return html`<h1>Analytics</h1>
    <p class="muted">
      Attendance across sessions that have started. Sessions carry tags (a course, a class) that
      narrow this down; the same figures come from <code>GET /api/v1/analytics</code>.
    </p>
    ${filterForm(f, a)}
    ${
      a.truncated
        ? html`<p class="alert alert-warn">
            More sessions matched than one page reads: narrow the dates.
          </p>`
        : ''
    }
    <p class="live-summary">
      <span data-count="sessions">${a.sessions.length}</span> sessions ·
      <span data-count="people">${a.people.length}</span> people
    </p>
    ${
      a.sessions.length === 0
        ? html`<p class="muted">No session matches.</p>`
        : html`${rateSection(a)} ${presentSection(a, f.session)} ${peopleSection(a, f)}`
    }`;
}
