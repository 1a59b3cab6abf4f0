import {
  DisconnectReason,
  ParticipantInfo_Kind,
  ParticipantInfo_State,
  TrackInfo,
  TrackSource,
  TrackType,
  type ParticipantInfo,
  type Room,
  type WebhookEvent,
} from '@livekit/protocol';
import type { Clock } from './clock.js';
import {
  type DisconnectReasonName,
  isDependentKind,
  type ParticipantKindName,
  type ParticipantStateName,
  type TrackSourceName,
  type TrackTypeName,
} from './enums.js';
import { EmulatorError } from './errors.js';
import { newId, type RandomSource } from './ids.js';
import {
  type ConnectionRecord,
  type ConnectOptions,
  type ConnectResult,
  DEFAULT_ABRUPT_DISCONNECT_DELAY_MS,
  type RoomOptions,
  SECOND,
} from './emulator-options.js';
import {
  hasPresentParticipant,
  newParticipantInfo,
  newRoomEntry,
  type ParticipantEntry,
  refreshCounts,
  type RoomEntry,
} from './room-entries.js';
import { participantEvent, roomEvent, trackEvent } from './webhook-events.js';

/**
 * LiveKit's rooms and participants as the server runs them: sessions and their states, duplicate
 * identities, abrupt disconnects, departure and empty timeouts, and the webhook events each
 * transition produces. What becomes of an event (signing, queues, faults) is the subclass's
 * `emit`: see Emulator.
 */
export abstract class LiveKitRooms {
  private readonly rooms = new Map<string, RoomEntry>();
  /** Set by closeRooms(): no room timers are scheduled and no events sent afterwards. */
  protected closed = false;
  /** Every session's lifetime by sid, when recording is on (see `recordConnections`). */
  private connectionLog: Map<string, ConnectionRecord> | null = null;

  constructor(
    readonly clock: Clock,
    protected readonly random: RandomSource,
  ) {}

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

  /**
   * GetParticipant's answer without the copy: the sid and state of the identity's session, or
   * undefined. For benchmarks that ask millions of times (a per-user verifier).
   */
  peekParticipant(room: string, identity: string): { sid: string; state: number } | undefined {
    const info = this.rooms.get(room)?.participants.get(identity)?.info;
    return info === undefined ? undefined : { sid: info.sid, state: info.state };
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

  // ---- ground truth ------------------------------------------------------------------------

  /**
   * Starts keeping every session's lifetime from now on (off by default: a long-running emulator
   * would grow without bound). Benchmarks compare what a receiver computed with this.
   */
  recordConnections(): void {
    this.connectionLog ??= new Map();
  }

  /** Every session since `recordConnections()`, in connect order (open ones: `endedAtMs` null). */
  connections(): ConnectionRecord[] {
    return [...(this.connectionLog?.values() ?? [])].map((c) => ({ ...c }));
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

  /** Closes the rooms for good: every room and participant timer stops, nothing is sent after. */
  protected closeRooms(): void {
    this.closed = true;
    for (const entry of this.rooms.values()) {
      if (entry.closeTimer !== undefined) this.clock.clearTimeout(entry.closeTimer);
      for (const p of entry.participants.values()) {
        if (p.abruptTimer !== undefined) this.clock.clearTimeout(p.abruptTimer);
      }
    }
  }

  /** Delivers one webhook event, or drops it when `silent` (or after close). */
  protected abstract emit(event: WebhookEvent, silent: boolean): void;

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
    const info = newParticipantInfo(options, kind, nowMs, this.random);
    const participant: ParticipantEntry = { info, reachedActive: false };
    entry.participants.set(options.identity, participant);
    this.connectionLog?.set(info.sid, {
      room: roomName,
      roomSid: entry.room.sid,
      sid: info.sid,
      identity: info.identity,
      kind: ParticipantInfo_Kind[kind] as ParticipantKindName,
      joinedAtMs: nowMs,
      activeAtMs: null,
      endedAtMs: null,
      reason: null,
    });
    if (!isDependentKind(kind)) {
      entry.everJoined = true;
      if (entry.closeTimer !== undefined) {
        this.clock.clearTimeout(entry.closeTimer);
        entry.closeTimer = undefined;
      }
    }
    refreshCounts(entry);
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
    const entry = newRoomEntry(name, options, nowMs, this.random);
    this.rooms.set(name, entry);
    // empty_timeout counts from creation while nobody has joined.
    entry.closeTimer = this.clock.setTimeout(
      () => this.onCloseTimer(entry),
      entry.room.emptyTimeout * SECOND,
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
        const record = this.connectionLog?.get(info.sid);
        if (record !== undefined) record.activeAtMs = this.clock.now();
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
    // livekit `ParticipantImpl.Close` closes the published tracks first (`UpTrackManager.Close`);
    // each track's close callback queues `track_unpublished` (sent unless the session is expected
    // to resume, which no close here is), and only then do the close callbacks queue
    // `participant_left`, on the same telemetry queue: so a leave's track events precede it, at
    // the same moment, and the left participant lists no tracks.
    const tracks = info.tracks.splice(0);
    info.state = ParticipantInfo_State.DISCONNECTED;
    info.disconnectReason = reason;
    info.version += 1;
    if (entry.participants.get(info.identity) === participant)
      entry.participants.delete(info.identity);
    refreshCounts(entry);
    this.recordEnd(info, this.clock.now());
    if (silent) return [];
    const events = tracks.map((track) =>
      trackEvent('track_unpublished', entry.room, info, track, this.stamp()),
    );
    const name = participant.reachedActive ? 'participant_left' : 'participant_connection_aborted';
    events.push(participantEvent(name, entry.room, info, this.stamp()));
    return events;
  }

  /** departure_timeout counts from when the last participant that is not an agent or egress left. */
  private scheduleCloseIfEmpty(entry: RoomEntry): void {
    if (!entry.everJoined || entry.closeTimer !== undefined || this.closed) return;
    if (hasPresentParticipant(entry)) return;
    entry.closeTimer = this.clock.setTimeout(
      () => this.onCloseTimer(entry),
      entry.room.departureTimeout * SECOND,
    );
  }

  private onCloseTimer(entry: RoomEntry): void {
    entry.closeTimer = undefined;
    if (this.rooms.get(entry.room.name) !== entry) return;
    if (hasPresentParticipant(entry)) return;
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

  private recordEnd(info: ParticipantInfo, atMs: number): void {
    const record = this.connectionLog?.get(info.sid);
    if (record === undefined || record.endedAtMs !== null) return;
    record.endedAtMs = atMs;
    record.reason = DisconnectReason[info.disconnectReason] as DisconnectReasonName;
  }

  private stamp(): { random: RandomSource; nowMs: number } {
    return { random: this.random, nowMs: this.clock.now() };
  }

  private emitAll(events: readonly WebhookEvent[], silent: boolean): void {
    for (const event of events) this.emit(event, silent);
  }
}
