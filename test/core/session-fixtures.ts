import {
  DEFAULT_UNCOUNTED_KINDS,
  type CountingPolicy,
  type Cycle,
  type ParticipantKind,
  type RosterMember,
  type Session,
  type SessionPolicy,
  type StatusOverride,
} from '../../src/core/index.js';

/** Builders for session-report tests: sessions, roster members, settled cycles, overrides. */

export const MIN = 60_000;
/** A whole second, so that second-by-second oracles measure exactly. */
export const T0 = 1_700_000_000_000;
export const COUNTING: CountingPolicy = { uncountedKinds: new Set(DEFAULT_UNCOUNTED_KINDS) };

export const POLICY: SessionPolicy = {
  lateAfterMinutes: 5,
  leftEarlyMinutes: 5,
  presentPercent: 80,
  absentBelowMinutes: 1,
  lateFrom: 'start',
};

/** A one-hour session over room `main` from T0, no roster, no hosts. */
export function session(over: Partial<Session> = {}): Session {
  return {
    id: 'class-101-2026-12-01',
    title: null,
    rooms: ['main'],
    startsAtMs: T0,
    endsAtMs: T0 + 60 * MIN,
    timezone: 'UTC',
    hosts: [],
    roster: [],
    tags: [],
    policy: POLICY,
    createdAtMs: T0 - 24 * 60 * MIN,
    updatedAtMs: T0 - 24 * 60 * MIN,
    ...over,
  };
}

export function member(identity: string, over: Partial<RosterMember> = {}): RosterMember {
  return { identity, name: null, role: null, aliases: [], ...over };
}

let sids = 0;

/**
 * A settled cycle. `leftAtMs` null leaves it open; `estimated` closes it by the reconciler's
 * estimate instead of LiveKit's word.
 */
export function cycle(spec: {
  identity: string;
  joinedAtMs: number;
  leftAtMs: number | null;
  room?: string;
  sid?: string;
  kind?: ParticipantKind;
  name?: string | null;
  connected?: boolean;
  estimated?: boolean;
}): Cycle {
  sids += 1;
  const left = spec.leftAtMs;
  const estimated = spec.estimated === true && left !== null;
  return {
    sid: spec.sid ?? `PA_${sids}`,
    room: spec.room ?? 'main',
    roomSid: 'RM_1',
    roomSidRank: Number.MAX_SAFE_INTEGER,
    identity: spec.identity,
    name: spec.name === undefined ? spec.identity.toUpperCase() : spec.name,
    nameVersion: 1,
    kind: spec.kind ?? 'STANDARD',
    joinedAtMs: spec.joinedAtMs,
    connected: spec.connected ?? true,
    joinSeen: true,
    observed: false,
    webhookEndedAtMs: left !== null && !estimated ? left : null,
    roomFinishedAtMs: null,
    lastAbsentAtMs: estimated ? left + 30_000 : null,
    lastSeenAtMs: estimated ? left : null,
    openedBy: 'webhook',
    endedAtMs: left !== null && !estimated ? left : null,
    endedBy: left !== null && !estimated ? 'webhook' : null,
    estimatedLeftAtMs: estimated ? left : null,
  };
}

export function override(
  identity: string,
  status: StatusOverride['status'] = 'excused',
  atMs = T0 - MIN,
): StatusOverride {
  return {
    sessionId: 'class-101-2026-12-01',
    identity,
    status,
    reason: 'doctor appointment',
    author: 'teacher@example.com',
    atMs,
  };
}
