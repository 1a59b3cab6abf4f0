import type { Emulator } from './emulator.js';
import type { ConnectOptions } from './emulator-options.js';
import {
  parseDisconnectReason,
  parseKind,
  parseState,
  type DisconnectReasonName,
  type ParticipantKindName,
} from './enums.js';
import { EmulatorError } from './errors.js';
import type { ServiceReply } from './twirp.js';
import type { WebhookFaults } from './webhook-sender.js';
import { API_FAULT_MODES, isApiFaultMode, type ApiFault } from './api-fault.js';

export const CONTROL_PREFIX = '/emulator/';

/**
 * The emulator's control API, for driving it from outside the process (CLI demos, other languages):
 *
 * | route | body / query | answer |
 * |---|---|---|
 * | `POST /emulator/rooms` | `{ name, emptyTimeout?, departureTimeout?, metadata? }` | 201 Room JSON |
 * | `DELETE /emulator/rooms/{room}` | | 200; 404 unknown room |
 * | `POST /emulator/rooms/{room}/participants` | `{ identity, name?, kind?, metadata?, attributes?, state? }` | 201 `{ sid, identity, roomSid, joinedAtMs, state }` |
 * | `DELETE /emulator/rooms/{room}/participants/{sid}` | `?reason=CLIENT_INITIATED` | 200 `{ sid, reason }`; 404; 400 bad reason |
 * | `POST /emulator/rooms/{room}/participants/{sid}/abrupt` | `{ delayMs? }` | 202 `{ sid, closesAtMs }` |
 * | `POST /emulator/faults` | `{ dropRate?, duplicateRate?, delayMs?, outageMs? }` | 200 faults in force; 400 out of range |
 * | `POST /emulator/api-fault` | `{ mode, rooms?, methods?, hangMs? }` or `null` | 200 |
 * | `GET /emulator/state` | | 200 `{ rooms: [{ ...room, participants: [...] }] }` |
 * | `GET /emulator/deliveries` | | 200 `{ deliveries: [...] }` |
 * | `GET /emulator/api-calls` | | 200 `{ ListRooms: n, ... }` |
 *
 * Path segments are URL-decoded, so room names may hold `/`, spaces or unicode. Errors are
 * `{ error: code, message }`.
 */
export function handleControlApi(
  emulator: Emulator,
  request: { httpMethod: string; path: string; query: URLSearchParams; body: Buffer },
): ServiceReply {
  let segments: string[];
  try {
    segments = request.path
      .slice(CONTROL_PREFIX.length)
      .split('/')
      .map((s) => decodeURIComponent(s));
  } catch {
    return fail(400, 'invalid_argument', 'path is not valid URL encoding');
  }
  try {
    return route(emulator, request.httpMethod, segments, request);
  } catch (err: unknown) {
    if (err instanceof EmulatorError)
      return fail(err.code === 'not_found' ? 404 : 400, err.code, err.message);
    throw err;
  }
}

function route(
  emulator: Emulator,
  method: string,
  segments: string[],
  request: { query: URLSearchParams; body: Buffer },
): ServiceReply {
  const [head, room, sub, sid, action] = segments;
  if (head === 'rooms' && segments.length === 1 && method === 'POST')
    return createRoom(emulator, request.body);
  if (head === 'rooms' && room !== undefined && segments.length === 2 && method === 'DELETE') {
    return emulator.endRoom(room)
      ? json(200, { room })
      : fail(404, 'not_found', `room ${room} does not exist`);
  }
  if (head === 'rooms' && room !== undefined && sub === 'participants') {
    if (segments.length === 3 && method === 'POST') return connect(emulator, room, request.body);
    if (sid !== undefined && segments.length === 4 && method === 'DELETE')
      return disconnect(emulator, room, sid, request.query);
    if (sid !== undefined && action === 'abrupt' && segments.length === 5 && method === 'POST') {
      const body = parseBody(request.body);
      if (!isRecord(body)) return fail(400, 'invalid_argument', 'body must be a JSON object');
      const delayMs = body['delayMs'];
      if (delayMs !== undefined && !isNonNegative(delayMs))
        return fail(400, 'invalid_argument', 'delayMs must be a number >= 0');
      return json(202, {
        sid,
        ...emulator.abruptDisconnect(room, sid, delayMs === undefined ? {} : { delayMs }),
      });
    }
  }
  if (head === 'faults' && segments.length === 1 && method === 'POST')
    return setFaults(emulator, request.body);
  if (head === 'faults' && segments.length === 1 && method === 'GET')
    return json(200, emulator.webhookFaults());
  if (head === 'api-fault' && segments.length === 1 && method === 'POST')
    return setApiFault(emulator, request.body);
  if (head === 'state' && segments.length === 1 && method === 'GET')
    return json(200, snapshot(emulator));
  if (head === 'deliveries' && segments.length === 1 && method === 'GET')
    return json(200, { deliveries: emulator.deliveries() });
  if (head === 'api-calls' && segments.length === 1 && method === 'GET')
    return json(200, emulator.apiCalls());
  return fail(404, 'not_found', `no route for ${method} /emulator/${segments.join('/')}`);
}

