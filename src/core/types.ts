/** How a cycle was opened or closed. Part of the public API (`openedBy`, `closedBy`). */
export type CycleSource = 'webhook' | 'reconciler' | 'room_finished' | 'manual';

/**
 * ParticipantInfo.Kind by enum name. Unknown future kinds keep their name; the SDK decodes unknown
 * names as STANDARD (livekit-reference 1.3), so they count as people.
 */
export type ParticipantKind =
  'STANDARD' | 'INGRESS' | 'EGRESS' | 'SIP' | 'AGENT' | 'CONNECTOR' | 'BRIDGE' | (string & {});

/**
 * One connection's presence in a room, keyed by participant sid (attendance-model "Cycle").
 *
 * Webhook-derived fields are merged as a semilattice (min/max/or), so any order and any duplication of
 * the same events gives the same cycle. Only the reconciler's estimate (`estimatedLeftAtMs`) can be
 * withdrawn, when LiveKit lists the sid again.
 */
export interface Cycle {
  sid: string;
  /** Room name. */
  room: string;
  /** Room incarnation (`RM_…`); null when no event or pass has told it yet. */
  roomSid: string | null;
  identity: string;
  /** Display name from the highest participant `version` seen; null when never told. */
  name: string | null;
  /** `version` the name came from; -1 when none. */
  nameVersion: number;
  /** Participant kind; null when only reduced participants (track events) were seen. */
  kind: ParticipantKind | null;
  /** LiveKit's `joinedAtMs` (else `joinedAt` × 1000); null while only track events were seen. */
  joinedAtMs: number | null;
  /** True once LiveKit showed the connection ACTIVE (media connected). Aborted joins stay false. */
  connected: boolean;
  openedBy: CycleSource;
  /** LiveKit's own end of the connection (left, aborted, room_finished, or manual): earliest wins. */
  endedAtMs: number | null;
  endedBy: Exclude<CycleSource, 'reconciler'> | null;
  /** The reconciler's estimate of the end (the last confirmation) when LiveKit stopped listing it. */
  estimatedLeftAtMs: number | null;
  /** Last moment LiveKit showed this connection present (event time or pass time). */
  lastSeenAtMs: number | null;
}

/** A participant as an event or the RoomService API describes it. */
export interface ParticipantSnapshot {
  sid: string;
  identity: string;
  /** Null when the payload is reduced (track events carry only sid and identity). */
  name: string | null;
  kind: ParticipantKind | null;
  joinedAtMs: number | null;
  version: number | null;
}

export interface RoomRef {
  name: string;
  sid: string | null;
}

/** The attendance-relevant content of one verified LiveKit webhook. */
export interface LiveKitEvent {
  /** LiveKit's event id (`EV_…`): identical across retries and duplicates. */
  id: string;
  type: string;
  /** `createdAt` × 1000: LiveKit's clock, seconds precision. */
  createdAtMs: number;
  room: RoomRef | null;
  participant: ParticipantSnapshot | null;
}
