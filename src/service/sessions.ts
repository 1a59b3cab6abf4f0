import {
  AttendanceError,
  computeSessionParticipant,
  computeSessionReport,
  participantIdentities,
  sessionState,
  type AttendanceStatus,
  type AuditRecord,
  type Clock,
  type CountingPolicy,
  type ReportedCycle,
  type Session,
  type SessionInput,
  type SessionParticipantRow,
  type SessionReportCore,
  type SessionState,
  type StatusOverride,
  type StoredAuditRecord,
} from '../core/index.js';
import type {
  AttendanceStore,
  AuditQuery,
  CompletedPass,
  ReadCache,
  SessionListQuery,
  StoreOps,
} from '../store/index.js';
import type { OutboundRecorder } from './outbound-recorder.js';
import type { RoomVerifier } from './room-verifier.js';
import type { StoreWriter } from './store-writer.js';

/** How a session's data can be trusted: what LiveKit sent and what the reconciler had to fix. */
export interface SessionDataQuality {
  webhooksReceived: number;
  duplicatesDropped: number;
  cyclesOpenedByReconciler: number;
  cyclesClosedByReconciler: number;
  /** Consecutive failed verifications of the session's rooms, summed (0 when LiveKit answers). */
  verificationFailures: number;
  /** The latest time a reconcile pass obtained the participant list of one of its rooms. */
  lastVerifiedAtMs: number | null;
}

export interface SessionReport extends SessionReportCore {
  session: Session;
  generatedAtMs: number;
  final: boolean;
  dataQuality: SessionDataQuality;
}

export interface ParticipantReport {
  session: Session;
  state: SessionState;
  row: SessionParticipantRow;
  lastVerifiedAtMs: number | null;
}

/** Who made an API change, as the audit trail records it. */
export const API_ACTOR = 'api';

/**
 * Sessions as views over cycles: writes (sessions, overrides) go with their audit records in one
 * transaction; reports are computed from the stored cycles at read time, never frozen.
 */
export class SessionService {
  constructor(
    private readonly deps: {
      store: AttendanceStore;
      writer: StoreWriter;
      clock: Clock;
      counting: CountingPolicy;
      roomVerifier: RoomVerifier;
      /** False when no LiveKit URL is set: no pass can ever complete, so `final` does not wait. */
      livekitConfigured: boolean;
      /** Marks written sessions for session events, in the write's transaction; none when unset. */
      outbound?: OutboundRecorder | null;
      /** Participant reads kept until the database changes (SQLite; STATUS_CACHE_ENTRIES); 0: none. */
      readCacheEntries?: number;
      /** "Now" for open cycles: LiveKit's clock as far as it is known (`LiveKitClock.counting`). */
      cyclesClock?: Clock;
    },
  ) {
    const entries = deps.readCacheEntries ?? 0;
    this.sessions = deps.store.createReadCache(Math.min(entries, SESSION_CACHE_ENTRIES));
    this.participantInputs = deps.store.createReadCache(entries);
    this.reportInputs = deps.store.createReadCache(Math.min(entries, REPORT_CACHE_ENTRIES), {
      heavy: true,
    });
  }

  /**
   * What a status read or a report reads, kept while the database stays as it was: the inputs,
   * not the answers, since the answers move with the clock while a session is live. Each value is
   * shared by every reader of its key.
   */
  private readonly sessions: ReadCache<Session | null>;
  private readonly participantInputs: ReadCache<ParticipantInputs>;
  private readonly reportInputs: ReadCache<ReportInputs>;

  private cyclesNow(): number {
    return (this.deps.cyclesClock ?? this.deps.clock).now();
  }

  /**
   * Session writes touch no cycles. They hold their session as a room of its own (a name no room
   * can have: NUL is refused in room names), so two writes of one session on PostgreSQL never
   * both see it missing; on SQLite they queue behind the one writer.
   */
  private write<T>(id: string, fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    return this.deps.writer.write(fn, { rooms: [`\u0000session:${id}`] });
  }

