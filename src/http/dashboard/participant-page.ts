import { ATTENDANCE_STATUSES, type Session, type StoredAuditRecord } from '../../core/index.js';
import type { ParticipantReport } from '../../service/index.js';
import { CSRF_FIELD, type Viewer } from './dashboard-auth.js';
import {
  clockTime,
  dateTime,
  duration,
  minutesText,
  percent,
  STATUS_LABELS,
  statusBadge,
  zoneLabel,
} from './display.js';
import { html, type Html } from './html.js';
import { personPath, roleTag, sessionPath } from './session-page.js';

/** Longest override reason the API accepts. */
export const MAX_REASON_LENGTH = 500;

const OPENED: Record<string, string> = {
  webhook: 'LiveKit webhook',
  reconciler: 'Reconciler (join webhook missing)',
  room_finished: 'Room finished',
  manual: 'By hand',
};
const CLOSED: Record<string, string> = {
  webhook: 'LiveKit webhook',
  reconciler: 'Reconciler estimate (last seen)',
  room_finished: 'Room finished',
  manual: 'By hand',
};

const ACTIONS: Record<string, string> = {
  'session.created': 'Session created',
  'session.updated': 'Session changed',
  'session.deleted': 'Session deleted',
  'override.set': 'Status set by hand',
  'override.removed': 'Status override removed',
  'cycle.opened': 'Connection opened',
  'cycle.closed': 'Connection closed',
  'cycle.reopened': 'Connection reopened',
  'cycle.corrected': 'Connection corrected',
};

/** Seconds matter in a provenance table: `09:05:12`. */
function clockSeconds(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
}

