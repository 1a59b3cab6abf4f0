import { describe, expect, it } from 'vitest';
import {
  auditCycleChanges,
  cycleAuditView,
  foldJournal,
  type Cycle,
  type JournalEntry,
  type RoomObservation,
} from '../../src/core/index.js';
import { event, participant, ROOM } from './fixtures.js';

const J = 1_700_000_005_250;
const AT = 1_800_000_000_000;

/** Folds entries with the production fold, from `cycles`, and audits what changed. */
function foldAndAudit(cycles: Map<string, Cycle>, entries: JournalEntry[]) {
  const before = new Map([...cycles].map(([sid, c]) => [sid, cycleAuditView(c)]));
  const { changed } = foldJournal({ cycles, roomFinishedAtMs: new Map() }, entries);
  const reopenSource = entries.some((e) => e.kind === 'observation') ? 'reconciler' : 'webhook';
  return auditCycleChanges({ before, after: changed, atMs: AT, reopenSource });
}

function observation(over: Partial<RoomObservation>): JournalEntry {
  return {
    kind: 'observation',
    observation: {
      id: `RO_${Math.random()}`,
      room: ROOM.name,
      roomSid: ROOM.sid,
      roomsListedAtMs: null,
      requestedAtMs: J,
      answeredAtMs: J,
      listed: [],
      absent: [],
      ...over,
    },
  };
}

describe('auditCycleChanges', () => {
  it('records a join and a leave folded in one batch as opened, then closed', () => {
    const cycles = new Map<string, Cycle>();
    const records = foldAndAudit(cycles, [
      { kind: 'webhook', event: event('participant_joined', J) },
      { kind: 'webhook', event: event('participant_left', J + 60_000) },
    ]);
    expect(records.map((r) => [r.action, r.source])).toEqual([
      ['cycle.opened', 'webhook'],
      ['cycle.closed', 'webhook'],
    ]);
    expect(records[0]).toMatchObject({ before: null, after: { leftAt: null }, atMs: AT });
    expect(records[1]).toMatchObject({ before: { leftAt: null }, after: { closedBy: 'webhook' } });
  });

  it('records a reconciler close outweighed by a later listing as reopened by the reconciler', () => {
    const cycles = new Map<string, Cycle>();
    foldJournal({ cycles, roomFinishedAtMs: new Map() }, [
      { kind: 'webhook', event: event('participant_joined', J) },
      observation({
        requestedAtMs: J + 60_000,
        answeredAtMs: J + 61_000,
        listed: [{ ...participant(), state: 'ACTIVE' }],
      }),
      observation({
        requestedAtMs: J + 120_000,
        answeredAtMs: J + 121_000,
        absent: [{ sid: 'PA_a', identity: 'alice' }],
      }),
    ]);
    expect(cycleAuditView(cycles.get('PA_a'))?.closedBy).toBe('reconciler');
    const records = foldAndAudit(cycles, [
      observation({
        requestedAtMs: J + 180_000,
        answeredAtMs: J + 181_000,
        listed: [{ ...participant(), state: 'ACTIVE' }],
      }),
    ]);
    expect(records.map((r) => [r.action, r.source])).toEqual([['cycle.reopened', 'reconciler']]);
    expect(records[0]).toMatchObject({
      before: { closedBy: 'reconciler' },
      after: { leftAt: null },
    });
  });

  it('records nothing when only evidence changed (a confirmation, a track event)', () => {
    const cycles = new Map<string, Cycle>();
    foldJournal({ cycles, roomFinishedAtMs: new Map() }, [
      { kind: 'webhook', event: event('participant_joined', J) },
    ]);
    const records = foldAndAudit(cycles, [
      { kind: 'webhook', event: event('track_published', J + 30_000) },
      observation({
        requestedAtMs: J + 60_000,
        answeredAtMs: J + 61_000,
        listed: [{ ...participant(), state: 'ACTIVE' }],
      }),
    ]);
    expect(records).toEqual([]);
  });
});
