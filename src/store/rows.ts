import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { Cycle, CycleSource, ReportedCycle } from '../core/index.js';
import type {
  AuditLogTable,
  CompletedPassTable,
  SessionOverrideTable,
  SessionRoomTable,
  SessionTable,
  SessionTagTable,
  WebhookTallyTable,
} from './session-rows.js';
import type {
  OutboundSessionTable,
  OutboundStatusTable,
  OutboxMarkTable,
  OutboxTable,
} from './outbox-rows.js';
import type { InboxEntry, InboxSource, RoomVerification, StoredInboxEntry } from './store.js';

// Row shapes of migrations/0001-initial.ts. BIGINT columns are JS numbers on both databases
// (postgres/ installs an int8 parser); epoch ms stay far below 2^53.

export interface InboxTable {
  seq: Generated<number>;
  event_id: string;
  source: string;
  event_type: string;
  room: string | null;
  created_at_ms: number;
  received_at_ms: number;
  body: string;
  processed_at_ms: number | null;
  attempts: Generated<number>;
  last_error: string | null;
}

/** SQLite stores booleans as 0/1 (and better-sqlite3 cannot bind `true`); PostgreSQL as boolean. */
export type DbBoolean = boolean | number;

export interface CycleTable {
  sid: string;
  room: string;
  room_sid: string | null;
  room_sid_rank: number;
  identity: string;
  name: string | null;
  name_version: number;
  kind: string | null;
  joined_at_ms: number | null;
  connected: ColumnType<DbBoolean, DbBoolean, DbBoolean>;
  join_seen: ColumnType<DbBoolean, DbBoolean, DbBoolean>;
  observed: ColumnType<DbBoolean, DbBoolean, DbBoolean>;
  webhook_ended_at_ms: number | null;
  room_finished_at_ms: number | null;
  last_absent_at_ms: number | null;
  opened_by: string;
  ended_at_ms: number | null;
  ended_by: string | null;
  estimated_left_at_ms: number | null;
  last_seen_at_ms: number | null;
}

export interface RoomIncarnationTable {
  room_sid: string;
  room: string;
  finished_at_ms: number;
}

export interface RoomVerificationTable {
  room: string;
  last_verified_at_ms: number | null;
  last_attempt_at_ms: number | null;
  last_error: string | null;
  consecutive_failures: Generated<number>;
}

export interface LeaseTable {
  name: string;
  holder: string;
  expires_at_ms: number;
  /** Fencing token: bumped whenever the lease changes hands. */
  token: Generated<number>;
}

export interface InboxPruneHorizonTable {
  room: string;
  pruned_through_ms: number;
}

export interface Database {
  inbox: InboxTable;
  inbox_prune_horizons: InboxPruneHorizonTable;
  cycles: CycleTable;
  room_incarnations: RoomIncarnationTable;
  room_verifications: RoomVerificationTable;
  leases: LeaseTable;
  // migrations/0004-sessions.ts (session-rows.ts)
  sessions: SessionTable;
  session_rooms: SessionRoomTable;
  session_tags: SessionTagTable;
  session_overrides: SessionOverrideTable;
  audit_log: AuditLogTable;
  webhook_tallies: WebhookTallyTable;
  completed_passes: CompletedPassTable;
  // migrations/0005-outbox.ts (outbox-rows.ts)
  outbox: OutboxTable;
  outbox_marks: OutboxMarkTable;
  outbound_sessions: OutboundSessionTable;
  outbound_statuses: OutboundStatusTable;
  // migrations/0007-audit-entry-tables.ts (SQLite only; sqlite/audit-index.ts)
  audit_rooms: { room: string; id: number };
  audit_identities: { identity: string; id: number };
  audit_index_state: { id: number; indexed_through: number };
}

export type InboxRow = Selectable<InboxTable>;
export type CycleRow = Selectable<CycleTable>;
export type RoomVerificationRow = Selectable<RoomVerificationTable>;

export function toInboxRow(
  entry: InboxEntry,
  processedAtMs: number | null,
): Insertable<InboxTable> {
  return {
    processed_at_ms: processedAtMs,
    event_id: entry.eventId,
    source: entry.source,
    event_type: entry.type,
    room: entry.room,
    created_at_ms: entry.createdAtMs,
    received_at_ms: entry.receivedAtMs,
    body: entry.body,
  };
}

