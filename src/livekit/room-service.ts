import { RoomServiceClient, ServerError, type VideoGrant } from 'livekit-server-sdk';
import type { ListedParticipant } from '../core/index.js';
import { signApiToken } from './api-token.js';
import { toListedParticipant } from './event-mapper.js';

/**
 * Why LiveKit could not give an answer. Only a positive answer ever closes a cycle
 * (attendance-model, reconciliation rule 4); every kind here means "unknown".
 */
export type LiveKitFailureKind =
  | 'unreachable' // connection refused, reset, DNS
  | 'timeout' // no answer within the request timeout
  | 'server_error' // 5xx, 408, 429
  | 'auth' // 401/403: wrong key or secret, missing grant
  | 'misconfigured' // bad_route, malformed, an unexpected 404: wrong LIVEKIT_URL or a proxy in the way
  | 'unknown';

export interface LiveKitFailure {
  kind: LiveKitFailureKind;
  status: number | null;
  code: string | null;
  message: string;
}

export type LiveKitResult<T> = { ok: true; value: T } | { ok: false; error: LiveKitFailure };

export interface LiveRoom {
  name: string;
  sid: string;
}

/** The two RoomService calls a reconcile pass makes. */
export interface RoomServiceGateway {
  /** Every live room, or only those named (one room's check asks for just that room). */
  listRooms(names?: readonly string[]): Promise<LiveKitResult<LiveRoom[]>>;
  /** A missing room is a positive "nobody there": OSS answers an empty list, Cloud a 404 not_found. */
  listParticipants(room: string): Promise<LiveKitResult<ListedParticipant[]>>;
}

/** Classifies an SDK error by `status` and `code`, never by message (livekit-reference 3.4). */
export function classifyLiveKitError(e: unknown): LiveKitFailure {
  if (e instanceof ServerError) {
    const status = e.status;
    const code = e.code ?? null;
    const message = `${status}${code ? ` ${code}` : ''}: ${truncate(e.message)}`;
    if (status === 401 || status === 403) return { kind: 'auth', status, code, message };
    if (status >= 500 || status === 408 || status === 429) {
      return { kind: 'server_error', status, code, message };
    }
    if (status === 404 || code === 'bad_route' || code === 'malformed') {
      return { kind: 'misconfigured', status, code, message };
    }
    return { kind: 'unknown', status, code, message };
  }
  if (e instanceof Error || (typeof e === 'object' && e !== null && 'name' in e)) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      return {
        kind: 'timeout',
        status: null,
        code: null,
        message: 'LiveKit did not answer in time',
      };
    }
    const cause = err.cause?.code;
    return {
      kind: 'unreachable',
      status: null,
      code: cause ?? null,
      message: cause
        ? `cannot reach LiveKit (${cause})`
        : `cannot reach LiveKit (${truncate(err.message)})`,
    };
  }
  return { kind: 'unknown', status: null, code: null, message: truncate(String(e)) };
}

function isNotFound(e: unknown): boolean {
  return e instanceof ServerError && e.status === 404 && e.code === 'not_found';
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** The SDK's client, its tokens made by `signApiToken` (valid on a LiveKit clock behind ours). */
class SkewTolerantRoomServiceClient extends RoomServiceClient {
  constructor(
    url: string,
    private readonly credentials: { apiKey: string; apiSecret: string },
    options: { requestTimeout: number },
  ) {
    super(url, credentials.apiKey, credentials.apiSecret, options);
  }

  override authHeader(grant: VideoGrant): Promise<Record<string, string>> {
    const token = signApiToken({ ...this.credentials, grant, nowMs: Date.now() });
    return Promise.resolve({ Authorization: `Bearer ${token}` });
  }
}

export function createRoomServiceGateway(opts: {
  url: string;
  apiKey: string;
  apiSecret: string;
  timeoutMs: number;
}): RoomServiceGateway {
  const client = new SkewTolerantRoomServiceClient(
    opts.url,
    { apiKey: opts.apiKey, apiSecret: opts.apiSecret },
    { requestTimeout: Math.max(1, Math.round(opts.timeoutMs / 1000)) },
  );
  return {
    async listRooms(names) {
      try {
        const rooms = await client.listRooms(names ? [...names] : undefined);
        return { ok: true, value: rooms.map((r) => ({ name: r.name, sid: r.sid })) };
      } catch (e: unknown) {
        return { ok: false, error: classifyLiveKitError(e) };
      }
    },
    async listParticipants(room) {
      try {
        const participants = await client.listParticipants(room);
        return { ok: true, value: participants.map(toListedParticipant) };
      } catch (e: unknown) {
        if (isNotFound(e)) return { ok: true, value: [] };
        return { ok: false, error: classifyLiveKitError(e) };
      }
    },
  };
}
