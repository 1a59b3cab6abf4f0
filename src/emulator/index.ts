/**
 * A protocol-faithful LiveKit emulator: RoomService over Twirp, signed webhooks with LiveKit's
 * delivery semantics, room/participant lifecycles, fault injection and a virtual clock. Imports
 * nothing from the rest of `src/`.
 */
export { createEmulator, Emulator } from './emulator.js';
export {
  DEFAULT_ABRUPT_DISCONNECT_DELAY_MS,
  DEFAULT_DEPARTURE_TIMEOUT_SECONDS,
  DEFAULT_EMPTY_TIMEOUT_SECONDS,
} from './emulator-options.js';
export type {
  ConnectionRecord,
  ConnectOptions,
  ConnectResult,
  EmulatorOptions,
  GeneratedEvent,
  RoomOptions,
} from './emulator-options.js';
export type { EmulatorEventName } from './webhook-events.js';
export { startEmulatorServer } from './server.js';
export type { EmulatorServer, EmulatorServerOptions } from './server.js';
export { createWallClock, ManualClock, sleepOn } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { API_FAULT_MODES } from './api-fault.js';
export type { ApiCallCounts, ApiFault, ApiFaultMode } from './api-fault.js';
export { NO_WEBHOOK_FAULTS } from './webhook-sender.js';
export type { DeliveryOutcome, DeliveryRecord, WebhookFaults } from './webhook-sender.js';
export { signWebhook, WEBHOOK_TOKEN_TTL_SECONDS } from './webhook-signer.js';
export type { SignedWebhook } from './webhook-signer.js';
export { toTwirpJson, toWebhookJson } from './proto-json.js';
export { createSeededRandom, newId } from './ids.js';
export { EmulatorError } from './errors.js';
export type {
  DisconnectReasonName,
  ParticipantKindName,
  ParticipantStateName,
  TrackSourceName,
  TrackTypeName,
} from './enums.js';
export type { EmulatorLogger } from './logger.js';
