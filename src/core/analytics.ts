import { participantIdentities, type SessionParticipantRow } from './session-report.js';
import type { AttendanceStatus, Session, SessionState } from './session-types.js';

/*
 * Attendance across sessions (issue #11): per person and per session, from the sessions'
 * reports as they stand. Pure: the reports and the time come in, the figures go out.
 */

const MINUTE = 60_000;
/**
 * Most points of one session's `presentOverTime`: one a minute for the longest session there can
 * be (7 days, both ends included), as the analytics contract asks. Longer spans would be sampled
 * more coarsely; a session cannot be longer.
 */
export const MAX_PRESENT_POINTS = 7 * 24 * 60 + 1;

/** Statuses that count as having attended (an override counts: it is the teacher's word). */
export const ATTENDED_STATUSES: ReadonlySet<AttendanceStatus> = new Set([
  'present',
  'late',
  'left_early',
  'partial',
]);

/** One session's report, as far as analytics reads it. */
export interface AnalyticsSessionInput {
  session: Session;
  state: SessionState;
  participants: readonly SessionParticipantRow[];
}

export interface PersonAnalytics {
  identity: string;
  /** The latest name any of their sessions knew. */
  name: string | null;
  /** Sessions that had them on the roster. */
  sessionsExpected: number;
  /** Sessions whose status was present, late, left_early or partial. */
  attended: number;
  present: number;
  late: number;
  leftEarly: number;
  partial: number;
  absent: number;
  excused: number;
  /**
   * Percent (one decimal) of their expected sessions they attended, excused ones left out of the
   * count; null when no expected session is left.
   */
  attendanceRate: number | null;
  /** Mean lateness over the sessions they attended, minutes with one decimal; null if none. */
  meanLatenessMinutes: number | null;
}

export interface PresentPoint {
  atMs: number;
  /** People connected (counted connections) at that instant. */
  present: number;
}

export interface SessionAnalytics {
  id: string;
  title: string | null;
  startsAtMs: number;
  endsAtMs: number;
  state: SessionState;
  /** Roster size. */
  expected: number;
  /** Roster members who attended (status as above). */
  attended: number;
  /** Percent (one decimal) of the roster, excused members left out; null without a roster. */
  attendanceRate: number | null;
  /**
   * One point every `presentStepMinutes` from the start to the end (or now while live), the end
   * included when it falls on a step.
   */
  presentOverTime: PresentPoint[];
  /** Minutes between two points: 1, or more so that there are at most MAX_PRESENT_POINTS. */
  presentStepMinutes: number;
}

export interface AnalyticsResult {
  people: PersonAnalytics[];
  sessions: SessionAnalytics[];
}

function rate(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : Math.round((1000 * numerator) / denominator) / 10;
}

/** Whole minutes between points so that `spanMs` gives at most MAX_PRESENT_POINTS of them. */
export function presentStepMinutes(spanMs: number): number {
  const minutes = Math.max(0, Math.floor(spanMs / MINUTE));
  // The smallest step s with floor(minutes / s) + 1 <= MAX_PRESENT_POINTS.
  return Math.floor(minutes / MAX_PRESENT_POINTS) + 1;
}

/**
 * How many people were connected at each step of the session (see `presentStepMinutes`): a person
 * counts once however many connections they have. A sweep over each person's merged connections,
 * sorted by time: O(c log c + points) for c connections, whatever the session's length.
 */
export function presentOverTime(
  input: AnalyticsSessionInput,
  nowMs: number,
): { points: PresentPoint[]; stepMinutes: number } {
  const { session } = input;
  const end = Math.min(session.endsAtMs, Math.max(session.startsAtMs, nowMs));
  const stepMinutes = presentStepMinutes(end - session.startsAtMs);
  const points: PresentPoint[] = [];
  if (nowMs < session.startsAtMs) return { points, stepMinutes };
  // +1 where a person's presence starts, -1 where it stops ([join, leave), an open one to now).
  const edges: { atMs: number; delta: 1 | -1 }[] = [];
  for (const p of input.participants) {
    const spans = p.cycles
      .map((c) => ({ from: c.joinedAtMs, to: c.leftAtMs ?? nowMs + 1 }))
      .filter((c) => c.from < c.to)
      .sort((a, b) => a.from - b.from);
    let open: { from: number; to: number } | null = null;
    for (const c of spans) {
      if (open !== null && c.from <= open.to) {
        open.to = Math.max(open.to, c.to);
        continue;
      }
      if (open !== null) edges.push({ atMs: open.from, delta: 1 }, { atMs: open.to, delta: -1 });
      open = { ...c };
    }
    if (open !== null) edges.push({ atMs: open.from, delta: 1 }, { atMs: open.to, delta: -1 });
  }
  edges.sort((a, b) => a.atMs - b.atMs);
  const step = stepMinutes * MINUTE;
  let present = 0;
  let next = 0;
  for (let t = session.startsAtMs; t <= end; t += step) {
    // Present at t: joined at or before t, and not yet left (a leave at t is gone at t).
    while (next < edges.length && edges[next]!.atMs <= t) present += edges[next++]!.delta;
    points.push({ atMs: t, present });
  }
  return { points, stepMinutes };
}

