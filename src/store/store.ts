import type { Cycle } from '../core/index.js';

/** Where a journal entry came from: a verified LiveKit webhook or a reconciler observation. */
export type InboxSource = 'webhook' | 'reconciler';

/** One durable journal entry: the raw truth cycles can be rebuilt from. */
export interface InboxEntry {
  /** LiveKit's event id (`EV_…`) for webhooks; a generated `RC_…` id for reconciler entries. Unique. */
  eventId: string;
  source: InboxSource;
  /** Webhook event name (`participant_joined`, …) or reconciler action (`reconcile:open`, …). */
  type: string;
  room: string | null;
  /** LiveKit's `createdAt` in ms (webhooks) or the pass time (reconciler). */
  createdAtMs: number;
  /** Receiving clock; informational only (attendance-model: arrival time carries no meaning). */
  receivedAtMs: number;
  /** Exact raw body for webhooks (as signed); JSON for reconciler entries. */
  body: string;
}

export interface StoredInboxEntry extends InboxEntry {
  /** Insertion order, strictly increasing. */
  seq: number;
  processedAtMs: number | null;
  attempts: number;
  lastError: string | null;
}

export interface RoomVerification {
  room: string;
  /** When a pass last obtained this room's participant list; null if never. */
  lastVerifiedAtMs: number | null;
  lastAttemptAtMs: number | null;
  /** Why the last attempt failed; null after a success. */
  lastError: string | null;
  consecutiveFailures: number;
}

/** Shared with other readers (SQLite's status cache hands out frozen rows): never mutate. */
export interface IdentityAttendanceRows {
  readonly cycles: readonly Readonly<Cycle>[];
  readonly lastVerifiedAtMs: number | null;
}

/** Every read and write the service needs; the same operations inside and outside a transaction. */
export interface StoreOps {
  /**
   * Inserts entries whose eventId is new; returns the eventIds actually inserted (duplicates
   * skipped). `processedAtMs` marks them applied at once, for callers that apply them in the same
   * transaction (a rollback then undoes both).
   */
  insertInbox(entries: readonly InboxEntry[], opts?: { processedAtMs?: number }): Promise<string[]>;
  markProcessed(eventIds: readonly string[], atMs: number): Promise<void>;
  /** Counts one more failed processing attempt and keeps the error message (no payloads, no secrets). */
  recordProcessingFailure(eventId: string, error: string): Promise<void>;
  /** Unprocessed entries in seq order, oldest first. */
  listUnprocessed(limit: number): Promise<StoredInboxEntry[]>;
  /** Entries with seq > afterSeq in seq order: the replay cursor for `rebuild`. */
  readInbox(afterSeq: number, limit: number): Promise<StoredInboxEntry[]>;
  countInbox(): Promise<{ total: number; unprocessed: number }>;
  /** Unprocessed entries, counted up to `max` (index-backed; cheap however large the inbox). */
  countUnprocessed(max: number): Promise<number>;
  /**
   * Whether `holder` holds the named lease, unexpired at `nowMs`. Inside a write transaction it
   * fences the writes: a holder that lost its lease commits nothing more.
   */
  holdsLease(name: string, holder: string, nowMs: number): Promise<boolean>;

  getCycles(sids: readonly string[]): Promise<Cycle[]>;
  /** Inserts or fully replaces each cycle by sid. */
  saveCycles(cycles: readonly Cycle[]): Promise<void>;
  /** Cycles of one identity in one room, ordered by joinedAtMs (nulls last) then sid. */
  getIdentityAttendance(room: string, identity: string): Promise<IdentityAttendanceRows>;
  /** All cycles of a room, ordered by identity, then joinedAtMs, then sid. */
  listRoomCycles(room: string): Promise<Cycle[]>;
  /** Open cycles (no endedAtMs and no estimatedLeftAtMs), optionally of one room, ordered by room, sid. */
  listOpenCycles(room?: string): Promise<Cycle[]>;
  /** Open cycles of one room incarnation (room sid). */
  listOpenCyclesByRoomSid(roomSid: string): Promise<Cycle[]>;

  /** Records that a room incarnation finished; keeps the earliest time if told twice. */
  recordRoomFinished(roomSid: string, room: string, atMs: number): Promise<void>;
  /** Finish times of the given room incarnations that have finished. */
  getRoomFinishTimes(roomSids: readonly string[]): Promise<Map<string, number>>;

  getRoomVerification(room: string): Promise<RoomVerification | null>;
  markRoomVerified(room: string, atMs: number): Promise<void>;
  markRoomVerificationFailed(room: string, atMs: number, reason: string): Promise<void>;
  listRoomVerifications(): Promise<RoomVerification[]>;

  /**
   * Deletes cycles and room incarnations and marks every inbox entry unprocessed. Room
   * verifications stay: they record LiveKit's answers, which the journal does not replay.
   */
  resetDerivedState(): Promise<void>;
}

export interface AttendanceStore extends StoreOps {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs fn in one database transaction; fn's ops see and write only inside it. */
  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T>;
  /**
   * Takes or renews the named lease for `holder` if it is free, expired, or already held by `holder`
   * (a conditional UPDATE; works across processes sharing the database).
   */
  tryAcquireLease(name: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  /** Applies pending migrations; never throws for "nothing to do". */
  migrate(): Promise<{ applied: string[] }>;
  close(): Promise<void>;
}
