import { isCounted, type CountingPolicy } from './attendance-status.js';
import { HOUR, SECOND } from './clock.js';
import { isoUtc } from './iso-time.js';
import { closedByOf, isOpen, leftAtOf } from './cycle-rules.js';
import type { SessionParticipantRow, SessionSummary } from './session-report.js';
import type { AttendanceStatus, Session } from './session-types.js';
import type { Cycle, CycleSource } from './types.js';

/** The outbound event types (issue #10): part of the public contract. */
export const OUTBOUND_EVENT_TYPES = [
  'participant.joined',
  'participant.left',
  'session.status_changed',
  'session.ended',
] as const;
export type OutboundEventType = (typeof OUTBOUND_EVENT_TYPES)[number];

/** What a receiver gets: the body of every attempt, byte for byte. */
export interface OutboundBody {
  type: OutboundEventType;
  /** ISO 8601: when the change happened (LiveKit's time for participant events). */
  timestamp: string;
  data: Record<string, unknown>;
}

/** One event to write to the outbox. */
export interface OutboundEvent {
  type: OutboundEventType;
  /** Ordering key: events of one stream are delivered one at a time, oldest first. */
  stream: string;
  room: string | null;
  sessionId: string | null;
  body: OutboundBody;
}

/** The stream of a session's events (rooms are streams of their own name). */
export function sessionStream(sessionId: string): string {
  return `session:${sessionId}`;
}

const iso = (ms: number): string => isoUtc(ms);
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** A cycle that is present now: counted (connected, a join time, a counted kind) and open. */
function present(cycle: Cycle | undefined, counting: CountingPolicy): boolean {
  return cycle !== undefined && isCounted(cycle, counting) && isOpen(cycle);
}

function participantEvent(
  type: 'participant.joined' | 'participant.left',
  cycle: Cycle,
  atMs: number,
  source: CycleSource,
): OutboundEvent {
  return {
    type,
    stream: cycle.room,
    room: cycle.room,
    sessionId: null,
    body: {
      type,
      timestamp: iso(atMs),
      data: {
        identity: cycle.identity,
        room: cycle.room,
        sid: cycle.sid,
        joinedAt: isoOrNull(cycle.joinedAtMs),
        leftAt: type === 'participant.left' ? isoOrNull(leftAtOf(cycle)) : null,
        source,
      },
    },
  };
}

const pairKey = (c: Pick<Cycle, 'room' | 'identity'>): string =>
  JSON.stringify([c.room, c.identity]);

/** The (room, identity) pairs whose presence a write may have changed: what to load `openAfter` for. */
export function presencePairs(
  before: ReadonlyMap<string, Cycle>,
  changed: readonly Cycle[],
  counting: CountingPolicy,
): Array<{ room: string; identity: string }> {
  const pairs = new Map<string, { room: string; identity: string }>();
  for (const c of changed) {
    const was = before.get(c.sid);
    const visibleBefore = was !== undefined && isCounted(was, counting);
    const moved = present(was, counting) !== present(c, counting);
    const appeared = !visibleBefore && isCounted(c, counting);
    if (moved || appeared) pairs.set(pairKey(c), { room: c.room, identity: c.identity });
  }
  return [...pairs.values()];
}

/**
 * `participant.joined` when a person's first counted cycle in a room opens (none was open before
 * the write, one is after) and `participant.left` when their last one closes. A cycle that appears
 * already closed (its join was lost and the leave recreated it) while none was open gives both.
 * Corrections of a closed cycle's times change no presence and give nothing.
 *
 * `before`: the cycles as loaded before the write; `changed`: the cycles written; `openAfter`: the
 * open cycles, as stored after the write, of every pair {@link presencePairs} named (any superset).
 */
