import type { AttendanceStatus, SessionParticipantRow } from '../../core/index.js';
import type { SessionReport } from '../../service/index.js';
import {
  ago,
  calendarDate,
  clockTime,
  dateTime,
  duration,
  minutesText,
  percent,
  statusBadge,
  zoneLabel,
} from './display.js';
import { html, type Html } from './html.js';
import { timelineAxis, timelineLegend, timelineRange, timelineTrack } from './timeline.js';

const ORDERED_STATUSES: readonly AttendanceStatus[] = [
  'present',
  'late',
  'left_early',
  'partial',
  'absent',
  'excused',
];

/** Hosts first, then the roster, then guests; by name within each. */
function displayOrder(a: SessionParticipantRow, b: SessionParticipantRow): number {
  const rank = (r: SessionParticipantRow) => (r.isHost ? 0 : r.onRoster ? 1 : 2);
  const d = rank(a) - rank(b);
  if (d !== 0) return d;
  return (a.name ?? a.identity).localeCompare(b.name ?? b.identity);
}

export function personPath(sessionId: string, identity: string): string {
  return `/sessions/${encodeURIComponent(sessionId)}/participants/${encodeURIComponent(identity)}`;
}

export function sessionPath(sessionId: string): string {
  return `/sessions/${encodeURIComponent(sessionId)}`;
}

/** Who someone is in the session: host, their roster role, or a guest. */
export function roleTag(row: SessionParticipantRow): Html {
  if (row.isHost) return html`<span class="tag tag-host">Host</span>`;
  if (!row.onRoster) return html`<span class="tag tag-guest">Guest</span>`;
  return row.role ? html`<span class="tag">${row.role}</span>` : html``;
}

/** "Final" or why not yet, in words. */
export function finality(report: SessionReport): Html {
  if (report.final) {
    return html`<p class="final final-yes">
      <strong>Final report.</strong> The session is over and every connection in it is settled.
    </p>`;
  }
  const why =
    report.state === 'scheduled'
      ? 'the session has not started'
      : report.state === 'live'
        ? 'the session is in progress'
        : report.openCycles > 0
          ? `${report.openCycles} connection${report.openCycles === 1 ? ' is' : 's are'} still open`
          : 'waiting for a reconcile pass after the end to confirm the times';
  return html`<p class="final final-no">
    <strong>Not final yet:</strong> ${why}. Figures may still change.
  </p>`;
}

function stateBadge(state: SessionReport['state']): Html {
  const words = { scheduled: 'Scheduled', live: 'Live now', ended: 'Ended' } as const;
  return html`<span class="badge state-${state}">${words[state]}</span>`;
}

function summaryCards(report: SessionReport): Html {
  const s = report.summary;
  const fromRoster = rosterAttended(report);
  return html`<dl class="cards">
    <div class="card">
      <dt>Expected</dt>
      <dd>${s.expected}</dd>
    </div>
    <div class="card">
      <dt>Attended</dt>
      <dd>
        ${s.attended}${
          s.expected > 0 ? html`<small> · ${fromRoster} of ${s.expected} expected</small>` : ''
        }
      </dd>
    </div>
    ${ORDERED_STATUSES.map(
      (st) =>
        html`<div class="card card-${st}">
          <dt>${statusBadge(st)}</dt>
          <dd>${s.byStatus[st]}</dd>
        </div>`,
    )}
    <div class="card">
      <dt>Guests</dt>
      <dd>${s.guests}</dd>
    </div>
  </dl>`;
}

function rosterAttended(report: SessionReport): number {
  return report.participants.filter((p) => p.onRoster && p.attendedMs > 0).length;
}

function statusDetail(row: SessionParticipantRow): Html {
  const notes: string[] = [];
  // Under three seconds rounds to "0 min": not worth a word.
  if (row.lateByMs >= 3_000 && row.status !== 'absent')
    notes.push(`${minutesText(row.lateByMs)} late`);
  if (row.leftEarlyByMs >= 3_000 && row.status !== 'absent') {
    notes.push(`left ${minutesText(row.leftEarlyByMs)} early`);
  }
  if (row.inMeeting) notes.push('in the meeting now');
  if (row.joinedByPhone) notes.push('by phone');
  return notes.length === 0 ? html`` : html`<span class="note">${notes.join(' · ')}</span>`;
}

function personRow(
  report: SessionReport,
  row: SessionParticipantRow,
  range: ReturnType<typeof timelineRange>,
): Html {
  const tz = report.session.timezone;
  const times =
    row.firstJoinedAtMs === null
      ? 'never joined'
      : `${clockTime(row.firstJoinedAtMs, tz)}–${row.lastLeftAtMs === null ? 'now' : clockTime(row.lastLeftAtMs, tz)}`;
  return html`<li class="person" data-identity="${row.identity}" data-status="${row.status}">
    <div class="who">
      <a href="${personPath(report.session.id, row.identity)}" class="name"
        >${row.name ?? row.identity}</a
      >
      <span class="identity">${row.identity}</span> ${roleTag(row)}
    </div>
    <div class="status">
      ${statusBadge(row.status, { overridden: row.override !== null })} ${statusDetail(row)}
    </div>
    <div class="figures">
      <span class="attended">${duration(row.attendedMs)}</span>
      <span class="pct">${percent(row.attendedPercent)}</span>
      <span class="times">${times}</span>
    </div>
    <div class="lane">
      ${timelineTrack({ session: report.session, row, range, nowMs: report.generatedAtMs })}
    </div>
  </li>`;
}

