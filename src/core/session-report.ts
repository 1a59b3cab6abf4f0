import { intervalOf, isCounted, type CountingPolicy } from './attendance-status.js';
import { closedByOf, isOpen, shownLeftAtMs } from './cycle-rules.js';
import { clipInterval, unionIntervals, type Interval } from './interval-union.js';
import {
  ATTENDANCE_STATUSES,
  type AttendanceStatus,
  type RosterMember,
  type Session,
  type SessionPolicy,
  type SessionState,
  type StatusOverride,
} from './session-types.js';
import type { CycleSource, ParticipantKind, ReportedCycle } from './types.js';

/** One counted cycle of a person in a session report. */
export interface SessionCycleView {
  room: string;
  sid: string;
  kind: ParticipantKind;
  /** LiveKit's times, not clipped to the window. */
  joinedAtMs: number;
  leftAtMs: number | null;
  /** Time of this cycle inside the window (up to now while open and the session is live). */
  durationMs: number;
  openedBy: CycleSource;
  closedBy: CycleSource | null;
}

export interface SessionParticipantRow {
  identity: string;
  name: string | null;
  role: string | null;
  isHost: boolean;
  onRoster: boolean;
  status: AttendanceStatus;
  /** The policy's answer, before any override. */
  computedStatus: AttendanceStatus;
  override: StatusOverride | null;
  inMeeting: boolean;
  attendedMs: number;
  attendedPercent: number;
  firstJoinedAtMs: number | null;
  lastLeftAtMs: number | null;
  lateByMs: number;
  leftEarlyByMs: number;
  connections: number;
  reconnects: number;
  joinedByPhone: boolean;
  cycles: SessionCycleView[];
}

export interface SessionSummary {
  /** Roster size. */
  expected: number;
  /** People with attended time in the window. */
  attended: number;
  guests: number;
  byStatus: Record<AttendanceStatus, number>;
}

export interface SessionReportCore {
  state: SessionState;
  /** Reference start R of lateness for non-hosts (epoch ms). */
  lateReferenceMs: number;
  summary: SessionSummary;
  participants: SessionParticipantRow[];
  /**
   * Counted cycles overlapping the window whose end inside it is unknown: open, and not confirmed
   * by LiveKit at or after endsAt.
   */
  openCycles: number;
}

const MINUTE_MS = 60_000;

export function sessionState(session: Session, nowMs: number): SessionState {
  if (nowMs < session.startsAtMs) return 'scheduled';
  return nowMs < session.endsAtMs ? 'live' : 'ended';
}

/** Who is who in a session: identities resolved to roster members, hosts, the window. */
interface SessionFrame {
  session: Session;
  state: SessionState;
  /** The counted window: [startsAt, min(endsAt, now)], empty before the start. */
  window: Interval;
  /** Any identity (member or alias) → its roster member. */
  memberOf: Map<string, RosterMember>;
  rooms: Set<string>;
  nowMs: number;
  /** Where open cycles end: `cyclesNowMs` of the input, never past `nowMs`. */
  cyclesNowMs: number;
  counting: CountingPolicy;
}

interface SessionIndex {
  memberOf: Map<string, RosterMember>;
  rooms: Set<string>;
  hosts: Set<string>;
}

/**
 * Lookups built once per session value: a status read of one person in a 1,000-person session
 * must not rebuild the roster's index. Sessions are never mutated (the service's read cache
 * hands one object to every reader), so the object is a sound key; a WeakMap lets it go with it.
 */
const sessionIndexes = new WeakMap<Session, SessionIndex>();

function indexOf(session: Session): SessionIndex {
  const known = sessionIndexes.get(session);
  if (known !== undefined) return known;
  const memberOf = new Map<string, RosterMember>();
  // Aliases first, so that an identity that is a member itself stays that member.
  for (const m of session.roster) for (const a of m.aliases) memberOf.set(a, m);
  for (const m of session.roster) memberOf.set(m.identity, m);
  const hosts = new Set(session.hosts.map((h) => memberOf.get(h)?.identity ?? h));
  const index = { memberOf, rooms: new Set(session.rooms), hosts };
  sessionIndexes.set(session, index);
  return index;
}

