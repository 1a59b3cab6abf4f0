import type { LivePerson, LiveRoom } from '../../core/index.js';
import type { LiveSnapshot, ReconcileReport, WebhookHealthStatus } from '../../service/index.js';
import { ago, clockTime, duration, timeTag } from './display.js';
import { html, type Html } from './html.js';
import { sessionPath } from './session-page.js';

/** A room's confirmation is stale once it is older than this (two default pass intervals). */
const STALE_MS = 5 * 60_000;

function personTags(p: LivePerson): Html[] {
  const tags: Html[] = [];
  if (p.kind === 'SIP') tags.push(html`<span class="tag">phone</span>`);
  if (!p.connected) tags.push(html`<span class="tag tag-muted">connecting, not counted</span>`);
  else if (!p.counted)
    tags.push(html`<span class="tag tag-muted">${p.kind.toLowerCase()}, not counted</span>`);
  if (p.openedBy === 'reconciler')
    tags.push(
      html`<span class="tag tag-warn" title="LiveKit's join webhook never arrived"
        >found by reconciler</span
      >`,
    );
  if (p.connections > 1) tags.push(html`<span class="tag">${p.connections} connections</span>`);
  return tags;
}

function personItem(p: LivePerson, nowMs: number, timeZone: string): Html {
  return html`<li class="live-person${p.counted ? '' : ' uncounted'}" data-identity="${p.identity}">
    <span class="name">${p.name ?? p.identity}</span>
    <span class="identity">${p.identity}</span>
    ${personTags(p)}
    <span class="times"
      ><span class="since">
        ${
          p.sinceMs === null
            ? 'joining'
            : html`since ${timeTag(p.sinceMs, clockTime(p.sinceMs, timeZone))} · for
                <span data-since="${p.sinceMs}">${duration(nowMs - p.sinceMs)}</span>`
        }
      </span>
      <span class="seen">
        ${
          p.lastSeenAtMs === null
            ? 'not yet confirmed by LiveKit'
            : html`seen by LiveKit
                <span data-ago="${p.lastSeenAtMs}">${ago(p.lastSeenAtMs, nowMs)}</span>`
        }
      </span></span
    >
  </li>`;
}

function freshness(room: LiveRoom, nowMs: number, livekitConfigured: boolean): Html {
  const v = room.verification;
  if (v !== null && v.consecutiveFailures > 0) {
    return html`<p class="fresh fresh-failing" role="status">
      <strong>LiveKit check failing</strong> (${v.consecutiveFailures}
      ${v.consecutiveFailures === 1 ? 'attempt' : 'attempts'}): ${v.lastError ?? 'no answer'}.
      ${
        v.lastVerifiedAtMs === null
          ? 'Never confirmed.'
          : html`Last confirmed
              <span data-ago="${v.lastVerifiedAtMs}">${ago(v.lastVerifiedAtMs, nowMs)}</span>.`
      }
    </p>`;
  }
  if (v === null || v.lastVerifiedAtMs === null) {
    return html`<p class="fresh fresh-none">
      ${livekitConfigured ? 'Not yet confirmed by LiveKit.' : 'LiveKit is not configured: nothing confirms the webhooks.'}
    </p>`;
  }
  const stale = nowMs - v.lastVerifiedAtMs > STALE_MS;
  return html`<p class="fresh ${stale ? 'fresh-stale' : 'fresh-ok'}">
    Confirmed by LiveKit
    <span data-ago="${v.lastVerifiedAtMs}">${ago(v.lastVerifiedAtMs, nowMs)}</span>
  </p>`;
}

/** One room card; `data-room` is how the live script finds it again. */
export function roomCard(room: LiveRoom, nowMs: number, livekitConfigured: boolean): Html {
  const tz = room.sessions[0]?.timezone ?? 'UTC';
  const uncounted = room.people.length - room.attending;
  return html`<section
    class="room"
    data-room="${room.room}"
    data-attending="${room.attending}"
    aria-label="Room ${room.room}"
  >
    <header>
      <h2>${room.room}</h2>
      <p class="count">
        <strong>${room.attending}</strong> ${room.attending === 1 ? 'person' : 'people'}
        ${uncounted > 0 ? html`<small>+ ${uncounted} not counted</small>` : ''}
      </p>
    </header>
    ${room.sessions.map(
      (s) =>
        html`<p class="room-session">
          <a href="${sessionPath(s.id)}">${s.title ?? s.id}</a>
          <small
            >until ${clockTime(s.endsAtMs, s.timezone)}${s.timezone === 'UTC' ? ' UTC' : ''}</small
          >
        </p>`,
    )}
    ${freshness(room, nowMs, livekitConfigured)}
    ${
      room.people.length === 0
        ? html`<p class="muted">Nobody has joined yet.</p>`
        : html`<ul class="live-people">
            ${[
              ...room.people.filter((p) => p.counted),
              ...room.people.filter((p) => !p.counted),
            ].map((p) => personItem(p, nowMs, tz))}
          </ul>`
    }
  </section>`;
}

