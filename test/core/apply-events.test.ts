import { describe, expect, it } from 'vitest';
import {
  applyEvents,
  type Cycle,
  type EventFoldState,
  type LiveKitEvent,
} from '../../src/core/index.js';
import { event, participant, ROOM } from './fixtures.js';

const JOIN = 1_700_000_005_250;

function fold(events: LiveKitEvent[], state?: EventFoldState) {
  const s = state ?? {
    cycles: new Map<string, Cycle>(),
    roomFinishedAtMs: new Map<string, number>(),
  };
  const result = applyEvents(s, events);
  return { state: s, result, cycle: (sid = 'PA_a') => s.cycles.get(sid) };
}

describe('applyEvents (event rules)', () => {
  it('opens a cycle on participant_joined at LiveKit joinedAtMs, connected', () => {
    const { cycle } = fold([event('participant_joined', 1_700_000_010_000)]);
    expect(cycle()).toEqual({
      sid: 'PA_a',
      room: 'class-101',
      roomSid: 'RM_room1',
      identity: 'alice',
      name: 'Alice',
      nameVersion: 1,
      kind: 'STANDARD',
      joinedAtMs: JOIN,
      connected: true,
      openedBy: 'webhook',
      endedAtMs: null,
      endedBy: null,
      estimatedLeftAtMs: null,
      lastSeenAtMs: 1_700_000_010_000,
    });
  });

  it('closes the cycle on participant_left at the event createdAt', () => {
    const { cycle } = fold([
      event('participant_joined', 1_700_000_010_000),
      event('participant_left', 1_700_003_600_000),
    ]);
    expect(cycle()?.endedAtMs).toBe(1_700_003_600_000);
    expect(cycle()?.endedBy).toBe('webhook');
  });

  it('recreates a closed cycle from a left whose join was lost', () => {
    const { cycle, result } = fold([event('participant_left', 1_700_003_600_000)]);
    expect(cycle()?.joinedAtMs).toBe(JOIN);
    expect(cycle()?.connected).toBe(true);
    expect(cycle()?.endedAtMs).toBe(1_700_003_600_000);
    expect([...result.roomsWithUnseenSids]).toEqual(['class-101']);
  });

  it('keeps an aborted connection unconnected (zero attendance)', () => {
    const { cycle } = fold([event('participant_connection_aborted', 1_700_000_020_000)]);
    expect(cycle()?.connected).toBe(false);
    expect(cycle()?.endedAtMs).toBe(1_700_000_020_000);
  });

  it('ignores a join that arrives after its sid was closed', () => {
    const { cycle } = fold([
      event('participant_left', 1_700_003_600_000),
      event('participant_joined', 1_700_000_010_000),
    ]);
    expect(cycle()?.endedAtMs).toBe(1_700_003_600_000);
  });

  it('keeps the earliest of two terminal events', () => {
    const { cycle } = fold([
      event('participant_left', 1_700_003_600_000),
      event('participant_connection_aborted', 1_700_003_500_000),
    ]);
    expect(cycle()?.endedAtMs).toBe(1_700_003_500_000);
  });

  it('replaces a reconciler estimate with a late participant_left, even a later one', () => {
    const state = fold([event('participant_joined', 1_700_000_010_000)]).state;
    const c = state.cycles.get('PA_a')!;
    state.cycles.set('PA_a', { ...c, estimatedLeftAtMs: 1_700_000_100_000 });
    const { cycle } = fold([event('participant_left', 1_700_000_130_000)], state);
    expect(cycle()?.endedAtMs).toBe(1_700_000_130_000);
    expect(cycle()?.estimatedLeftAtMs).toBeNull();
  });

  it('closes every open cycle of the room incarnation on room_finished', () => {
    const bob = participant({ sid: 'PA_b', identity: 'bob', name: 'Bob' });
    const { state } = fold([
      event('participant_joined', 1_700_000_010_000),
      event('participant_joined', 1_700_000_011_000, bob),
      event('participant_left', 1_700_000_500_000, bob),
      event('room_finished', 1_700_001_000_000, null),
    ]);
    expect(state.cycles.get('PA_a')).toMatchObject({
      endedAtMs: 1_700_001_000_000,
      endedBy: 'room_finished',
    });
    expect(state.cycles.get('PA_b')).toMatchObject({
      endedAtMs: 1_700_000_500_000,
      endedBy: 'webhook',
    });
  });

  it('closes a cycle first heard of after its room finished', () => {
    const { cycle } = fold([
      event('room_finished', 1_700_001_000_000, null),
      event('participant_joined', 1_700_000_010_000),
    ]);
    expect(cycle()).toMatchObject({ endedAtMs: 1_700_001_000_000, endedBy: 'room_finished' });
  });

  it('does not close cycles of another incarnation of the same room name', () => {
    const { cycle } = fold([
      event('participant_joined', 1_700_000_010_000),
      event('room_finished', 1_700_001_000_000, null, { name: ROOM.name, sid: 'RM_other' }),
    ]);
    expect(cycle()?.endedAtMs).toBeNull();
  });

  it('advances lastSeenAt on a track event without changing join or name', () => {
    const { cycle } = fold([
      event('participant_joined', 1_700_000_010_000),
      event('track_published', 1_700_000_300_000, {
        sid: 'PA_a',
        identity: 'alice',
        name: null,
        kind: null,
        joinedAtMs: null,
        version: null,
      }),
    ]);
    expect(cycle()).toMatchObject({
      lastSeenAtMs: 1_700_000_300_000,
      name: 'Alice',
      joinedAtMs: JOIN,
    });
  });

  it('takes the name from the highest participant version', () => {
    const { cycle } = fold([
      event('participant_left', 1_700_003_600_000, participant({ name: 'Alice B.', version: 9 })),
      event('participant_joined', 1_700_000_010_000, participant({ name: 'Alice', version: 3 })),
    ]);
    expect(cycle()?.name).toBe('Alice B.');
  });

  it('reports nothing changed for a duplicate', () => {
    const e = event('participant_joined', 1_700_000_010_000);
    const { state } = fold([e]);
    expect(fold([e], state).result.changed).toEqual([]);
  });
});