function frameOf(
  session: Session,
  nowMs: number,
  counting: CountingPolicy,
  cyclesNowMs: number = nowMs,
): SessionFrame {
  const { memberOf, rooms } = indexOf(session);
  const end = Math.max(session.startsAtMs, Math.min(session.endsAtMs, nowMs));
  return {
    session,
    state: sessionState(session, nowMs),
    window: { startMs: session.startsAtMs, endMs: end },
    memberOf,
    rooms,
    nowMs,
    cyclesNowMs: Math.min(nowMs, cyclesNowMs),
    counting,
  };
}

/** The identity a report row is about: the roster member an alias belongs to, else itself. */
function canonical(frame: SessionFrame, identity: string): string {
  return frame.memberOf.get(identity)?.identity ?? identity;
}

/** Shared by every reader of the session: never mutate. */
function hostSet(frame: SessionFrame): ReadonlySet<string> {
  return indexOf(frame.session).hosts;
}

/** A counted cycle of a session room that overlaps the window, with its clipped interval. */
interface WindowCycle {
  cycle: ReportedCycle;
  clipped: Interval;
}

function windowCycles(
  frame: SessionFrame,
  cycles: readonly ReportedCycle[],
): Map<string, WindowCycle[]> {
  const byPerson = new Map<string, WindowCycle[]>();
  const seen = new Set<string>();
  for (const cycle of cycles) {
    if (seen.has(cycle.sid)) continue;
    if (!frame.rooms.has(cycle.room) || !isCounted(cycle, frame.counting)) continue;
    const interval = intervalOf(cycle, frame.cyclesNowMs);
    if (interval === null) continue;
    const clipped = clipInterval(interval, frame.window);
    if (clipped === null) continue;
    seen.add(cycle.sid);
    const who = canonical(frame, cycle.identity);
    const list = byPerson.get(who);
    if (list) list.push({ cycle, clipped });
    else byPerson.set(who, [{ cycle, clipped }]);
  }
  return byPerson;
}

/** The first arrival of any host inside the window, or null when no host came. */
function firstHostArrival(
  hosts: ReadonlySet<string>,
  byPerson: ReadonlyMap<string, WindowCycle[]>,
): number | null {
  let first: number | null = null;
  for (const host of hosts) {
    for (const w of byPerson.get(host) ?? []) {
      if (first === null || w.clipped.startMs < first) first = w.clipped.startMs;
    }
  }
  return first;
}

function lateReference(frame: SessionFrame, byPerson: ReadonlyMap<string, WindowCycle[]>): number {
  const start = frame.session.startsAtMs;
  if (frame.session.policy.lateFrom !== 'host') return start;
  const arrival = firstHostArrival(hostSet(frame), byPerson);
  return arrival === null ? start : Math.max(start, arrival);
}

function computedStatusOf(
  policy: SessionPolicy,
  row: Pick<SessionParticipantRow, 'attendedMs' | 'lateByMs' | 'leftEarlyByMs' | 'attendedPercent'>,
): AttendanceStatus {
  if (row.attendedMs === 0 || row.attendedMs < policy.absentBelowMinutes * MINUTE_MS)
    return 'absent';
  if (row.lateByMs > policy.lateAfterMinutes * MINUTE_MS) return 'late';
  if (row.leftEarlyByMs > policy.leftEarlyMinutes * MINUTE_MS) return 'left_early';
  if (row.attendedPercent < policy.presentPercent) return 'partial';
  return 'present';
}

function byJoinThenSid(a: WindowCycle, b: WindowCycle): number {
  const d = (a.cycle.joinedAtMs ?? 0) - (b.cycle.joinedAtMs ?? 0);
  if (d !== 0) return d;
  return a.cycle.sid < b.cycle.sid ? -1 : a.cycle.sid > b.cycle.sid ? 1 : 0;
}

