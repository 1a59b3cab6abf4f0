import {
  buildLiveRooms,
  type Clock,
  type CountingPolicy,
  type LiveRoom,
  type LiveVerification,
} from '../core/index.js';
import type { AttendanceStore, CompletedPass, RoomVerification } from '../store/index.js';

/** Sessions in progress read per snapshot: more than any one screen shows. */
const LIVE_SESSIONS_MAX = 500;

export interface LiveSnapshot {
  nowMs: number;
  rooms: LiveRoom[];
  /** The last reconcile pass that LiveKit answered completely. */
  lastPass: CompletedPass | null;
  /** False when no LiveKit URL is set: nothing can confirm anyone. */
  livekitConfigured: boolean;
}

function verificationOf(v: RoomVerification): LiveVerification {
  return {
    lastVerifiedAtMs: v.lastVerifiedAtMs,
    lastAttemptAtMs: v.lastAttemptAtMs,
    lastError: v.lastError,
    consecutiveFailures: v.consecutiveFailures,
  };
}

/** Read side of the live view: rooms in progress and who is in them, from the open cycles. */
export class LiveRooms {
  constructor(
    private readonly deps: {
      store: AttendanceStore;
      clock: Clock;
      counting: CountingPolicy;
      livekitConfigured: boolean;
    },
  ) {}

  /** The service's clock. */
  now(): number {
    return this.deps.clock.now();
  }

  async snapshot(): Promise<LiveSnapshot> {
    const { store, clock, counting } = this.deps;
    const nowMs = clock.now();
    const [openCycles, verifications, liveSessions, lastPass] = await Promise.all([
      store.listOpenCycles(),
      store.listRoomVerifications(),
      store.listSessions({ fromMs: nowMs, toMs: nowMs, limit: LIVE_SESSIONS_MAX }),
      store.getLastCompletedPass(),
    ]);
    const rooms = buildLiveRooms({
      openCycles,
      verifications: new Map(verifications.map((v) => [v.room, verificationOf(v)])),
      // listSessions' overlap is inclusive; a session that ends exactly now is over.
      liveSessions: liveSessions.filter((s) => s.startsAtMs <= nowMs && nowMs < s.endsAtMs),
      counting,
    });
    return { nowMs, rooms, lastPass, livekitConfigured: this.deps.livekitConfigured };
  }

  /** One room as the snapshot would show it; null when it is no longer in progress. */
  async room(name: string): Promise<LiveRoom | null> {
    const { store, clock, counting } = this.deps;
    const nowMs = clock.now();
    const [openCycles, verification, liveSessions] = await Promise.all([
      store.listOpenCycles(name),
      store.getRoomVerification(name),
      store.listSessions({ fromMs: nowMs, toMs: nowMs, room: name, limit: LIVE_SESSIONS_MAX }),
    ]);
    const rooms = buildLiveRooms({
      openCycles,
      verifications: new Map(verification ? [[name, verificationOf(verification)]] : []),
      liveSessions: liveSessions.filter((s) => s.startsAtMs <= nowMs && nowMs < s.endsAtMs),
      counting,
    });
    return rooms.find((r) => r.room === name) ?? null;
  }
}
