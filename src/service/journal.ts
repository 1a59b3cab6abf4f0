import {
  AttendanceError,
  auditCycleChanges,
  cycleAuditView,
  foldJournal,
  journalFootprint,
  observationOnLiveKitClock,
  type Cycle,
  type FoldResult,
  type JournalEntry,
  type ListedParticipant,
  type ListedState,
  type RoomObservation,
} from '../core/index.js';
import { parseStoredWebhook } from '../livekit/index.js';
import type { InboxEntry, StoreOps } from '../store/index.js';
import type { OutboundRecorder } from './outbound-recorder.js';

/** Inbox `type` of a reconciler observation (one room's participant list). */
export const OBSERVATION_TYPE = 'reconcile:observation';

/**
 * The one write path: loads what the entries need, folds webhooks and observations alike with the
 * core rules, and writes what changed. Ingest, reconcile passes, inbox retries and `rebuild` all
 * come through here, inside a transaction that holds the entries' rooms.
 */
export async function applyJournal(
  tx: StoreOps,
  entries: readonly JournalEntry[],
  opts: ApplyOptions,
): Promise<FoldResult> {
  const fp = journalFootprint(entries);
  const { cycles, roomFinishedAtMs } = await readFoldInputs(tx, fp);
  const loaded = new Map(cycles);
  const result = foldJournal({ cycles, roomFinishedAtMs }, entries);
  if (opts.write === false) return result;
  if (result.changed.length > 0) {
    await tx.saveCycles(result.changed);
    if (opts.audit !== null) {
      const before = new Map(result.changed.map((c) => [c.sid, cycleAuditView(loaded.get(c.sid))]));
      const records = auditCycleChanges({
        before,
        after: result.changed,
        atMs: opts.audit.atMs,
        // Only later presence outweighs a close: a listing, unless the batch has none.
        reopenSource: entries.some((e) => e.kind === 'observation') ? 'reconciler' : 'webhook',
      });
      if (records.length > 0) await tx.appendAudit(records);
    }
    // Issue #10: outbound events are written in this same transaction as the change.
    if (opts.outbound) await opts.outbound.recordCycleChanges(tx, loaded, result.changed);
  }
  for (const f of result.finished) await tx.recordRoomFinished(f.roomSid, f.room, f.atMs);
  return result;
}

/** The cycles the entries touch, and the finish times of every incarnation they and those name. */
async function readFoldInputs(
  tx: StoreOps,
  fp: ReturnType<typeof journalFootprint>,
): Promise<{ cycles: Map<string, Cycle>; roomFinishedAtMs: Map<string, number> }> {
  const cycles = new Map<string, Cycle>();
  // A room_finished bounds every cycle of its incarnation (rare: once per room).
  for (const roomSid of fp.finishedRoomSids) {
    for (const c of await tx.listIncarnationCycles(roomSid)) cycles.set(c.sid, c);
  }
  const sids = [...fp.sids].filter((sid) => !cycles.has(sid));
  if (tx.getFoldInputs !== undefined && sids.length > 0) {
    const read = await tx.getFoldInputs(sids, [...fp.roomSids]);
    for (const c of read.cycles) cycles.set(c.sid, c);
    return { cycles, roomFinishedAtMs: read.roomFinishedAtMs };
  }
  if (sids.length > 0) for (const c of await tx.getCycles(sids)) cycles.set(c.sid, c);
  const roomSids = new Set(fp.roomSids);
  for (const c of cycles.values()) if (c.roomSid !== null) roomSids.add(c.roomSid);
  const roomFinishedAtMs =
    roomSids.size > 0 ? await tx.getRoomFinishTimes([...roomSids]) : new Map<string, number>();
  return { cycles, roomFinishedAtMs };
}

export interface ApplyOptions {
  /** False: fold in memory only (a dry run); nothing is written. Default true. */
  write?: boolean;
  /**
   * Record every visible change of a cycle in the audit trail, in this transaction, dated
   * `atMs`; null when the caller records the changes itself (`rebuild` diffs whole rooms).
   */
  audit: { atMs: number } | null;
  /** Writes the outbound events and marks of the change (EVENT_WEBHOOK_URLS set); default none. */
  outbound?: OutboundRecorder | null;
}

