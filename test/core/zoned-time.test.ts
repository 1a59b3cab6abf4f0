import { describe, expect, it } from 'vitest';
import { formatInZone, isTimeZone, parseInstant } from '../../src/core/index.js';

describe('parseInstant', () => {
  it('reads ISO 8601 with any offset form as the same instant', () => {
    const utc = Date.UTC(2026, 11, 1, 6, 0, 0);
    for (const text of [
      '2026-12-01T06:00:00Z',
      '2026-12-01T06:00:00.000z',
      '2026-12-01T09:00:00+03:00',
      '2026-12-01T09:00:00+0300',
      '2026-12-01T09:00+03',
      '2026-11-30T20:30:00-09:30',
    ]) {
      expect(parseInstant(text), text).toBe(utc);
    }
    expect(parseInstant('2026-12-01T06:00:00.123456789Z')).toBe(utc + 123);
  });

  it('refuses local times, impossible dates and other text', () => {
    for (const text of [
      '2026-12-01T09:00:00',
      '2026-02-30T09:00:00Z',
      '2026-13-01T09:00:00Z',
      '2026-12-01T24:00:00Z',
      '2026-12-01T09:60:00Z',
      '2026-12-01T09:00:00+24:00',
      '2026-12-01',
      'tomorrow',
      '',
      '1969-12-31T23:59:59Z',
    ]) {
      expect(parseInstant(text), text).toBeNull();
    }
  });
});

describe('time zones', () => {
  it('knows IANA names and refuses offsets and inventions', () => {
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Istanbul')).toBe(true);
    expect(isTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    for (const bad of ['+03:00', 'Mars/Olympus', '', 'Europe/', '../etc/passwd']) {
      expect(isTimeZone(bad), bad).toBe(false);
    }
  });

  it('shows an instant with the offset its zone has at that instant', () => {
    expect(formatInZone(Date.UTC(2026, 11, 1, 6, 5, 0), 'Europe/Istanbul')).toBe(
      '2026-12-01T09:05:00+03:00',
    );
    // Berlin leaves summer time at 01:00 UTC on 2026-10-25: 02:30 local happens twice.
    expect(formatInZone(Date.UTC(2026, 9, 25, 0, 30), 'Europe/Berlin')).toBe(
      '2026-10-25T02:30:00+02:00',
    );
    expect(formatInZone(Date.UTC(2026, 9, 25, 1, 30), 'Europe/Berlin')).toBe(
      '2026-10-25T02:30:00+01:00',
    );
    expect(formatInZone(Date.UTC(2026, 11, 1, 0, 0), 'UTC')).toBe('2026-12-01T00:00:00+00:00');
    expect(formatInZone(Date.UTC(2026, 11, 1, 0, 0), 'Asia/Kathmandu')).toBe(
      '2026-12-01T05:45:00+05:45',
    );
  });
});