  async put(id: string, input: SessionInput): Promise<{ session: Session; created: boolean }> {
    return this.write(id, async (tx) => {
      // Read inside the write: on SQLite a queued write must not be dated before the one ahead.
      const now = this.deps.clock.now();
      const before = await tx.getSession(id);
      const session: Session = {
        id,
        ...input,
        createdAtMs: before?.createdAtMs ?? now,
        updatedAtMs: now,
      };
      await tx.saveSession(session);
      await tx.appendAudit([
        apiRecord(now, before === null ? 'session.created' : 'session.updated', {
          session: id,
          before: before === null ? null : sessionAuditView(before),
          after: sessionAuditView(session),
        }),
      ]);
      await this.deps.outbound?.recordSessionWrite(tx, id);
      return { session, created: before === null };
    });
  }

  async get(id: string): Promise<Session> {
    const session = await this.sessions.get(id, () => this.deps.store.getSession(id));
    if (session === null) throw notFound(id);
    return session;
  }

  async delete(id: string): Promise<void> {
    await this.write(id, async (tx) => {
      const now = this.deps.clock.now();
      const before = await tx.getSession(id);
      if (before === null) throw notFound(id);
      const overrides = await tx.listOverrides(id);
      await tx.deleteSession(id);
      await tx.appendAudit([
        apiRecord(now, 'session.deleted', {
          session: id,
          before: { ...sessionAuditView(before), overrides: overrides.length },
          after: null,
        }),
      ]);
      await this.deps.outbound?.recordSessionDeleted(tx, id);
    });
  }

  list(query: SessionListQuery): Promise<Session[]> {
    return this.deps.store.listSessions(query);
  }

  state(session: Session): SessionState {
    return sessionState(session, this.deps.clock.now());
  }

  async report(id: string): Promise<SessionReport> {
    // The session is read inside: inputs kept under a version are all of that version (a PUT
    // landing between a session read outside and the cycles read inside would pair them wrongly).
    const { session, cycles, overrides, tallies, verifications, lastPass } =
      await this.reportInputs.get(id, async () => this.readReportInputs(await this.get(id)));
    const now = this.deps.clock.now();
    const core = computeSessionReport({
      session,
      cycles,
      overrides,
      nowMs: now,
      cyclesNowMs: this.cyclesNow(),
      counting: this.deps.counting,
    });
    let openedByReconciler = 0;
    let closedByReconciler = 0;
    for (const p of core.participants) {
      for (const c of p.cycles) {
        if (c.openedBy === 'reconciler') openedByReconciler += 1;
        if (c.closedBy === 'reconciler') closedByReconciler += 1;
      }
    }
    // A full pass after the end, or every room of the session verified after it (a pass over
    // the session's rooms, `verify-livekit --session`): LiveKit has had its say on everyone.
    const passAfterEnd =
      !this.deps.livekitConfigured ||
      (lastPass !== null && lastPass.startedAtMs >= session.endsAtMs) ||
      verifications.allVerifiedSinceMs >= session.endsAtMs;
    return {
      ...core,
      session,
      generatedAtMs: now,
      final: core.state === 'ended' && core.openCycles === 0 && passAfterEnd,
      dataQuality: {
        webhooksReceived: tallies.received,
        duplicatesDropped: tallies.duplicates,
        cyclesOpenedByReconciler: openedByReconciler,
        cyclesClosedByReconciler: closedByReconciler,
        verificationFailures: verifications.failures,
        lastVerifiedAtMs: verifications.lastVerifiedAtMs,
      },
    };
  }

