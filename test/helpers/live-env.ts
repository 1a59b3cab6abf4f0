import type { AddressInfo } from 'node:net';
import { vi } from 'vitest';
import { ManualClock, startEmulatorServer, type EmulatorServer } from '../../src/emulator/index.js';
import { useTestDatabase, type TestDialect } from './dialects.js';
import { createHarness, type Harness } from './harness.js';
import { usePerTest } from './per-test.js';

/** A whole-second start time, so LiveKit's seconds-precision createdAt is exact in assertions. */
export const T0 = Date.UTC(2027, 0, 11, 9, 0, 0);

export interface LiveEnv {
  h: Harness;
  emu: EmulatorServer;
  clock: ManualClock;
  /** Moves the emulator's clock (the service's) and the process's Date (JWTs) together. */
  advance(ms: number): Promise<void>;
  /** Waits until every queued webhook was delivered (or dropped). */
  settle(): Promise<void>;
  reconcile(body?: { room?: string; dryRun?: boolean }): Promise<any>;
  status(room: string, identity: string, query?: string): Promise<any>;
  close(): Promise<void>;
}

/**
 * The service on a real socket, the emulator on another, webhooks flowing between them and the
 * official SDK asking the emulator: everything real but time, which tests move explicitly.
 */
export async function startLiveEnv(
  databaseUrl: string,
  opts: {
    env?: Record<string, string>;
    /** Puts something between the service and the emulator (a recording proxy); closed last. */
    reachLiveKit?: (emulatorUrl: string) => Promise<{ url: string; close(): Promise<void> }>;
    /** LiveKit's clock runs this far ahead of the service's (negative: behind); default 0. */
    livekitClockOffsetMs?: number;
  } = {},
): Promise<LiveEnv> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  const clock = new ManualClock({ startAtMs: T0 });
  const emu = await startEmulatorServer({
    port: 0,
    clock,
    retryScale: 0.001,
    clockOffsetMs: opts.livekitClockOffsetMs ?? 0,
  });
  const between = opts.reachLiveKit ? await opts.reachLiveKit(emu.url) : null;
  const h = await createHarness({
    databaseUrl,
    livekitUrl: between?.url ?? emu.url,
    // The service's clock is the emulator's (less its offset), timer by timer: a webhook sent at
    // t arrives at t, as in life, while Date jumps to the end of each advance.
    clock: { now: () => clock.now() },
    ...(opts.env ? { env: opts.env } : {}),
  });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as AddressInfo;
  emu.emulator.setWebhookUrls([`http://127.0.0.1:${port}/webhooks/livekit`]);
  const settle = async () => {
    await clock.advance(0);
    await emu.emulator.idle();
  };
  return {
    h,
    emu,
    clock,
    async advance(ms) {
      vi.setSystemTime(Date.now() + ms);
      await clock.advance(ms);
      await settle();
    },
    settle,
    async reconcile(body = {}) {
      const r = await h.api('/api/v1/reconcile', { method: 'POST', body });
      if (r.status !== 200) throw new Error(`reconcile answered ${r.status}: ${r.body}`);
      return r.json;
    },
    async status(room, identity, query = '') {
      const r = await h.api(
        `/api/v1/rooms/${encodeURIComponent(room)}/participants/${encodeURIComponent(identity)}${query}`,
      );
      if (r.status !== 200) throw new Error(`status answered ${r.status}: ${r.body}`);
      return r.json;
    },
    async close() {
      await h.close();
      await between?.close();
      await emu.close();
      vi.useRealTimers();
    },
  };
}

/**
 * A LiveEnv started before and closed after every test of the enclosing describe, on a fresh
 * database of `dialect`. The returned object always refers to the current test's environment.
 */
export function useLiveEnv(
  dialect: TestDialect,
  opts: Parameters<typeof startLiveEnv>[1] = {},
): LiveEnv {
  const db = useTestDatabase(dialect);
  const env = usePerTest('useLiveEnv', () => startLiveEnv(db.url, opts));
  return {
    get h() {
      return env().h;
    },
    get emu() {
      return env().emu;
    },
    get clock() {
      return env().clock;
    },
    advance: (ms) => env().advance(ms),
    settle: () => env().settle(),
    reconcile: (body) => env().reconcile(body),
    status: (room, identity, query) => env().status(room, identity, query),
    close: () => env().close(),
  };
}
