import {
  Codec,
  ParticipantInfo,
  ParticipantInfo_State,
  ParticipantPermission,
  Room,
  type ParticipantInfo_Kind,
} from '@livekit/protocol';
import type { TimerHandle } from './clock.js';
import {
  type ConnectOptions,
  DEFAULT_DEPARTURE_TIMEOUT_SECONDS,
  DEFAULT_EMPTY_TIMEOUT_SECONDS,
  type RoomOptions,
  SECOND,
} from './emulator-options.js';
import { isDependentKind } from './enums.js';
import { newId, type RandomSource } from './ids.js';

/** One participant session as the emulator holds it. */
export interface ParticipantEntry {
  info: ParticipantInfo;
  reachedActive: boolean;
  abruptTimer?: TimerHandle;
}

/** One room as the emulator holds it. */
export interface RoomEntry {
  room: Room;
  /** Keyed by identity, like LiveKit's participant store. */
  participants: Map<string, ParticipantEntry>;
  everJoined: boolean;
  closeTimer?: TimerHandle;
}

const DEFAULT_CODECS = (): Codec[] => [
  new Codec({ mime: 'audio/opus' }),
  new Codec({ mime: 'video/VP8' }),
];

/** A new room with LiveKit's defaults (empty 300 s, departure 20 s, opus and VP8). */
export function newRoomEntry(
  name: string,
  options: RoomOptions,
  nowMs: number,
  random: RandomSource,
): RoomEntry {
  const room = new Room({
    sid: newId('RM_', random),
    name,
    emptyTimeout: options.emptyTimeout ?? DEFAULT_EMPTY_TIMEOUT_SECONDS,
    departureTimeout: options.departureTimeout ?? DEFAULT_DEPARTURE_TIMEOUT_SECONDS,
    maxParticipants: options.maxParticipants ?? 0,
    creationTime: BigInt(Math.floor(nowMs / SECOND)),
    creationTimeMs: BigInt(nowMs),
    enabledCodecs: DEFAULT_CODECS(),
    metadata: options.metadata ?? '',
  });
  return { room, participants: new Map(), everJoined: false };
}

/** A new session, JOINING, with a fresh sid and the join time LiveKit stamps (s and ms). */
export function newParticipantInfo(
  options: ConnectOptions,
  kind: ParticipantInfo_Kind,
  nowMs: number,
  random: RandomSource,
): ParticipantInfo {
  return new ParticipantInfo({
    sid: newId('PA_', random),
    identity: options.identity,
    state: ParticipantInfo_State.JOINING,
    metadata: options.metadata ?? '',
    joinedAt: BigInt(Math.floor(nowMs / SECOND)),
    joinedAtMs: BigInt(nowMs),
    name: options.name ?? '',
    version: 1,
    permission: new ParticipantPermission({
      canSubscribe: true,
      canPublish: true,
      canPublishData: true,
    }),
    kind,
    attributes: { ...(options.attributes ?? {}) },
  });
}

/** Someone keeps the room open: a participant that is not an agent, egress or the like. */
export function hasPresentParticipant(entry: RoomEntry): boolean {
  for (const p of entry.participants.values()) if (!isDependentKind(p.info.kind)) return true;
  return false;
}

/** Room.numParticipants (dependent kinds not counted) and numPublishers, as LiveKit reports them. */
export function refreshCounts(entry: RoomEntry): void {
  let participants = 0;
  let publishers = 0;
  for (const p of entry.participants.values()) {
    if (!isDependentKind(p.info.kind)) participants += 1;
    if (p.info.isPublisher) publishers += 1;
  }
  entry.room.numParticipants = participants;
  entry.room.numPublishers = publishers;
}
