/**
 * ISO 8601 text for epoch milliseconds, several times faster than `new Date(ms).toISOString()`:
 * a 1,000-person report writes some 22,000 of them per read. Same text for every instant from
 * 1970 to 9999; anything else (earlier, later, fractional, not a number) goes to Date, which also
 * keeps its RangeError for an invalid time.
 */

const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00Z: from here on Date writes a six-digit year. */
const YEAR_10000_MS = 253_402_300_800_000;

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** Whether isoUtc and wallClockIso write `ms` themselves (else Date does). */
function isPlainInstant(ms: number): boolean {
  return Number.isInteger(ms) && ms >= 0 && ms < YEAR_10000_MS;
}

/** The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's civil_from_days). */
function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d };
}

/** `YYYY-MM-DDTHH:MM:SS` and the milliseconds of a plain instant. */
function dateTime(ms: number): { text: string; millis: number } {
  const days = Math.floor(ms / DAY_MS);
  const { y, m, d } = civilFromDays(days);
  let rest = ms - days * DAY_MS;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const s = rest % 60;
  rest = (rest - s) / 60;
  const min = rest % 60;
  const h = (rest - min) / 60;
  return { text: `${y}-${PAD2[m]}-${PAD2[d]}T${PAD2[h]}:${PAD2[min]}:${PAD2[s]}`, millis };
}

/** `new Date(ms).toISOString()`: `2026-12-01T09:05:00.000Z`. */
export function isoUtc(ms: number): string {
  if (!isPlainInstant(ms)) return new Date(ms).toISOString();
  const { text, millis } = dateTime(ms);
  return `${text}.${PAD3[millis]}Z`;
}

/**
 * The wall-clock text, to the second, of `ms` shifted by `offsetMs` (a zone's offset at `ms`):
 * `2026-12-01T12:05:00` for 09:05:00Z at +03:00. Null when the shifted instant is not plain.
 */
export function wallClockIso(ms: number, offsetMs: number): string | null {
  const local = ms + offsetMs;
  return isPlainInstant(local) ? dateTime(local).text : null;
}