/**
 * Whether a cycle's end inside the window is still unknown: open, and not seen by LiveKit at or
 * after the window's end (someone confirmed in the room after endsAt attended to the end).
 */
function endUnknown(cycle: ReportedCycle, session: Session): boolean {
  return isOpen(cycle) && (cycle.lastSeenAtMs === null || cycle.lastSeenAtMs < session.endsAtMs);
}

/** One person's row: the rules of attendance-model "Sessions", in order. */
function rowOf(
  frame: SessionFrame,
  identity: string,
  own: readonly WindowCycle[],
  ctx: { hosts: ReadonlySet<string>; lateReferenceMs: number; override: StatusOverride | null },
): SessionParticipantRow {
  const { session, state } = frame;
  const found = frame.memberOf.get(identity);
  const member = found !== undefined && found.identity === identity ? found : null;
  const isHost = ctx.hosts.has(identity);
  // One cycle (the usual read) needs no copy, sort or union: its clipped interval is not empty.
  const sorted = own.length < 2 ? own : [...own].sort(byJoinThenSid);
  const pieces =
    sorted.length === 1 ? [sorted[0]!.clipped] : unionIntervals(sorted.map((w) => w.clipped));
  const attendedMs = pieces.reduce((sum, i) => sum + (i.endMs - i.startMs), 0);
  const inMeeting = sorted.some((w) => isOpen(w.cycle));
  const firstJoinedAtMs = pieces[0]?.startMs ?? null;
  const lastEnd = pieces.at(-1)?.endMs ?? null;
  const lastLeftAtMs = inMeeting && state !== 'ended' ? null : lastEnd;
  const reference = isHost ? session.startsAtMs : ctx.lateReferenceMs;
  const lateByMs = firstJoinedAtMs === null ? 0 : Math.max(0, firstJoinedAtMs - reference);
  const leftEarlyByMs =
    state === 'ended' && lastLeftAtMs !== null ? Math.max(0, session.endsAtMs - lastLeftAtMs) : 0;
  const attendedPercent =
    Math.round((1000 * attendedMs) / (session.endsAtMs - session.startsAtMs)) / 10;
  const computedStatus = computedStatusOf(session.policy, {
    attendedMs,
    lateByMs,
    leftEarlyByMs,
    attendedPercent,
  });
  return {
    identity,
    name: member?.name ?? latestName(sorted),
    role: member?.role ?? null,
    isHost,
    onRoster: member !== null,
    status: ctx.override?.status ?? computedStatus,
    computedStatus,
    override: ctx.override,
    inMeeting,
    attendedMs,
    attendedPercent,
    firstJoinedAtMs,
    lastLeftAtMs,
    lateByMs,
    leftEarlyByMs,
    connections: sorted.length,
    reconnects: Math.max(0, pieces.length - 1),
    joinedByPhone: sorted.some((w) => w.cycle.kind === 'SIP'),
    // Counted cycles only, so joinedAtMs is known.
    cycles: sorted.map(({ cycle, clipped }) => ({
      room: cycle.room,
      sid: cycle.sid,
      kind: cycle.kind ?? 'STANDARD',
      joinedAtMs: cycle.joinedAtMs!,
      leftAtMs: shownLeftAtMs(cycle),
      durationMs: clipped.endMs - clipped.startMs,
      openedBy: cycle.openedBy,
      closedBy: closedByOf(cycle),
    })),
  };
}

/** The name LiveKit gave the person's latest named cycle (sorted by join), or null. */
function latestName(sorted: readonly WindowCycle[]): string | null {
  let name: string | null = null;
  let joinedAtMs = -Infinity;
  for (const { cycle } of sorted) {
    if (cycle.name === null || cycle.name === '') continue;
    // Later joins win; among equal joins the first in sid order, as a stable sort would give.
    if ((cycle.joinedAtMs ?? 0) > joinedAtMs) {
      name = cycle.name;
      joinedAtMs = cycle.joinedAtMs ?? 0;
    }
  }
  return name;
}