/** The rooms a set of entries writes: what their transaction must hold. */
export function roomsOf(entries: ReadonlyArray<{ room: string | null }>): (string | null)[] {
  return [...new Set(entries.map((e) => e.room))];
}

// ---- Encoding: an observation in the inbox ----------------------------------------------------

const STATE_CODES: Record<ListedState, string> = {
  JOINING: 'J',
  JOINED: 'D',
  ACTIVE: 'A',
  DISCONNECTED: 'X',
};
const STATES_BY_CODE = new Map(Object.entries(STATE_CODES).map(([s, c]) => [c, s as ListedState]));

/** A listed participant as journaled: in full, or `[sid, identity, state]` when nothing is new. */
type StoredListed = ListedParticipant | [sid: string, identity: string, state: string];

interface StoredObservation {
  v: 1;
  roomSid: string | null;
  /** Absent in entries written before it existed. */
  roomsListedAtMs?: number | null;
  requestedAtMs: number;
  answeredAtMs: number;
  /** Absent when 0 (LiveKit's clock agreed with ours) and in entries written before it existed. */
  livekitOffsetMs?: number;
  listed: StoredListed[];
  absent: Array<[sid: string, identity: string]>;
}

/**
 * Whether a listing tells `cycle` nothing but presence: its name, kind and join time are already
 * known from earlier journal entries. Those listings are journaled reduced (sid, identity, state),
 * which folds to the same cycle: a pass over a 20-person room then journals ~1 KB, not ~4 KB.
 */
function alreadyKnown(
  cycle: Cycle | undefined,
  p: ListedParticipant,
  obs: RoomObservation,
): boolean {
  if (cycle === undefined || cycle.name === null) return false;
  // A reduced listing decodes without a join time, so the fold would give it the room sid: only
  // reduce when the full one got it too.
  const listedAtMs = observationOnLiveKitClock(obs).roomsListedAtMs;
  const roomSidSame = listedAtMs === null || p.joinedAtMs === null || p.joinedAtMs <= listedAtMs;
  if (!roomSidSame) return false;
  const version = p.version ?? 0;
  const sameName = p.name === cycle.name && (p.kind ?? 'STANDARD') === cycle.kind;
  const nameKnown = version < cycle.nameVersion || (version === cycle.nameVersion && sameName);
  const joinKnown =
    p.joinedAtMs === null || (cycle.joinedAtMs !== null && cycle.joinedAtMs <= p.joinedAtMs);
  return nameKnown && joinKnown;
}

/** The inbox entry of an observation; `known` holds the cycles as they were before it. */
export function encodeObservation(
  obs: RoomObservation,
  known: ReadonlyMap<string, Cycle>,
): InboxEntry {
  const body: StoredObservation = {
    v: 1,
    roomSid: obs.roomSid,
    roomsListedAtMs: obs.roomsListedAtMs,
    requestedAtMs: obs.requestedAtMs,
    answeredAtMs: obs.answeredAtMs,
    ...(obs.livekitOffsetMs ? { livekitOffsetMs: obs.livekitOffsetMs } : {}),
    listed: obs.listed.map((p) =>
      alreadyKnown(known.get(p.sid), p, obs) ? [p.sid, p.identity, STATE_CODES[p.state]] : p,
    ),
    absent: obs.absent.map((a) => [a.sid, a.identity]),
  };
  return {
    eventId: obs.id,
    source: 'reconciler',
    type: OBSERVATION_TYPE,
    room: obs.room,
    createdAtMs: obs.requestedAtMs,
    receivedAtMs: obs.answeredAtMs,
    body: JSON.stringify(body),
  };
}

function decodeListed(l: StoredListed): ListedParticipant {
  if (!Array.isArray(l)) return l;
  const [sid, identity, code] = l;
  return {
    sid,
    identity,
    name: null,
    kind: null,
    joinedAtMs: null,
    version: null,
    state: STATES_BY_CODE.get(code) ?? 'JOINING',
  };
}

