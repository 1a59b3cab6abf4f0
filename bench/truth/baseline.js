// The published per-user verification approach (../../shared/reference, "ATTENDANCE SYSTEM FIX
// IMPLEMENTATION", 2025-11-13), reproduced rule by rule so that it runs on the same webhooks and
// the same page polling as this service. Each rule cites the write-up. Where the write-up is
// silent, the more accurate reading is taken (noted "generous"), so the comparison is not against a
// straw man; where it is silent and neither reading is clearly the more accurate one (what an API
// error other than "not found" does), both are run: `apiErrors` (bench/truth/variants.js, BASELINES).
// It lives in bench/ only: nothing in src/ uses it.

const S = 1_000;
/** "Participant state cached for 10 seconds" (Configuration → Cache Settings). */
export const CACHE_MS = 10 * S;
/** "Runs every 2 minutes automatically" (Verification Command; Scheduler `everyTwoMinutes()`). */
export const SWEEP_INTERVAL_MS = 2 * 60 * S;
/** "States: 0=JOINING, 1=JOINED, 2=ACTIVE, 3=DISCONNECTED"; `in_array($state, [1, 2])`. */
const PRESENT_STATES = new Set([1, 2]);

/**
 * One attendance record per (meeting, user) with a list of join/leave cycles, like the write-up's
 * `MeetingAttendance.join_leave_cycles` ("$lastCycle['joined_at'] … !isset($lastCycle['left_at'])").
 * `getParticipant(room, identity)` is LiveKit's GetParticipant: `{ ok: true, state }` or
 * `{ ok: false, error }` (404 not_found for someone not in the room, 503 during an outage, ...).
 */
export class PerUserBaseline {
  #records = new Map();
  #cache = new Map();
  #getParticipant;
  /** Closes made by a verification: { atMs, room, identity } (to find early ones). */
  closes = [];
  apiCalls = 0;
  /** Checks answered "unknown" (apiErrors 'ignored' only). */
  unknownAnswers = 0;

  #apiErrors;

  constructor({ getParticipant, users, apiErrors = 'absent' }) {
    if (apiErrors !== 'absent' && apiErrors !== 'ignored')
      throw new Error(`apiErrors must be 'absent' or 'ignored', not ${apiErrors}`);
    this.#getParticipant = getParticipant;
    this.#apiErrors = apiErrors;
    // Attendance is kept for the application's users (the roster), not for recorders or bots.
    for (const { room, identity } of users) this.#records.set(key(room, identity), []);
  }

  /**
   * Webhooks, in arrival order. The write-up changes only verification; the handler it builds on
   * appends a cycle on `participant_joined` and closes the open one on `participant_left` (the
   * failure it fixes: "If webhook failed to close cycle, attendance kept incrementing forever").
   * Times: the event's `createdAt` (generous: the write-up does not say; `now()` on arrival is
   * the common choice and is later). Events are matched to the user by identity, not by sid.
   */
  onWebhook(event) {
    const cycles = this.#records.get(key(event.room, event.identity));
    if (cycles === undefined) return;
    const last = cycles.at(-1);
    const open = last !== undefined && last.leftAtMs === null;
    if (event.type === 'participant_joined') {
      // "$hasOpenCycle": a join while a cycle is open changes nothing.
      if (!open) cycles.push({ joinedAtMs: event.createdAtMs, leftAtMs: null });
    } else if (event.type === 'participant_left') {
      if (open) last.leftAtMs = Math.max(last.joinedAtMs, event.createdAtMs);
    }
    // Other events (track_*, participant_connection_aborted, room_*) are not used: the write-up
    // verifies presence only through the API.
  }

  /**
   * The status endpoint a user's page polls ("API: /attendance-status" → isCurrentlyInMeeting):
   * no open cycle → not in the meeting, no API call; an open cycle → "ALWAYS verifies with
   * LiveKit API"; not in LiveKit → "Close stale cycle immediately", i.e. at the moment of the
   * check. It never opens a cycle ("never recovers a join it missed").
   */
  onStatusCheck(room, identity, nowMs) {
    const cycles = this.#records.get(key(room, identity));
    const last = cycles?.at(-1);
    if (last === undefined || last.leftAtMs !== null) return false;
    // true: verified. null (apiErrors 'ignored', LiveKit unreachable): unknown, so the open cycle
    // answers as the old logic did ("return $hasOpenCycle") and nothing is closed.
    if (this.#verify(room, identity, nowMs) !== false) return true;
    last.leftAtMs = Math.max(last.joinedAtMs, nowMs);
    this.closes.push({ atMs: nowMs, room, identity });
    return false;
  }

  /** "Scheduled sweep every 2 minutes": every open cycle checked the same way. */
  sweep(nowMs) {
    for (const k of this.#records.keys()) {
      const [room, identity] = k.split('\n');
      this.onStatusCheck(room, identity, nowMs);
    }
  }

  /**
   * `isUserInRoom`: GetParticipant, "cached for 10 seconds", present iff JOINED or ACTIVE → true or
   * false. The write-up treats "Room not found" (an error answer) as a normal "not in room", so
   * not_found is false under both readings. Any other error (LiveKit unreachable, 503, timeout):
   * false under apiErrors 'absent', null (unknown) under 'ignored'. An unknown answer is not cached
   * (Laravel's `Cache::remember` does not keep a null or a thrown closure), so the next check asks
   * again.
   */
  #verify(room, identity, nowMs) {
    const k = key(room, identity);
    const cached = this.#cache.get(k);
    if (cached !== undefined && nowMs - cached.atMs < CACHE_MS) return cached.present;
    this.apiCalls += 1;
    const answer = this.#getParticipant(room, identity);
    if (!answer.ok && answer.error !== 'not_found' && this.#apiErrors === 'ignored') {
      this.unknownAnswers += 1;
      return null;
    }
    const present = answer.ok && PRESENT_STATES.has(answer.state);
    this.#cache.set(k, { atMs: nowMs, present });
    return present;
  }

  /** Cycles of one user, `leftAtMs` null while open. */
  cyclesOf(room, identity) {
    return (this.#records.get(key(room, identity)) ?? []).map((c) => ({ ...c }));
  }
}

function key(room, identity) {
  return `${room}\n${identity}`;
}
