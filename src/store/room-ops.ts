import { sql, type Kysely } from 'kysely';
import { fromRoomVerificationRow } from './rows.js';
import type { Database } from './rows.js';
import { chunkForParameters } from './store-driver.js';
import type { StoreOps } from './store.js';

export type RoomOps = Pick<
  StoreOps,
  | 'recordRoomFinished'
  | 'getRoomFinishTimes'
  | 'getRoomVerification'
  | 'markRoomVerified'
  | 'markRoomVerificationFailed'
  | 'listRoomVerifications'
>;

export function createRoomOps(db: Kysely<Database>): RoomOps {
  return {
    async recordRoomFinished(roomSid, room, atMs) {
      // Earliest wins (attendance-model, event rule 3); the WHERE form is the same on both
      // databases, unlike MIN() (SQLite) and LEAST() (PostgreSQL).
      await db
        .insertInto('room_incarnations')
        .values({ room_sid: roomSid, room, finished_at_ms: atMs })
        .onConflict((oc) =>
          oc
            .column('room_sid')
            .doUpdateSet((eb) => ({ finished_at_ms: eb.ref('excluded.finished_at_ms') }))
            .where('excluded.finished_at_ms', '<', (eb) =>
              eb.ref('room_incarnations.finished_at_ms'),
            ),
        )
        .execute();
    },

    async getRoomFinishTimes(roomSids) {
      const times = new Map<string, number>();
      for (const chunk of chunkForParameters([...new Set(roomSids)], 1)) {
        const rows = await db
          .selectFrom('room_incarnations')
          .select(['room_sid', 'finished_at_ms'])
          .where('room_sid', 'in', chunk)
          .execute();
        for (const row of rows) times.set(row.room_sid, row.finished_at_ms);
      }
      return times;
    },

    async getRoomVerification(room) {
      const row = await selectRoomVerification(db, room).executeTakeFirst();
      return row === undefined ? null : fromRoomVerificationRow(row);
    },

    async markRoomVerified(room, atMs) {
      await db
        .insertInto('room_verifications')
        .values({
          room,
          last_verified_at_ms: atMs,
          last_attempt_at_ms: atMs,
          last_error: null,
          consecutive_failures: 0,
        })
        .onConflict((oc) =>
          oc.column('room').doUpdateSet((eb) => ({
            // Never backwards: a pass batch committing late must not hide a newer live check.
            last_verified_at_ms: sql<number>`case
              when room_verifications.last_verified_at_ms is null
                or excluded.last_verified_at_ms > room_verifications.last_verified_at_ms
              then excluded.last_verified_at_ms
              else room_verifications.last_verified_at_ms end`,
            last_attempt_at_ms: eb.ref('excluded.last_attempt_at_ms'),
            last_error: null,
            consecutive_failures: 0,
          })),
        )
        .execute();
    },

    async markRoomVerificationFailed(room, atMs, reason) {
      // attendance-model, reconciliation rule 5: a failed pass leaves lastVerifiedAt unchanged.
      await db
        .insertInto('room_verifications')
        .values({
          room,
          last_verified_at_ms: null,
          last_attempt_at_ms: atMs,
          last_error: reason,
          consecutive_failures: 1,
        })
        .onConflict((oc) =>
          oc.column('room').doUpdateSet((eb) => ({
            last_attempt_at_ms: eb.ref('excluded.last_attempt_at_ms'),
            last_error: eb.ref('excluded.last_error'),
            consecutive_failures: eb('room_verifications.consecutive_failures', '+', 1),
          })),
        )
        .execute();
    },

    async listRoomVerifications() {
      const rows = await db.selectFrom('room_verifications').selectAll().orderBy('room').execute();
      return rows.map(fromRoomVerificationRow);
    },
  };
}

/** A room's verification row. Shared with SQLite's prepared reads. */
export function selectRoomVerification(db: Kysely<Database>, room: string) {
  return db.selectFrom('room_verifications').selectAll().where('room', '=', room);
}
