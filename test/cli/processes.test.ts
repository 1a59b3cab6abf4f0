import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/dialects.js';

const postgres = DIALECTS.find((d) => d.name === 'postgres')!;

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;
/** tsx by absolute URL: a process started in another directory would not resolve the bare name. */
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** Starts the CLI as a real process (tsx, no build needed) and collects its output. */
function start(
  args: string[],
  env: Record<string, string | undefined>,
  opts: { cwd?: string } = {},
): {
  child: ChildProcess;
  output: () => string;
  waitFor: (re: RegExp) => Promise<RegExpMatchArray>;
} {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return {
    child,
    output: () => out,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) {
            listeners.delete(check);
            resolve(m);
          }
        };
        listeners.add(check);
        child.once('exit', () => reject(new Error(`process exited before ${re}: ${out}`)));
        check();
      }),
  };
}

describe('long-running commands as real processes', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('serve answers /healthz, prints a generated token once and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attendance-serve-'));
    dirs.push(dir);
    const p = start(['serve', '--port', '0', '--host', '127.0.0.1'], {
      DATABASE_URL: `sqlite:${join(dir, 'a.db')}`,
      DEMO: 'off',
      LIVEKIT_API_KEY: 'APIkey',
      LIVEKIT_API_SECRET: 'a-secret-of-this-deployment',
      LOG_LEVEL: 'info',
    });
    children.push(p.child);
    const [, port] = await p.waitFor(/"port":(\d+)/);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    const [, token] = await p.waitFor(/API_TOKEN=([A-Za-z0-9_-]+)/);
    expect(p.output().split(token!).length - 1).toBe(1); // printed once, never logged
    const api = await fetch(`http://127.0.0.1:${port}/api/v1/rooms/r/attendance`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(api.status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await metrics.text()).toContain('livekit_attendance_process_cpu_user_seconds_total');
    expect(p.output()).toContain(
      'LIVEKIT_URL is not set: webhooks are verified with LIVEKIT_API_KEY',
    );
    // The store says what it migrated; nothing else repeats it.
    expect(p.output().match(/migrations applied|database migrated/g)).toEqual([
      'migrations applied',
    ]);
    p.child.kill('SIGTERM');
    const [code] = await once(p.child, 'exit');
    expect(code).toBe(0);
    expect(p.output()).toContain('"msg":"stopped"');
  });

  const NO_LIVEKIT = {
    LIVEKIT_URL: undefined,
    LIVEKIT_API_URL: undefined,
    LIVEKIT_API_KEY: undefined,
    LIVEKIT_API_SECRET: undefined,
    HOST: undefined,
    DATABASE_URL: undefined,
    DEMO: undefined,
    LOG_LEVEL: 'info',
  };

  /** Runs a command that should exit by itself; resolves to its exit code and output. */
  async function run(args: string[], env: Record<string, string | undefined>, cwd?: string) {
    const p = start(args, env, cwd === undefined ? {} : { cwd });
    children.push(p.child);
    const [code] = (await once(p.child, 'exit')) as [number];
    return { code, output: p.output() };
  }

  it('serve refuses to start with DEMO=off and no key pair: one line naming LIVEKIT_API_KEY and LIVEKIT_API_SECRET, exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attendance-serve-'));
    dirs.push(dir);
    const r = await run(['serve', '--port', '0'], { ...NO_LIVEKIT, DEMO: 'off' }, dir);
    expect(r.code).toBe(1);
    expect(r.output).toBe(
      'livekit-attendance: LIVEKIT_API_KEY and LIVEKIT_API_SECRET are not set (DEMO=off): set them (or LIVEKIT_KEYS) to the key pair LiveKit signs webhooks with, or DEMO=on to run the demo.\n',
    );
  });

  it('serve refuses demo mode on a PostgreSQL DATABASE_URL unless DEMO=on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attendance-serve-'));
    dirs.push(dir);
    const r = await run(
      ['serve', '--port', '0'],
      { ...NO_LIVEKIT, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.output.split('\n')).toEqual([
      'livekit-attendance: no LiveKit is configured, so serve would run the demo and write its simulated class into the PostgreSQL database in DATABASE_URL: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET, or DEMO=on to run the demo there anyway.',
      '',
    ]);
  });

  it.skipIf(!postgres.enabled)(
    'serve runs the demo on PostgreSQL when DEMO=on asks for it',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'attendance-serve-'));
      dirs.push(dir);
      const database = await postgres.createDatabase();
      try {
        const p = start(
          ['serve', '--port', '0'],
          { ...NO_LIVEKIT, DEMO: 'on', DATABASE_URL: database.url },
          { cwd: dir },
        );
        children.push(p.child);
        await p.waitFor(/"msg":"livekit-attendance listening"/);
        expect(p.output()).toContain('DEMO MODE');
        p.child.kill('SIGTERM');
        const [code] = await once(p.child, 'exit');
        expect(code).toBe(0);
      } finally {
        await database.cleanup(true);
      }
    },
  );

  it('runs the demo on 127.0.0.1 with its own ./data/demo.db, and verify-livekit --dry-run from there checks the demo', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attendance-demo-'));
    dirs.push(dir);
    const p = start(['serve', '--port', '0'], NO_LIVEKIT, { cwd: dir });
    children.push(p.child);
    const [listening] = await p.waitFor(/.*"msg":"livekit-attendance listening".*/);
    expect(JSON.parse(listening)).toMatchObject({
      host: '127.0.0.1',
      database: 'sqlite:./data/demo.db',
    });
    expect(existsSync(join(dir, 'data', 'demo.db'))).toBe(true);
    expect(existsSync(join(dir, 'data', 'attendance.db'))).toBe(false);

    // The README's example, as written, against the running demo.
    const dry = await run(['verify-livekit', '--dry-run'], NO_LIVEKIT, dir);
    expect(dry.output).toContain('DRY RUN: nothing was changed. Reconcile pass over all rooms: ok');
    expect(dry.code).toBe(0);

    p.child.kill('SIGTERM');
    const [code] = await once(p.child, 'exit');
    expect(code).toBe(0);
    // Once the demo stopped, the CLI says so instead of calling a dead port.
    const after = await run(['verify-livekit', '--dry-run'], NO_LIVEKIT, dir);
    expect(after.code).toBe(1);
    expect(after.output).toContain('no demo is running here');
  });

  it('emulator serves RoomService to the official SDK with --api-key/--api-secret', async () => {
    const p = start(
      ['emulator', '--port', '0', '--api-key', 'k1', '--api-secret', 's1-secret-value'],
      {},
    );
    children.push(p.child);
    const [, url] = await p.waitFor(/listening on (http:\/\/[0-9.:]+)/);
    const client = new RoomServiceClient(url!, 'k1', 's1-secret-value');
    await client.createRoom({ name: 'from-sdk' });
    expect((await client.listRooms()).map((r) => r.name)).toEqual(['from-sdk']);
    p.child.kill('SIGTERM');
    const [code] = await once(p.child, 'exit');
    expect(code).toBe(0);
  });
});
