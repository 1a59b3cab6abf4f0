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

/**
 * `ms` as ISO 8601 local time in `timeZone` with that zone's offset at that instant, to the second
 * (`2026-12-01T09:05:00+03:00`; `Z` is never used, so every cell reads the same way).
 */
export function formatInZone(ms: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  // longOffset: "GMT+03:00", "GMT-09:30", or "GMT" for zero.
  const gmt = parts['timeZoneName'] ?? 'GMT';
  const offset = gmt === 'GMT' ? '+00:00' : gmt.slice(3);
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}:${parts['second']}${offset}`;
}