function dataQuality(report: SessionReport): Html {
  const q = report.dataQuality;
  return html`<section aria-labelledby="dq" class="panel">
    <h2 id="dq">Data quality</h2>
    <dl class="facts">
      <div>
        <dt>Webhooks received</dt>
        <dd>${q.webhooksReceived}</dd>
      </div>
      <div>
        <dt>Duplicates dropped</dt>
        <dd>${q.duplicatesDropped}</dd>
      </div>
      <div>
        <dt>Joins found by the reconciler</dt>
        <dd>${q.cyclesOpenedByReconciler}</dd>
      </div>
      <div>
        <dt>Leaves estimated by the reconciler</dt>
        <dd>${q.cyclesClosedByReconciler}</dd>
      </div>
      <div>
        <dt>Failed LiveKit checks</dt>
        <dd class="${q.verificationFailures > 0 ? 'warn-text' : ''}">${q.verificationFailures}</dd>
      </div>
      <div>
        <dt>Last confirmed by LiveKit</dt>
        <dd>
          ${
            q.lastVerifiedAtMs === null
              ? 'never'
              : html`${dateTime(q.lastVerifiedAtMs, report.session.timezone)}
                  <small>(${ago(q.lastVerifiedAtMs, report.generatedAtMs)})</small>`
          }
        </dd>
      </div>
    </dl>
  </section>`;
}

function nameList(rows: readonly SessionParticipantRow[], sessionId: string, empty: string): Html {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<ul class="names">
    ${rows.map(
      (r) =>
        html`<li><a href="${personPath(sessionId, r.identity)}">${r.name ?? r.identity}</a></li>`,
    )}
  </ul>`;
}

/** The session page: header, summary, timeline, absentees and guests, data quality. */
export function sessionBody(report: SessionReport): Html {
  const { session } = report;
  const tz = session.timezone;
  const rows = [...report.participants].sort(displayOrder);
  const range = timelineRange(session, rows, report.generatedAtMs);
  const absent = rows.filter((r) => r.status === 'absent' && r.onRoster);
  const guests = rows.filter((r) => !r.onRoster && !r.isHost);
  const base = sessionPath(session.id);
  const live =
    report.state === 'live' ? html`data-live-rooms="${JSON.stringify(session.rooms)}"` : '';
  return html`<div class="page-head" ${live}>
      <p class="crumbs"><a href="/sessions">Sessions</a></p>
      <h1>${session.title ?? session.id} ${stateBadge(report.state)}</h1>
      <p class="when">
        ${calendarDate(session.startsAtMs, tz)},
        ${clockTime(session.startsAtMs, tz)}–${clockTime(session.endsAtMs, tz)}
        <span class="muted">· times in ${zoneLabel(tz, session.startsAtMs)}</span>
      </p>
      <p class="muted">
        Session <code>${session.id}</code> · ${session.rooms.length === 1 ? 'room' : 'rooms'}
        ${session.rooms.map((r, i) => html`${i > 0 ? ', ' : ''}<code>${r}</code>`)}
        ${session.tags.length > 0 ? html` · tags ${session.tags.join(', ')}` : ''}
      </p>
      ${finality(report)}
      <p class="downloads">
        <a class="button" href="${base}/attendance.csv" download>Download CSV</a>
        <a class="button" href="${base}/attendance.json" download>Download JSON</a>
      </p>
    </div>
    ${summaryCards(report)}
    <section aria-labelledby="tl" class="panel timeline">
      <h2 id="tl">Timeline</h2>
      ${timelineLegend(session)}
      <svg class="defs" aria-hidden="true" width="0" height="0">
        <defs>
          <pattern
            id="hatch"
            width="6"
            height="6"
            patternUnits="userSpaceOnUse"
            patternTransform="rotate(45)"
          >
            <line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
          </pattern>
        </defs>
      </svg>
      <ol class="people" aria-label="People">
        <li class="person axis-row" aria-hidden="true">
          <div class="who"></div>
          <div class="status"></div>
          <div class="figures"></div>
          <div class="lane">${timelineAxis({ session, range, nowMs: report.generatedAtMs })}</div>
        </li>
        ${rows.map((r) => personRow(report, r, range))}
      </ol>
      ${rows.length === 0 ? html`<p class="muted">Nobody yet: no roster and no connections.</p>` : ''}
    </section>
    <div class="two">
      <section aria-labelledby="absent" class="panel">
        <h2 id="absent">Absent (${absent.length})</h2>
        ${nameList(absent, session.id, 'Everyone on the roster came.')}
      </section>
      <section aria-labelledby="guests" class="panel">
        <h2 id="guests">Guests (${guests.length})</h2>
        ${nameList(guests, session.id, 'No guests: everyone was on the roster or a host.')}
      </section>
    </div>
    ${dataQuality(report)}
    <p class="muted generated">
      Computed ${dateTime(report.generatedAtMs, tz)} from the stored connections.
    </p>`;
}
