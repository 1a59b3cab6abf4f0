import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatInZone, isoUtc, parseInstant } from '../../src/core/index.js';

const YEAR_10000_MS = Date.UTC(10000, 0, 1);
const instant = fc.integer({ min: 0, max: YEAR_10000_MS - 1 });
// A day in, so that the local time west of Greenwich is 1970 too (parseInstant reads no earlier).
const zonedInstant = fc.integer({ min: 86_400_000, max: YEAR_10000_MS - 86_400_001 });
// Zones with DST, half- and quarter-hour offsets, a 30-minute DST shift, and no DST at all.
const ZONES = [
  'UTC',
  'Europe/Istanbul',
  'Europe/Berlin',
  'America/New_York',
  'America/St_Johns',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Asia/Kolkata',
];

/** One formatter per zone: making one costs far more than formatting (the scan below asks ~200,000 times). */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** What Intl itself says of `ms` in `zone`: its offset text and its wall clock fields. */
function intl(ms: number, zone: string) {
  let format = formatters.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formatters.set(zone, format);
  }
  return Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
}

describe('isoUtc', () => {
  test.prop([instant])('writes what Date#toISOString writes', (ms) => {
    expect(isoUtc(ms)).toBe(new Date(ms).toISOString());
  });

  it('leaves to Date what is before 1970, after 9999 or not a whole ms, errors included', () => {
    for (const ms of [-1, -86_400_001, YEAR_10000_MS, YEAR_10000_MS + 5, 1.5, 8.64e15]) {
      expect(isoUtc(ms), String(ms)).toBe(new Date(ms).toISOString());
    }
    expect(() => isoUtc(Number.NaN)).toThrow(RangeError);
  });

  it('gets the calendar edges right', () => {
    expect(isoUtc(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoUtc(Date.UTC(2000, 1, 29, 23, 59, 59, 999))).toBe('2000-02-29T23:59:59.999Z');
    expect(isoUtc(Date.UTC(2100, 2, 1))).toBe('2100-03-01T00:00:00.000Z');
    expect(isoUtc(YEAR_10000_MS - 1)).toBe('9999-12-31T23:59:59.999Z');
  });
});

describe('formatInZone', () => {
  test.prop([zonedInstant, fc.constantFrom(...ZONES)])(
    'writes the instant, to the second, with the offset and wall clock Intl gives',
    (ms, zone) => {
      const text = formatInZone(ms, zone);
      expect(parseInstant(text)).toBe(ms - (ms % 1000));
      const p = intl(ms, zone);
      const offset = p['timeZoneName'] === 'GMT' ? '+00:00' : p['timeZoneName']!.slice(3);
      const wall = `${p['year']}-${p['month']}-${p['day']}T${p['hour']}:${p['minute']}:${p['second']}`;
      expect(text).toBe(`${wall}${offset}`);
    },
  );

  it('is right on both sides of every offset change of 2026', () => {
    let changes = 0;
    for (const zone of ZONES) {
      // Each change lies between two samples an hour apart whose offsets differ.
      for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 3_600_000) {
        if (intl(ms, zone)['timeZoneName'] === intl(ms + 3_600_000, zone)['timeZoneName']) continue;
        changes += 1;
        for (let t = ms; t <= ms + 3_600_000; t += 60_000) {
          for (const at of [t - 1_000, t, t + 999]) {
            const p = intl(at, zone);
            const offset = p['timeZoneName']!.slice(3) || '+00:00';
            expect(formatInZone(at, zone), `${zone} ${at}`).toBe(
              `${p['year']}-${p['month']}-${p['day']}T${p['hour']}:${p['minute']}:${p['second']}${offset}`,
            );
          }
        }
      }
    }
    expect(changes).toBeGreaterThanOrEqual(10); // the zones above change 2 times a year each, most of them
  });

  it('writes the session examples of the model', () => {
    expect(formatInZone(Date.UTC(2026, 11, 1, 6, 5), 'Europe/Istanbul')).toBe(
      '2026-12-01T09:05:00+03:00',
    );
    expect(formatInZone(Date.UTC(2026, 2, 29, 0, 59, 59), 'Europe/Berlin')).toBe(
      '2026-03-29T01:59:59+01:00',
    );
    expect(formatInZone(Date.UTC(2026, 2, 29, 1, 0, 0), 'Europe/Berlin')).toBe(
      '2026-03-29T03:00:00+02:00',
    );
    expect(formatInZone(Date.UTC(2026, 11, 1, 6, 5), 'UTC')).toBe('2026-12-01T06:05:00+00:00');
  });
});