  /** One person's live row: what an application's page polls. */
  async participant(
    id: string,
    identity: string,
    opts: { verify?: boolean } = {},
  ): Promise<ParticipantReport> {
    if (opts.verify) {
      const { rooms } = await this.get(id);
      await Promise.all(rooms.map((r) => this.deps.roomVerifier.verify(r)));
    }
    // One lookup on the hot path; the session inside is the one object the session cache shares.
    // Length-prefixed: no (id, identity) pair spells another's key.
    const { session, who, cycles, override, verifications } = await this.participantInputs.get(
      `${id.length}:${id}${identity}`,
      async () => this.readParticipantInputs(await this.get(id), identity),
    );
    const now = this.deps.clock.now();
    const row = computeSessionParticipant({
      session,
      identity: who,
      cycles,
      override,
      nowMs: now,
      cyclesNowMs: this.cyclesNow(),
      counting: this.deps.counting,
    });
    return {
      session,
      state: sessionState(session, now),
      row,
      lastVerifiedAtMs: verifications.lastVerifiedAtMs,
    };
  }

  async setOverride(
    id: string,
    identity: string,
    input: { status: AttendanceStatus; reason: string; author: string },
  ): Promise<ParticipantReport> {
    await this.write(id, async (tx) => {
      const now = this.deps.clock.now();
      const session = await tx.getSession(id);
      if (session === null) throw notFound(id);
      const member = participantIdentities(session, identity).identity;
      const before = await tx.getOverride(id, member);
      const override: StatusOverride = { sessionId: id, identity: member, ...input, atMs: now };
      await tx.saveOverride(override);
      await tx.appendAudit([
        {
          ...apiRecord(now, 'override.set', {
            session: id,
            before: before === null ? null : overrideAuditView(before),
            after: overrideAuditView(override),
          }),
          actor: input.author,
          identity: member,
          reason: input.reason,
        },
      ]);
      await this.deps.outbound?.recordSessionWrite(tx, id);
    });
    return this.participant(id, identity);
  }

  /** Idempotent: removing an override that is not there changes and records nothing. */
  async removeOverride(id: string, identity: string): Promise<void> {
    await this.write(id, async (tx) => {
      const now = this.deps.clock.now();
      const session = await tx.getSession(id);
      if (session === null) throw notFound(id);
      const member = participantIdentities(session, identity).identity;
      const before = await tx.getOverride(id, member);
      if (before === null) return;
      await tx.deleteOverride(id, member);
      await tx.appendAudit([
        {
          ...apiRecord(now, 'override.removed', {
            session: id,
            before: overrideAuditView(before),
            after: null,
          }),
          identity: member,
        },
      ]);
      await this.deps.outbound?.recordSessionWrite(tx, id);
    });
  }

  /**
   * The audit trail. `session` also brings the records of cycles in the session's rooms written
   * from a day before its start to a day after its end (cycle records name no session).
   */
  async audit(query: Omit<AuditQuery, 'sessionRooms'>): Promise<StoredAuditRecord[]> {
    if (query.session === undefined) return this.deps.store.listAudit(query);
    const session = await this.deps.store.getSession(query.session);
    if (session === null) return this.deps.store.listAudit(query);
    return this.deps.store.listAudit({
      ...query,
      sessionRooms: {
        rooms: session.rooms,
        sinceMs: session.startsAtMs - AUDIT_ROOM_MARGIN_MS,
        untilMs: session.endsAtMs + AUDIT_ROOM_MARGIN_MS,
      },
    });
  }

  /**
   * Every cycle that can overlap the whole scheduled window, also while the session is live: the
   * report clips at now, so the same inputs serve every moment until the database changes.
   */
  private async readReportInputs(session: Session): Promise<ReportInputs> {
    const { store } = this.deps;
    const [cycles, overrides, tallies, verifications, lastPass] = await Promise.all([
      store.listCyclesInWindow(session.rooms, session.startsAtMs, session.endsAtMs),
      store.listOverrides(session.id),
      // Tallies are per minute: the minute the window starts in counts.
      store.sumWebhookTallies(
        session.rooms,
        Math.floor(session.startsAtMs / MINUTE_MS) * MINUTE_MS,
        session.endsAtMs,
      ),
      this.roomVerifications(session.rooms),
      store.getLastCompletedPass(),
    ]);
    return { session, cycles, overrides, tallies, verifications, lastPass };
  }

