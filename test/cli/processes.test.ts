import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

/** Starts the CLI as a real process (tsx, no build needed) and collects its output. */
function start(
  args: string[],
  env: Record<string, string>,
): {
  child: ChildProcess;
  output: () => string;
  waitFor: (re: RegExp) => Promise<RegExpMatchArray>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
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
    expect(p.output()).toContain('No LiveKit configured');
    p.child.kill('SIGTERM');
    const [code] = await once(p.child, 'exit');
    expect(code).toBe(0);
    expect(p.output()).toContain('"msg":"stopped"');
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
