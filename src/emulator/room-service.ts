import {
  CreateRoomRequest,
  DeleteRoomRequest,
  DeleteRoomResponse,
  ListParticipantsRequest,
  ListParticipantsResponse,
  ListRoomsRequest,
  ListRoomsResponse,
  RemoveParticipantResponse,
  RoomParticipantIdentity,
} from '@livekit/protocol';
import { type ApiFault, type ApiFaultMode, isApiFaultMode } from './api-fault.js';
import { authenticateApiRequest, type VideoGrant } from './api-auth.js';
import type { Emulator } from './emulator.js';
import { type ProtoMessage, toTwirpJson } from './proto-json.js';
import { plainText, type ServiceReply, twirpError } from './twirp.js';

export const ROOM_SERVICE_PREFIX = '/twirp/livekit.RoomService/';

/** RoomService methods the real server has but the emulator does not: Twirp `unimplemented`. */
const UNIMPLEMENTED = new Set([
  'MutePublishedTrack',
  'UpdateParticipant',
  'UpdateSubscriptions',
  'SendData',
  'UpdateRoomMetadata',
  'ForwardParticipant',
  'MoveParticipant',
  'PerformRpc',
]);

interface Decoder<T> {
  fromJson(json: unknown, options: { ignoreUnknownFields: boolean }): T;
  fromBinary(bytes: Uint8Array): T;
}

export interface RoomServiceRequest {
  httpMethod: string;
  /** Path without the query string. */
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  accessTokenParam: string | null;
  /** `X-Lk-Mock` header value, if any. */
  mock: string | undefined;
  body: Buffer;
}

type Encoding = 'json' | 'protobuf';

type Call = {
  room: string | undefined;
  run(): ServiceReply | ProtoMessage;
  allowed(grant: VideoGrant): boolean;
};

const PERMISSION_DENIED = (): ServiceReply => twirpError('unauthenticated', 'permissions denied');
const PARTICIPANT_NOT_FOUND = (): ServiceReply =>
  twirpError('not_found', 'twirp error unknown: participant does not exist');
const ROOM_NOT_FOUND = (): ServiceReply =>
  twirpError('not_found', 'twirp error unknown: requested room does not exist');

/**
 * Twirp RoomService as livekit-server answers it (see livekit-reference.md §3): auth middleware
 * first (plain-text 401), then Twirp routing, content type, decoding, faults, grants, the method.
 */
