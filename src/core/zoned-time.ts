import { wallClockIso } from './iso-time.js';
/**
 * Instants in and out of ISO 8601 with offsets: parsing what applications send (any offset) and
 * showing an instant in a session's IANA time zone (`2026-12-01T09:05:00+03:00`). Intl does the
 * zone arithmetic; nothing here reads a clock.
 */

const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * Epoch ms of an ISO 8601 date-time that names its offset (`Z`, `±hh:mm`, `±hhmm` or `±hh`), or
 * null when the text is not one or names an impossible date or time. A time without an offset is
 * refused: it would mean different instants in different places.
 */
export function parseInstant(text: string): number | null {
  const m = ISO_WITH_OFFSET.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Number(((m[7] ?? '') + '000').slice(0, 3));
  const zone = m[8]!;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 30 February over into March: refuse days the month does not have.
  if (new Date(local).getUTCDate() !== day || year < 1970) return null;
  return local - offsetMinutes * 60_000;
}

const ianaNames = new Map<string, boolean>();

/** Whether Intl knows `name` as a time zone (IANA names such as `Europe/Istanbul`, and `UTC`). */
export function isTimeZone(name: string): boolean {
  const known = ianaNames.get(name);
  if (known !== undefined) return known;
  // Offsets like "+03:00" are not zone names: a session's offset changes with daylight saving.
  let ok = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name);
  if (ok) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
    } catch {
      ok = false;
    }
  }
  if (ianaNames.size < 1_000) ianaNames.set(name, ok);
  return ok;
}

/** The zone's IANA name as Intl spells it (`europe/istanbul` → `Europe/Istanbul`). */
export function canonicalTimeZone(name: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    if (formatters.size >= 1_000) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** The parts Intl writes for `ms` in `timeZone`, the offset as `GMT+03:00` (`GMT` for zero). */
function intlParts(ms: number, timeZone: string): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return parts;
}

/** `+03:00` from Intl's `GMT+03:00`; `GMT` alone is `+00:00`. */
function offsetText(parts: Record<string, string>): string {
  const gmt = parts['timeZoneName'] ?? 'GMT';
  return gmt === 'GMT' ? '+00:00' : gmt.slice(3);
}

/** The zone's offset at `ms` in ms, or null if it is not whole minutes (old local mean times). */
function offsetAt(ms: number, timeZone: string): number | null {
  const match = /^([+-])(\d\d):(\d\d)$/.exec(offsetText(intlParts(ms, timeZone)));
  if (match === null) return null;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return (match[1] === '-' ? -minutes : minutes) * 60_000;
}

const QUARTER_HOUR_MS = 900_000;
/** Per zone: the offset of each quarter hour (since 1970) at whose start and end it was the same. */
const quarterOffsets = new Map<string, Map<number, number>>();

/**
 * The zone's offset at `ms`, read from Intl once per quarter hour: zones change offset on quarter
 * hours, and never twice within one (a quarter whose two ends differ is not kept).
 */
function cachedOffsetAt(ms: number, timeZone: string): number | null {
  const quarter = Math.floor(ms / QUARTER_HOUR_MS);
  let byQuarter = quarterOffsets.get(timeZone);
  const known = byQuarter?.get(quarter);
  if (known !== undefined) return known;
  const start = offsetAt(quarter * QUARTER_HOUR_MS, timeZone);
  if (start === null || start !== offsetAt((quarter + 1) * QUARTER_HOUR_MS - 1, timeZone)) {
    return offsetAt(ms, timeZone);
  }
  if (byQuarter === undefined) {
    if (quarterOffsets.size >= 1_000) quarterOffsets.clear();
    byQuarter = new Map();
    quarterOffsets.set(timeZone, byQuarter);
  }
  if (byQuarter.size >= 10_000) byQuarter.clear();
  byQuarter.set(quarter, start);
  return start;
}

function formatOffset(offsetMs: number): string {
  const minutes = Math.abs(offsetMs) / 60_000;
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${offsetMs < 0 ? '-' : '+'}${hh}:${mm}`;
}

/**
 * `ms` as ISO 8601 local time in `timeZone` with that zone's offset at that instant, to the second
 * (`2026-12-01T09:05:00+03:00`; `Z` is never used, so every cell reads the same way). Intl is
 * asked for the offset once per quarter hour; the text is then written here (a report writes
 * thousands), and by Intl itself for what that cannot write (offsets in seconds, odd instants).
 */
export function formatInZone(ms: number, timeZone: string): string {
  const offsetMs = Number.isInteger(ms) && ms >= 0 ? cachedOffsetAt(ms, timeZone) : null;
  const wall = offsetMs === null ? null : wallClockIso(ms, offsetMs);
  if (offsetMs !== null && wall !== null) return `${wall}${formatOffset(offsetMs)}`;
  const parts = intlParts(ms, timeZone);
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}:${parts['second']}${offsetText(parts)}`;
}
