import {
  Codec,
  DisconnectReason,
  ParticipantInfo,
  ParticipantInfo_Kind,
  ParticipantInfo_State,
  ParticipantPermission,
  Room,
  TrackInfo,
  TrackSource,
  TrackType,
  type WebhookEvent,
} from '@livekit/protocol';
import type { ApiCallCounts, ApiFault } from './api-fault.js';
import { type Clock, createWallClock, type TimerHandle } from './clock.js';
import {
  type DisconnectReasonName,
  isDependentKind,
  type ParticipantKindName,
  type ParticipantStateName,
  type TrackSourceName,
  type TrackTypeName,
} from './enums.js';
import { EmulatorError } from './errors.js';
import { createSeededRandom, newId, type RandomSource, secureRandom } from './ids.js';
import { toWebhookJson } from './proto-json.js';
import {
  MAX_LOG_RECORDS,
  type DeliveryRecord,
  type WebhookFaults,
  WebhookSender,
} from './webhook-sender.js';
import {
  type ConnectOptions,
  type ConnectResult,
  DEFAULT_ABRUPT_DISCONNECT_DELAY_MS,
  DEFAULT_DEPARTURE_TIMEOUT_SECONDS,
  DEFAULT_EMPTY_TIMEOUT_SECONDS,
  type EmulatorOptions,
  type GeneratedEvent,
  type RoomOptions,
  SECOND,
} from './emulator-options.js';
import { participantEvent, roomEvent, trackEvent } from './webhook-events.js';

interface ParticipantEntry {
  info: ParticipantInfo;
  reachedActive: boolean;
  abruptTimer?: TimerHandle;
}

interface RoomEntry {
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

/**
 * In-memory LiveKit: rooms, participants and the webhooks their transitions produce, with
 * departure/empty timeouts, duplicate identity and abrupt disconnects as the server does them.
 */
export class Emulator {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly clock: Clock;
  readonly missingRoomListParticipants: 'empty' | 'not_found';
  private readonly random: RandomSource;
  private readonly sender: WebhookSender;
  private readonly rooms = new Map<string, RoomEntry>();
  private readonly generated: GeneratedEvent[] = [];
  private apiFaultValue: ApiFault | null = null;
  private calls: ApiCallCounts = {};
  private closed = false;

