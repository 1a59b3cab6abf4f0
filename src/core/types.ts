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
 * A cycle holds the **evidence** about its sid, each field merged as a semilattice (min, max or or)
 * from webhooks and reconciler observations alike, so any order and any duplication of the same
 * journal entries gives the same cycle; and the **verdict** fields (`openedBy`, `endedAtMs`,
 * `endedBy`, `estimatedLeftAtMs`), which `settleCycle` derives from the evidence alone after every
 * merge. Nothing is ever withdrawn from the evidence: a reconciler close that LiveKit contradicts
 * (the sid listed again) disappears from the verdict because later presence outweighs it.
 */
export interface Cycle {
  sid: string;
  /** Room name. */
  room: string;
  /** Room incarnation (`RM_…`); null when no event or pass has told it yet. */
  roomSid: string | null;
  /**
   * How sure `roomSid` is: ROOM_SID_FROM_WEBHOOK when a webhook named it, else the time of the
   * observation whose ListRooms gave it (a later pass knows better). Higher wins.
   */
  roomSidRank: number;
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
  /** Evidence: a `participant_joined` webhook was seen for this sid. */
  joinSeen: boolean;
  /** Evidence: a reconciler observation listed this sid ACTIVE. */
  observed: boolean;
  /** Evidence: earliest `participant_left` / `participant_connection_aborted` time. */
  webhookEndedAtMs: number | null;
  /** Evidence: when the incarnation `roomSid` finished (`room_finished`), if it has. */
  roomFinishedAtMs: number | null;
  /**
   * Evidence: the latest time LiveKit answered a participant list that left this sid out although
   * it was open when the list was asked for (the answer's arrival: the absence is certain by then).
   */
  lastAbsentAtMs: number | null;
  /**
   * Evidence: the last moment LiveKit showed this connection present: an event's `createdAt`, or
   * the time a listing ACTIVE was *requested* (it was there at the latest when the list was made).
   */
  lastSeenAtMs: number | null;

  /** Verdict: `webhook` unless only reconciler observations (not a join webhook) saw it open. */
  openedBy: CycleSource;
  /** Verdict: LiveKit's own end of the connection (left, aborted, room_finished). */
  endedAtMs: number | null;
  endedBy: Exclude<CycleSource, 'reconciler'> | null;
  /** Verdict: the reconciler's estimate of the end (the last confirmation) when LiveKit dropped it. */
  estimatedLeftAtMs: number | null;
}

/**
 * The part of a cycle that reports and statuses read: what attended time, statuses and the API's
 * cycle view need. Stores can read just these columns for large reports.
 */
export type ReportedCycle = Pick<
  Cycle,
  | 'sid'
  | 'room'
  | 'identity'
  | 'name'
  | 'kind'
  | 'joinedAtMs'
  | 'connected'
  | 'openedBy'
  | 'endedAtMs'
  | 'endedBy'
  | 'estimatedLeftAtMs'
  | 'lastSeenAtMs'
>;

/** The columns of a ReportedCycle, for stores that read them alone. */
export const REPORTED_CYCLE_FIELDS = [
  'sid',
  'room',
  'identity',
  'name',
  'kind',
  'joinedAtMs',
  'connected',
  'openedBy',
  'endedAtMs',
  'endedBy',
  'estimatedLeftAtMs',
  'lastSeenAtMs',
] as const satisfies readonly (keyof ReportedCycle)[];

/** `roomSidRank` of a room sid a webhook gave: LiveKit's own word beats any observation. */
export const ROOM_SID_FROM_WEBHOOK = Number.MAX_SAFE_INTEGER;

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

/** ParticipantInfo.State by name, as RoomService lists it. */
export type ListedState = 'JOINING' | 'JOINED' | 'ACTIVE' | 'DISCONNECTED';

export interface ListedParticipant extends ParticipantSnapshot {
  state: ListedState;
}

/**
 * What one ListParticipants answer told about one room (attendance-model, reconciliation rules):
 * journaled in the inbox like a webhook and folded by the same rules, so cycles stay a pure
 * function of the inbox.
 */
export interface RoomObservation {
  /** Unique journal id (`RO_…`). */
  id: string;
  room: string;
  /** The incarnation ListRooms named when the pass began; null when LiveKit had no such room. */
  roomSid: string | null;
  /**
   * When that ListRooms answered (receiving clock); null when unknown. A participant who joined
   * later may belong to a newer incarnation, so the room sid is not given to them.
   */
  roomsListedAtMs: number | null;
  /** When the request was sent (receiving clock): presence is dated no later than this. */
  requestedAtMs: number;
  /** When LiveKit's answer arrived: absence is certain by then. */
  answeredAtMs: number;
  /**
   * How far LiveKit's clock was known to run ahead of the receiving clock (negative: behind) when
   * the pass asked; the three times above plus this are on LiveKit's clock, as every time they
   * are compared with. Absent (entries journaled before it existed) and in agreement: 0.
   */
  livekitOffsetMs?: number;
  /** Everyone LiveKit listed, in any state (only ACTIVE counts as present). */
  listed: readonly ListedParticipant[];
  /** Cycles that were open before the request and that the answer left out. */
  absent: ReadonlyArray<{ sid: string; identity: string }>;
}

/** One journal entry as the fold reads it. */
export type JournalEntry =
  { kind: 'webhook'; event: LiveKitEvent } | { kind: 'observation'; observation: RoomObservation };
