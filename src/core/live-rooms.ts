import { isCounted, type CountingPolicy } from './attendance-status.js';
import type { Session } from './session-types.js';
import type { Cycle, CycleSource, ParticipantKind } from './types.js';

/*
 * Rooms in progress, as a live view shows them: who is connected now, since when, and how fresh
 * LiveKit's last word on them is. Built from open cycles only (attendance-model: a cycle with no
 * end is someone still there, as far as anyone knows).
 */

/** One identity connected to a room now (several open connections merge into one). */
export interface LivePerson {
  identity: string;
  name: string | null;
  kind: ParticipantKind;
  /** The earliest join among the identity's open connections. */
  sinceMs: number | null;
  /** Open connections of this identity (a device switch shows two for a moment). */
  connections: number;
  /** False when only uncounted kinds or connections whose media never connected are open. */
  counted: boolean;
  /** Media connected on at least one connection (a page left open without media stays false). */
  connected: boolean;
  /** `reconciler` when LiveKit's join webhook never arrived and a pass found them. */
  openedBy: CycleSource;
  /** The last time LiveKit showed them present (an event or a listing); null if never. */
  lastSeenAtMs: number | null;
}

/** What the last reconcile checks of a room said. */
export interface LiveVerification {
  lastVerifiedAtMs: number | null;
  lastAttemptAtMs: number | null;
  lastError: string | null;
  consecutiveFailures: number;
}

export interface LiveRoom {
  room: string;
  people: LivePerson[];
  /** People counted as attending (counted kinds with media connected). */
  attending: number;
  verification: LiveVerification | null;
  /** Sessions in progress that include this room. */
  sessions: Array<Pick<Session, 'id' | 'title' | 'timezone' | 'startsAtMs' | 'endsAtMs'>>;
}

function byNameThenIdentity(a: LivePerson, b: LivePerson): number {
  const d = (a.name ?? a.identity).localeCompare(b.name ?? b.identity);
  return d !== 0 ? d : a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0;
}

/** The people of one room from its open cycles. */
export function livePeople(cycles: readonly Cycle[], counting: CountingPolicy): LivePerson[] {
  const byIdentity = new Map<string, LivePerson>();
  for (const c of cycles) {
    const counted = isCounted(c, counting);
    const p = byIdentity.get(c.identity);
    if (p === undefined) {
      byIdentity.set(c.identity, {
        identity: c.identity,
        name: c.name,
        kind: c.kind ?? 'STANDARD',
        sinceMs: c.joinedAtMs,
        connections: 1,
        counted,
        connected: c.connected,
        openedBy: c.openedBy,
        lastSeenAtMs: c.lastSeenAtMs,
      });
      continue;
    }
    p.connections += 1;
    p.name = p.name ?? c.name;
    if (c.joinedAtMs !== null && (p.sinceMs === null || c.joinedAtMs < p.sinceMs)) {
      p.sinceMs = c.joinedAtMs;
    }
    p.counted ||= counted;
    p.connected ||= c.connected;
    if (c.openedBy === 'webhook') p.openedBy = 'webhook';
    if (c.lastSeenAtMs !== null && (p.lastSeenAtMs === null || c.lastSeenAtMs > p.lastSeenAtMs)) {
      p.lastSeenAtMs = c.lastSeenAtMs;
    }
  }
  return [...byIdentity.values()].sort(byNameThenIdentity);
}

/**
 * Rooms in progress: every room with an open cycle, and every room of a session in progress
 * (empty until someone comes), by name.
 */
export function buildLiveRooms(input: {
  openCycles: readonly Cycle[];
  verifications: ReadonlyMap<string, LiveVerification>;
  liveSessions: readonly Session[];
  counting: CountingPolicy;
}): LiveRoom[] {
  const cyclesOf = new Map<string, Cycle[]>();
  for (const c of input.openCycles) {
    const list = cyclesOf.get(c.room);
    if (list === undefined) cyclesOf.set(c.room, [c]);
    else list.push(c);
  }
  const sessionsOf = new Map<string, Session[]>();
  for (const s of input.liveSessions) {
    for (const room of s.rooms) {
      const list = sessionsOf.get(room);
      if (list === undefined) sessionsOf.set(room, [s]);
      else list.push(s);
    }
  }
  const names = [...new Set([...cyclesOf.keys(), ...sessionsOf.keys()])].sort();
  return names.map((room) => {
    const people = livePeople(cyclesOf.get(room) ?? [], input.counting);
    return {
      room,
      people,
      attending: people.filter((p) => p.counted && p.connected).length,
      verification: input.verifications.get(room) ?? null,
      sessions: (sessionsOf.get(room) ?? []).map((s) => ({
        id: s.id,
        title: s.title,
        timezone: s.timezone,
        startsAtMs: s.startsAtMs,
        endsAtMs: s.endsAtMs,
      })),
    };
  });
}