  constructor(options: EmulatorOptions = {}) {
    this.apiKey = options.apiKey ?? 'devkey';
    this.apiSecret = options.apiSecret ?? 'secret';
    this.clock = options.clock ?? createWallClock();
    this.missingRoomListParticipants = options.missingRoomListParticipants ?? 'empty';
    this.random = options.seed === undefined ? secureRandom : createSeededRandom(options.seed);
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

  // ---- rooms -------------------------------------------------------------------------------

  /** CreateRoom semantics: returns the existing room unchanged, or creates it and sends `room_started`. */
  createRoom(name: string, options: RoomOptions = {}): Room {
    return this.ensureRoom(name, options).room.clone();
  }

  /** DeleteRoom semantics: everyone leaves with ROOM_DELETED, then `room_finished`. False if no such room. */
  endRoom(name: string, options: { silent?: boolean } = {}): boolean {
    const entry = this.rooms.get(name);
    if (entry === undefined) return false;
    this.closeRoom(entry, DisconnectReason.ROOM_DELETED, options.silent === true);
    return true;
  }

  listRooms(names?: readonly string[]): Room[] {
    const entries =
      names === undefined || names.length === 0
        ? [...this.rooms.values()]
        : [...this.rooms.values()].filter((e) => names.includes(e.room.name));
    return entries.map((e) => e.room.clone());
  }

  /** Undefined when the room does not exist (RoomService decides how to answer). */
  listParticipants(room: string): ParticipantInfo[] | undefined {
    const entry = this.rooms.get(room);
    return entry === undefined
      ? undefined
      : [...entry.participants.values()].map((p) => p.info.clone());
  }

  getParticipant(room: string, identity: string): ParticipantInfo | undefined {
    return this.rooms.get(room)?.participants.get(identity)?.info.clone();
  }

  /** Bulk population for benchmarks, with no webhooks: rooms `{roomPrefix}{i}` with ACTIVE participants `{identityPrefix}{i}-{j}` (1,000 x 20 takes about a second). */
  populate(options: {
    rooms: number;
    participantsPerRoom: number;
    roomPrefix?: string;
    identityPrefix?: string;
  }): { rooms: string[] } {
    const names: string[] = [];
    for (let r = 0; r < options.rooms; r++) {
      const name = `${options.roomPrefix ?? 'room-'}${r}`;
      names.push(name);
      for (let p = 0; p < options.participantsPerRoom; p++) {
        this.connect(name, {
          identity: `${options.identityPrefix ?? 'user-'}${r}-${p}`,
          silent: true,
        });
      }
    }
    return { rooms: names };
  }

  // ---- participants ------------------------------------------------------------------------

  /**
   * A client joins. A new room is created first (`room_started`). An existing session with the
   * same identity is closed with DUPLICATE_IDENTITY before the new sid exists.
   */
  connect(roomName: string, options: ConnectOptions): ConnectResult {
    return this.connectInternal(roomName, options, false);
  }

  /** Moves a session forward (JOINING -> JOINED -> ACTIVE); reaching ACTIVE sends `participant_joined`. */
  setState(
    roomName: string,
    sid: string,
    state: 'JOINED' | 'ACTIVE',
    options: { silent?: boolean } = {},
  ): void {
    const { entry, participant } = this.requireParticipant(roomName, sid);
    const target = ParticipantInfo_State[state];
    if (participant.info.state >= target) return;
    this.advanceState(entry, participant, target, options.silent === true);
  }

  /** The session closes now: `participant_left`, or `participant_connection_aborted` if it never was ACTIVE. */
  disconnect(
    roomName: string,
    sid: string,
    options: { reason?: DisconnectReasonName; silent?: boolean } = {},
  ): void {
    const { entry, participant } = this.requireParticipant(roomName, sid);
    const reason = DisconnectReason[options.reason ?? 'CLIENT_INITIATED'];
    const silent = options.silent === true;
    this.emitAll(this.closeParticipant(entry, participant, reason, silent), silent);
    this.scheduleCloseIfEmpty(entry);
  }

  /**
   * Media dies without a goodbye. The participant stays listed (state unchanged) until the server
   * gives up after `delayMs` (default 15 s), then leaves with CONNECTION_TIMEOUT.
   */
  abruptDisconnect(
    roomName: string,
    sid: string,
    options: { delayMs?: number; silent?: boolean } = {},
  ): { closesAtMs: number } {
    const { participant } = this.requireParticipant(roomName, sid);
    const delayMs = options.delayMs ?? DEFAULT_ABRUPT_DISCONNECT_DELAY_MS;
    if (participant.abruptTimer !== undefined) this.clock.clearTimeout(participant.abruptTimer);
    participant.abruptTimer = this.clock.setTimeout(() => {
      participant.abruptTimer = undefined;
      const current = this.findBySid(roomName, sid);
      if (current === undefined) return;
      this.disconnect(roomName, sid, {
        reason: 'CONNECTION_TIMEOUT',
        ...(options.silent === true ? { silent: true } : {}),
      });
    }, delayMs);
    return { closesAtMs: this.clock.now() + delayMs };
  }

  /**
   * Full reconnect: a new session with the same identity, so a new sid, left(old, DUPLICATE_IDENTITY)
   * then joined(new). With `staleLeft`, the old sid's left is queued after the new join (reordering fault).
   */
  reconnect(
    roomName: string,
    identity: string,
    options: {
      staleLeft?: boolean;
      state?: 'JOINING' | 'JOINED' | 'ACTIVE';
      silent?: boolean;
    } = {},
  ): ConnectResult {
    const old = this.rooms.get(roomName)?.participants.get(identity);
    if (old === undefined)
      throw new EmulatorError('not_found', `participant ${identity} is not in room ${roomName}`);
    const info = old.info;
    return this.connectInternal(
      roomName,
      {
        identity,
        name: info.name,
        kind: ParticipantInfo_Kind[info.kind] as ParticipantKindName,
        metadata: info.metadata,
        attributes: { ...info.attributes },
        ...(options.state === undefined ? {} : { state: options.state }),
        ...(options.silent === undefined ? {} : { silent: options.silent }),
      },
      options.staleLeft === true,
    );
  }

  publishTrack(
    roomName: string,
    sid: string,
    track: {
      source?: TrackSourceName;
      type?: TrackTypeName;
      name?: string;
      muted?: boolean;
      silent?: boolean;
    } = {},
  ): { trackSid: string } {
    const { entry, participant } = this.requireParticipant(roomName, sid);
    const info = new TrackInfo({
      sid: newId('TR_', this.random),
      type: TrackType[track.type ?? 'VIDEO'],
      source: TrackSource[track.source ?? 'CAMERA'],
      name: track.name ?? '',
      muted: track.muted ?? false,
    });
    participant.info.tracks.push(info);
    participant.info.isPublisher = true;
    participant.info.version += 1;
    this.emit(
      trackEvent('track_published', entry.room, participant.info, info, this.stamp()),
      track.silent === true,
    );
    return { trackSid: info.sid };
  }

  unpublishTrack(
    roomName: string,
    sid: string,
    trackSid: string,
    options: { silent?: boolean } = {},
  ): void {
    const { entry, participant } = this.requireParticipant(roomName, sid);
    const index = participant.info.tracks.findIndex((t) => t.sid === trackSid);
    const track = participant.info.tracks[index];
    if (track === undefined) throw new EmulatorError('not_found', `track ${trackSid} not found`);
    participant.info.tracks.splice(index, 1);
    participant.info.version += 1;
    this.emit(
      trackEvent('track_unpublished', entry.room, participant.info, track, this.stamp()),
      options.silent === true,
    );
  }

  /** RemoveParticipant semantics (PARTICIPANT_REMOVED). False if no such identity. */
  removeParticipant(roomName: string, identity: string): boolean {
    const participant = this.rooms.get(roomName)?.participants.get(identity);
    if (participant === undefined) return false;
    this.disconnect(roomName, participant.info.sid, { reason: 'PARTICIPANT_REMOVED' });
    return true;
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
    this.closed = true;
    for (const entry of this.rooms.values()) {
      if (entry.closeTimer !== undefined) this.clock.clearTimeout(entry.closeTimer);
      for (const p of entry.participants.values()) {
        if (p.abruptTimer !== undefined) this.clock.clearTimeout(p.abruptTimer);
      }
    }
    this.sender.close();
  }

  // ---- internals ---------------------------------------------------------------------------

  private connectInternal(
    roomName: string,
    options: ConnectOptions,
    staleLeft: boolean,
  ): ConnectResult {
    const kind: ParticipantInfo_Kind | undefined = ParticipantInfo_Kind[options.kind ?? 'STANDARD'];
    if (kind === undefined)
      throw new EmulatorError('invalid_argument', `unknown kind ${String(options.kind)}`);
    const target: ParticipantInfo_State | undefined =
      ParticipantInfo_State[(options.state ?? 'ACTIVE') as ParticipantStateName];
    if (target === undefined || target === ParticipantInfo_State.DISCONNECTED) {
      throw new EmulatorError('invalid_argument', `unsupported state ${String(options.state)}`);
    }
    const silent = options.silent === true;
    const entry = this.ensureRoom(roomName, { silent });
    const deferred: WebhookEvent[] = [];
    const existing = entry.participants.get(options.identity);
    if (existing !== undefined) {
      const events = this.closeParticipant(
        entry,
        existing,
        DisconnectReason.DUPLICATE_IDENTITY,
        silent,
      );
      if (staleLeft) deferred.push(...events);
      else this.emitAll(events, silent);
    }
    const nowMs = this.clock.now();
    const info = new ParticipantInfo({
      sid: newId('PA_', this.random),
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
    const participant: ParticipantEntry = { info, reachedActive: false };
    entry.participants.set(options.identity, participant);
    if (!isDependentKind(kind)) {
      entry.everJoined = true;
      if (entry.closeTimer !== undefined) {
        this.clock.clearTimeout(entry.closeTimer);
        entry.closeTimer = undefined;
      }
    }
    this.refreshCounts(entry);
    this.advanceState(entry, participant, target, silent);
    this.emitAll(deferred, silent);
    return {
      sid: info.sid,
      identity: info.identity,
      roomSid: entry.room.sid,
      joinedAtMs: nowMs,
      state: ParticipantInfo_State[info.state] as ParticipantStateName,
    };
  }

  private ensureRoom(name: string, options: RoomOptions): RoomEntry {
    const existing = this.rooms.get(name);
    if (existing !== undefined) return existing;
    const nowMs = this.clock.now();
    const room = new Room({
      sid: newId('RM_', this.random),
      name,
      emptyTimeout: options.emptyTimeout ?? DEFAULT_EMPTY_TIMEOUT_SECONDS,
      departureTimeout: options.departureTimeout ?? DEFAULT_DEPARTURE_TIMEOUT_SECONDS,
      maxParticipants: options.maxParticipants ?? 0,
      creationTime: BigInt(Math.floor(nowMs / SECOND)),
      creationTimeMs: BigInt(nowMs),
      enabledCodecs: DEFAULT_CODECS(),
      metadata: options.metadata ?? '',
    });
    const entry: RoomEntry = { room, participants: new Map(), everJoined: false };
    this.rooms.set(name, entry);
    // empty_timeout counts from creation while nobody has joined.
    entry.closeTimer = this.clock.setTimeout(
      () => this.onCloseTimer(entry),
      room.emptyTimeout * SECOND,
    );
    this.emit(roomEvent('room_started', entry.room, this.stamp()), options.silent === true);
    return entry;
  }

  private advanceState(
    entry: RoomEntry,
    participant: ParticipantEntry,
    target: ParticipantInfo_State,
    silent: boolean,
  ): void {
    const info = participant.info;
    while (info.state < target) {
      info.state += 1;
      info.version += 1;
      if (info.state === ParticipantInfo_State.ACTIVE) {
        participant.reachedActive = true;
        // participant_joined fires only on ACTIVE (ICE connected), never on JOINING/JOINED.
        this.emit(participantEvent('participant_joined', entry.room, info, this.stamp()), silent);
      }
    }
  }

  /** Closes one session and removes it from the store; returns its terminal event (not yet sent). */
  private closeParticipant(
    entry: RoomEntry,
    participant: ParticipantEntry,
    reason: DisconnectReason,
    silent: boolean,
  ): WebhookEvent[] {
    if (participant.abruptTimer !== undefined) {
      this.clock.clearTimeout(participant.abruptTimer);
      participant.abruptTimer = undefined;
    }
    const info = participant.info;
    info.state = ParticipantInfo_State.DISCONNECTED;
    info.disconnectReason = reason;
    info.version += 1;
    if (entry.participants.get(info.identity) === participant)
      entry.participants.delete(info.identity);
    this.refreshCounts(entry);
    if (silent) return [];
    const name = participant.reachedActive ? 'participant_left' : 'participant_connection_aborted';
    return [participantEvent(name, entry.room, info, this.stamp())];
  }

  /** departure_timeout counts from when the last participant that is not an agent or egress left. */
  private scheduleCloseIfEmpty(entry: RoomEntry): void {
    if (!entry.everJoined || entry.closeTimer !== undefined || this.closed) return;
    const remaining = [...entry.participants.values()].some((p) => !isDependentKind(p.info.kind));
    if (remaining) return;
    entry.closeTimer = this.clock.setTimeout(
      () => this.onCloseTimer(entry),
      entry.room.departureTimeout * SECOND,
    );
  }

  private onCloseTimer(entry: RoomEntry): void {
    entry.closeTimer = undefined;
    if (this.rooms.get(entry.room.name) !== entry) return;
    if ([...entry.participants.values()].some((p) => !isDependentKind(p.info.kind))) return;
    this.closeRoom(entry, DisconnectReason.ROOM_CLOSED, false);
  }

  /** Remaining participants leave first (ROOM_CLOSED / ROOM_DELETED), then `room_finished`. */
  private closeRoom(entry: RoomEntry, reason: DisconnectReason, silent: boolean): void {
    if (entry.closeTimer !== undefined) this.clock.clearTimeout(entry.closeTimer);
    entry.closeTimer = undefined;
    for (const participant of [...entry.participants.values()]) {
      this.emitAll(this.closeParticipant(entry, participant, reason, silent), silent);
    }
    this.rooms.delete(entry.room.name);
    this.emit(roomEvent('room_finished', entry.room, this.stamp()), silent);
  }

  private refreshCounts(entry: RoomEntry): void {
    let participants = 0;
    let publishers = 0;
    for (const p of entry.participants.values()) {
      if (!isDependentKind(p.info.kind)) participants += 1;
      if (p.info.isPublisher) publishers += 1;
    }
    entry.room.numParticipants = participants;
    entry.room.numPublishers = publishers;
  }

  private requireParticipant(
    roomName: string,
    sid: string,
  ): { entry: RoomEntry; participant: ParticipantEntry } {
    const entry = this.rooms.get(roomName);
    if (entry === undefined)
      throw new EmulatorError('not_found', `room ${roomName} does not exist`);
    const participant = this.findBySid(roomName, sid);
    if (participant === undefined)
      throw new EmulatorError('not_found', `participant ${sid} is not in room ${roomName}`);
    return { entry, participant };
  }

  private findBySid(roomName: string, sid: string): ParticipantEntry | undefined {
    const entry = this.rooms.get(roomName);
    if (entry === undefined) return undefined;
    for (const p of entry.participants.values()) if (p.info.sid === sid) return p;
    return undefined;
  }

  private stamp(): { random: RandomSource; nowMs: number } {
    return { random: this.random, nowMs: this.clock.now() };
  }

  private emitAll(events: readonly WebhookEvent[], silent: boolean): void {
    for (const event of events) this.emit(event, silent);
  }

  private emit(event: WebhookEvent, silent: boolean): void {
    if (silent || this.closed) return;
    const body = toWebhookJson(event, { spaceAfterComma: this.sender.spaceAfterComma });
    const room = event.room?.name ?? '';
    this.generated.push({
      id: event.id,
      event: event.event,
      room,
      ...(event.participant === undefined
        ? {}
        : { participantSid: event.participant.sid, identity: event.participant.identity }),
      body,
    });
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