  private async readParticipantInputs(
    session: Session,
    identity: string,
  ): Promise<ParticipantInputs> {
    const who = participantIdentities(session, identity);
    const [cycles, override, verifications] = await Promise.all([
      this.deps.store.listIdentityCyclesInWindow(
        session.rooms,
        who.read,
        session.startsAtMs,
        session.endsAtMs,
      ),
      this.deps.store.getOverride(session.id, who.identity),
      this.roomVerifications(session.rooms),
    ]);
    return { session, who: who.identity, cycles, override, verifications };
  }

  private async roomVerifications(rooms: readonly string[]): Promise<RoomVerifications> {
    const found = await Promise.all(rooms.map((r) => this.deps.store.getRoomVerification(r)));
    let failures = 0;
    let last: number | null = null;
    let oldest = Number.POSITIVE_INFINITY;
    for (const v of found) {
      failures += v?.consecutiveFailures ?? 0;
      const at = v?.lastVerifiedAtMs ?? null;
      if (at !== null && (last === null || at > last)) last = at;
      oldest = Math.min(oldest, at ?? Number.NEGATIVE_INFINITY);
    }
    return { failures, lastVerifiedAtMs: last, allVerifiedSinceMs: oldest };
  }
}

const MINUTE_MS = 60_000;
/** Sessions kept by id (a roster may list thousands: each is one shared object). */
const SESSION_CACHE_ENTRIES = 1_000;
/** Report inputs kept: every cycle of a session, up to a few MB each for the largest. */
const REPORT_CACHE_ENTRIES = 8;

interface RoomVerifications {
  failures: number;
  lastVerifiedAtMs: number | null;
  /** The oldest verification among the rooms (-Infinity when one never was). */
  allVerifiedSinceMs: number;
}

interface ReportInputs {
  session: Session;
  cycles: ReportedCycle[];
  overrides: StatusOverride[];
  tallies: { received: number; duplicates: number };
  verifications: RoomVerifications;
  lastPass: CompletedPass | null;
}

interface ParticipantInputs {
  session: Session;
  /** The roster member the identity names (an alias's member), else the identity. */
  who: string;
  cycles: ReportedCycle[];
  override: StatusOverride | null;
  verifications: RoomVerifications;
}

/** Cycle records of a session's rooms this long before its start and after its end belong to it. */
export const AUDIT_ROOM_MARGIN_MS = 24 * 60 * 60 * 1000;

function notFound(id: string): AttendanceError {
  return new AttendanceError('session_not_found', `no session ${JSON.stringify(id)}`);
}

function apiRecord(
  atMs: number,
  action: AuditRecord['action'],
  fields: { session: string; before: unknown; after: unknown },
): AuditRecord {
  return {
    atMs,
    action,
    source: 'api',
    actor: API_ACTOR,
    session: fields.session,
    room: null,
    identity: null,
    sid: null,
    before: fields.before,
    after: fields.after,
    reason: null,
  };
}

/** A session in the audit trail: what it said, times as ISO text, no bookkeeping. */
function sessionAuditView(s: Session) {
  return {
    title: s.title,
    rooms: s.rooms,
    startsAt: new Date(s.startsAtMs).toISOString(),
    endsAt: new Date(s.endsAtMs).toISOString(),
    timezone: s.timezone,
    hosts: s.hosts,
    // Who was expected (names and roles are in the session itself): a removed student shows.
    roster: s.roster.map((m) => m.identity),
    tags: s.tags,
    policy: s.policy,
  };
}

function overrideAuditView(o: StatusOverride) {
  return { status: o.status, reason: o.reason, author: o.author };
}