/** What the previous version journaled: one reconciler decision per sid (no confirmations). */
interface LegacyAction {
  action:
    | { type: 'open' | 'reopen'; sid: string; identity: string; participant: ListedParticipant }
    | { type: 'close'; sid: string; identity: string; leftAtMs: number };
  ctx: { room: string; roomSid: string | null; passAtMs: number };
  result: { lastSeenAtMs: number | null; estimatedLeftAtMs: number | null };
}

/**
 * Legacy journal entries (`reconcile:open|reopen|close`, before observations were journaled) as
 * the observations that would have produced them: an open or reopen is an ACTIVE listing at the
 * pass time; a close is the confirmation it closed at, then the absence at the pass time.
 */
function decodeLegacy(id: string, j: LegacyAction): RoomObservation[] {
  const { ctx, action } = j;
  const base = { room: ctx.room, roomSid: ctx.roomSid, roomsListedAtMs: null, absent: [] };
  if (action.type !== 'close') {
    const listed = [{ ...action.participant, state: 'ACTIVE' as const }];
    return [{ ...base, id, requestedAtMs: ctx.passAtMs, answeredAtMs: ctx.passAtMs, listed }];
  }
  const seenAtMs = j.result.estimatedLeftAtMs ?? j.result.lastSeenAtMs ?? action.leftAtMs;
  const who = { sid: action.sid, identity: action.identity };
  return [
    {
      ...base,
      id: `${id}:seen`,
      requestedAtMs: seenAtMs,
      answeredAtMs: seenAtMs,
      listed: [{ ...decodeListed([who.sid, who.identity, 'A']) }],
    },
    {
      ...base,
      id,
      requestedAtMs: ctx.passAtMs,
      answeredAtMs: ctx.passAtMs,
      listed: [],
      absent: [who],
    },
  ];
}

/**
 * One stored inbox entry as the fold reads it. Throws on a body it cannot read, with a short
 * reason that never quotes the body (parser messages do: they end up in logs and `last_error`).
 */
export function decodeJournalEntry(entry: InboxEntry): JournalEntry[] {
  try {
    return decodeEntry(entry);
  } catch (e: unknown) {
    // parseStoredWebhook already throws a short reason of its own.
    if (e instanceof AttendanceError) throw e;
    const what =
      e instanceof SyntaxError
        ? 'journaled reconciler entry is not JSON'
        : `journaled reconciler entry ${entry.type} is unreadable`;
    throw new AttendanceError('stored_event_unreadable', what);
  }
}

function decodeEntry(entry: InboxEntry): JournalEntry[] {
  if (entry.source === 'webhook') {
    const event = parseStoredWebhook(entry.body, {
      id: entry.eventId,
      receivedAtMs: entry.receivedAtMs,
    });
    return [{ kind: 'webhook', event }];
  }
  if (entry.type === OBSERVATION_TYPE) {
    const stored = JSON.parse(entry.body) as StoredObservation;
    const observation: RoomObservation = {
      id: entry.eventId,
      room: entry.room ?? '',
      roomSid: stored.roomSid,
      roomsListedAtMs: stored.roomsListedAtMs ?? null,
      requestedAtMs: stored.requestedAtMs,
      answeredAtMs: stored.answeredAtMs,
      ...(stored.livekitOffsetMs ? { livekitOffsetMs: stored.livekitOffsetMs } : {}),
      listed: stored.listed.map(decodeListed),
      absent: stored.absent.map(([sid, identity]) => ({ sid, identity })),
    };
    return [{ kind: 'observation', observation }];
  }
  if (entry.type.startsWith('reconcile:')) {
    return decodeLegacy(entry.eventId, JSON.parse(entry.body) as LegacyAction).map(
      (observation) => ({ kind: 'observation', observation }),
    );
  }
  throw new Error(`unknown journal entry type ${entry.type}`);
}
