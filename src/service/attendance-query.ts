import {
  computeIdentityStatus,
  computeRoomAttendance,
  type Clock,
  type Cycle,
  type CountingPolicy,
  type IdentityStatus,
  type RoomAttendanceRow,
} from '../core/index.js';
import type { AttendanceStore } from '../store/index.js';
import type { ServiceEvents } from './events.js';

function byJoinThenSid(a: Cycle, b: Cycle): number {
  const ja = a.joinedAtMs ?? Number.POSITIVE_INFINITY;
  const jb = b.joinedAtMs ?? Number.POSITIVE_INFINITY;
  if (ja !== jb) return ja < jb ? -1 : 1;
  return a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0;
}

/** Cycles read from the store per query while a report page is assembled. */
const STORE_PAGE_CYCLES = 1000;

/** One page of a room report: rows for up to `limit` identities, and where the next page starts. */
export interface RoomAttendancePage {
  rows: RoomAttendanceRow[];
  /** The last identity of this page when more follow (pass it as `afterIdentity`); else null. */
  nextAfterIdentity: string | null;
}

/** Read side: attendance status and room reports, computed from stored cycles at read time. */
export class AttendanceQuery {
  constructor(
    private readonly deps: {
      store: AttendanceStore;
      clock: Clock;
      /** "Now" for open cycles: LiveKit's clock as far as it is known (`LiveKitClock.counting`). */
      cyclesClock?: Clock;
      policy: CountingPolicy;
      events?: ServiceEvents;
    },
  ) {
    this.cyclesClock = deps.cyclesClock ?? deps.clock;
  }

  private readonly cyclesClock: Clock;

  /** The service's clock, for "as of" stamps in reports. */
  now(): number {
    return this.deps.clock.now();
  }

  async identityStatus(room: string, identity: string): Promise<IdentityStatus> {
    const rows = await this.deps.store.getIdentityAttendance(room, identity);
    this.deps.events?.emit('attendance:status:read');
    return computeIdentityStatus({
      room,
      identity,
      cycles: rows.cycles,
      lastVerifiedAtMs: rows.lastVerifiedAtMs,
      nowMs: this.cyclesClock.now(),
      policy: this.deps.policy,
    });
  }

  async roomAttendance(room: string): Promise<RoomAttendanceRow[]> {
    const cycles = await this.deps.store.listRoomCycles(room);
    return computeRoomAttendance({
      room,
      cycles,
      nowMs: this.cyclesClock.now(),
      policy: this.deps.policy,
    });
  }

  /**
   * Rows for the first `limit` identities of a room after `afterIdentity` (null: from the start),
   * in the store's identity order. Reads the store in keyset pages, so a large room is never read
   * whole; an identity's cycles are always complete in its row.
   */
  async roomAttendancePage(
    room: string,
    opts: { afterIdentity: string | null; limit: number },
  ): Promise<RoomAttendancePage> {
    const byIdentity = new Map<string, Cycle[]>();
    let after: { identity: string; sid?: string } | null =
      opts.afterIdentity === null ? null : { identity: opts.afterIdentity };
    let more = false;
    for (;;) {
      const page = await this.deps.store.listRoomCyclesPage(room, after, STORE_PAGE_CYCLES);
      for (const c of page) {
        let list = byIdentity.get(c.identity);
        if (list === undefined) {
          if (byIdentity.size === opts.limit) {
            more = true;
            break;
          }
          list = [];
          byIdentity.set(c.identity, list);
        }
        list.push(c);
      }
      const last = page.at(-1);
      if (more || last === undefined || page.length < STORE_PAGE_CYCLES) break;
      after = { identity: last.identity, sid: last.sid };
    }
    const computed = computeRoomAttendance({
      room,
      // Within an identity, listRoomCycles' order: join time (unknown last), then sid.
      cycles: [...byIdentity.values()].flatMap((list) => list.sort(byJoinThenSid)),
      nowMs: this.cyclesClock.now(),
      policy: this.deps.policy,
    });
    // The store's order (its collation), which the next page's cursor continues.
    const rowOf = new Map(computed.map((r) => [r.identity, r]));
    const rows = [...byIdentity.keys()].map((identity) => rowOf.get(identity)!);
    return { rows, nextAfterIdentity: more ? (rows.at(-1)?.identity ?? null) : null };
  }
}