function cyclesTable(p: ParticipantReport): Html {
  const tz = p.session.timezone;
  if (p.row.cycles.length === 0) {
    return html`<p class="muted">No connection inside the session's window.</p>`;
  }
  return html`<div class="table-wrap">
    <table class="list">
      <caption class="visually-hidden">
        Connections, times in ${tz}
      </caption>
      <thead>
        <tr>
          <th scope="col">Room</th>
          <th scope="col">Joined</th>
          <th scope="col">Left</th>
          <th scope="col">Counted</th>
          <th scope="col">Join from</th>
          <th scope="col">Leave from</th>
          <th scope="col">Connection</th>
        </tr>
      </thead>
      <tbody>
        ${p.row.cycles.map(
          (c) =>
            html`<tr>
              <td>
                <code>${c.room}</code
                >${c.room !== p.session.rooms[0] ? html` <span class="tag">breakout</span>` : ''}
              </td>
              <td>${clockSeconds(c.joinedAtMs, tz)}</td>
              <td>
                ${c.leftAtMs === null ? html`<em>still connected</em>` : clockSeconds(c.leftAtMs, tz)}
              </td>
              <td>${duration(c.durationMs)}</td>
              <td>${OPENED[c.openedBy] ?? c.openedBy}</td>
              <td>${c.closedBy === null ? '—' : (CLOSED[c.closedBy] ?? c.closedBy)}</td>
              <td>
                <code>${c.sid}</code
                >${c.kind !== 'STANDARD' ? html` <span class="tag">${c.kind === 'SIP' ? 'phone' : c.kind}</span>` : ''}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** What an audit record's before/after say, in a few words. */
function change(a: StoredAuditRecord, timeZone: string): string {
  const view = (v: unknown): string => {
    if (v === null || v === undefined || typeof v !== 'object') return '';
    const o = v as Record<string, unknown>;
    if (typeof o['status'] === 'string') {
      return STATUS_LABELS[o['status'] as keyof typeof STATUS_LABELS] ?? String(o['status']);
    }
    const at = (key: string) => {
      const x = o[key];
      if (typeof x === 'number') return clockSeconds(x, timeZone);
      const ms = typeof x === 'string' ? Date.parse(x) : Number.NaN;
      return Number.isNaN(ms) ? null : clockSeconds(ms, timeZone);
    };
    const joined = at('joinedAtMs') ?? at('joinedAt');
    const left = at('leftAtMs') ?? at('leftAt');
    if (joined !== null || left !== null) return `${joined ?? '?'}–${left ?? 'open'}`;
    return '';
  };
  const before = view(a.before);
  const after = view(a.after);
  if (before && after) return `${before} → ${after}`;
  return after || (before ? `was ${before}` : '');
}

function auditTable(records: readonly StoredAuditRecord[], session: Session): Html {
  if (records.length === 0) return html`<p class="muted">Nothing recorded yet.</p>`;
  const tz = session.timezone;
  return html`<div class="table-wrap">
    <table class="list audit">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">What</th>
          <th scope="col">Change</th>
          <th scope="col">Source</th>
          <th scope="col">By</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        ${records.map(
          (a) =>
            html`<tr data-action="${a.action}">
              <td>${dateTime(a.atMs, tz)}<small>:${clockSeconds(a.atMs, tz).slice(-2)}</small></td>
              <td>
                ${ACTIONS[a.action] ?? a.action}${a.sid ? html` <code class="small">${a.sid}</code>` : ''}
              </td>
              <td>${change(a, tz)}</td>
              <td>${a.source}</td>
              <td>${a.actor ?? '—'}</td>
              <td>${a.reason ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function overrideSection(p: ParticipantReport, viewer: Viewer, action: string): Html {
  const o = p.row.override;
  const current = o
    ? html`<p class="override-now">
        Set by hand to ${statusBadge(o.status)} by <strong>${o.author}</strong>
        (${dateTime(o.atMs, p.session.timezone)}): “${o.reason}”. The policy alone says
        ${statusBadge(p.row.computedStatus)}.
      </p>`
    : html`<p class="muted">No override: the status comes from the session's policy.</p>`;
  if (viewer.role !== 'admin') {
    return html`<section class="panel" aria-labelledby="ov">
      <h2 id="ov">Override</h2>
      ${current}
      <p class="read-only">You signed in with a read-only token: overrides need the admin token.</p>
    </section>`;
  }
  return html`<section class="panel" aria-labelledby="ov">
    <h2 id="ov">Override</h2>
    ${current}
    <form method="post" action="${action}" class="stack override-form">
      <input type="hidden" name="${CSRF_FIELD}" value="${viewer.csrfToken}" />
      <label for="ov-status">Status</label>
      <select id="ov-status" name="status" required>
        ${ATTENDANCE_STATUSES.map(
          (s) =>
            html`<option value="${s}" ${(o?.status ?? p.row.status) === s ? html`selected` : ''}>
              ${STATUS_LABELS[s]}
            </option>`,
        )}
      </select>
      <label for="ov-reason">Reason</label>
      <textarea
        id="ov-reason"
        name="reason"
        required
        maxlength="${MAX_REASON_LENGTH}"
        rows="2"
      ></textarea>
      <label for="ov-author">Your name</label>
      <input
        id="ov-author"
        name="author"
        required
        maxlength="200"
        autocomplete="name"
        value="${viewer.author ?? ''}"
      />
      <button type="submit">Save override</button>
    </form>
    ${
      o
        ? html`<form method="post" action="${action}/remove" class="inline">
            <input type="hidden" name="${CSRF_FIELD}" value="${viewer.csrfToken}" />
            <button type="submit" class="secondary">Remove override</button>
          </form>`
        : ''
    }
  </section>`;
}

export function participantBody(opts: {
  report: ParticipantReport;
  audit: readonly StoredAuditRecord[];
  viewer: Viewer;
  notice: string | null;
}): Html {
  const { report: p, viewer } = opts;
  const r = p.row;
  const tz = p.session.timezone;
  const at = (ms: number | null) => (ms === null ? '—' : clockTime(ms, tz));
  return html`<div class="page-head">
      <p class="crumbs">
        <a href="/sessions">Sessions</a> ›
        <a href="${sessionPath(p.session.id)}">${p.session.title ?? p.session.id}</a>
      </p>
      <h1>${r.name ?? r.identity} ${statusBadge(r.status, { overridden: r.override !== null })}</h1>
      <p class="muted">
        <code>${r.identity}</code> ${roleTag(r)} · times in ${zoneLabel(tz, p.session.startsAtMs)}
      </p>
      ${opts.notice ? html`<p class="notice" role="status">${opts.notice}</p>` : ''}
    </div>
    <dl class="cards">
      <div class="card">
        <dt>Attended</dt>
        <dd>${duration(r.attendedMs)}</dd>
      </div>
      <div class="card">
        <dt>Of the scheduled time</dt>
        <dd>${percent(r.attendedPercent)}</dd>
      </div>
      <div class="card">
        <dt>First joined</dt>
        <dd>${at(r.firstJoinedAtMs)}</dd>
      </div>
      <div class="card">
        <dt>Last left</dt>
        <dd>${r.inMeeting ? 'still here' : at(r.lastLeftAtMs)}</dd>
      </div>
      <div class="card">
        <dt>Late by</dt>
        <dd>${minutesText(r.lateByMs)}</dd>
      </div>
      <div class="card">
        <dt>Left early by</dt>
        <dd>${minutesText(r.leftEarlyByMs)}</dd>
      </div>
      <div class="card">
        <dt>Connections</dt>
        <dd>
          ${r.connections}${r.reconnects > 0 ? html`<small> · ${r.reconnects} reconnects</small>` : ''}
        </dd>
      </div>
      <div class="card">
        <dt>By phone</dt>
        <dd>${r.joinedByPhone ? 'yes' : 'no'}</dd>
      </div>
    </dl>
    ${overrideSection(p, viewer, `${personPath(p.session.id, r.identity)}/override`)}
    <section class="panel" aria-labelledby="cy">
      <h2 id="cy">Connections</h2>
      ${cyclesTable(p)}
    </section>
    <section class="panel" aria-labelledby="au">
      <h2 id="au">Audit trail</h2>
      ${auditTable(opts.audit, p.session)}
    </section>`;
}