export function presenceEvents(input: {
  before: ReadonlyMap<string, Cycle>;
  changed: readonly Cycle[];
  openAfter: readonly Cycle[];
  counting: CountingPolicy;
}): OutboundEvent[] {
  const { before, counting } = input;
  const byPair = new Map<string, Cycle[]>();
  for (const c of input.changed) {
    const list = byPair.get(pairKey(c));
    if (list) list.push(c);
    else byPair.set(pairKey(c), [c]);
  }
  const openNow = new Map<string, Set<string>>();
  for (const c of input.openAfter) {
    if (!present(c, counting)) continue;
    const set = openNow.get(pairKey(c));
    if (set) set.add(c.sid);
    else openNow.set(pairKey(c), new Set([c.sid]));
  }
  const events: Array<{ atMs: number; order: number; event: OutboundEvent }> = [];
  for (const [key, cycles] of byPair) {
    const opened = cycles.filter(
      (c) => present(c, counting) && !present(before.get(c.sid), counting),
    );
    const closed = cycles.filter(
      (c) => present(before.get(c.sid), counting) && !present(c, counting),
    );
    const flashed = cycles.filter((c) => {
      const was = before.get(c.sid);
      const visibleBefore = was !== undefined && isCounted(was, counting);
      return !visibleBefore && isCounted(c, counting) && !isOpen(c);
    });
    const after = openNow.get(key) ?? new Set<string>();
    for (const c of cycles) {
      // The write's own view of its cycles wins over a read that may predate it.
      if (present(c, counting)) after.add(c.sid);
      else after.delete(c.sid);
    }
    const openAfter = after.size;
    const openBefore = Math.max(0, openAfter - opened.length + closed.length);
    let joined = false;
    if (openBefore === 0 && (openAfter > 0 || flashed.length > 0)) {
      const first = [...opened, ...flashed].sort(byJoin)[0];
      if (first !== undefined) {
        joined = true;
        events.push({
          atMs: first.joinedAtMs!,
          order: 0,
          event: participantEvent('participant.joined', first, first.joinedAtMs!, first.openedBy),
        });
      }
    }
    if (openAfter === 0 && (openBefore > 0 || joined)) {
      const last = [...closed, ...flashed].sort(byLeave).at(-1);
      if (last !== undefined) {
        const leftAtMs = Math.max(leftAtOf(last) ?? 0, last.joinedAtMs ?? 0);
        events.push({
          atMs: leftAtMs,
          order: 1,
          event: participantEvent(
            'participant.left',
            last,
            leftAtMs,
            closedByOf(last) ?? last.openedBy,
          ),
        });
      }
    }
  }
  // LiveKit's times, then a person's join before their leave.
  events.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  return events.map((e) => e.event);
}

function byJoin(a: Cycle, b: Cycle): number {
  return (a.joinedAtMs ?? 0) - (b.joinedAtMs ?? 0) || (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0);
}

function byLeave(a: Cycle, b: Cycle): number {
  return (leftAtOf(a) ?? 0) - (leftAtOf(b) ?? 0) || (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0);
}

/** The span of cycle time a write touched (join to leave, open ones to `nowMs`), or null. */
export function changedSpan(
  before: ReadonlyMap<string, Cycle>,
  changed: readonly Cycle[],
  nowMs: number,
): { fromMs: number; toMs: number } | null {
  let fromMs = Number.POSITIVE_INFINITY;
  let toMs = Number.NEGATIVE_INFINITY;
  const widen = (c: Cycle | undefined) => {
    if (c === undefined || c.joinedAtMs === null) return;
    fromMs = Math.min(fromMs, c.joinedAtMs);
    toMs = Math.max(toMs, leftAtOf(c) ?? Math.max(nowMs, c.joinedAtMs));
  };
  for (const c of changed) {
    widen(before.get(c.sid));
    widen(c);
  }
  return fromMs === Number.POSITIVE_INFINITY ? null : { fromMs, toMs };
}

/** A person's status before anything was announced: everyone starts absent. */
export const BASELINE_STATUS: AttendanceStatus = 'absent';

