import type {
  AuditRecord,
  Cycle,
  ReportedCycle,
  Session,
  StatusOverride,
  StoredAuditRecord,
} from '../core/index.js';

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

/** Filters of a session listing (all optional but `limit`). */
export interface SessionListQuery {
  /** Sessions whose window overlaps [fromMs, toMs]: endsAtMs >= fromMs and startsAtMs <= toMs. */
  fromMs?: number;
  toMs?: number;
  tag?: string;
  room?: string;
  limit: number;
  /** Keyset cursor: sessions strictly after this one in the listing order. */
  after?: { startsAtMs: number; id: string };
}

export interface AuditQuery {
  /** Records of this session (session = id). */
  session?: string;
  /**
   * With `session`: also the records of cycles in these rooms (session null) written in
   * [sinceMs, untilMs] (the rooms' records are not tagged with sessions).
   */
  sessionRooms?: { rooms: readonly string[]; sinceMs: number; untilMs: number };
  room?: string;
  identity?: string;
  /** Records written at or after this time. */
  sinceMs?: number;
  /** Records with id > afterId. */
  afterId?: number;
  limit: number;
}

/** Webhooks of one room in one minute (LiveKit's createdAt), for a session's data quality. */
export interface WebhookTally {
  room: string;
  /** Start of the minute, epoch ms. */
  minuteMs: number;
  received: number;
  duplicates: number;
}

/** An applied inbox entry old enough to prune. */
export interface PrunableEntry {
  seq: number;
  room: string | null;
  createdAtMs: number;
}

/** The last reconcile pass over every room that LiveKit answered completely. */
export interface CompletedPass {
  startedAtMs: number;
  completedAtMs: number;
}

/** Sessions, overrides, the audit trail and their bookkeeping (migration 0004). */
export interface SessionStoreOps {
  getSession(id: string): Promise<Session | null>;
  /** Inserts or fully replaces a session by id (its rooms and tags too). */
  saveSession(session: Session): Promise<void>;
  /** Deletes a session and its overrides; false when there was none. */
  deleteSession(id: string): Promise<boolean>;
  /** Sessions by startsAtMs descending, then id descending (newest first), filtered. */
  listSessions(query: SessionListQuery): Promise<Session[]>;

  listOverrides(sessionId: string): Promise<StatusOverride[]>;
  getOverride(sessionId: string, identity: string): Promise<StatusOverride | null>;
  /** Inserts or replaces the override of (sessionId, identity). */
  saveOverride(override: StatusOverride): Promise<void>;
  /** False when there was none. */
  deleteOverride(sessionId: string, identity: string): Promise<boolean>;

  /**
   * Cycles of `rooms` that can overlap [fromMs, toMs]: a join time at or before toMs, and open
   * (no endedAtMs, no estimatedLeftAtMs) or left at or after fromMs. Any order.
   */
  listCyclesInWindow(
    rooms: readonly string[],
    fromMs: number,
    toMs: number,
  ): Promise<ReportedCycle[]>;
  /** The same, narrowed to some identities. */
  listIdentityCyclesInWindow(
    rooms: readonly string[],
    identities: readonly string[],
    fromMs: number,
    toMs: number,
  ): Promise<ReportedCycle[]>;

  appendAudit(records: readonly AuditRecord[]): Promise<void>;
  /** Oldest first (by id). */
  listAudit(query: AuditQuery): Promise<StoredAuditRecord[]>;

  /** Adds to the per-room, per-minute webhook counts. */
  addWebhookTallies(tallies: readonly WebhookTally[]): Promise<void>;
  /** Sums of the tallies of `rooms` whose minute lies in [fromMs, toMs]. */
  sumWebhookTallies(
    rooms: readonly string[],
    fromMs: number,
    toMs: number,
  ): Promise<{ received: number; duplicates: number }>;

  /** Keeps the pass if it started later than the one stored. */
  recordCompletedPass(pass: CompletedPass): Promise<void>;
  getLastCompletedPass(): Promise<CompletedPass | null>;
}

/** What an outbox row is doing (migration 0005). */
export type OutboxStatus = 'pending' | 'delivered' | 'failed';

