import type { Clock } from './clock.js';
import type { DisconnectReasonName, ParticipantKindName, ParticipantStateName } from './enums.js';
import type { EmulatorLogger } from './logger.js';

export const SECOND = 1_000;
/** LiveKit room defaults (`pkg/config/config.go`). */
export const DEFAULT_EMPTY_TIMEOUT_SECONDS = 300;
export const DEFAULT_DEPARTURE_TIMEOUT_SECONDS = 20;
/** ICE disconnected (10 s) + failed (5 s), then a 5 s disconnect timer: left arrives ~15-20 s later. */
export const DEFAULT_ABRUPT_DISCONNECT_DELAY_MS = 15 * SECOND;

export interface EmulatorOptions {
  /** Default `devkey`, like `livekit-server --dev`. */
  apiKey?: string;
  /** Default `secret`. */
  apiSecret?: string;
  /** Default: the wall clock. */
  clock?: Clock;
  /**
   * LiveKit's own clock runs this many ms ahead of `clock` (negative: behind), like a server whose
   * clock is off: every time it stamps (`createdAt`, `joinedAt`, the webhook JWT's `iat`) and the
   * time it checks API tokens against are shifted; timers are not. Default 0.
   */
  clockOffsetMs?: number;
  webhookUrls?: readonly string[];
  /** Seeds sids, event ids and fault dice for reproducible runs; default: crypto randomness. */
  seed?: number;
  /** Scales webhook retry backoff (1, 2, 4, 8 s); default 1. */
  retryScale?: number;
  /** Webhook bodies with `", "` separators, to exercise raw-body hashing; default false. */
  spaceAfterComma?: boolean;
  /** ListParticipants on a missing room: OSS answers `{"participants":[]}` (default), Cloud 404 `not_found`. */
  missingRoomListParticipants?: 'empty' | 'not_found';
  logger?: EmulatorLogger;
  /**
   * Called with every webhook event as it is generated (before signing, queues and faults), e.g.
   * for a receiver driven in-process on a virtual clock. Not called for silent transitions.
   */
  onEvent?: (event: GeneratedEvent) => void;
  /** Keep every session's lifetime (`connections()`), the ground truth of a benchmark; default false. */
  recordConnections?: boolean;
}

/** One session's lifetime as LiveKit knew it (the emulator's ground truth). */
export interface ConnectionRecord {
  room: string;
  roomSid: string;
  sid: string;
  identity: string;
  kind: ParticipantKindName;
  /** Session creation (`joinedAtMs`), not ACTIVE. */
  joinedAtMs: number;
  /** When it reached ACTIVE (media connected); null if it never did (counts nothing). */
  activeAtMs: number | null;
  /** When LiveKit closed the session; null while open. */
  endedAtMs: number | null;
  reason: DisconnectReasonName | null;
}

export interface RoomOptions {
  emptyTimeout?: number;
  departureTimeout?: number;
  maxParticipants?: number;
  metadata?: string;
  /** Send no webhooks for this call. */
  silent?: boolean;
}

export interface ConnectOptions {
  identity: string;
  name?: string;
  kind?: ParticipantKindName;
  metadata?: string;
  attributes?: Record<string, string>;
  /** State to stop in; default `ACTIVE` (which sends `participant_joined`). */
  state?: 'JOINING' | 'JOINED' | 'ACTIVE';
  silent?: boolean;
}

export interface ConnectResult {
  sid: string;
  identity: string;
  roomSid: string;
  /** Connect time, also `joined_at_ms`; in LiveKit this is session creation, not ACTIVE. */
  joinedAtMs: number;
  state: ParticipantStateName;
}

export interface GeneratedEvent {
  id: string;
  event: string;
  room: string;
  participantSid?: string;
  identity?: string;
  /** LiveKit's `createdAt` in ms (whole seconds, as the event says). */
  createdAtMs: number;
  /** The exact webhook body. */
  body: string;
}
