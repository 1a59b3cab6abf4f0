import { isoUtc, type AttendanceStatus } from '../../core/index.js';
import { html, type Html } from './html.js';

/*
 * How values read on the dashboard: times in a given time zone, durations, statuses in words.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: 'time' | 'date' | 'datetime' | 'offset', timeZone: string) {
  const key = `${kind} ${timeZone}`;
  let f = formatters.get(key);
  if (f === undefined) {
    const options: Intl.DateTimeFormatOptions =
      kind === 'time'
        ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
        : kind === 'date'
          ? { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }
          : kind === 'datetime'
            ? {
                weekday: 'short',
                day: 'numeric',
                month: 'short',
                year: 'numeric',
                hour: '2-digit',
                minute: '2-digit',
                hourCycle: 'h23',
              }
            : { timeZoneName: 'shortOffset' };
    f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone });
    if (formatters.size > 500) formatters.clear();
    formatters.set(key, f);
  }
  return f;
}

/** `09:05` in the zone. */
export function clockTime(ms: number, timeZone: string): string {
  return formatter('time', timeZone).format(ms);
}

/** `Tue 1 Dec 2026` in the zone. */
export function calendarDate(ms: number, timeZone: string): string {
  return formatter('date', timeZone).format(ms);
}

/** `Tue 1 Dec 2026, 09:05` in the zone. */
export function dateTime(ms: number, timeZone: string): string {
  return formatter('datetime', timeZone).format(ms);
}

/** `Europe/Istanbul (GMT+3)`, or `UTC`. */
export function zoneLabel(timeZone: string, atMs: number): string {
  if (timeZone === 'UTC') return 'UTC';
  const offset =
    formatter('offset', timeZone)
      .formatToParts(atMs)
      .find((p) => p.type === 'timeZoneName')?.value ?? '';
  return offset === '' ? timeZone : `${timeZone} (${offset})`;
}

/** `1 h 05 min`, `12 min`, `40 s`; whole seconds. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** `just now`, `35 s ago`, `4 min ago`. */
export function ago(atMs: number, nowMs: number): string {
  const ms = nowMs - atMs;
  if (ms < 1500) return 'just now';
  return `${duration(ms)} ago`;
}

/** Minutes with one decimal at most: `3`, `2.5`. */
export function minutesText(ms: number): string {
  const m = Math.round(ms / 6_000) / 10;
  return `${m} min`;
}

export const STATUS_LABELS: Record<AttendanceStatus, string> = {
  present: 'Present',
  late: 'Late',
  left_early: 'Left early',
  partial: 'Partial',
  absent: 'Absent',
  excused: 'Excused',
};

/** A status in words (colour only repeats it), marked when an override set it. */
export function statusBadge(status: AttendanceStatus, opts: { overridden?: boolean } = {}): Html {
  return html`<span class="badge status-${status}"
    >${STATUS_LABELS[status]}${
      opts.overridden ? html`<span class="badge-note"> (set by hand)</span>` : ''
    }</span
  >`;
}

/** A percentage with one decimal, or a dash. */
export function percent(value: number | null): string {
  return value === null ? '—' : `${value.toFixed(1).replace(/\.0$/, '')} %`;
}

/** `<time>` with a machine-readable instant (the scripts keep relative times fresh from it). */
export function timeTag(ms: number, text: string, attrs: Html = html``): Html {
  return html`<time datetime="${isoUtc(ms)}" ${attrs}>${text}</time>`;
}
