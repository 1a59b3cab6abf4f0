import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulatorServer, type EmulatorServer } from '../../src/emulator/index.js';
import { useTestDatabase, DIALECTS } from '../helpers/dialects.js';
import { runCliCaptured } from './run-cli.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

describe('livekit-attendance CLI', () => {
  const db = useTestDatabase(sqlite);
  let emu: EmulatorServer;
  beforeEach(async () => {
    emu = await startEmulatorServer({ port: 0 });
  });
  afterEach(async () => {
    await emu.close();
  });
  const liveEnv = () => ({
    DATABASE_URL: db.url,
    LIVEKIT_URL: emu.url,
    LIVEKIT_API_KEY: 'devkey',
    LIVEKIT_API_SECRET: 'secret',
  });

  it('verify-livekit --dry-run shows what it would open and changes nothing', async () => {
    const { sid } = emu.emulator.connect('class-101', { identity: 'alice', silent: true });
    const dry = await runCliCaptured(['verify-livekit', '--dry-run'], liveEnv());
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('DRY RUN: nothing was changed.');
    expect(dry.stdout).toMatch(new RegExp(`class-101\\s+alice\\s+${sid}\\s+open`));
    const again = await runCliCaptured(
      ['verify-livekit', '--room', 'class-101', '--json'],
      liveEnv(),
    );
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report).toMatchObject({ room: 'class-101', dryRun: false, outcome: 'ok', apiCalls: 2 });
    expect(report.summary).toEqual({
      confirmed: 0,
      opened: 1,
      reopened: 0,
      closed: 0,
      unverified: 0,
    });
  });

  it('verify-livekit exits 2 and closes nothing when LiveKit cannot be reached', async () => {
    const r = await runCliCaptured(['verify-livekit'], {
      ...liveEnv(),
      LIVEKIT_URL: 'http://127.0.0.1:9',
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Reconcile pass over all rooms: failed');
    expect(r.stdout).toContain('LiveKit could not be asked for its rooms (unreachable)');
  });

  it('verify-livekit exits 2 on refused credentials', async () => {
    emu.emulator.connect('r', { identity: 'a', silent: true });
    const r = await runCliCaptured(['verify-livekit', '--json'], {
      ...liveEnv(),
      LIVEKIT_API_SECRET: 'wrong-secret',
    });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'failed', error: { kind: 'auth' } });
  });

  it('verify-livekit without LIVEKIT_URL says what to set and exits 1', async () => {
    const r = await runCliCaptured(['verify-livekit'], {
      DATABASE_URL: db.url,
      LIVEKIT_URL: undefined,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('LIVEKIT_URL is not set');
  });

  it('lists every bad variable on a configuration error, in one line each, without a stack', async () => {
    const r = await runCliCaptured(['migrate'], { DATABASE_URL: 'mysql://x', PORT: 'abc' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('DATABASE_URL');
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('migrate applies the schema once', async () => {
    const first = await runCliCaptured(['migrate'], { DATABASE_URL: db.url });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('applied 0001-initial, 0002-status-read-index');
    const second = await runCliCaptured(['migrate'], { DATABASE_URL: db.url });
    expect(second.stdout).toContain('schema is up to date');
  });

  it('rebuild recomputes cycles from the stored events', async () => {
    emu.emulator.connect('r', { identity: 'a', silent: true });
    await runCliCaptured(['verify-livekit'], liveEnv());
    const r = await runCliCaptured(['rebuild'], { DATABASE_URL: db.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rebuilt cycles from 1 of 1 stored events/);
  });

  it('rejects an unknown command with a usage error', async () => {
    const r = await runCliCaptured(['frobnicate'], { DATABASE_URL: db.url });
    expect(r.code).toBe(1);
  });
});
