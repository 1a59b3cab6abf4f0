import type { WebhookEvent } from '@livekit/protocol';
import type { ApiCallCounts, ApiFault } from './api-fault.js';
import { createWallClock, offsetClock } from './clock.js';
import type { EmulatorOptions, GeneratedEvent } from './emulator-options.js';
import { createSeededRandom, secureRandom } from './ids.js';
import { toWebhookJson } from './proto-json.js';
import { LiveKitRooms } from './rooms.js';
import {
  MAX_LOG_RECORDS,
  type DeliveryRecord,
  type WebhookFaults,
  WebhookSender,
} from './webhook-sender.js';

/**
 * In-memory LiveKit: the rooms and participants of LiveKitRooms, with their webhooks signed and
 * delivered as LiveKit does (per-room queues, retries, faults), RoomService call counting and
 * API faults.
 */
export class Emulator extends LiveKitRooms {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly missingRoomListParticipants: 'empty' | 'not_found';
  /** `EmulatorOptions.clockOffsetMs`: how far this LiveKit's clock is off. */
  readonly clockOffsetMs: number;
  private readonly sender: WebhookSender;
  private readonly generated: GeneratedEvent[] = [];
  private readonly onEvent: ((event: GeneratedEvent) => void) | undefined;
  private apiFaultValue: ApiFault | null = null;
  private calls: ApiCallCounts = {};

  constructor(options: EmulatorOptions = {}) {
    super(
      offsetClock(options.clock ?? createWallClock(), options.clockOffsetMs ?? 0),
      options.seed === undefined ? secureRandom : createSeededRandom(options.seed),
    );
    this.apiKey = options.apiKey ?? 'devkey';
    this.apiSecret = options.apiSecret ?? 'secret';
    this.clockOffsetMs = options.clockOffsetMs ?? 0;
    this.missingRoomListParticipants = options.missingRoomListParticipants ?? 'empty';
    this.onEvent = options.onEvent;
    if (options.recordConnections === true) this.recordConnections();
    this.sender = new WebhookSender({
      apiKey: this.apiKey,
      apiSecret: this.apiSecret,
      clock: this.clock,
      urls: options.webhookUrls ?? [],
      random: this.random,
      ...(options.retryScale === undefined ? {} : { retryScale: options.retryScale }),
      ...(options.spaceAfterComma === undefined
        ? {}
        : { spaceAfterComma: options.spaceAfterComma }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }

  // ---- webhooks, faults, introspection -----------------------------------------------------

  setWebhookFaults(faults: Partial<WebhookFaults> | null): WebhookFaults {
    return this.sender.setFaults(faults);
  }

  webhookFaults(): WebhookFaults {
    return this.sender.getFaults();
  }

  /** Every endpoint refuses connections for `ms` (emulator clock) from now. */
  startWebhookOutage(ms: number): void {
    this.sender.startOutage(ms);
  }

  setWebhookUrls(urls: readonly string[]): void {
    this.sender.setUrls(urls);
  }

  deliveries(): DeliveryRecord[] {
    return this.sender.deliveries();
  }

  clearDeliveries(): void {
    this.sender.clearDeliveries();
  }

  /** Every webhook event generated (not silent), in generation order, whether delivered or not. */
  generatedEvents(): GeneratedEvent[] {
    return this.generated.map((e) => ({ ...e }));
  }

  /** Resolves when every webhook queue is drained. On a manual clock, pending backoff needs `advance`. */
  idle(): Promise<void> {
    return this.sender.idle();
  }

  setApiFault(fault: ApiFault | null): void {
    this.apiFaultValue = fault === null ? null : { ...fault };
  }

  apiFault(): ApiFault | null {
    return this.apiFaultValue === null ? null : { ...this.apiFaultValue };
  }

  /** RoomService calls per method since the last reset, e.g. `{ ListRooms: 1, ListParticipants: 3 }`. */
  apiCalls(): ApiCallCounts {
    return { ...this.calls };
  }

  resetApiCalls(): void {
    this.calls = {};
  }

  countApiCall(method: string): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Stops all timers and webhook delivery; no events are sent afterwards. */
  close(): void {
    this.closeRooms();
    this.sender.close();
  }

  protected emit(event: WebhookEvent, silent: boolean): void {
    if (silent || this.closed) return;
    const body = toWebhookJson(event, { spaceAfterComma: this.sender.spaceAfterComma });
    const room = event.room?.name ?? '';
    const generated: GeneratedEvent = {
      id: event.id,
      event: event.event,
      room,
      ...(event.participant === undefined
        ? {}
        : { participantSid: event.participant.sid, identity: event.participant.identity }),
      createdAtMs: Number(event.createdAt) * 1000,
      body,
    };
    this.generated.push(generated);
    this.onEvent?.({ ...generated });
    if (this.generated.length > MAX_LOG_RECORDS) {
      this.generated.splice(0, this.generated.length - MAX_LOG_RECORDS);
    }
    this.sender.enqueue({ id: event.id, event: event.event, room, body });
  }
}

/** Builds an in-process emulator (no HTTP server); see `startEmulatorServer` for the network face. */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  return new Emulator(options);
}
