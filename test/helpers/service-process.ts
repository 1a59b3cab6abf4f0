import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { signWebhook } from '../../src/emulator/index.js';
import { webhookBody } from './harness.js';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;
/** tsx by absolute URL (as test/cli/processes.test.ts): no build needed, always today's source. */
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

export const PROC_API_KEY = 'APIfaults';
export const PROC_API_SECRET = 'a-secret-of-the-fault-tests-0123456789';
export const PROC_API_TOKEN = 'fault-tests-api-token-0123456789';

/** `livekit-attendance serve` as a real child process on a port of its choosing. */
export interface ServiceProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` once listening. */
  url: string;
  output(): string;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

/** Starts `serve --port 0` and resolves once it logged the port it listens on. */
export async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const merged: NodeJS.ProcessEnv = {
    ...process.env,
    DEMO: 'off',
    LIVEKIT_API_KEY: PROC_API_KEY,
    LIVEKIT_API_SECRET: PROC_API_SECRET,
    API_TOKEN: PROC_API_TOKEN,
    LOG_LEVEL: 'info',
    ...env,
  };
  for (const k of ['LIVEKIT_URL', 'LIVEKIT_API_URL', 'LIVEKIT_KEYS', 'HOST', 'PORT'])
    if (env[k] === undefined) delete merged[k];
  const child = spawn(
    process.execPath,
    ['--import', TSX, MAIN, 'serve', '--port', '0', '--host', '127.0.0.1'],
    { env: merged, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const exited = once(child, 'exit');
  const onData = (b: Buffer) => {
    out += b.toString();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const proc: ServiceProcess = {
    child,
    url: '',
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /"msg":"livekit-attendance listening"/.test(out) ? out.match(/"port":(\d+)/) : null;
    if (m) {
      proc.url = `http://127.0.0.1:${m[1]}`;
      return proc;
    }
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`serve exited before listening:\n${out}`);
    if (Date.now() > deadline) {
      await proc.kill();
      throw new Error(`serve did not listen within 60 s:\n${out}`);
    }
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined; throws with `describe()` after `ms`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  opts: { ms?: number; describe?: () => Promise<string> | string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.ms ?? 60_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e: unknown) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const extra = opts.describe ? await opts.describe() : '';
      const why = lastError instanceof Error ? lastError.message : '';
      throw new Error(`timed out waiting for ${what} ${why} ${extra}`);
    }
    await sleep(100);
  }
}

/** One LiveKit webhook of a storm: a join or a leave of one sid. */
export interface StormEvent {
  id: string;
  kind: 'join' | 'leave';
  room: string;
  identity: string;
  sid: string;
  body: string;
}

/**
 * `people` participants across `rooms`, each one sid joining then leaving, all in the recent past
 * (createdAt in whole seconds). Returned per participant, so a sender can keep each sid in order.
 */
export function stormEvents(opts: {
  prefix: string;
  rooms: number;
  people: number;
  startS: number;
}): StormEvent[][] {
  const out: StormEvent[][] = [];
  for (let i = 0; i < opts.people; i++) {
    const room = `${opts.prefix}-room-${i % opts.rooms}`;
    const identity = `${opts.prefix}-p${i}`;
    const sid = `PA_${opts.prefix}_${i}`;
    const joinedS = opts.startS + (i % 50);
    const leftS = joinedS + 10 + (i % 7) * 3;
    const ev = (kind: 'join' | 'leave', atS: number): StormEvent => {
      const id = `EV_${opts.prefix}_${kind}_${i}`;
      return {
        id,
        kind,
        room,
        identity,
        sid,
        body: webhookBody({
          event: kind === 'join' ? 'participant_joined' : 'participant_left',
          id,
          createdAtS: atS,
          room: { name: room, sid: `RM_${room}` },
          participant: {
            sid,
            identity,
            state: kind === 'join' ? 'ACTIVE' : 'DISCONNECTED',
            joinedAtMs: joinedS * 1000,
          },
        }),
      };
    };
    out.push([ev('join', joinedS), ev('leave', leftS)]);
  }
  return out;
}

/** Posts one webhook signed as LiveKit does; resolves to the status, or 0 on a network error. */
export async function postSigned(baseUrl: string, body: string): Promise<number> {
  const { token } = signWebhook({
    apiKey: PROC_API_KEY,
    apiSecret: PROC_API_SECRET,
    body,
    iatSeconds: Math.floor(Date.now() / 1000),
  });
  try {
    const res = await fetch(`${baseUrl}/webhooks/livekit`, {
      method: 'POST',
      headers: { 'content-type': 'application/webhook+json', authorization: token },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Splits `items` round-robin into `n` lists. */
export function deal<T>(items: readonly T[], n: number): T[][] {
  const lists: T[][] = Array.from({ length: n }, () => []);
  items.forEach((x, i) => lists[i % n]!.push(x));
  return lists;
}
