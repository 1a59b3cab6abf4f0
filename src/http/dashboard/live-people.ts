import type { LivePerson, LiveRoom } from '../../core/index.js';
import { ago, clockTime, duration, timeTag } from './display.js';
import { html, type Html } from './html.js';

/*
 * Who is in one room of the live view: the list a room card shows when it is opened, fetched from
 * `/live/people?room=` (a fragment, not a page) so the live view itself stays small.
 */

/** Where the live view fetches one room's people. */
export function livePeoplePath(room: string): string {
  return `/live/people?room=${encodeURIComponent(room)}`;
}

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

/** The room's time zone: its first session's, else UTC. */
export function roomTimeZone(room: LiveRoom): string {
  return room.sessions[0]?.timezone ?? 'UTC';
}

/** The people of a room in progress (those counted first), or null for a room that is over. */
export function livePeople(room: LiveRoom | null, nowMs: number): Html {
  if (room === null) {
    return html`<p class="muted" data-gone="1">This room is no longer in progress.</p>`;
  }
  if (room.people.length === 0) return html`<p class="muted">Nobody has joined yet.</p>`;
  const tz = roomTimeZone(room);
  return html`<ul class="live-people">
    ${[...room.people.filter((p) => p.counted), ...room.people.filter((p) => !p.counted)].map((p) =>
      personItem(p, nowMs, tz),
    )}
  </ul>`;
}
