import { describe, expect, it } from 'vitest';
import {
  applyReconcileAction,
  planRoomReconcile,
  type Cycle,
  type ListedParticipant,
} from '../../src/core/index.js';

const ROOM = 'class-101';
const T = 1_700_000_000_000;

function cycle(over: Partial<Cycle> = {}): Cycle {
  return {
    sid: 'PA_a',
    room: ROOM,
    roomSid: 'RM_1',
    identity: 'alice',
    name: 'Alice',
    nameVersion: 1,
    kind: 'STANDARD',
    joinedAtMs: T,
    connected: true,
    openedBy: 'webhook',
    endedAtMs: null,
    endedBy: null,
    estimatedLeftAtMs: null,
    lastSeenAtMs: T + 60_000,
    ...over,
  };
}

function listed(over: Partial<ListedParticipant> = {}): ListedParticipant {
  return {
    sid: 'PA_a',
    identity: 'alice',
    name: 'Alice',
    kind: 'STANDARD',
    joinedAtMs: T,
    version: 2,
    state: 'ACTIVE',
    ...over,
  };
}

const ctx = { room: ROOM, roomSid: 'RM_1', passAtMs: T + 120_000 };
const CLOSE = { type: 'close', sid: 'PA_a', identity: 'alice', leftAtMs: T } as const;

describe('planRoomReconcile (reconciliation rules 2 and 3)', () => {
  it('opens a cycle for an ACTIVE participant it has none for', () => {
    expect(
      planRoomReconcile({ room: ROOM, roomSid: 'RM_1', listed: [listed()], known: [] }),
    ).toEqual([{ type: 'open', sid: 'PA_a', identity: 'alice', participant: listed() }]);
  });

  it.each(['JOINING', 'JOINED'] as const)('does not open for a %s participant', (state) => {
    expect(
      planRoomReconcile({ room: ROOM, roomSid: 'RM_1', listed: [listed({ state })], known: [] }),
    ).toEqual([]);
  });

  it('confirms an open cycle of a JOINED or ACTIVE participant', () => {
    for (const state of ['JOINED', 'ACTIVE'] as const) {
      const [a] = planRoomReconcile({
        room: ROOM,
        roomSid: 'RM_1',
        listed: [listed({ state })],
        known: [cycle()],
      });
      expect(a?.type).toBe('confirm');
    }
  });

  it('closes an open cycle LiveKit no longer lists at its last confirmation', () => {
    expect(
      planRoomReconcile({ room: ROOM, roomSid: 'RM_1', listed: [], known: [cycle()] }),
    ).toEqual([{ type: 'close', sid: 'PA_a', identity: 'alice', leftAtMs: T + 60_000 }]);
  });

  it('closes every open cycle of a room LiveKit no longer has', () => {
    const known = [cycle(), cycle({ sid: 'PA_b', identity: 'bob' })];
    const plan = planRoomReconcile({ room: ROOM, roomSid: null, listed: [], known });
    expect(plan.map((a) => [a.type, a.sid])).toEqual([
      ['close', 'PA_a'],
      ['close', 'PA_b'],
    ]);
  });

  it('reopens a sid the reconciler itself closed when LiveKit lists it again', () => {
    const closed = cycle({ estimatedLeftAtMs: T + 60_000 });
    const [a] = planRoomReconcile({
      room: ROOM,
      roomSid: 'RM_1',
      listed: [listed()],
      known: [closed],
    });
    expect(a?.type).toBe('reopen');
    expect(applyReconcileAction(closed, a!, ctx)).toMatchObject({
      estimatedLeftAtMs: null,
      lastSeenAtMs: ctx.passAtMs,
    });
  });

  it('never reopens a sid a webhook or room_finished closed', () => {
    for (const endedBy of ['webhook', 'room_finished'] as const) {
      const ended = cycle({ endedAtMs: T + 90_000, endedBy });
      expect(
        planRoomReconcile({ room: ROOM, roomSid: 'RM_1', listed: [listed()], known: [ended] }),
      ).toEqual([]);
    }
  });
});

describe('applyReconcileAction on fresh state', () => {
  it('does not close a cycle a webhook confirmed after the pass looked', () => {
    const fresh = cycle({ lastSeenAtMs: ctx.passAtMs + 1_000 });
    expect(applyReconcileAction(fresh, CLOSE, ctx)).toBeNull();
  });

  it('does not close a cycle a webhook ended meanwhile', () => {
    const fresh = cycle({ endedAtMs: T + 100_000, endedBy: 'webhook' });
    expect(applyReconcileAction(fresh, CLOSE, ctx)).toBeNull();
  });

  it('turns an open into a confirm when the webhook arrived first, keeping webhook as opener', () => {
    const fresh = cycle();
    const next = applyReconcileAction(
      fresh,
      { type: 'open', sid: 'PA_a', identity: 'alice', participant: listed() },
      ctx,
    );
    expect(next).toMatchObject({ openedBy: 'webhook', lastSeenAtMs: ctx.passAtMs, joinedAtMs: T });
  });

  it('opens with LiveKit joinedAtMs, connected, opened by the reconciler', () => {
    const next = applyReconcileAction(
      undefined,
      { type: 'open', sid: 'PA_a', identity: 'alice', participant: listed() },
      ctx,
    );
    expect(next).toEqual(
      cycle({ openedBy: 'reconciler', nameVersion: 2, lastSeenAtMs: ctx.passAtMs }),
    );
  });

  it('fills the join time of a cycle known only from track events', () => {
    const sighting = cycle({
      joinedAtMs: null,
      connected: false,
      name: null,
      nameVersion: -1,
      kind: null,
    });
    const [a] = planRoomReconcile({
      room: ROOM,
      roomSid: 'RM_1',
      listed: [listed()],
      known: [sighting],
    });
    expect(a?.type).toBe('open');
    expect(applyReconcileAction(sighting, a!, ctx)).toMatchObject({
      joinedAtMs: T,
      connected: true,
      name: 'Alice',
    });
  });
});
