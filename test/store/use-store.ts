import type { AuditRecord, Cycle, Session, StatusOverride } from '../../src/core/index.js';
import { openStore } from '../../src/store/index.js';
import type { AttendanceStore, InboxEntry } from '../../src/store/index.js';
import { useTestDatabase } from '../helpers/dialects.js';
import { usePerTest } from '../helpers/per-test.js';
import type { TestDialect } from '../helpers/dialects.js';

/** A migrated store on a fresh database for every test of the enclosing describe. */
export function useMigratedStore(dialect: TestDialect): {
  readonly store: AttendanceStore;
  readonly url: string;
} {
  const database = useTestDatabase(dialect);
  const store = usePerTest('useMigratedStore', async () => {
    const opened = await openStore(database.url);
    await opened.migrate();
    return opened;
  });
  return {
    get store(): AttendanceStore {
      return store();
    },
    get url(): string {
      return database.url;
    },
  };
}

export const T0 = 1_700_000_005_250;

export function makeCycle(overrides: Partial<Cycle> & Pick<Cycle, 'sid'>): Cycle {
  return {
    room: 'room-a',
    roomSid: 'RM_a',
    roomSidRank: Number.MAX_SAFE_INTEGER,
    identity: 'alice',
    name: 'Alice',
    nameVersion: 3,
    kind: 'STANDARD',
    joinedAtMs: T0,
    connected: true,
    joinSeen: true,
    observed: false,
    webhookEndedAtMs: null,
    roomFinishedAtMs: null,
    lastAbsentAtMs: null,
    openedBy: 'webhook',
    endedAtMs: null,
    endedBy: null,
    estimatedLeftAtMs: null,
    lastSeenAtMs: T0 + 1_000,
    ...overrides,
  };
}

export function makeEntry(eventId: string, overrides: Partial<InboxEntry> = {}): InboxEntry {
  return {
    eventId,
    source: 'webhook',
    type: 'participant_joined',
    room: 'room-a',
    createdAtMs: T0,
    receivedAtMs: T0 + 40,
    body: `{"id":"${eventId}","event":"participant_joined"}`,
    ...overrides,
  };
}

export function makeSession(overrides: Partial<Session> & Pick<Session, 'id'>): Session {
  return {
    title: 'Weekly sync',
    rooms: ['room-a'],
    startsAtMs: T0,
    endsAtMs: T0 + 3_600_000,
    timezone: 'UTC',
    hosts: ['alice'],
    roster: [{ identity: 'alice', name: 'Alice', role: 'host', aliases: [] }],
    tags: ['team'],
    policy: {
      lateAfterMinutes: 5,
      leftEarlyMinutes: 10,
      presentPercent: 75,
      absentBelowMinutes: 1,
      lateFrom: 'start',
    },
    createdAtMs: T0 - 60_000,
    updatedAtMs: T0 - 60_000,
    ...overrides,
  };
}

export function makeOverride(
  overrides: Partial<StatusOverride> & Pick<StatusOverride, 'sessionId' | 'identity'>,
): StatusOverride {
  return {
    status: 'excused',
    reason: 'doctor appointment',
    author: 'teacher@example.com',
    atMs: T0 + 10,
    ...overrides,
  };
}

export function makeAudit(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    atMs: T0,
    action: 'cycle.opened',
    source: 'webhook',
    actor: null,
    session: null,
    room: 'room-a',
    identity: 'alice',
    sid: 'PA_1',
    before: null,
    after: { sid: 'PA_1', joinedAtMs: T0 },
    reason: null,
    ...overrides,
  };
}