/** One outbound event as written, in the transaction of the change that causes it. */
export interface OutboxInsert {
  /** The `webhook-id` of every attempt. */
  id: string;
  type: string;
  /** Ordering key: rows of one stream are delivered one at a time, in insertion order. */
  stream: string;
  room: string | null;
  sessionId: string | null;
  /** The exact body sent (JSON text). */
  payload: string;
  createdAtMs: number;
  nextAttemptAtMs: number;
  /** The last attempt is at or before this; a failure then makes the row `failed`. */
  deadlineAtMs: number;
}

export interface OutboxRecord extends OutboxInsert {
  /** Insertion order, strictly increasing. */
  seq: number;
  status: OutboxStatus;
  attempts: number;
  lastAttemptAtMs: number | null;
  /** HTTP status of the last attempt; null when it got no answer (timeout, refused). */
  lastStatus: number | null;
  lastError: string | null;
  deliveredAtMs: number | null;
  /** Targets (URLs) that already answered 2xx: not sent again. */
  ackedTargets: string[];
}

/** How one claimed outbox row's attempt ended. */
export interface OutboxAttemptResult {
  seq: number;
  /** The claim's holder: a row another instance took over in the meantime is left alone. */
  holder: string;
  atMs: number;
  status: OutboxStatus;
  /** For `pending`: when to try again. */
  nextAttemptAtMs: number;
  lastStatus: number | null;
  lastError: string | null;
  ackedTargets: readonly string[];
}

/** A room or session whose statuses may have changed (`from`/`to`: the cycle time touched). */
export interface OutboxMark {
  kind: 'room' | 'session';
  name: string;
  fromMs: number;
  toMs: number;
}

export interface StoredOutboxMark extends OutboxMark {
  version: number;
}

/** Outbound events (migration 0005): the outbox, change marks, and what was announced. */
export interface OutboxStoreOps {
  insertOutbox(rows: readonly OutboxInsert[]): Promise<void>;
  /** Upserts marks, widening the span and bumping the version of one already there. */
  markOutbound(marks: readonly OutboxMark[]): Promise<void>;
  /**
   * `insertOutbox` and `markOutbound` together: one statement on PostgreSQL (a data-modifying
   * CTE), so a journal write with outbound events costs one round trip more, not two.
   */
  writeOutbound(rows: readonly OutboxInsert[], marks: readonly OutboxMark[]): Promise<void>;
  /** Open cycles (no endedAtMs, no estimatedLeftAtMs) of the given (room, identity) pairs. */
  listOpenIdentityCycles(
    pairs: ReadonlyArray<{ room: string; identity: string }>,
  ): Promise<Cycle[]>;

  /**
   * Claims up to `limit` due rows for `holder` for `leaseMs` (database clock): the oldest pending
   * row of each stream, when it is due (`nextAttemptAtMs <= nowMs`) and nobody's lease on it is
   * live. PostgreSQL skips rows another instance is claiming (`FOR UPDATE SKIP LOCKED`). Oldest first.
   */
  claimOutbox(
    holder: string,
    nowMs: number,
    leaseMs: number,
    limit: number,
  ): Promise<OutboxRecord[]>;
  /** Records an attempt and releases the claim; false when the row is no longer `holder`'s. */
  finishOutboxAttempt(result: OutboxAttemptResult): Promise<boolean>;
  /** Rows of one status by seq, after `afterSeq`. */
  listOutbox(query: {
    status: OutboxStatus;
    afterSeq?: number;
    limit: number;
  }): Promise<OutboxRecord[]>;
  /** Failed rows back to pending, due at `nowMs`, retried until `deadlineAtMs`; returns how many. */
  retryFailedOutbox(nowMs: number, deadlineAtMs: number): Promise<number>;
  /** Pending rows, counted up to `max`. */
  countOutboxPending(max: number): Promise<number>;
  /** Deletes up to `limit` rows delivered before `beforeMs`, oldest first; returns how many. */
  pruneDeliveredOutbox(beforeMs: number, limit: number): Promise<number>;

  listOutboxMarks(limit: number): Promise<StoredOutboxMark[]>;
  /** Deletes marks still at the version read; one marked again since stays. */
  deleteOutboxMarks(
    marks: ReadonlyArray<Pick<StoredOutboxMark, 'kind' | 'name' | 'version'>>,
  ): Promise<void>;