function createRoom(emulator: Emulator, raw: Buffer): ServiceReply {
  const body = parseBody(raw);
  if (!isRecord(body) || typeof body['name'] !== 'string' || body['name'] === '') {
    return fail(
      400,
      'invalid_argument',
      'body must be a JSON object with a non-empty string "name"',
    );
  }
  for (const key of ['emptyTimeout', 'departureTimeout'] as const) {
    if (body[key] !== undefined && !isNonNegative(body[key]))
      return fail(400, 'invalid_argument', `${key} must be a number >= 0`);
  }
  const room = emulator.createRoom(body['name'], {
    ...(typeof body['emptyTimeout'] === 'number' ? { emptyTimeout: body['emptyTimeout'] } : {}),
    ...(typeof body['departureTimeout'] === 'number'
      ? { departureTimeout: body['departureTimeout'] }
      : {}),
    ...(typeof body['metadata'] === 'string' ? { metadata: body['metadata'] } : {}),
  });
  return json(201, room.toJson());
}

function connect(emulator: Emulator, room: string, raw: Buffer): ServiceReply {
  const body = parseBody(raw);
  if (!isRecord(body)) return fail(400, 'invalid_argument', 'body must be a JSON object');
  const { identity, name, kind, metadata, state, attributes } = body;
  if (typeof identity !== 'string' || identity === '')
    return fail(400, 'invalid_argument', '"identity" must be a non-empty string');
  if (name !== undefined && typeof name !== 'string')
    return fail(400, 'invalid_argument', '"name" must be a string');
  if (metadata !== undefined && typeof metadata !== 'string')
    return fail(400, 'invalid_argument', '"metadata" must be a string');
  if (kind !== undefined && parseKind(kind) === undefined) {
    return fail(
      400,
      'invalid_argument',
      '"kind" must be a ParticipantInfo.Kind name such as STANDARD, AGENT or EGRESS',
    );
  }
  const parsedState = state === undefined ? undefined : parseState(state);
  if (state !== undefined && (parsedState === undefined || state === 'DISCONNECTED')) {
    return fail(400, 'invalid_argument', '"state" must be JOINING, JOINED or ACTIVE');
  }
  if (
    attributes !== undefined &&
    (!isRecord(attributes) || Object.values(attributes).some((v) => typeof v !== 'string'))
  ) {
    return fail(400, 'invalid_argument', '"attributes" must be an object of strings');
  }
  const options: ConnectOptions = {
    identity,
    ...(name === undefined ? {} : { name }),
    ...(metadata === undefined ? {} : { metadata }),
    ...(kind === undefined ? {} : { kind: kind as ParticipantKindName }),
    ...(state === undefined ? {} : { state: state as 'JOINING' | 'JOINED' | 'ACTIVE' }),
    ...(attributes === undefined ? {} : { attributes: attributes as Record<string, string> }),
  };
  return json(201, emulator.connect(room, options));
}

function disconnect(
  emulator: Emulator,
  room: string,
  sid: string,
  query: URLSearchParams,
): ServiceReply {
  const reason = query.get('reason') ?? 'CLIENT_INITIATED';
  if (parseDisconnectReason(reason) === undefined) {
    return fail(
      400,
      'invalid_argument',
      `"reason" must be a DisconnectReason name such as CLIENT_INITIATED, got "${reason}"`,
    );
  }
  emulator.disconnect(room, sid, { reason: reason as DisconnectReasonName });
  return json(200, { sid, reason });
}

function setFaults(emulator: Emulator, raw: Buffer): ServiceReply {
  const body = parseBody(raw);
  if (!isRecord(body)) return fail(400, 'invalid_argument', 'body must be a JSON object');
  const faults: Partial<WebhookFaults> = {};
  for (const key of ['dropRate', 'duplicateRate'] as const) {
    const value = body[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1))
      return fail(400, 'invalid_argument', `${key} must be a number between 0 and 1`);
    faults[key] = value;
  }
  for (const key of ['delayMs', 'outageMs'] as const) {
    const value = body[key];
    if (value === undefined) continue;
    if (!isNonNegative(value)) return fail(400, 'invalid_argument', `${key} must be a number >= 0`);
    faults[key] = value;
  }
  return json(200, emulator.setWebhookFaults(faults));
}

function setApiFault(emulator: Emulator, raw: Buffer): ServiceReply {
  const body = parseBody(raw);
  if (body === null) {
    emulator.setApiFault(null);
    return json(200, { fault: null });
  }
  if (!isRecord(body) || !isApiFaultMode(body['mode'])) {
    return fail(
      400,
      'invalid_argument',
      `"mode" must be one of ${API_FAULT_MODES.join(', ')}, or send null`,
    );
  }
  const fault: ApiFault = { mode: body['mode'] };
  for (const key of ['rooms', 'methods'] as const) {
    const list = body[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.some((v) => typeof v !== 'string'))
      return fail(400, 'invalid_argument', `${key} must be an array of strings`);
    fault[key] = list as string[];
  }
  if (body['hangMs'] !== undefined) {
    if (!isNonNegative(body['hangMs']))
      return fail(400, 'invalid_argument', 'hangMs must be a number >= 0');
    fault.hangMs = body['hangMs'];
  }
  emulator.setApiFault(fault);
  return json(200, { fault });
}

function snapshot(emulator: Emulator): unknown {
  return {
    rooms: emulator.listRooms().map((room) => ({
      ...(room.toJson() as Record<string, unknown>),
      participants: (emulator.listParticipants(room.name) ?? []).map((p) => p.toJson()),
    })),
  };
}

const INVALID = Symbol('invalid');

function parseBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function json(status: number, body: unknown): ServiceReply {
  return { kind: 'reply', status, contentType: 'application/json', body: JSON.stringify(body) };
}

function fail(status: number, error: string, message: string): ServiceReply {
  return json(status, { error, message });
}
