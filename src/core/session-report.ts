import type { CountingPolicy } from './attendance-status.js';
import type { Cycle, CycleSource, ParticipantKind } from './types.js';
import type {
  AttendanceStatus,
  Session,
  SessionState,
  StatusOverride,
} from './session-types.js';

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
  /** Counted cycles overlapping the window that are still open. */
  openCycles: number;
}

export declare function sessionState(session: Session, nowMs: number): SessionState;

/**
 * A session's report from the cycles of its rooms (any superset: cycles outside the rooms or the
 * window are ignored) and its overrides, at `nowMs`.
 */
export declare function computeSessionReport(input: {
  session: Session;
  cycles: readonly Cycle[];
  overrides: readonly StatusOverride[];
  nowMs: number;
  counting: CountingPolicy;
}): SessionReportCore;

/**
 * Whom a participant route asks about: `identity` resolved to its roster member when it is an
 * alias, and every identity whose cycles that row needs (the member's, its aliases', and for
 * `lateFrom: "host"` the hosts' and their aliases').
 */
export declare function participantIdentities(
  session: Session,
  identity: string,
): { identity: string; read: string[] };

/**
 * One person's row (the same as in the full report). An identity that never came gets a row too:
 * absent, 0 ms (unless overridden).
 */
export declare function computeSessionParticipant(input: {
  session: Session;
  identity: string;
  cycles: readonly Cycle[];
  override: StatusOverride | null;
  nowMs: number;
  counting: CountingPolicy;
}): SessionParticipantRow;
