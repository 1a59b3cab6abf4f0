import {
  ATTENDANCE_STATUSES,
  csvLine,
  formatInZone,
  isoOrNull,
  type Session,
  type SessionParticipantRow,
  type SessionState,
  type StoredAuditRecord,
  isoUtc,
} from '../core/index.js';
import type { ParticipantReport, SessionReport } from './sessions.js';

/*
 * Sessions as the API and the CLI show them (the same JSON and CSV from both).
 */

/** Columns of the session CSV, exactly as clients and spreadsheets expect them. */
export const SESSION_CSV_COLUMNS = [
  'identity',
  'name',
  'role',
  'status',
  'attendedMinutes',
  'attendedPercent',
  'firstJoinedAt',
  'lastLeftAt',
  'lateByMinutes',
  'leftEarlyByMinutes',
  'connections',
  'reconnects',
  'joinedByPhone',
  'onRoster',
  'isHost',
  'timezone',
] as const;

export function sessionJson(s: Session, state: SessionState) {
  return {
    id: s.id,
    title: s.title,
    rooms: s.rooms,
    startsAt: isoUtc(s.startsAtMs),
    endsAt: isoUtc(s.endsAtMs),
    timezone: s.timezone,
    hosts: s.hosts,
    roster: s.roster.map((m) => ({
      identity: m.identity,
      name: m.name,
      role: m.role,
      aliases: m.aliases,
    })),
    tags: s.tags,
    policy: s.policy,
    createdAt: isoUtc(s.createdAtMs),
    updatedAt: isoUtc(s.updatedAtMs),
    state,
  };
}

export function participantJson(p: SessionParticipantRow) {
  return {
    identity: p.identity,
    name: p.name,
    role: p.role,
    isHost: p.isHost,
    onRoster: p.onRoster,
    status: p.status,
    computedStatus: p.computedStatus,
    override:
      p.override === null
        ? null
        : {
            status: p.override.status,
            reason: p.override.reason,
            author: p.override.author,
            at: isoUtc(p.override.atMs),
          },
    inMeeting: p.inMeeting,
    attendedMs: p.attendedMs,
    attendedPercent: p.attendedPercent,
    firstJoinedAt: isoOrNull(p.firstJoinedAtMs),
    lastLeftAt: isoOrNull(p.lastLeftAtMs),
    lateByMs: p.lateByMs,
    leftEarlyByMs: p.leftEarlyByMs,
    connections: p.connections,
    reconnects: p.reconnects,
    joinedByPhone: p.joinedByPhone,
    cycles: p.cycles.map((c) => ({
      room: c.room,
      sid: c.sid,
      kind: c.kind,
      joinedAt: isoUtc(c.joinedAtMs),
      leftAt: isoOrNull(c.leftAtMs),
      durationMs: c.durationMs,
      openedBy: c.openedBy,
      closedBy: c.closedBy,
    })),
  };
}

export function reportJson(r: SessionReport) {
  const byStatus = Object.fromEntries(ATTENDANCE_STATUSES.map((s) => [s, r.summary.byStatus[s]]));
  return {
    session: sessionJson(r.session, r.state),
    generatedAt: isoUtc(r.generatedAtMs),
    final: r.final,
    summary: {
      expected: r.summary.expected,
      attended: r.summary.attended,
      guests: r.summary.guests,
      ...byStatus,
    },
    dataQuality: {
      webhooksReceived: r.dataQuality.webhooksReceived,
      duplicatesDropped: r.dataQuality.duplicatesDropped,
      cyclesOpenedByReconciler: r.dataQuality.cyclesOpenedByReconciler,
      cyclesClosedByReconciler: r.dataQuality.cyclesClosedByReconciler,
      verificationFailures: r.dataQuality.verificationFailures,
      lastVerifiedAt: isoOrNull(r.dataQuality.lastVerifiedAtMs),
    },
    participants: r.participants.map(participantJson),
  };
}

export function participantReportJson(p: ParticipantReport) {
  // Added to the row, not spread into a copy of it: this is what a page polls.
  return Object.assign(participantJson(p.row), { lastVerifiedAt: isoOrNull(p.lastVerifiedAtMs) });
}

/** Whole minutes of ms with one decimal, as text: `45.0`. */
function minutes(ms: number): string {
  return (Math.round(ms / 6_000) / 10).toFixed(1);
}

/** The CSV report (RFC 4180, CRLF): the header and one line per person, the JSON's numbers. */
export function reportCsv(r: SessionReport): string {
  const tz = r.session.timezone;
  const at = (ms: number | null) => (ms === null ? null : formatInZone(ms, tz));
  const lines = [csvLine(SESSION_CSV_COLUMNS)];
  for (const p of r.participants) {
    lines.push(
      csvLine([
        p.identity,
        p.name,
        p.role,
        p.status,
        minutes(p.attendedMs),
        p.attendedPercent.toFixed(1),
        at(p.firstJoinedAtMs),
        at(p.lastLeftAtMs),
        minutes(p.lateByMs),
        minutes(p.leftEarlyByMs),
        p.connections,
        p.reconnects,
        p.joinedByPhone,
        p.onRoster,
        p.isHost,
        tz,
      ]),
    );
  }
  return lines.join('');
}

export function auditJson(a: StoredAuditRecord) {
  return {
    id: a.id,
    at: isoUtc(a.atMs),
    action: a.action,
    source: a.source,
    actor: a.actor,
    session: a.session,
    room: a.room,
    identity: a.identity,
    sid: a.sid,
    before: a.before ?? null,
    after: a.after ?? null,
    reason: a.reason,
  };
}
