import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { expect, it } from 'vitest';
import { settleCycle, type Cycle } from '../../src/core/index.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { openStore, parseDatabaseUrl } from '../../src/store/index.js';
// Its introspection reads only the current schema; Kysely's own fails when another test drops one.
import { AttendancePostgresDialect } from '../../src/store/postgres/attendance-postgres-dialect.js';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';

const T = 1_700_000_000_000;

/** Cycles as version 0002 stored them: the verdict only. */
const OLD_ROWS = [
  // sid, opened_by, joined, ended_at, ended_by, estimated, last_seen, room_sid
  ['PA_open', 'webhook', T, null, null, null, T + 60_000, 'RM_1'],
  ['PA_left', 'webhook', T, T + 300_000, 'webhook', null, T + 300_000, 'RM_1'],
  ['PA_finished', 'webhook', T, T + 900_000, 'room_finished', null, T + 600_000, 'RM_1'],
  ['PA_estimated', 'webhook', T, null, null, T + 240_000, T + 240_000, 'RM_1'],
  ['PA_recovered', 'reconciler', T + 5_000, null, null, null, T + 120_000, null],
] as const;

describeEachDialect('migration 0003 (evidence columns)', (dialect) => {
  const database = useTestDatabase(dialect);

  /** Migrates a fresh database to 0002 and stores cycles the way 0002's code did. */
  async function seedAt0002(): Promise<void> {
    const target = parseDatabaseUrl(database.url);
    const db =
      target.dialect === 'sqlite'
        ? new Kysely<any>({
            dialect: new SqliteDialect({ database: new Database(target.filename) }),
          })
        : new Kysely<any>({
            dialect: new AttendancePostgresDialect({
              pool: new pg.Pool({ connectionString: target.connectionString }),
            }),
          });
    try {
      const schema =
        target.dialect === 'postgres'
          ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
          : undefined;
      const migrator = new Migrator({
        db,
        provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) },
        ...(schema ? { migrationTableSchema: schema } : {}),
      });
      const { error } = await migrator.migrateTo('0002-status-read-index');
      expect(error).toBeUndefined();
      for (const [
        sid,
        openedBy,
        joined,
        endedAt,
        endedBy,
        estimated,
        lastSeen,
        roomSid,
      ] of OLD_ROWS) {
        await db
          .insertInto('cycles')
          .values({
            sid,
            room: 'r',
            room_sid: roomSid,
            identity: sid.toLowerCase(),
            name: null,
            name_version: -1,
            kind: 'STANDARD',
            joined_at_ms: joined,
            connected: target.dialect === 'sqlite' ? 1 : true,
            opened_by: openedBy,
            ended_at_ms: endedAt,
            ended_by: endedBy,
            estimated_left_at_ms: estimated,
            last_seen_at_ms: lastSeen,
          })
          .execute();
      }
    } finally {
      await db.destroy();
    }
  }

  it('backfills evidence that yields the stored verdict of every existing cycle', async () => {
    await seedAt0002();
    const store = await openStore(database.url);
    try {
      expect(await store.migrate()).toEqual({
        applied: [
          '0003-evidence-and-journal',
          '0004-sessions',
          '0005-outbox',
          '0006-inbox-retention',
          '0007-audit-entry-tables',
        ],
      });
      const cycles = await store.listRoomCycles('r');
      const verdict = (c: Cycle) => [
        c.sid,
        c.openedBy,
        c.endedAtMs,
        c.endedBy,
        c.estimatedLeftAtMs,
      ];
      expect(cycles.map(verdict).sort()).toEqual(
        OLD_ROWS.map(([sid, openedBy, , endedAt, endedBy, estimated]) => [
          sid,
          openedBy,
          endedAt,
          endedBy,
          estimated,
        ]).sort(),
      );
      // The evidence alone reproduces the verdict: the next fold leaves it as it was.
      for (const c of cycles) expect(settleCycle({ ...c })).toEqual(c);
    } finally {
      await store.close();
    }
  });
});
