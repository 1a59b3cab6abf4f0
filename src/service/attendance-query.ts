import {
  computeIdentityStatus,
  computeRoomAttendance,
  type Clock,
  type CountingPolicy,
  type IdentityStatus,
  type RoomAttendanceRow,
} from '../core/index.js';
import type { AttendanceStore } from '../store/index.js';
import type { ServiceEvents } from './events.js';

/** Read side: attendance status and room reports, computed from stored cycles at read time. */
export class AttendanceQuery {
  constructor(
    private readonly deps: {
      store: AttendanceStore;
      clock: Clock;
      policy: CountingPolicy;
      events?: ServiceEvents;
    },
  ) {}

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
      nowMs: this.deps.clock.now(),
      policy: this.deps.policy,
    });
  }

  async roomAttendance(room: string): Promise<RoomAttendanceRow[]> {
    const cycles = await this.deps.store.listRoomCycles(room);
    return computeRoomAttendance({
      room,
      cycles,
      nowMs: this.deps.clock.now(),
      policy: this.deps.policy,
    });
  }
}
