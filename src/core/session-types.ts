/**
 * Sessions (attendance-model "Sessions"): an application's meeting over one or more rooms, a
 * window, a roster and a status policy. A session is a view over cycles, never a copy of them.
 */

/** Every status a person can have in a session; `excused` only through an override. */
export const ATTENDANCE_STATUSES = [
  'present',
  'late',
  'left_early',
  'partial',
  'absent',
  'excused',
] as const;
export type AttendanceStatus = (typeof ATTENDANCE_STATUSES)[number];

export const LATE_FROM = ['start', 'host'] as const;
export type LateFrom = (typeof LATE_FROM)[number];

/** The status policy, every field resolved (stored with the session). */
export interface SessionPolicy {
  lateAfterMinutes: number;
  leftEarlyMinutes: number;
  presentPercent: number;
  absentBelowMinutes: number;
  lateFrom: LateFrom;
}

export interface RosterMember {
  identity: string;
  name: string | null;
  role: string | null;
  /** Other identities that count as this member (e.g. a phone dial-in). */
  aliases: string[];
}

export interface Session {
  /** Chosen by the host application: 1–128 of `A–Z a–z 0–9 . _ : -`. */
  id: string;
  title: string | null;
  /** 1–50 LiveKit room names, no duplicates. */
  rooms: string[];
  startsAtMs: number;
  endsAtMs: number;
  /** IANA time zone name (`UTC` by default). */
  timezone: string;
  hosts: string[];
  roster: RosterMember[];
  tags: string[];
  policy: SessionPolicy;
  createdAtMs: number;
  updatedAtMs: number;
}

export type SessionState = 'scheduled' | 'live' | 'ended';

/** A person's status set by hand (by a named author, with a reason); wins over the policy. */
export interface StatusOverride {
  sessionId: string;
  identity: string;
  status: AttendanceStatus;
  reason: string;
  author: string;
  atMs: number;
}

export const AUDIT_ACTIONS = [
  'session.created',
  'session.updated',
  'session.deleted',
  'override.set',
  'override.removed',
  'cycle.opened',
  'cycle.closed',
  'cycle.reopened',
  'cycle.corrected',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_SOURCES = ['api', 'webhook', 'reconciler', 'room_finished', 'rebuild'] as const;
export type AuditSource = (typeof AUDIT_SOURCES)[number];

/** One audit trail record, written in the same transaction as the change it records. */
export interface AuditRecord {
  /** When the change was written (service clock). */
  atMs: number;
  action: AuditAction;
  source: AuditSource;
  /** Who made it: an override's author, `api` for session writes; null for LiveKit's events. */
  actor: string | null;
  session: string | null;
  room: string | null;
  identity: string | null;
  sid: string | null;
  /** What the thing was before and after (JSON values); null when it did not exist. */
  before: unknown;
  after: unknown;
  reason: string | null;
}

export interface StoredAuditRecord extends AuditRecord {
  /** Strictly increasing in insertion order: the audit cursor. */
  id: number;
}