export function roomCards(snapshot: LiveSnapshot): Html {
  if (snapshot.rooms.length === 0) {
    return html`<p class="muted empty" data-empty="1">
      No room is in progress. Rooms appear here as soon as someone joins.
    </p>`;
  }
  return html`${snapshot.rooms.map((r) => roomCard(r, snapshot.nowMs, snapshot.livekitConfigured))}`;
}

export interface AlertsInput {
  nowMs: number;
  webhooks: WebhookHealthStatus;
  /** Rooms in progress whose last LiveKit check failed. */
  failingRooms: readonly string[];
  lastReport: ReconcileReport | null;
  livekitConfigured: boolean;
}

/** The warnings at the top of the live view: empty when all is well. */
export function liveAlerts(a: AlertsInput): Html {
  const items: Html[] = [];
  if (a.webhooks.failing) {
    items.push(
      html`<p class="alert alert-error">
        <strong>Webhook verification is failing:</strong> ${a.webhooks.rejectedRecently}
        webhook${a.webhooks.rejectedRecently === 1 ? ' was' : 's were'} refused in the last 10
        minutes (${a.webhooks.lastRejection ?? 'bad signature'}). Check that LIVEKIT_API_KEY and
        LIVEKIT_API_SECRET match the key LiveKit signs with.
      </p>`,
    );
  }
  const r = a.lastReport;
  if (r !== null && r.outcome === 'failed') {
    items.push(
      html`<p class="alert alert-error">
        <strong>LiveKit verification is failing:</strong> the last reconcile pass (<span
          data-ago="${r.finishedAtMs}"
          >${ago(r.finishedAtMs, a.nowMs)}</span
        >) could not reach LiveKit${r.error ? html`: ${r.error.reason}` : ''}. Attendance relies on
        webhooks alone until it can.
      </p>`,
    );
  } else if (a.failingRooms.length > 0) {
    items.push(
      html`<p class="alert alert-warn">
        <strong>LiveKit verification is failing</strong> for ${a.failingRooms.length}
        ${a.failingRooms.length === 1 ? 'room' : 'rooms'}:
        ${a.failingRooms.slice(0, 5).join(', ')}${a.failingRooms.length > 5 ? '…' : ''}.
      </p>`,
    );
  }
  if (!a.livekitConfigured) {
    items.push(
      html`<p class="alert alert-info">
        LIVEKIT_URL is not set: the reconciler cannot confirm who is in each room.
      </p>`,
    );
  }
  return html`${items}`;
}

export function liveBody(opts: { snapshot: LiveSnapshot; alerts: Html }): Html {
  const { snapshot } = opts;
  const attending = snapshot.rooms.reduce((n, r) => n + r.attending, 0);
  return html`<div class="page-head live-head" data-now="${snapshot.nowMs}">
      <h1>Live rooms</h1>
      <p class="live-state" id="live-state" role="status" data-state="connecting">
        <span class="dot" aria-hidden="true"></span><span class="text">Connecting…</span>
      </p>
    </div>
    <div id="live-alerts" class="alerts" aria-live="polite">${opts.alerts}</div>
    <p class="live-summary" id="live-summary">
      <span data-count="rooms">${snapshot.rooms.length}</span>
      ${snapshot.rooms.length === 1 ? 'room' : 'rooms'} in progress ·
      <span data-count="people">${attending}</span> ${attending === 1 ? 'person' : 'people'}
      attending${
        snapshot.lastPass
          ? html` · last full LiveKit check
              <span data-ago="${snapshot.lastPass.completedAtMs}"
                >${ago(snapshot.lastPass.completedAtMs, snapshot.nowMs)}</span
              >`
          : ''
      }
    </p>
    <div id="rooms" class="rooms">${roomCards(snapshot)}</div>`;
}
