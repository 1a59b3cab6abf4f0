import type { Generated, Insertable, Selectable } from 'kysely';
import type { OutboxInsert, OutboxRecord, OutboxStatus } from './store.js';

// Row shapes of migrations/0005-outbox.ts.

export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  type: string;
  stream: string;
  room: string | null;
  session_id: string | null;
  payload: string;
  created_at_ms: number;
  status: string;
  attempts: Generated<number>;
  next_attempt_at_ms: number;
  deadline_at_ms: number;
  lease_until_ms: number | null;
  lease_holder: string | null;
  last_attempt_at_ms: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at_ms: number | null;
  acked_targets_json: string | null;
}

export interface OutboxMarkTable {
  kind: string;
  name: string;
  from_ms: number;
  to_ms: number;
  version: number;
}

export interface OutboundSessionTable {
  session_id: string;
  ended_for_ends_at_ms: number | null;
}

export interface OutboundStatusTable {
  session_id: string;
  identity: string;
  status: string;
}

export type OutboxRow = Selectable<OutboxTable>;

/** The columns an outbox insert binds, in the order prepared statements bind them. */
export const OUTBOX_INSERT_COLUMNS = [
  'id',
  'type',
  'stream',
  'room',
  'session_id',
  'payload',
  'created_at_ms',
  'status',
  'next_attempt_at_ms',
  'deadline_at_ms',
] as const satisfies ReadonlyArray<keyof Insertable<OutboxTable>>;

export function toOutboxRow(
  e: OutboxInsert,
): Required<Pick<OutboxRow, (typeof OUTBOX_INSERT_COLUMNS)[number]>> {
  return {
    id: e.id,
    type: e.type,
    stream: e.stream,
    room: e.room,
    session_id: e.sessionId,
    payload: e.payload,
    created_at_ms: e.createdAtMs,
    status: 'pending',
    next_attempt_at_ms: e.nextAttemptAtMs,
    deadline_at_ms: e.deadlineAtMs,
  };
}

export function fromOutboxRow(row: OutboxRow): OutboxRecord {
  return {
    seq: Number(row.seq),
    id: row.id,
    type: row.type,
    stream: row.stream,
    room: row.room,
    sessionId: row.session_id,
    payload: row.payload,
    createdAtMs: row.created_at_ms,
    status: row.status as OutboxStatus,
    attempts: row.attempts,
    nextAttemptAtMs: row.next_attempt_at_ms,
    deadlineAtMs: row.deadline_at_ms,
    lastAttemptAtMs: row.last_attempt_at_ms,
    lastStatus: row.last_status,
    lastError: row.last_error,
    deliveredAtMs: row.delivered_at_ms,
    ackedTargets:
      row.acked_targets_json === null ? [] : (JSON.parse(row.acked_targets_json) as string[]),
  };
}
