import { afterEach, describe, expect, it } from 'vitest';
import {
  createEmulator,
  type Emulator,
  EmulatorError,
  ManualClock,
} from '../../src/emulator/index.js';

const START = Date.UTC(2026, 0, 1, 9, 0, 0);
let emus: Emulator[] = [];

afterEach(() => {
  for (const e of emus) e.close();
  emus = [];
});

function setup(): { clock: ManualClock; emu: Emulator } {
  const clock = new ManualClock({ startAtMs: START });
  const emu = createEmulator({ clock, seed: 42 });
  emus.push(emu);
  return { clock, emu };
}

/** `event:identity:reason` lines, the story the webhooks tell. */
function story(emu: Emulator): string[] {
  return emu.generatedEvents().map((e) => {
    const body = JSON.parse(e.body) as {
      participant?: { identity?: string; disconnectReason?: string };
    };
    return [e.event, e.identity ?? '', body.participant?.disconnectReason ?? '']
      .join(':')
      .replace(/:+$/, '');
  });
}

describe('scenario flows', () => {
  it('join then graceful leave', () => {
    const { emu } = setup();
    const a = emu.connect('r', { identity: 'u' });
    expect(a.joinedAtMs).toBe(START);
    expect(a.sid).toMatch(/^PA_[2-9A-HJ-NP-Za-km-z]{12}$/);
    emu.disconnect('r', a.sid);
    expect(story(emu)).toEqual([
      'room_started',
      'participant_joined:u',
      'participant_left:u:CLIENT_INITIATED',
    ]);
    expect(emu.listParticipants('r')).toEqual([]);
  });

  it('sends participant_joined only on ACTIVE and keeps joinedAtMs at connect time', async () => {
    const { clock, emu } = setup();
    const a = emu.connect('r', { identity: 'u', state: 'JOINING' });
    expect(emu.getParticipant('r', 'u')?.state).toBe(0);
    expect(story(emu)).toEqual(['room_started']);
    await clock.advance(2_000);
    emu.setState('r', a.sid, 'JOINED');
    expect(story(emu)).toEqual(['room_started']);
    emu.setState('r', a.sid, 'ACTIVE');
    expect(story(emu)).toEqual(['room_started', 'participant_joined:u']);
    const joined = JSON.parse(emu.generatedEvents()[1]?.body ?? '{}') as {
      participant: Record<string, unknown>;
      createdAt: string;
    };
    expect(joined.participant['joinedAtMs']).toBe(String(START));
    expect(joined.participant['version']).toBe(3);
    expect(joined.createdAt).toBe(String(START / 1000 + 2));
  });

  it('reports a session that never became ACTIVE as participant_connection_aborted', () => {
    const { emu } = setup();
    const a = emu.connect('r', { identity: 'u', state: 'JOINED' });
    emu.disconnect('r', a.sid, { reason: 'JOIN_FAILURE' });
    expect(story(emu)).toEqual(['room_started', 'participant_connection_aborted:u:JOIN_FAILURE']);
  });

  it('keeps an abruptly lost participant listed until CONNECTION_TIMEOUT about 15 s later', async () => {
    const { clock, emu } = setup();
    const a = emu.connect('r', { identity: 'u' });
    expect(emu.abruptDisconnect('r', a.sid)).toEqual({ closesAtMs: START + 15_000 });
    await clock.advance(14_999);
    expect(emu.listParticipants('r')?.map((p) => p.sid)).toEqual([a.sid]);
    expect(story(emu)).toEqual(['room_started', 'participant_joined:u']);
    await clock.advance(1);
    expect(emu.listParticipants('r')).toEqual([]);
    expect(story(emu)).toEqual([
      'room_started',
      'participant_joined:u',
      'participant_left:u:CONNECTION_TIMEOUT',
    ]);
  });

  it('closes the old session with DUPLICATE_IDENTITY before the new sid joins', () => {
    const { emu } = setup();
    const first = emu.connect('r', { identity: 'u' });
    const second = emu.connect('r', { identity: 'u' });
    expect(second.sid).not.toBe(first.sid);
    expect(story(emu)).toEqual([
      'room_started',
      'participant_joined:u',
      'participant_left:u:DUPLICATE_IDENTITY',
      'participant_joined:u',
    ]);
    const sids = emu.generatedEvents().map((e) => e.participantSid);
    expect(sids).toEqual([undefined, first.sid, first.sid, second.sid]);
    expect(emu.listParticipants('r')?.map((p) => p.sid)).toEqual([second.sid]);
  });

  it('aborts a duplicate that never became ACTIVE', () => {
    const { emu } = setup();
    emu.connect('r', { identity: 'u', state: 'JOINING' });
    emu.connect('r', { identity: 'u' });
    expect(story(emu)).toEqual([
      'room_started',
      'participant_connection_aborted:u:DUPLICATE_IDENTITY',
      'participant_joined:u',
    ]);
  });

  it('reconnect can deliver a stale left after the rejoin', () => {
    const { emu } = setup();
    const first = emu.connect('r', { identity: 'u', name: 'U' });
    const second = emu.reconnect('r', 'u', { staleLeft: true });
    expect(story(emu)).toEqual([
      'room_started',
      'participant_joined:u',
      'participant_joined:u',
      'participant_left:u:DUPLICATE_IDENTITY',
    ]);
    expect(emu.generatedEvents().map((e) => e.participantSid)).toEqual([
      undefined,
      first.sid,
      second.sid,
      first.sid,
    ]);
    expect(emu.getParticipant('r', 'u')?.name).toBe('U');
  });

  it('closes the room after departureTimeout, agents and egress leaving with ROOM_CLOSED first', async () => {
    const { clock, emu } = setup();
    const u = emu.connect('r', { identity: 'u' });
    emu.connect('r', { identity: 'agent', kind: 'AGENT' });
    emu.connect('r', { identity: 'rec', kind: 'EGRESS' });
    await clock.advance(10_000);
    emu.disconnect('r', u.sid);
    await clock.advance(19_999);
    expect(emu.listRooms().map((r) => r.name)).toEqual(['r']);
    await clock.advance(1);
    expect(emu.listRooms()).toEqual([]);
    expect(story(emu)).toEqual([
      'room_started',
      'participant_joined:u',
      'participant_joined:agent',
      'participant_joined:rec',
      'participant_left:u:CLIENT_INITIATED',
      'participant_left:agent:ROOM_CLOSED',
      'participant_left:rec:ROOM_CLOSED',
      'room_finished',
    ]);
    const agentJoined = JSON.parse(emu.generatedEvents()[2]?.body ?? '{}') as {
      participant: { kind?: string };
    };
    expect(agentJoined.participant.kind).toBe('AGENT');
  });

  it('keeps the room sid when someone rejoins within departureTimeout, and makes a new one after', async () => {
    const { clock, emu } = setup();
    const a = emu.connect('r', { identity: 'u' });
    emu.disconnect('r', a.sid);
    await clock.advance(10_000);
    const b = emu.connect('r', { identity: 'u' });
    expect(b.roomSid).toBe(a.roomSid);
    emu.disconnect('r', b.sid);
    await clock.advance(20_000);
    const c = emu.connect('r', { identity: 'u' });
    expect(c.roomSid).not.toBe(a.roomSid);
    expect(story(emu).filter((s) => s.startsWith('room_'))).toEqual([
      'room_started',
      'room_finished',
      'room_started',
    ]);
  });

  it('closes a room nobody joined after emptyTimeout', async () => {
    const { clock, emu } = setup();
    emu.createRoom('empty', { emptyTimeout: 60 });
    await clock.advance(59_999);
    expect(emu.listRooms()).toHaveLength(1);
    await clock.advance(1);
    expect(story(emu)).toEqual(['room_started', 'room_finished']);
  });

  it('endRoom disconnects everyone with ROOM_DELETED then finishes the room', () => {
    const { emu } = setup();
    emu.connect('r', { identity: 'a' });
    emu.connect('r', { identity: 'b', state: 'JOINING' });
    expect(emu.endRoom('r')).toBe(true);
    expect(emu.endRoom('r')).toBe(false);
    expect(story(emu)).toEqual([
      'room_started',
      'participant_joined:a',
      'participant_left:a:ROOM_DELETED',
      'participant_connection_aborted:b:ROOM_DELETED',
      'room_finished',
    ]);
  });

  it('publishes and unpublishes tracks with reduced room and participant', () => {
    const { emu } = setup();
    const a = emu.connect('r', { identity: 'u' });
    const { trackSid } = emu.publishTrack('r', a.sid, { source: 'MICROPHONE', type: 'AUDIO' });
    emu.unpublishTrack('r', a.sid, trackSid);
    const [published, unpublished] = emu
      .generatedEvents()
      .slice(2)
      .map((e) => JSON.parse(e.body) as Record<string, unknown>);
    expect(published).toEqual({
      event: 'track_published',
      room: { sid: a.roomSid, name: 'r' },
      participant: { sid: a.sid, identity: 'u' },
      track: { sid: trackSid, source: 'MICROPHONE' },
      id: emu.generatedEvents()[2]?.id,
      createdAt: String(START / 1000),
    });
    expect(unpublished?.['event']).toBe('track_unpublished');
  });

  it('unpublishes every published track before participant_left, at the leave (livekit Close)', async () => {
    const { clock, emu } = setup();
    const a = emu.connect('r', { identity: 'u' });
    const mic = emu.publishTrack('r', a.sid, { source: 'MICROPHONE', type: 'AUDIO' });
    const cam = emu.publishTrack('r', a.sid, { source: 'CAMERA', type: 'VIDEO' });
    await clock.advance(60_000);
    emu.abruptDisconnect('r', a.sid);
    await clock.advance(15_000);
    const events = emu.generatedEvents().slice(4);
    expect(events.map((e) => [e.event, e.createdAtMs])).toEqual([
      ['track_unpublished', START + 75_000],
      ['track_unpublished', START + 75_000],
      ['participant_left', START + 75_000],
    ]);
    const bodies = events.map((e) => JSON.parse(e.body) as Record<string, any>);
    expect(bodies.slice(0, 2).map((b) => b['track']['sid'])).toEqual([mic.trackSid, cam.trackSid]);
    expect(bodies[0]?.['participant']).toEqual({ sid: a.sid, identity: 'u' });
    // The left participant lists no tracks any more.
    expect(bodies[2]?.['participant']['tracks']).toBeUndefined();
    expect(bodies[2]?.['participant']['disconnectReason']).toBe('CONNECTION_TIMEOUT');
  });

  it("unpublishes the old session's tracks on a duplicate identity, before its left", () => {
    const { emu } = setup();
    const a = emu.connect('r', { identity: 'u' });
    emu.publishTrack('r', a.sid, { source: 'MICROPHONE', type: 'AUDIO' });
    emu.reconnect('r', 'u');
    expect(story(emu).slice(3)).toEqual([
      'track_unpublished:u',
      'participant_left:u:DUPLICATE_IDENTITY',
      'participant_joined:u',
    ]);
  });

  it('records every session as ground truth when asked, and hands each event to onEvent', async () => {
    const clock = new ManualClock({ startAtMs: START });
    const seen: string[] = [];
    const emu = createEmulator({
      clock,
      seed: 7,
      recordConnections: true,
      onEvent: (e) => seen.push(`${e.event}@${e.createdAtMs - START}`),
    });
    emus.push(emu);
    const a = emu.connect('r', { identity: 'u' });
    const page = emu.connect('r', { identity: 'v', state: 'JOINED' });
    await clock.advance(30_500);
    emu.disconnect('r', a.sid);
    expect(emu.connections()).toEqual([
      {
        room: 'r',
        roomSid: a.roomSid,
        sid: a.sid,
        identity: 'u',
        kind: 'STANDARD',
        joinedAtMs: START,
        activeAtMs: START,
        endedAtMs: START + 30_500,
        reason: 'CLIENT_INITIATED',
      },
      {
        room: 'r',
        roomSid: a.roomSid,
        sid: page.sid,
        identity: 'v',
        kind: 'STANDARD',
        joinedAtMs: START,
        activeAtMs: null,
        endedAtMs: null,
        reason: null,
      },
    ]);
    expect(seen).toEqual(['room_started@0', 'participant_joined@0', 'participant_left@30000']);
  });

  it('throws EmulatorError for unknown rooms and sids', () => {
    const { emu } = setup();
    expect(() => emu.disconnect('nope', 'PA_x')).toThrow(EmulatorError);
    emu.createRoom('r');
    expect(() => emu.setState('r', 'PA_x', 'ACTIVE')).toThrow('participant PA_x is not in room r');
  });

  it('populates 1,000 rooms x 20 participants silently', () => {
    const { emu } = setup();
    const { rooms } = emu.populate({ rooms: 1_000, participantsPerRoom: 20 });
    expect(rooms).toHaveLength(1_000);
    expect(emu.listRooms()).toHaveLength(1_000);
    expect(emu.listParticipants('room-999')).toHaveLength(20);
    expect(emu.generatedEvents()).toEqual([]);
  });

  it('is deterministic for a given seed', () => {
    const one = setup().emu.connect('r', { identity: 'u' });
    const two = setup().emu.connect('r', { identity: 'u' });
    expect(one.sid).toBe(two.sid);
    expect(one.roomSid).toBe(two.roomSid);
  });
});
