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
  type Session,
  type SessionInput,
  type SessionParticipantRow,
  type SessionReportCore,
  type SessionState,
  type StatusOverride,
  type StoredAuditRecord,
} from '../core/index.js';
import type { AttendanceStore, AuditQuery, SessionListQuery, StoreOps } from '../store/index.js';
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
    },
  ) {}

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
    const session = await this.deps.store.getSession(id);
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
    const session = await this.get(id);
    const { store } = this.deps;
    const now = this.deps.clock.now();
    const [from, to] = windowOf(session, now);
    const [cycles, overrides, tallies, verifications, lastPass] = await Promise.all([
      store.listCyclesInWindow(session.rooms, from, to),
      store.listOverrides(id),
      // Tallies are per minute: the minute the window starts in counts.
      store.sumWebhookTallies(
        session.rooms,
        Math.floor(session.startsAtMs / MINUTE_MS) * MINUTE_MS,
        session.endsAtMs,
      ),
      this.roomVerifications(session.rooms),
      store.getLastCompletedPass(),
    ]);
    const core = computeSessionReport({
      session,
      cycles,
      overrides,
      nowMs: now,
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
    const session = await this.get(id);
    if (opts.verify) await Promise.all(session.rooms.map((r) => this.deps.roomVerifier.verify(r)));
    const who = participantIdentities(session, identity);
    const now = this.deps.clock.now();
    const [from, to] = windowOf(session, now);
    const [cycles, override, verifications] = await Promise.all([
      this.deps.store.listIdentityCyclesInWindow(session.rooms, who.read, from, to),
      this.deps.store.getOverride(id, who.identity),
      this.roomVerifications(session.rooms),
    ]);
    const row = computeSessionParticipant({
      session,
      identity: who.identity,
      cycles,
      override,
      nowMs: now,
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

  private async roomVerifications(rooms: readonly string[]): Promise<{
    failures: number;
    lastVerifiedAtMs: number | null;
    /** The oldest verification among the rooms (-Infinity when one never was). */
    allVerifiedSinceMs: number;
  }> {
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

/** Cycle records of a session's rooms this long before its start and after its end belong to it. */
export const AUDIT_ROOM_MARGIN_MS = 24 * 60 * 60 * 1000;

/** The stretch of time whose cycles a report reads: the window, up to now while live. */
function windowOf(session: Session, nowMs: number): [number, number] {
  return [session.startsAtMs, Math.max(session.startsAtMs, Math.min(session.endsAtMs, nowMs))];
}

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
