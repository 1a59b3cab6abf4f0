import { ParticipantInfo_Kind, ParticipantInfo_State } from '@livekit/protocol';
import { WebhookEvent, type ParticipantInfo, type Room } from 'livekit-server-sdk';
import type { JsonValue } from '@bufbuild/protobuf';
import {
  AttendanceError,
  MAX_NAME_LENGTH,
  nameLength,
  type ListedParticipant,
  type ListedState,
  type LiveKitEvent,
  type ParticipantSnapshot,
} from '../core/index.js';

/** Enum number → name; unknown numbers (newer servers) keep a readable form. */
export function kindName(kind: number): string {
  return ParticipantInfo_Kind[kind] ?? `KIND_${kind}`;
}

function stateName(state: number): ListedState {
  const name = ParticipantInfo_State[state];
  return name === 'JOINING' || name === 'JOINED' || name === 'ACTIVE' || name === 'DISCONNECTED'
    ? name
    : 'JOINING';
}

/** LiveKit's join time: `joinedAtMs`, else `joinedAt` × 1000 (attendance-model "Where times come from"). */
function joinedAtOf(p: ParticipantInfo): number | null {
  const ms = Number(p.joinedAtMs);
  if (ms > 0) return ms;
  const s = Number(p.joinedAt);
  return s > 0 ? s * 1000 : null;
}

/**
 * A participant from a webhook. Track events carry only `{sid, identity}` (livekit-reference 1.4), so
 * name, kind and join time are unknown there rather than empty.
 */
export function toParticipantSnapshot(p: ParticipantInfo, reduced: boolean): ParticipantSnapshot {
  if (reduced) {
    return {
      sid: p.sid,
      identity: p.identity,
      name: null,
      kind: null,
      joinedAtMs: null,
      version: null,
    };
  }
  return {
    sid: p.sid,
    identity: p.identity,
    name: p.name,
    kind: kindName(p.kind),
    joinedAtMs: joinedAtOf(p),
    version: p.version,
  };
}

export function toListedParticipant(p: ParticipantInfo): ListedParticipant {
  return { ...toParticipantSnapshot(p, false), state: stateName(p.state) };
}

function roomRef(room: Room | undefined): { name: string; sid: string | null } | null {
  if (!room || room.name === '') return null;
  return { name: room.name, sid: room.sid === '' ? null : room.sid };
}

/**
 * The attendance-relevant content of a verified webhook. `createdAt` is LiveKit's (seconds); only
 * when a signed event lacks it does the receiving time stand in.
 */
export function toLiveKitEvent(
  ev: WebhookEvent,
  fallback: { id: string; receivedAtMs: number },
): LiveKitEvent {
  const createdAtS = Number(ev.createdAt);
  const reduced = !ev.event.startsWith('participant_');
  return {
    id: ev.id !== '' ? ev.id : fallback.id,
    type: ev.event,
    createdAtMs: createdAtS > 0 ? createdAtS * 1000 : fallback.receivedAtMs,
    room: roomRef(ev.room),
    participant:
      ev.participant && ev.participant.sid !== ''
        ? toParticipantSnapshot(ev.participant, reduced)
        : null,
  };
}

/**
 * Parses a body that was verified when it arrived (the inbox keeps exact raw bodies), for replays.
 *
 * @throws {AttendanceError} `stored_event_unreadable` with a short reason. Never the parser's own
 * message, and no `cause`: V8's JSON errors and protobuf's decode errors quote the body, and this
 * message goes to the log and to `inbox.last_error`.
 */
export function parseStoredWebhook(
  rawBody: string,
  fallback: { id: string; receivedAtMs: number },
): LiveKitEvent {
  let json: JsonValue;
  try {
    json = JSON.parse(rawBody) as JsonValue;
  } catch {
    throw new AttendanceError('stored_event_unreadable', 'stored webhook body is not JSON');
  }
  let ev: WebhookEvent;
  try {
    ev = WebhookEvent.fromJson(json, { ignoreUnknownFields: true });
  } catch {
    throw new AttendanceError(
      'stored_event_unreadable',
      'stored webhook body is not a LiveKit webhook event',
    );
  }
  return toLiveKitEvent(ev, fallback);
}

/** LiveKit times outside these bounds are not real (and would not render as ISO 8601). */
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2200, 0, 1);

function hasNul(s: string | null | undefined): boolean {
  return s !== null && s !== undefined && s.includes('\u0000');
}

/**
 * Why a correctly signed event cannot be used for attendance, or null when it can. Times must come
 * from LiveKit (attendance-model), so an attendance event without `createdAt` is refused rather than
 * stamped with the receiving clock.
 */
export function findEventProblem(e: LiveKitEvent, hadCreatedAt: boolean): string | null {
  if (!hadCreatedAt) return 'event has no createdAt';
  if (e.createdAtMs < EARLIEST_MS || e.createdAtMs > LATEST_MS) return 'createdAt is out of range';
  const p = e.participant;
  if (p?.joinedAtMs != null && (p.joinedAtMs < EARLIEST_MS || p.joinedAtMs > LATEST_MS)) {
    return 'participant joinedAt is out of range';
  }
  if ([e.id, e.room?.name, e.room?.sid, p?.sid, p?.identity, p?.name].some(hasNul)) {
    return 'a name or id contains a NUL character';
  }
  // The API addresses rooms and identities by path segment: what it cannot read, ingest refuses.
  if (e.room !== null && nameLength(e.room.name) > MAX_NAME_LENGTH) {
    return `room name is longer than ${MAX_NAME_LENGTH} characters`;
  }
  if (p !== null && p.identity === '') return 'participant identity is empty';
  if (p !== null && nameLength(p.identity) > MAX_NAME_LENGTH) {
    return `participant identity is longer than ${MAX_NAME_LENGTH} characters`;
  }
  return null;
}
