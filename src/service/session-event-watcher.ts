import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import {
  AttendanceError,
  coerceError,
  HOUR,
  sessionEndedEvent,
  statusChangeEvents,
  type AttendanceStatus,
  type Clock,
  type OutboundEvent,
} from '../core/index.js';
import type { AttendanceStore, StoredOutboxMark } from '../store/index.js';
import type { ServiceEvents } from './events.js';
import { outboxInsertOf } from './outbound-recorder.js';
import type { SessionReport, SessionService } from './sessions.js';
import type { StoreWriter } from './store-writer.js';

export const SESSION_EVENTS_LEASE = 'outbound-sessions';
/** Marks read per round; more wait for the next. */
const MARKS_PER_ROUND = 500;
/** Ended sessions checked for `final` per round. */
const ENDED_PER_ROUND = 50;
/** A session that is not final this long after its end is no longer checked (no `session.ended`). */
export const ENDED_LOOKBACK_MS = 7 * 24 * HOUR;
/** How often ended sessions that are not final yet are looked at again. */
const ENDED_CHECK_MS = 10_000;
const POLL_MS = 2_000;
const LEASE_TTL_MS = 60_000;

/**
 * Derives the session events off the ingest path. A cycle write marks its room, a session or
 * override write its session (in their transactions: durable, one small upsert); this watcher
 * takes the marks, computes the report of every registered session the change can touch (rooms
 * and window overlapping the changed cycle time), and compares each person's status with the one
 * last announced (stored in `outbound_statuses`): every difference is a `session.status_changed`,
 * written to the outbox in one transaction with the new announced statuses, so a crash repeats
 * nothing and loses nothing (the mark stays until the round that read it is committed). A session
 * that became final gets its `session.ended` in the same way, once per end time.
 *
 * One instance at a time runs it (a lease by the database's clock, fenced in every write), so two
 * instances never announce one change twice or announce an older report after a newer one.
 */
export class SessionEventWatcher {
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private running: Promise<number> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private lastEndedCheckMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: {
      store: AttendanceStore;
      writer: StoreWriter;
      sessions: SessionService;
      clock: Clock;
      logger: Logger;
      events: ServiceEvents;
      pollMs?: number;
    },
  ) {}

  /** One round; resolves to the number of events written (0 when another instance runs it). */
  runOnce(opts: { checkEnded?: boolean } = {}): Promise<number> {
    this.running ??= this.round(opts.checkEnded ?? true).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    await this.deps.store.releaseLease(SESSION_EVENTS_LEASE, this.holder).catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      // Wall time, not domain time: how often to look, not what happened.
      const now = performance.now();
      const checkEnded = now - this.lastEndedCheckMs >= ENDED_CHECK_MS;
      if (checkEnded) this.lastEndedCheckMs = now;
      void this.runOnce({ checkEnded })
        .catch((e: unknown) =>
          this.deps.logger.error({ err: coerceError(e) }, 'session event round failed'),
        )
        .finally(() => this.schedule(this.deps.pollMs ?? POLL_MS));
    }, delayMs);
    this.timer.unref();
  }

  private async round(checkEnded: boolean): Promise<number> {
    const { store, clock } = this.deps;
    const token = await store.tryAcquireLease(SESSION_EVENTS_LEASE, this.holder, LEASE_TTL_MS);
    if (token === null) return 0;
    const marks = await store.listOutboxMarks(MARKS_PER_ROUND);
    const ids = new Set<string>();
    for (const m of marks) {
      if (m.kind === 'session') ids.add(m.name);
      else {
        for (const id of await store.listOutboundSessionsOverlapping(m.name, m.fromMs, m.toMs))
          ids.add(id);
      }
    }
    const nowMs = clock.now();
    const endedDue = checkEnded
      ? new Set(
          await store.listUnannouncedEndedSessions(
            nowMs - ENDED_LOOKBACK_MS,
            nowMs,
            ENDED_PER_ROUND,
          ),
        )
      : new Set<string>();
    for (const id of endedDue) ids.add(id);
    let written = 0;
    let failed = 0;
    for (const id of [...ids].sort()) {
      try {
        written += await this.evaluate(id, token, endedDue.has(id));
      } catch (e: unknown) {
        // Another instance runs the watcher now: it sees the same marks.
        if (e instanceof AttendanceError && e.code === 'lease_lost') throw e;
        failed += 1;
        this.deps.logger.error({ err: coerceError(e), session: id }, 'session events failed');
      }
    }
    // Only now, and only when every session was announced: a crash or failure before this line
    // evaluates the same marks again, which announces nothing twice (statuses are compared with
    // those announced), while one failing session holds back no other.
    if (failed === 0) await this.consume(marks);
    if (ids.size > 0) {
      this.deps.events.emit('outbox:sessions:evaluated', { sessions: ids.size, events: written });
    }
    return written;
  }

  private async consume(marks: readonly StoredOutboxMark[]): Promise<void> {
    if (marks.length > 0) await this.deps.store.deleteOutboxMarks(marks);
  }

  /** Announces what changed in one session; returns how many events it wrote. */
  private async evaluate(id: string, token: number, endedDue: boolean): Promise<number> {
    let report: SessionReport;
    try {
      report = await this.deps.sessions.report(id);
    } catch (e: unknown) {
      if (e instanceof AttendanceError && e.code === 'session_not_found') return 0;
      throw e;
    }
    const { clock } = this.deps;
    return this.deps.writer.write(
      async (tx) => {
        if (!(await tx.holdsLease(SESSION_EVENTS_LEASE, this.holder, token))) {
          throw new AttendanceError('lease_lost', 'another instance took the session event lease');
        }
        const nowMs = clock.now();
        const previous = (await tx.getOutboundStatuses(id)) as Map<string, AttendanceStatus>;
        const changes = statusChangeEvents({
          session: report.session,
          previous,
          rows: report.participants,
          atMs: nowMs,
        });
        const events: OutboundEvent[] = [...changes.events];
        if (endedDue && report.final) {
          events.push(
            sessionEndedEvent({ session: report.session, summary: report.summary, atMs: nowMs }),
          );
          await tx.setOutboundSessionEnded(id, report.session.endsAtMs);
        }
        if (changes.announced.length > 0) await tx.saveOutboundStatuses(id, changes.announced);
        if (events.length > 0) await tx.insertOutbox(events.map((e) => outboxInsertOf(e, nowMs)));
        return events.length;
      },
      // A name no room can have (NUL): holds nothing any cycle write needs.
      { rooms: [`\u0000outbound:${id}`] },
    );
  }
}