/**
 * A session's report from the cycles of its rooms (any superset: cycles outside the rooms or the
 * window are ignored) and its overrides, at `nowMs`.
 */
export function computeSessionReport(input: {
  session: Session;
  cycles: readonly ReportedCycle[];
  overrides: readonly StatusOverride[];
  nowMs: number;
  /** Where open cycles end, on LiveKit's clock as far as known (default `nowMs`). */
  cyclesNowMs?: number;
  counting: CountingPolicy;
}): SessionReportCore {
  const frame = frameOf(input.session, input.nowMs, input.counting, input.cyclesNowMs);
  const byPerson = windowCycles(frame, input.cycles);
  const hosts = hostSet(frame);
  const lateReferenceMs = lateReference(frame, byPerson);
  const overrides = new Map(input.overrides.map((o) => [canonical(frame, o.identity), o]));
  // Roster order, then hosts not on the roster, then everyone else by identity.
  const order: string[] = input.session.roster.map((m) => m.identity);
  const listed = new Set(order);
  for (const h of input.session.hosts) {
    const id = canonical(frame, h);
    if (!listed.has(id)) {
      listed.add(id);
      order.push(id);
    }
  }
  const others = [...new Set([...byPerson.keys(), ...overrides.keys()])]
    .filter((id) => !listed.has(id))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const participants = [...order, ...others].map((identity) =>
    rowOf(frame, identity, byPerson.get(identity) ?? [], {
      hosts,
      lateReferenceMs,
      override: overrides.get(identity) ?? null,
    }),
  );
  const byStatus = Object.fromEntries(ATTENDANCE_STATUSES.map((s) => [s, 0])) as Record<
    AttendanceStatus,
    number
  >;
  for (const p of participants) byStatus[p.status] += 1;
  let openCycles = 0;
  for (const list of byPerson.values()) {
    for (const w of list) if (endUnknown(w.cycle, input.session)) openCycles += 1;
  }
  const hasRoster = input.session.roster.length > 0;
  return {
    state: frame.state,
    lateReferenceMs,
    summary: {
      expected: input.session.roster.length,
      attended: participants.filter((p) => p.attendedMs > 0).length,
      guests: hasRoster ? participants.filter((p) => !p.onRoster && !p.isHost).length : 0,
      byStatus,
    },
    participants,
    openCycles,
  };
}

/**
 * Whom a participant route asks about: `identity` resolved to its roster member when it is an
 * alias, and every identity whose cycles that row needs (the member's, its aliases', and for
 * `lateFrom: "host"` the hosts' and their aliases').
 */
export function participantIdentities(
  session: Session,
  identity: string,
): { identity: string; read: string[] } {
  const frame = frameOf(session, 0, { uncountedKinds: new Set() });
  const who = canonical(frame, identity);
  const identitiesOf = (id: string): string[] => {
    const member = frame.memberOf.get(id);
    return member === undefined ? [id] : [member.identity, ...member.aliases];
  };
  const read = new Set(identitiesOf(who));
  if (session.policy.lateFrom === 'host') {
    for (const h of session.hosts) for (const id of identitiesOf(canonical(frame, h))) read.add(id);
  }
  return { identity: who, read: [...read] };
}

/**
 * One person's row (the same as in the full report). An identity that never came gets a row too:
 * absent, 0 ms (unless overridden).
 */
export function computeSessionParticipant(input: {
  session: Session;
  identity: string;
  cycles: readonly ReportedCycle[];
  override: StatusOverride | null;
  nowMs: number;
  /** Where open cycles end, on LiveKit's clock as far as known (default `nowMs`). */
  cyclesNowMs?: number;
  counting: CountingPolicy;
}): SessionParticipantRow {
  const frame = frameOf(input.session, input.nowMs, input.counting, input.cyclesNowMs);
  const byPerson = windowCycles(frame, input.cycles);
  const identity = canonical(frame, input.identity);
  return rowOf(frame, identity, byPerson.get(identity) ?? [], {
    hosts: hostSet(frame),
    lateReferenceMs: lateReference(frame, byPerson),
    override: input.override,
  });
}
