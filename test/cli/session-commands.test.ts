import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '../../src/core/index.js';
import { startEmulatorServer, type EmulatorServer } from '../../src/emulator/index.js';
import { openStore } from '../../src/store/index.js';
import { DIALECTS, useTestDatabase } from '../helpers/dialects.js';
import { runCliCaptured } from './run-cli.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;
const HOUR = 3_600_000;

describe('livekit-attendance session commands', () => {
  const db = useTestDatabase(sqlite);
  let emu: EmulatorServer;
  beforeEach(async () => {
    emu = await startEmulatorServer({ port: 0 });
  });
  afterEach(async () => {
    await emu.close();
  });
  const env = () => ({
    DATABASE_URL: db.url,
    LIVEKIT_URL: emu.url,
    LIVEKIT_API_KEY: 'devkey',
    LIVEKIT_API_SECRET: 'secret',
  });

  /** A session over `rooms` around now, written as the API would store it. */
  async function saveSession(id: string, rooms: string[], over: Partial<Session> = {}) {
    const store = await openStore(db.url);
    try {
      await store.migrate();
      const now = Date.now();
      await store.saveSession({
        id,
        title: `Title of ${id}`,
        rooms,
        startsAtMs: now - HOUR,
        endsAtMs: now + HOUR,
        timezone: 'Asia/Tokyo',
        hosts: [],
        roster: [
          { identity: 'alice', name: 'Alice', role: null, aliases: [] },
          { identity: 'bob', name: null, role: null, aliases: [] },
        ],
        tags: ['maths'],
        policy: {
          lateAfterMinutes: 5,
          leftEarlyMinutes: 5,
          presentPercent: 75,
          absentBelowMinutes: 1,
          lateFrom: 'start',
        },
        createdAtMs: now,
        updatedAtMs: now,
        ...over,
      });
    } finally {
      await store.close();
    }
  }

  it('verify-livekit --session asks about that session’s rooms only', async () => {
    await saveSession('maths-1', ['maths-main', 'maths-breakout']);
    const { sid } = emu.emulator.connect('maths-main', { identity: 'alice', silent: true });
    emu.emulator.connect('other-room', { identity: 'carol', silent: true });
    const dry = await runCliCaptured(
      ['verify-livekit', '--session', 'maths-1', '--dry-run'],
      env(),
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Reconcile pass over session "maths-1" (2 room(s)): ok');
    expect(dry.stdout).toMatch(new RegExp(`maths-main\\s+alice\\s+${sid}\\s+open`));
    expect(dry.stdout).not.toContain('carol');
    const unknown = await runCliCaptured(['verify-livekit', '--session', 'nope'], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('livekit-attendance: no session "nope" in this database');
    const both = await runCliCaptured(['verify-livekit', '--session', 'a', '--room', 'b'], env());
    expect(both.code).toBe(1);
  });

  it('report --session prints the API’s JSON, or writes its CSV with --out', async () => {
    await saveSession('maths-1', ['maths-main']);
    emu.emulator.connect('maths-main', { identity: 'alice', silent: true });
    expect((await runCliCaptured(['verify-livekit', '--session', 'maths-1'], env())).code).toBe(0);

    const json = await runCliCaptured(['report', '--session', 'maths-1'], env());
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.session).toMatchObject({ id: 'maths-1', state: 'live', timezone: 'Asia/Tokyo' });
    expect(report.final).toBe(false);
    expect(report.participants.map((p: { identity: string }) => p.identity)).toEqual([
      'alice',
      'bob',
    ]);
    expect(report.participants[0]).toMatchObject({ inMeeting: true, onRoster: true });
    expect(report.participants[0].cycles[0]).toMatchObject({ openedBy: 'reconciler' });
    expect(report.participants[1]).toMatchObject({ status: 'absent', attendedMs: 0 });

    const dir = await mkdtemp(join(tmpdir(), 'attendance-report-'));
    const file = join(dir, 'maths.csv');
    const csv = await runCliCaptured(
      ['report', '--session', 'maths-1', '--format', 'csv', '--out', file],
      env(),
    );
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe('');
    expect(csv.stderr).toContain(
      `wrote CSV for session "maths-1" (2 people, not final yet) to ${file}`,
    );
    const lines = (await readFile(file, 'utf8')).split('\r\n');
    expect(lines[0]).toBe(
      'identity,name,role,status,attendedMinutes,attendedPercent,firstJoinedAt,lastLeftAt,lateByMinutes,leftEarlyByMinutes,connections,reconnects,joinedByPhone,onRoster,isHost,timezone',
    );
    expect(lines[1]).toMatch(
      /^alice,Alice,,\w+,[\d.]+,[\d.]+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00,,/,
    );
    expect(lines[2]).toBe('bob,,,absent,0.0,0.0,,,0.0,0.0,0,0,false,true,false,Asia/Tokyo');

    const unknown = await runCliCaptured(['report', '--session', 'nope'], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('livekit-attendance: no session "nope" in this database');
    const badFormat = await runCliCaptured(
      ['report', '--session', 'maths-1', '--format', 'xls'],
      env(),
    );
    expect(badFormat.code).not.toBe(0);
  });

  it('sessions list shows sessions overlapping the range, newest first, by tag', async () => {
    const now = Date.now();
    await saveSession('old', ['r1'], {
      startsAtMs: now - 50 * HOUR,
      endsAtMs: now - 49 * HOUR,
      tags: [],
    });
    await saveSession('new', ['r2'], { startsAtMs: now - HOUR, endsAtMs: now + HOUR });
    const table = await runCliCaptured(['sessions', 'list'], env());
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+STARTS\s+ENDS\s+ROOMS\s+ROSTER\s+TITLE$/);
    expect(lines[2]).toMatch(/^new\s+live\s/);
    expect(lines[3]).toMatch(/^old\s+ended\s/);
    const since = new Date(now - 2 * HOUR).toISOString();
    const recent = await runCliCaptured(['sessions', 'list', '--from', since, '--json'], env());
    expect(JSON.parse(recent.stdout).map((s: { id: string }) => s.id)).toEqual(['new']);
    const tagged = await runCliCaptured(['sessions', 'list', '--tag', 'maths', '--json'], env());
    expect(JSON.parse(tagged.stdout).map((s: { id: string }) => s.id)).toEqual(['new']);
    const bad = await runCliCaptured(['sessions', 'list', '--from', 'yesterday'], env());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--from must be an ISO 8601 date-time');
  });
});
