import type { Session, SessionCycleView, SessionParticipantRow } from '../../core/index.js';
import { clockTime, duration } from './display.js';
import { html, type Html } from './html.js';

/*
 * The session timeline as SVG drawn on the server: one track per person, one bar per cycle. Bars
 * are placed with percentage `x`/`width` attributes, so the page needs no script and no inline
 * style (the CSP allows neither), and it scales to any width, a phone's included.
 */

const MINUTE = 60_000;
const TICK_STEPS_MIN = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];

export interface TimelineRange {
  startMs: number;
  endMs: number;
}

/** The stretch the timeline shows: the window, widened to every bar, plus a small margin. */
export function timelineRange(
  session: Session,
  rows: readonly SessionParticipantRow[],
  nowMs: number,
): TimelineRange {
  let start = session.startsAtMs;
  let end = session.endsAtMs;
  for (const r of rows) {
    for (const c of r.cycles) {
      start = Math.min(start, c.joinedAtMs);
      end = Math.max(end, c.leftAtMs ?? Math.min(nowMs, session.endsAtMs + 60 * MINUTE));
    }
  }
  const margin = Math.max(MINUTE / 2, (end - start) * 0.02);
  return { startMs: start - margin, endMs: end + margin };
}

function pct(range: TimelineRange, ms: number): number {
  const p = ((ms - range.startMs) / (range.endMs - range.startMs)) * 100;
  return Math.round(Math.min(100, Math.max(0, p)) * 1000) / 1000;
}

/** How a cycle began and ended, as the legend names it. */
export function closedClass(c: SessionCycleView): string {
  return c.closedBy === null ? 'open' : c.closedBy;
}

const CLOSED_WORDS: Record<string, string> = {
  webhook: 'left (LiveKit webhook)',
  reconciler: 'left (estimated by the reconciler: LiveKit no longer listed them)',
  room_finished: 'room closed',
  manual: 'closed by hand',
  open: 'still connected',
};
const OPENED_WORDS: Record<string, string> = {
  webhook: 'joined (LiveKit webhook)',
  reconciler: 'joined (found by the reconciler; the join webhook was missing)',
  room_finished: 'joined',
  manual: 'opened by hand',
};

export function cycleWords(c: SessionCycleView, timeZone: string): string {
  const end = c.leftAtMs === null ? 'now' : clockTime(c.leftAtMs, timeZone);
  return `${c.room}: ${clockTime(c.joinedAtMs, timeZone)}–${end} (${duration(c.durationMs)} counted); ${OPENED_WORDS[c.openedBy] ?? c.openedBy}; ${CLOSED_WORDS[closedClass(c)] ?? ''}`;
}

/** One person's track. `roomIndex` tells breakout rooms (index > 0) apart from the main room. */
export function timelineTrack(opts: {
  session: Session;
  row: SessionParticipantRow;
  range: TimelineRange;
  nowMs: number;
}): Html {
  const { session, row, range, nowMs } = opts;
  const windowX = pct(range, session.startsAtMs);
  const windowW = pct(range, session.endsAtMs) - windowX;
  const label =
    row.cycles.length === 0
      ? 'no connection'
      : row.cycles.map((c) => cycleWords(c, session.timezone)).join('. ');
  const bars = row.cycles.map((c) => {
    const x = pct(range, c.joinedAtMs);
    const end = c.leftAtMs ?? nowMs;
    const w = Math.max(0.4, pct(range, end) - x);
    const roomIndex = Math.max(0, session.rooms.indexOf(c.room));
    const room = roomIndex === 0 ? 'room-main' : `room-breakout room-${Math.min(roomIndex, 3)}`;
    return html`<g class="cycle ${room}">
      <rect
        class="bar closed-${closedClass(c)} opened-${c.openedBy}"
        x="${x}%"
        y="5"
        width="${w}%"
        height="18"
        rx="3"
        ><title>${cycleWords(c, session.timezone)}</title></rect
      >${
        roomIndex > 0
          ? html`<rect class="hatch" x="${x}%" y="5" width="${w}%" height="18" rx="3" />`
          : ''
      }
    </g>`;
  });
  return html`<svg class="track" role="img" aria-label="${label}" width="100%" height="28">
    <rect class="window" x="${windowX}%" y="0" width="${windowW}%" height="28" />
    ${bars}
  </svg>`;
}

/** The time axis above the tracks: ticks at a round step, labels in the session's zone. */
export function timelineAxis(opts: {
  session: Session;
  range: TimelineRange;
  nowMs: number;
}): Html {
  const { session, range, nowMs } = opts;
  const spanMin = (range.endMs - range.startMs) / MINUTE;
  const step = (TICK_STEPS_MIN.find((s) => spanMin / s <= 6) ?? 1440) * MINUTE;
  const ticks: Html[] = [];
  for (let t = Math.ceil(range.startMs / step) * step; t <= range.endMs; t += step) {
    const x = pct(range, t);
    ticks.push(
      html`<line class="tick" x1="${x}%" x2="${x}%" y1="18" y2="26" />
        <text class="tick-label" x="${x}%" y="13" text-anchor="middle"
          >${clockTime(t, session.timezone)}</text
        >`,
    );
  }
  const live = nowMs > range.startMs && nowMs < range.endMs;
  const nowX = pct(range, nowMs);
  return html`<svg class="axis" aria-hidden="true" width="100%" height="28">
    ${ticks}
    ${
      live
        ? html`<line class="now" x1="${nowX}%" x2="${nowX}%" y1="0" y2="28" /><text
              class="now-label"
              x="${nowX}%"
              y="26"
              text-anchor="middle"
            >
              now
            </text>`
        : ''
    }
  </svg>`;
}

/** The legend: what the colours, edges and hatching of the bars mean. */
export function timelineLegend(session: Session): Html {
  const swatch = (cls: string, text: string, extra = '') =>
    html`<li>
      <svg class="swatch" aria-hidden="true" width="28" height="14">
        <rect class="bar ${cls}" x="1" y="1" width="26" height="12" rx="3" />
        ${
          extra === 'hatch'
            ? html`<rect class="hatch" x="1" y="1" width="26" height="12" rx="3" />`
            : ''
        }
      </svg>
      ${text}
    </li>`;
  return html`<ul class="legend" aria-label="Legend">
    ${swatch('closed-webhook opened-webhook', 'Left: LiveKit said so')}
    ${swatch('closed-reconciler opened-webhook', 'Left: estimated (LiveKit stopped listing them)')}
    ${swatch('closed-room_finished opened-webhook', 'Room closed')}
    ${swatch('closed-open opened-webhook', 'Still connected')}
    ${swatch('closed-webhook opened-reconciler', 'Dashed: join found by the reconciler')}
    ${
      session.rooms.length > 1
        ? swatch(
            'closed-webhook opened-webhook',
            `Hatched: a breakout room (not ${session.rooms[0]})`,
            'hatch',
          )
        : ''
    }
    <li><span class="window-swatch" aria-hidden="true"></span> Scheduled time</li>
  </ul>`;
}
