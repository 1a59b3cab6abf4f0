import { csvLine, isoOrNull } from '../core/index.js';
import type { AnalyticsAnswer } from './analytics.js';

/** Columns of the analytics CSV: one line per person. */
export const ANALYTICS_CSV_COLUMNS = [
  'identity',
  'name',
  'sessionsExpected',
  'attended',
  'present',
  'late',
  'leftEarly',
  'partial',
  'absent',
  'excused',
  'attendanceRate',
  'meanLatenessMinutes',
] as const;

export function analyticsJson(a: AnalyticsAnswer) {
  return {
    generatedAt: isoOrNull(a.generatedAtMs),
    truncated: a.truncated,
    people: a.people.map((p) => ({
      identity: p.identity,
      name: p.name,
      sessionsExpected: p.sessionsExpected,
      attended: p.attended,
      present: p.present,
      late: p.late,
      leftEarly: p.leftEarly,
      partial: p.partial,
      absent: p.absent,
      excused: p.excused,
      attendanceRate: p.attendanceRate,
      meanLatenessMinutes: p.meanLatenessMinutes,
    })),
    sessions: a.sessions.map((s) => ({
      id: s.id,
      title: s.title,
      startsAt: isoOrNull(s.startsAtMs),
      endsAt: isoOrNull(s.endsAtMs),
      state: s.state,
      expected: s.expected,
      attended: s.attended,
      attendanceRate: s.attendanceRate,
      presentOverTime: s.presentOverTime.map((p) => ({
        at: isoOrNull(p.atMs),
        present: p.present,
      })),
      presentStepMinutes: s.presentStepMinutes,
    })),
  };
}

/** The people table as CSV (RFC 4180, CRLF); empty cells for nulls. */
export function analyticsCsv(a: AnalyticsAnswer): string {
  const lines = [csvLine(ANALYTICS_CSV_COLUMNS)];
  for (const p of a.people) {
    lines.push(
      csvLine([
        p.identity,
        p.name,
        p.sessionsExpected,
        p.attended,
        p.present,
        p.late,
        p.leftEarly,
        p.partial,
        p.absent,
        p.excused,
        p.attendanceRate,
        p.meanLatenessMinutes,
      ]),
    );
  }
  return lines.join('');
}
