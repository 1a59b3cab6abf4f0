import { ParticipantInfo, Room, type TrackInfo, WebhookEvent } from '@livekit/protocol';
import { newId, type RandomSource } from './ids.js';

/** Event names the emulator generates (protocol `webhook/consts.go`). */
export type EmulatorEventName =
  | 'room_started'
  | 'room_finished'
  | 'participant_joined'
  | 'participant_left'
  | 'participant_connection_aborted'
  | 'track_published'
  | 'track_unpublished';

/** Where a new event gets its id and `createdAt` (seconds, set at generation, not at send). */
export interface EventStamp {
  random: RandomSource;
  nowMs: number;
}

function baseEvent(name: EmulatorEventName, stamp: EventStamp): WebhookEvent {
  return new WebhookEvent({
    event: name,
    id: newId('EV_', stamp.random),
    createdAt: BigInt(Math.floor(stamp.nowMs / 1000)),
  });
}

/** `room_started` / `room_finished`: the full room. */
export function roomEvent(name: EmulatorEventName, room: Room, stamp: EventStamp): WebhookEvent {
  const event = baseEvent(name, stamp);
  event.room = room.clone();
  return event;
}

/** `participant_*`: the full room and the full participant. */
export function participantEvent(
  name: EmulatorEventName,
  room: Room,
  participant: ParticipantInfo,
  stamp: EventStamp,
): WebhookEvent {
  const event = roomEvent(name, room, stamp);
  event.participant = participant.clone();
  return event;
}

/** `track_*`: only `{sid, name}` of the room and `{sid, identity}` of the participant, full track. */
export function trackEvent(
  name: EmulatorEventName,
  room: Room,
  participant: ParticipantInfo,
  track: TrackInfo,
  stamp: EventStamp,
): WebhookEvent {
  const event = baseEvent(name, stamp);
  event.room = new Room({ sid: room.sid, name: room.name });
  event.participant = new ParticipantInfo({ sid: participant.sid, identity: participant.identity });
  event.track = track.clone();
  return event;
}
