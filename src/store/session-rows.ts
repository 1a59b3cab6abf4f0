import type { Generated, Insertable, Selectable } from 'kysely';
import type {
  AttendanceStatus,
  AuditAction,
  AuditRecord,
  AuditSource,
  RosterMember,
  Session,
  SessionPolicy,
  StatusOverride,
  StoredAuditRecord,
} from '../core/index.js';

// Row shapes of migrations/0004-sessions.ts. The store reads back only what it wrote, so JSON
// columns are parsed without a schema check, as cycles' text unions are cast (rows.ts).

export interface SessionTable {
  id: string;
  title: string | null;
  starts_at_ms: number;
  ends_at_ms: number;
  timezone: string;
  rooms_json: string;
  hosts_json: string;
  roster_json: string;
  tags_json: string;
  policy_json: string;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface SessionRoomTable {
  session_id: string;
  room: string;
}

export interface SessionTagTable {
  session_id: string;
  tag: string;
}

export interface SessionOverrideTable {
  session_id: string;
  identity: string;
  status: string;
  reason: string;
  author: string;
  at_ms: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at_ms: number;
  action: string;
  source: string;
  actor: string | null;
  session: string | null;
  room: string | null;
  identity: string | null;
  sid: string | null;
  before_json: string | null;
  after_json: string | null;
  reason: string | null;
}

export interface WebhookTallyTable {
  room: string;
  minute_ms: number;
  received: number;
  duplicates: number;
}

export interface CompletedPassTable {
  /** Always 1: the table holds one row. */
  id: number;
  started_at_ms: number;
  completed_at_ms: number;
}

export type SessionRow = Selectable<SessionTable>;
export type SessionOverrideRow = Selectable<SessionOverrideTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type AuditLogInsert = Omit<Insertable<AuditLogTable>, 'id'>;

export function toSessionRow(session: Session): SessionRow {
  return {
    id: session.id,
    title: session.title,
    starts_at_ms: session.startsAtMs,
    ends_at_ms: session.endsAtMs,
    timezone: session.timezone,
    rooms_json: JSON.stringify(session.rooms),
    hosts_json: JSON.stringify(session.hosts),
    roster_json: JSON.stringify(session.roster),
    tags_json: JSON.stringify(session.tags),
    policy_json: JSON.stringify(session.policy),
    created_at_ms: session.createdAtMs,
    updated_at_ms: session.updatedAtMs,
  };
}

export function fromSessionRow(row: SessionRow): Session {
  return {
    id: row.id,
    title: row.title,
    rooms: JSON.parse(row.rooms_json) as string[],
    startsAtMs: row.starts_at_ms,
    endsAtMs: row.ends_at_ms,
    timezone: row.timezone,
    hosts: JSON.parse(row.hosts_json) as string[],
    roster: JSON.parse(row.roster_json) as RosterMember[],
    tags: JSON.parse(row.tags_json) as string[],
    policy: JSON.parse(row.policy_json) as SessionPolicy,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
  };
}

export function toOverrideRow(override: StatusOverride): SessionOverrideRow {
  return {
    session_id: override.sessionId,
    identity: override.identity,
    status: override.status,
    reason: override.reason,
    author: override.author,
    at_ms: override.atMs,
  };
}

export function fromOverrideRow(row: SessionOverrideRow): StatusOverride {
  return {
    sessionId: row.session_id,
    identity: row.identity,
    status: row.status as AttendanceStatus,
    reason: row.reason,
    author: row.author,
    atMs: row.at_ms,
  };
}

/** Every audit_log column but the generated id, in the order prepared statements bind them. */
export const AUDIT_INSERT_COLUMNS = [
  'at_ms',
  'action',
  'source',
  'actor',
  'session',
  'room',
  'identity',
  'sid',
  'before_json',
  'after_json',
  'reason',
] as const satisfies ReadonlyArray<keyof AuditLogInsert>;

export function toAuditRow(record: AuditRecord): Required<AuditLogInsert> {
  return {
    at_ms: record.atMs,
    action: record.action,
    source: record.source,
    actor: record.actor,
    session: record.session,
    room: record.room,
    identity: record.identity,
    sid: record.sid,
    before_json: encodeJson(record.before),
    after_json: encodeJson(record.after),
    reason: record.reason,
  };
}

/**
 * toAuditRow's values in AUDIT_INSERT_COLUMNS order, for a prepared statement's parameters without
 * the row object in between (ingest binds one per changed cycle). The store audit test writes
 * records both ways and reads back the same rows.
 */
export function auditInsertValues(record: AuditRecord): unknown[] {
  return [
    record.atMs,
    record.action,
    record.source,
    record.actor,
    record.session,
    record.room,
    record.identity,
    record.sid,
    encodeJson(record.before),
    encodeJson(record.after),
    record.reason,
  ];
}

export function fromAuditRow(row: AuditLogRow): StoredAuditRecord {
  return {
    id: row.id,
    atMs: row.at_ms,
    action: row.action as AuditAction,
    source: row.source as AuditSource,
    actor: row.actor,
    session: row.session,
    room: row.room,
    identity: row.identity,
    sid: row.sid,
    before: decodeJson(row.before_json),
    after: decodeJson(row.after_json),
    reason: row.reason,
  };
}

/** "Did not exist" (undefined or null) is SQL null; any other value is its JSON text. */
function encodeJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

function decodeJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}