export function handleRoomService(
  emulator: Emulator,
  request: RoomServiceRequest,
  nowMs: number = Date.now(),
): ServiceReply {
  const auth = authenticateApiRequest({
    authorization: request.authorization,
    accessTokenParam: request.accessTokenParam,
    keys: new Map([[emulator.apiKey, emulator.apiSecret]]),
    nowMs,
  });
  if (auth.kind === 'rejected') return plainText(401, auth.message);
  const route = { twirp_invalid_route: `${request.httpMethod} ${request.path}` };
  if (request.httpMethod !== 'POST') {
    return twirpError(
      'bad_route',
      `unsupported method "${request.httpMethod}" (only POST is allowed)`,
      route,
    );
  }
  const method = request.path.slice(ROOM_SERVICE_PREFIX.length);
  const known = Object.hasOwn(CALLS, method) || UNIMPLEMENTED.has(method);
  if (!request.path.startsWith(ROOM_SERVICE_PREFIX) || !known) {
    return twirpError('bad_route', `no handler for path "${request.path}"`, route);
  }
  const mediaType = (request.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const encoding: Encoding | undefined =
    mediaType === 'application/json'
      ? 'json'
      : mediaType === 'application/protobuf'
        ? 'protobuf'
        : undefined;
  if (encoding === undefined) {
    return twirpError(
      'bad_route',
      `unexpected Content-Type: "${request.contentType ?? ''}"`,
      route,
    );
  }
  emulator.countApiCall(method);
  const factory = Object.hasOwn(CALLS, method) ? CALLS[method] : undefined;
  if (factory === undefined)
    return twirpError('unimplemented', `${method} is not implemented by the emulator`);
  const call = factory(emulator, request.body, encoding);
  if (call === undefined) {
    return encoding === 'json'
      ? twirpError('malformed', 'the json request could not be decoded')
      : twirpError('malformed', 'the protobuf request could not be decoded');
  }
  const fault = pickFault(emulator.apiFault(), request.mock, method, call.room);
  if (fault !== undefined && fault.mode !== 'hang') return faultReply(fault.mode);
  const reply = (): ServiceReply => {
    if (auth.kind !== 'ok' || !call.allowed(auth.grant)) return PERMISSION_DENIED();
    const result = call.run();
    return isProtoMessage(result) ? encode(result, encoding) : result;
  };
  return fault?.mode === 'hang' ? { kind: 'hang', afterMs: fault.hangMs, then: reply() } : reply();
}

function isProtoMessage(value: ServiceReply | ProtoMessage): value is ProtoMessage {
  return typeof (value as { getType?: unknown }).getType === 'function';
}

function encode(message: ProtoMessage, encoding: Encoding): ServiceReply {
  if (encoding === 'json')
    return {
      kind: 'reply',
      status: 200,
      contentType: 'application/json',
      body: toTwirpJson(message),
    };
  const binary = (message as unknown as { toBinary(): Uint8Array }).toBinary();
  return { kind: 'reply', status: 200, contentType: 'application/protobuf', body: binary };
}

function decode<T>(type: Decoder<T>, body: Buffer, encoding: Encoding): T | undefined {
  try {
    if (encoding === 'protobuf') return type.fromBinary(body);
    const text = body.toString('utf8');
    return type.fromJson(text.trim() === '' ? {} : JSON.parse(text), { ignoreUnknownFields: true });
  } catch {
    return undefined;
  }
}

function pickFault(
  programmatic: ApiFault | null,
  mock: string | undefined,
  method: string,
  room: string | undefined,
): ApiFault | undefined {
  if (mock !== undefined && isApiFaultMode(mock.trim()))
    return { mode: mock.trim() as ApiFaultMode };
  if (programmatic === null) return undefined;
  if (programmatic.methods !== undefined && !programmatic.methods.includes(method))
    return undefined;
  if (
    programmatic.rooms !== undefined &&
    (room === undefined || !programmatic.rooms.includes(room))
  )
    return undefined;
  return programmatic;
}

function faultReply(mode: Exclude<ApiFaultMode, 'hang'>): ServiceReply {
  switch (mode) {
    case 'unavailable':
      return twirpError('unavailable', 'no response from servers');
    case 'unknown':
      return twirpError('unknown', 'internal error');
    case 'deadline_exceeded':
      return twirpError('deadline_exceeded', 'request timed out');
    case 'unauthenticated':
      return PERMISSION_DENIED();
    case 'drop':
      return { kind: 'drop' };
  }
}

const roomAdminFor =
  (room: string) =>
  (grant: VideoGrant): boolean =>
    grant.roomAdmin === true && grant.room === room;

const CALLS: Record<
  string,
  (emulator: Emulator, body: Buffer, encoding: Encoding) => Call | undefined
> = {
  ListRooms(emulator, body, encoding) {
    const req = decode(ListRoomsRequest, body, encoding);
    if (req === undefined) return undefined;
    return {
      room: undefined,
      allowed: (grant) => grant.roomList === true,
      run: () => new ListRoomsResponse({ rooms: emulator.listRooms(req.names) }),
    };
  },
  ListParticipants(emulator, body, encoding) {
    const req = decode(ListParticipantsRequest, body, encoding);
    if (req === undefined) return undefined;
    return {
      room: req.room,
      allowed: roomAdminFor(req.room),
      run: () => {
        const participants = emulator.listParticipants(req.room);
        if (participants === undefined && emulator.missingRoomListParticipants === 'not_found') {
          // LiveKit Cloud's answer; OSS returns an empty list.
          return twirpError('not_found', 'requested room does not exist');
        }
        return new ListParticipantsResponse({ participants: participants ?? [] });
      },
    };
  },
  GetParticipant(emulator, body, encoding) {
    const req = decode(RoomParticipantIdentity, body, encoding);
    if (req === undefined) return undefined;
    return {
      room: req.room,
      allowed: roomAdminFor(req.room),
      run: () => emulator.getParticipant(req.room, req.identity) ?? PARTICIPANT_NOT_FOUND(),
    };
  },
  RemoveParticipant(emulator, body, encoding) {
    const req = decode(RoomParticipantIdentity, body, encoding);
    if (req === undefined) return undefined;
    return {
      room: req.room,
      allowed: roomAdminFor(req.room),
      run: () =>
        emulator.removeParticipant(req.room, req.identity)
          ? new RemoveParticipantResponse()
          : PARTICIPANT_NOT_FOUND(),
    };
  },
  CreateRoom(emulator, body, encoding) {
    const req = decode(CreateRoomRequest, body, encoding);
    if (req === undefined) return undefined;
    return {
      room: req.name,
      allowed: (grant) => grant.roomCreate === true,
      run: () => {
        if (req.name === '') return twirpError('invalid_argument', 'room name is required');
        return emulator.createRoom(req.name, {
          ...(req.emptyTimeout > 0 ? { emptyTimeout: req.emptyTimeout } : {}),
          ...(req.departureTimeout > 0 ? { departureTimeout: req.departureTimeout } : {}),
          maxParticipants: req.maxParticipants,
          metadata: req.metadata,
        });
      },
    };
  },
  DeleteRoom(emulator, body, encoding) {
    const req = decode(DeleteRoomRequest, body, encoding);
    if (req === undefined) return undefined;
    return {
      room: req.room,
      allowed: (grant) => grant.roomCreate === true,
      run: () => (emulator.endRoom(req.room) ? new DeleteRoomResponse() : ROOM_NOT_FOUND()),
    };
  },
};
