import type { LiveRoom } from '../../core/index.js';
import type { LiveSnapshot, ReconcileReport, WebhookHealthStatus } from '../../service/index.js';
import { ago, clockTime, duration, timeTag } from './display.js';
import { html, type Html } from './html.js';
import { livePeoplePath, roomTimeZone } from './live-people.js';
import { sessionPath } from './session-page.js';

/** A room's confirmation is stale once it is older than this (two default pass intervals). */
const STALE_MS = 5 * 60_000;

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

/** When the room's earliest open connection joined; null while everyone is still joining. */
function roomSince(room: LiveRoom): number | null {
  let since: number | null = null;
  for (const p of room.people) {
    if (p.sinceMs !== null && (since === null || p.sinceMs < since)) since = p.sinceMs;
  }
  return since;
}

/**
 * One room card: its counts, since when, its sessions and LiveKit's last confirmation, and a
 * disclosure whose people list the live script fetches when it is opened. `data-room` is how the
 * script finds the card again.
 */
export function roomCard(room: LiveRoom, nowMs: number, livekitConfigured: boolean): Html {
  const tz = roomTimeZone(room);
  const uncounted = room.people.length - room.attending;
  const since = roomSince(room);
  const found = room.people.filter((p) => p.openedBy === 'reconciler').length;
  return html`<article class="room" data-room="${room.room}" data-attending="${room.attending}">
    <header>
      <h2>${room.room}</h2>
      <p class="count">
        <strong>${room.attending}</strong> ${room.attending === 1 ? 'person' : 'people'}
        ${uncounted > 0 ? html`<small>+ ${uncounted} not counted</small>` : ''}
      </p>
    </header>
    <p class="room-since">
      ${
        room.people.length === 0
          ? 'Nobody has joined yet.'
          : since === null
            ? 'Joining'
            : html`Since ${timeTag(since, clockTime(since, tz))}${tz === 'UTC' ? ' UTC' : ''} · for
                <span data-since="${since}">${duration(nowMs - since)}</span>`
      }
      ${
        found > 0
          ? html`<span class="tag tag-warn" title="LiveKit's join webhook never arrived"
              >${found} found by reconciler</span
            >`
          : ''
      }
    </p>
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
        ? ''
        : html`<details class="room-people" data-people="${livePeoplePath(room.room)}">
            <summary>
              Who is here<span class="visually-hidden"> in ${room.room}</span>
              <span class="muted">(${room.people.length})</span>
            </summary>
            <div class="people-slot"><p class="muted">Loading…</p></div>
          </details>`
    }
  </article>`;
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

/** The live view; `version` is the live feed's when the snapshot was read (see LiveFeed). */
export function liveBody(opts: { snapshot: LiveSnapshot; alerts: Html; version: string }): Html {
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
      <span data-noun="rooms">${snapshot.rooms.length === 1 ? 'room' : 'rooms'}</span> in progress ·
      <span data-count="people">${attending}</span>
      <span data-noun="people">${attending === 1 ? 'person' : 'people'}</span>
      attending${
        snapshot.lastPass
          ? html` · last full LiveKit check
              <span data-ago="${snapshot.lastPass.completedAtMs}"
                >${ago(snapshot.lastPass.completedAtMs, snapshot.nowMs)}</span
              >`
          : ''
      }
    </p>
    <p class="room-filter">
      <label for="room-filter">Find a room</label>
      <input
        id="room-filter"
        type="search"
        autocomplete="off"
        spellcheck="false"
        placeholder="Room or session name"
        aria-controls="rooms"
      />
      <span id="room-filter-result" class="muted" role="status"></span>
    </p>
    <div id="rooms" class="rooms" data-version="${opts.version}">${roomCards(snapshot)}</div>`;
}