export function fromInboxRow(row: InboxRow): StoredInboxEntry {
  return {
    seq: row.seq,
    eventId: row.event_id,
    source: row.source as InboxSource,
    type: row.event_type,
    room: row.room,
    createdAtMs: row.created_at_ms,
    receivedAtMs: row.received_at_ms,
    body: row.body,
    processedAtMs: row.processed_at_ms,
    attempts: row.attempts,
    lastError: row.last_error,
  };
}

export function toCycleRow(cycle: Cycle, encodeBoolean: (b: boolean) => DbBoolean): CycleRow {
  return {
    sid: cycle.sid,
    room: cycle.room,
    room_sid: cycle.roomSid,
    room_sid_rank: cycle.roomSidRank,
    identity: cycle.identity,
    name: cycle.name,
    name_version: cycle.nameVersion,
    kind: cycle.kind,
    joined_at_ms: cycle.joinedAtMs,
    connected: encodeBoolean(cycle.connected),
    join_seen: encodeBoolean(cycle.joinSeen),
    observed: encodeBoolean(cycle.observed),
    webhook_ended_at_ms: cycle.webhookEndedAtMs,
    room_finished_at_ms: cycle.roomFinishedAtMs,
    last_absent_at_ms: cycle.lastAbsentAtMs,
    opened_by: cycle.openedBy,
    ended_at_ms: cycle.endedAtMs,
    ended_by: cycle.endedBy,
    estimated_left_at_ms: cycle.estimatedLeftAtMs,
    last_seen_at_ms: cycle.lastSeenAtMs,
  };
}

export function fromCycleRow(row: CycleRow): Cycle {
  return {
    sid: row.sid,
    room: row.room,
    roomSid: row.room_sid,
    roomSidRank: row.room_sid_rank,
    identity: row.identity,
    name: row.name,
    nameVersion: row.name_version,
    kind: row.kind,
    joinedAtMs: row.joined_at_ms,
    connected: row.connected === true || row.connected === 1,
    joinSeen: row.join_seen === true || row.join_seen === 1,
    observed: row.observed === true || row.observed === 1,
    webhookEndedAtMs: row.webhook_ended_at_ms,
    roomFinishedAtMs: row.room_finished_at_ms,
    lastAbsentAtMs: row.last_absent_at_ms,
    openedBy: row.opened_by as CycleSource,
    endedAtMs: row.ended_at_ms,
    endedBy: row.ended_by as Cycle['endedBy'],
    estimatedLeftAtMs: row.estimated_left_at_ms,
    lastSeenAtMs: row.last_seen_at_ms,
  };
}

/** The cycles columns of a ReportedCycle (core REPORTED_CYCLE_FIELDS), for narrow reads. */
export const REPORTED_CYCLE_COLUMNS = [
  'sid',
  'room',
  'identity',
  'name',
  'kind',
  'joined_at_ms',
  'connected',
  'opened_by',
  'ended_at_ms',
  'ended_by',
  'estimated_left_at_ms',
  'last_seen_at_ms',
] as const satisfies readonly (keyof CycleRow)[];

export type ReportedCycleRow = Pick<CycleRow, (typeof REPORTED_CYCLE_COLUMNS)[number]>;

export function fromReportedCycleRow(row: ReportedCycleRow): ReportedCycle {
  return {
    sid: row.sid,
    room: row.room,
    identity: row.identity,
    name: row.name,
    kind: row.kind,
    joinedAtMs: row.joined_at_ms,
    connected: row.connected === true || row.connected === 1,
    openedBy: row.opened_by as CycleSource,
    endedAtMs: row.ended_at_ms,
    endedBy: row.ended_by as ReportedCycle['endedBy'],
    estimatedLeftAtMs: row.estimated_left_at_ms,
    lastSeenAtMs: row.last_seen_at_ms,
  };
}

export function fromRoomVerificationRow(row: RoomVerificationRow): RoomVerification {
  return {
    room: row.room,
    lastVerifiedAtMs: row.last_verified_at_ms,
    lastAttemptAtMs: row.last_attempt_at_ms,
    lastError: row.last_error,
    consecutiveFailures: row.consecutive_failures,
  };
}