/**
 * Figures across `sessions`: those not yet started are left out. With `identity`, only that
 * person's figures, over the sessions that list them.
 */
export function computeAnalytics(input: {
  sessions: readonly AnalyticsSessionInput[];
  identity?: string;
  nowMs: number;
}): AnalyticsResult {
  const started = [...input.sessions]
    .filter((s) => s.state !== 'scheduled')
    .sort(
      (a, b) =>
        a.session.startsAtMs - b.session.startsAtMs || (a.session.id < b.session.id ? -1 : 1),
    );
  const people = new Map<
    string,
    PersonAnalytics & { lateMs: number; excusedExpected: number; attendedExpected: number }
  >();
  const sessions: SessionAnalytics[] = [];
  for (const s of started) {
    // An alias finds its roster member's row, as the session's participant route does.
    const who =
      input.identity === undefined
        ? undefined
        : participantIdentities(s.session, input.identity).identity;
    const rows =
      who === undefined ? s.participants : s.participants.filter((p) => p.identity === who);
    if (who !== undefined && rows.length === 0) continue;
    let rosterAttended = 0;
    let rosterExcused = 0;
    for (const p of s.participants) {
      if (!p.onRoster) continue;
      if (ATTENDED_STATUSES.has(p.status)) rosterAttended += 1;
      if (p.status === 'excused') rosterExcused += 1;
    }
    const expected = s.session.roster.length;
    const present = presentOverTime(s, input.nowMs);
    sessions.push({
      id: s.session.id,
      title: s.session.title,
      startsAtMs: s.session.startsAtMs,
      endsAtMs: s.session.endsAtMs,
      state: s.state,
      expected,
      attended: rosterAttended,
      attendanceRate: rate(rosterAttended, expected - rosterExcused),
      presentOverTime: present.points,
      presentStepMinutes: present.stepMinutes,
    });
    for (const p of rows) {
      let a = people.get(p.identity);
      if (a === undefined) {
        a = {
          identity: p.identity,
          name: null,
          sessionsExpected: 0,
          attended: 0,
          present: 0,
          late: 0,
          leftEarly: 0,
          partial: 0,
          absent: 0,
          excused: 0,
          attendanceRate: null,
          meanLatenessMinutes: null,
          lateMs: 0,
          excusedExpected: 0,
          attendedExpected: 0,
        };
        people.set(p.identity, a);
      }
      a.name = p.name ?? a.name;
      const attended = ATTENDED_STATUSES.has(p.status);
      if (p.onRoster) {
        a.sessionsExpected += 1;
        if (p.status === 'excused') a.excusedExpected += 1;
        if (attended) a.attendedExpected += 1;
      }
      if (attended) {
        a.attended += 1;
        a.lateMs += p.lateByMs;
      }
      switch (p.status) {
        case 'present':
          a.present += 1;
          break;
        case 'late':
          a.late += 1;
          break;
        case 'left_early':
          a.leftEarly += 1;
          break;
        case 'partial':
          a.partial += 1;
          break;
        case 'absent':
          a.absent += 1;
          break;
        case 'excused':
          a.excused += 1;
          break;
      }
    }
  }
  const list = [...people.values()].map(({ lateMs, excusedExpected, attendedExpected, ...a }) => ({
    ...a,
    attendanceRate: rate(attendedExpected, a.sessionsExpected - excusedExpected),
    meanLatenessMinutes: a.attended === 0 ? null : Math.round(lateMs / a.attended / 6_000) / 10,
  }));
  list.sort(
    (x, y) =>
      (x.name ?? x.identity).localeCompare(y.name ?? y.identity) ||
      (x.identity < y.identity ? -1 : x.identity > y.identity ? 1 : 0),
  );
  return { people: list, sessions };
}