/**
 * `session.status_changed` for every person whose status differs from the one last announced
 * (`previous`; a person never announced was `absent`). Returns the events and the statuses to
 * store as announced.
 */
export function statusChangeEvents(input: {
  session: Session;
  previous: ReadonlyMap<string, AttendanceStatus>;
  rows: readonly SessionParticipantRow[];
  atMs: number;
}): { events: OutboundEvent[]; announced: Array<{ identity: string; status: AttendanceStatus }> } {
  const events: OutboundEvent[] = [];
  const announced: Array<{ identity: string; status: AttendanceStatus }> = [];
  for (const row of input.rows) {
    const previousStatus = input.previous.get(row.identity) ?? BASELINE_STATUS;
    if (previousStatus === row.status) continue;
    announced.push({ identity: row.identity, status: row.status });
    events.push({
      type: 'session.status_changed',
      stream: sessionStream(input.session.id),
      room: null,
      sessionId: input.session.id,
      body: {
        type: 'session.status_changed',
        timestamp: iso(input.atMs),
        data: {
          session: input.session.id,
          identity: row.identity,
          status: row.status,
          previousStatus,
          computedStatus: row.computedStatus,
          override:
            row.override === null
              ? null
              : {
                  status: row.override.status,
                  reason: row.override.reason,
                  author: row.override.author,
                },
          attendedMs: row.attendedMs,
          attendedPercent: row.attendedPercent,
          firstJoinedAt: isoOrNull(row.firstJoinedAtMs),
          lastLeftAt: isoOrNull(row.lastLeftAtMs),
          lateByMs: row.lateByMs,
          leftEarlyByMs: row.leftEarlyByMs,
          inMeeting: row.inMeeting,
          isHost: row.isHost,
          onRoster: row.onRoster,
        },
      },
    });
  }
  return { events, announced };
}

/** `session.ended`: the session became final; its summary as the report gives it. */
export function sessionEndedEvent(input: {
  session: Session;
  summary: SessionSummary;
  atMs: number;
}): OutboundEvent {
  const { session } = input;
  return {
    type: 'session.ended',
    stream: sessionStream(session.id),
    room: null,
    sessionId: session.id,
    body: {
      type: 'session.ended',
      timestamp: iso(input.atMs),
      data: {
        session: session.id,
        title: session.title,
        rooms: session.rooms,
        startsAt: iso(session.startsAtMs),
        endsAt: iso(session.endsAtMs),
        summary: input.summary,
      },
    },
  };
}

// ---- Delivery schedule ---------------------------------------------------------------------

/** First retry after a failed attempt: well within the 10 s the contract promises. */
export const OUTBOUND_FIRST_RETRY_MS = 5 * SECOND;
/** Longest gap between two attempts once the backoff has grown. */
export const OUTBOUND_MAX_RETRY_GAP_MS = HOUR;
/** How long an event is retried before it is `failed` (counted from its creation or a reset). */
export const OUTBOUND_RETRY_WINDOW_MS = 24 * HOUR;

/**
 * When to try again after the `attempts`-th attempt failed at `failedAtMs`: 5 s, then doubling
 * (10 s, 20 s, …) up to one hour between attempts, with a last attempt at the deadline; null once
 * an attempt at or after the deadline failed (the event is then `failed`).
 */
export function nextAttemptAfterFailure(input: {
  attempts: number;
  failedAtMs: number;
  deadlineAtMs: number;
}): number | null {
  if (input.failedAtMs >= input.deadlineAtMs) return null;
  const exponent = Math.max(0, input.attempts - 1);
  const delay = Math.min(
    OUTBOUND_MAX_RETRY_GAP_MS,
    OUTBOUND_FIRST_RETRY_MS * 2 ** Math.min(exponent, 30),
  );
  return Math.min(input.failedAtMs + delay, input.deadlineAtMs);
}