  /** Registers a session for session events (idempotent). */
  registerOutboundSession(sessionId: string): Promise<void>;
  /** Forgets a session's registration and announced statuses. */
  deleteOutboundSession(sessionId: string): Promise<void>;
  /** Registered sessions with `room` among their rooms whose window overlaps [fromMs, toMs]. */
  listOutboundSessionsOverlapping(room: string, fromMs: number, toMs: number): Promise<string[]>;
  /**
   * Registered sessions that ended in [sinceMs, nowMs] and whose `session.ended` was not sent for
   * their current end time, latest end first.
   */
  listUnannouncedEndedSessions(sinceMs: number, nowMs: number, limit: number): Promise<string[]>;
  getOutboundStatuses(sessionId: string): Promise<Map<string, string>>;
  saveOutboundStatuses(
    sessionId: string,
    statuses: ReadonlyArray<{ identity: string; status: string }>,
  ): Promise<void>;
  setOutboundSessionEnded(sessionId: string, endsAtMs: number): Promise<void>;
}

/** Every read and write the service needs; the same operations inside and outside a transaction. */
export interface StoreOps extends SessionStoreOps, OutboxStoreOps {
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
   * Unprocessed entries of the given rooms (null: entries without a room), oldest first, claimed
   * for this transaction: on PostgreSQL the rows are locked and rows another transaction claimed
   * are skipped (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time. `eventIds` narrows
   * the claim to those entries. Call inside a write transaction that holds those rooms.
   */
  claimUnprocessed(
    rooms: readonly (string | null)[],
    limit: number,
    eventIds?: readonly string[],
  ): Promise<StoredInboxEntry[]>;
  /** Entries of one room with seq > afterSeq, in seq order: the per-room replay cursor. */
  readRoomInbox(room: string, afterSeq: number, limit: number): Promise<StoredInboxEntry[]>;
  /** Every room that has inbox entries or cycles, sorted. */
  listJournalRooms(): Promise<string[]>;
  /**
   * Whether `holder` still holds the named lease under fencing `token`, by the database's clock.
   * Inside a write transaction it fences the writes: on PostgreSQL the lease row is share-locked
   * until commit, so no other instance can take the lease between this check and the commit.
   */
  holdsLease(name: string, holder: string, token: number): Promise<boolean>;

  getCycles(sids: readonly string[]): Promise<Cycle[]>;
  /** Inserts or fully replaces each cycle by sid. */
  saveCycles(cycles: readonly Cycle[]): Promise<void>;
  /** Cycles of one identity in one room, ordered by joinedAtMs (nulls last) then sid. */
  getIdentityAttendance(room: string, identity: string): Promise<IdentityAttendanceRows>;
  /** All cycles of a room, ordered by identity, then joinedAtMs, then sid. */
  listRoomCycles(room: string): Promise<Cycle[]>;
  /**
   * Up to `limit` cycles of a room ordered by identity, then sid, strictly after `after`: after
   * that (identity, sid), or after every cycle of that identity when `sid` is omitted.
   */
  listRoomCyclesPage(
    room: string,
    after: { identity: string; sid?: string } | null,
    limit: number,
  ): Promise<Cycle[]>;
  /** Open cycles (no endedAtMs and no estimatedLeftAtMs), optionally of one room, ordered by room, sid. */
  listOpenCycles(room?: string): Promise<Cycle[]>;
  /**
   * Cycles that only their room's `room_finished` ended, with no leave of their own and no answer
   * from LiveKit since the finish (core `awaitsConfirmation`), whose room finished at or after
   * `finishedSinceMs`, optionally of one room, by room, sid.
   */
  listUnconfirmedEnds(finishedSinceMs: number, room?: string): Promise<Cycle[]>;
  /** Open cycles of one room incarnation (room sid). */
  listOpenCyclesByRoomSid(roomSid: string): Promise<Cycle[]>;
  /** Every cycle of one room incarnation (room sid): what a `room_finished` bounds. */
  listIncarnationCycles(roomSid: string): Promise<Cycle[]>;

  /** Records that a room incarnation finished; keeps the earliest time if told twice. */
  recordRoomFinished(roomSid: string, room: string, atMs: number): Promise<void>;
  /** Finish times of the given room incarnations that have finished. */
  getRoomFinishTimes(roomSids: readonly string[]): Promise<Map<string, number>>;
  /**
   * What a fold reads, in one statement where a dialect can: `getCycles(sids)`, and the finish
   * times of `roomSids` and of those cycles' incarnations. Absent: the two reads in turn.
   */
  getFoldInputs?(
    sids: readonly string[],
    roomSids: readonly string[],
  ): Promise<{ cycles: Cycle[]; roomFinishedAtMs: Map<string, number> }>;

  getRoomVerification(room: string): Promise<RoomVerification | null>;
  markRoomVerified(room: string, atMs: number): Promise<void>;
  markRoomVerificationFailed(room: string, atMs: number, reason: string): Promise<void>;
  listRoomVerifications(): Promise<RoomVerification[]>;

  /**
   * Deletes one room's derived state (cycles, finished incarnations) and marks its inbox entries
   * unprocessed, for a replay inside the same transaction. Room verifications stay: they record
   * LiveKit's answers about the room, not something the journal replays. `keepThroughMs`: keep
   * the cycles that joined at or before it (or whose join is unknown) and the incarnations that
   * finished at or before it, as they are (what a pruned inbox can no longer rebuild).
   */
  resetRoom(room: string, opts?: { keepThroughMs?: number }): Promise<void>;

  /**
   * Up to `limit` applied inbox entries created before `beforeMs`, oldest first: candidates for
   * pruning (read outside a transaction; `pruneInbox` checks them again).
   */
  listPrunableInbox(beforeMs: number, limit: number): Promise<PrunableEntry[]>;
  /**
   * Deletes those of `seqs` that are still applied and created before `beforeMs`, and raises each
   * room's prune horizon to the newest `created_at_ms` deleted. Call inside a write transaction
   * holding the entries' rooms (a rebuild of the room then sees the inbox and horizon together).
   */
  pruneInbox(seqs: readonly number[], beforeMs: number): Promise<PrunableEntry[]>;
  /** The newest LiveKit time pruned from this room's inbox; null if nothing was. */
  getPruneHorizon(room: string): Promise<number | null>;
}

/**
 * Results of several reads kept together until the database changes (see `createReadCache`).
 * Values are shared between callers: never mutate one.
 */
export interface ReadCache<V> {
  /** The cached value of `key`, or what `read()` gives (then cached if nothing changed meanwhile). */
  get(key: string, read: () => Promise<V>): Promise<V>;
}

export interface AttendanceStore extends StoreOps {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * A cache for a service's composite reads, emptied whenever the database changes. SQLite tells
   * every change, by any process, for free. PostgreSQL tells it for one round trip (its current
   * snapshot, see SnapshotReadCache), which only a `heavy` read (many rows, several statements: a
   * session report's inputs) is worth; there, a cache that is not heavy reads every time, as does
   * any cache with `maxEntries` 0.
   */
  createReadCache<V>(maxEntries: number, opts?: { heavy?: boolean }): ReadCache<V>;
  /**
   * Runs fn in one database transaction; fn's ops see and write only inside it. `rooms` names every
   * room whose cycles fn reads to rewrite: the transaction holds those rooms (PostgreSQL: one
   * transaction-scoped advisory lock per room, taken in one global order, so transactions of other
   * rooms run concurrently and two transactions never deadlock on them; SQLite: its one writer).
   */
  transaction<T>(
    fn: (tx: StoreOps) => Promise<T>,
    opts?: { rooms?: readonly (string | null)[] },
  ): Promise<T>;
  /**
   * Takes or renews the named lease for `holder` if it is free, expired, or already held by
   * `holder`, for `ttlMs` by the **database's** clock (instances' clocks never decide). Returns the
   * fencing token, which changes whenever the lease was free or expired; null when another holder
   * has it.
   */
  tryAcquireLease(name: string, holder: string, ttlMs: number): Promise<number | null>;
  releaseLease(name: string, holder: string): Promise<void>;
  /** Applies pending migrations; never throws for "nothing to do". */
  migrate(): Promise<{ applied: string[] }>;
  /**
   * Migrations of this version not yet applied to the database (empty: up to date), read without
   * changing anything, for readiness. Throws when the database does not answer.
   */
  listPendingMigrations(): Promise<string[]>;
  close(): Promise<void>;
}
