import type { LiveKitEvent, ParticipantSnapshot } from '../../src/core/index.js';

export const ROOM = { name: 'class-101', sid: 'RM_room1' };

export function participant(over: Partial<ParticipantSnapshot> = {}): ParticipantSnapshot {
  return {
    sid: 'PA_a',
    identity: 'alice',
    name: 'Alice',
    kind: 'STANDARD',
    joinedAtMs: 1_700_000_005_250,
    version: 1,
    ...over,
  };
}

let counter = 0;
export function event(
  type: string,
  createdAtMs: number,
  p: ParticipantSnapshot | null = participant(),
  room: { name: string; sid: string | null } | null = ROOM,
): LiveKitEvent {
  counter += 1;
  return { id: `EV_${type}_${counter}`, type, createdAtMs, room, participant: p };
}
