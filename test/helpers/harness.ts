import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/index.js';
import type { Clock } from '../../src/core/index.js';
import { signWebhook } from '../../src/emulator/index.js';
import { buildRuntimeApp, createRuntime } from '../../src/main.js';
import type { Runtime } from '../../src/service/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { useTestDatabase, type TestDialect } from './dialects.js';
import { usePerTest } from './per-test.js';

export const TEST_API_TOKEN = 'test-api-token-0123456789';
export const DEV_KEY = 'devkey';
export const DEV_SECRET = 'secret';

export interface Harness {
  rt: Runtime;
  app: FastifyInstance;
  /** POSTs a body signed like LiveKit (raw JWT, webhook+json) through inject(). */
  postWebhook(
    body: string,
    opts?: { iatSeconds?: number; secret?: string; key?: string },
  ): Promise<{ status: number; json: unknown }>;
  /** GETs an /api/ path with the bearer token. */
  api(
    path: string,
    init?: {
      method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
      body?: unknown;
      headers?: Record<string, string>;
    },
  ): Promise<{ status: number; json: any; body: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A real runtime (real store on `databaseUrl`) and the real HTTP app, driven with inject(). */
export async function createHarness(opts: {
  databaseUrl: string;
  livekitUrl?: string | null;
  clock?: Clock;
  env?: Record<string, string>;
  /** The dashboard's built browser files (test/helpers/browser.ts builds them); default: none. */
  dashboardAssetsDir?: string | null;
}): Promise<Harness> {
  const config = loadConfig({
    DATABASE_URL: opts.databaseUrl,
    LOG_LEVEL: 'silent',
    API_TOKEN: TEST_API_TOKEN,
    ...(opts.env ?? {}),
  });
  const logger = createLogger({
    level: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent',
  });
  const rt = await createRuntime({
    config,
    logger,
    livekit: {
      url: opts.livekitUrl ?? null,
      apiKey: DEV_KEY,
      apiSecret: DEV_SECRET,
      // LIVEKIT_KEYS in `env`: webhooks verify against the configured pairs (key rotation).
      ...(config.livekit.keys.length > 0 && opts.env?.LIVEKIT_KEYS !== undefined
        ? {
            apiKey: config.livekit.apiKey ?? DEV_KEY,
            apiSecret: config.livekit.apiSecret ?? DEV_SECRET,
            keys: config.livekit.keys,
          }
        : {}),
      // LIVEKIT_TIMEOUT_SECONDS in `env` is honoured; else 2 s, so a hung call costs little.
      timeoutMs: opts.env?.LIVEKIT_TIMEOUT_SECONDS !== undefined ? config.livekit.timeoutMs : 2_000,
    },
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const app = await buildRuntimeApp(rt, TEST_API_TOKEN, {
    dashboardAssetsDir: opts.dashboardAssetsDir ?? null,
  });
  await app.ready();
  return {
    rt,
    app,
    async postWebhook(body, o = {}) {
      const signed = signWebhook({
        apiKey: o.key ?? DEV_KEY,
        apiSecret: o.secret ?? DEV_SECRET,
        body,
        iatSeconds: o.iatSeconds ?? Math.floor(Date.now() / 1000),
      });
      const res = await app.inject({
        method: 'POST',
        url: '/webhooks/livekit',
        headers: { 'content-type': 'application/webhook+json', authorization: signed.token },
        payload: body,
      });
      return { status: res.statusCode, json: res.json() };
    },
    async api(path, init = {}) {
      const res = await app.inject({
        method: init.method ?? 'GET',
        url: path,
        headers: { authorization: `Bearer ${TEST_API_TOKEN}`, ...(init.headers ?? {}) },
        ...(init.body !== undefined ? { payload: init.body as object } : {}),
      });
      let json: unknown = null;
      try {
        json = res.json();
      } catch {
        json = null;
      }
      return { status: res.statusCode, json, body: res.body, headers: res.headers };
    },
    async close() {
      await app.close();
      await rt.close();
    },
  };
}

/** A webhook body as LiveKit's Go encoder writes it: camelCase, defaults omitted, int64 as strings. */
export function webhookBody(e: {
  event: string;
  id: string;
  createdAtS: number;
  room?: { name: string; sid?: string };
  participant?: {
    sid: string;
    identity: string;
    name?: string;
    state?: string;
    kind?: string;
    joinedAtMs?: number;
    version?: number;
    disconnectReason?: string;
  };
  reduced?: boolean;
}): string {
  const room = e.room ? { sid: e.room.sid ?? 'RM_test', name: e.room.name } : undefined;
  let participant: Record<string, unknown> | undefined;
  if (e.participant) {
    const p = e.participant;
    participant = e.reduced
      ? { sid: p.sid, identity: p.identity }
      : {
          sid: p.sid,
          identity: p.identity,
          ...(p.state ? { state: p.state } : {}),
          ...(p.joinedAtMs
            ? {
                joinedAt: String(Math.floor(p.joinedAtMs / 1000)),
                joinedAtMs: String(p.joinedAtMs),
              }
            : {}),
          ...(p.name ? { name: p.name } : {}),
          ...(p.version ? { version: p.version } : {}),
          ...(p.kind && p.kind !== 'STANDARD' ? { kind: p.kind } : {}),
          ...(p.disconnectReason ? { disconnectReason: p.disconnectReason } : {}),
        };
  }
  return JSON.stringify({
    event: e.event,
    ...(room ? { room } : {}),
    ...(participant ? { participant } : {}),
    id: e.id,
    createdAt: String(e.createdAtS),
  });
}

/**
 * A Harness created before and closed after every test of the enclosing describe, on a fresh
 * database of `dialect`. The returned object always refers to the current test's harness.
 */
export function useHarness(dialect: TestDialect, env?: Record<string, string>): Harness {
  const db = useTestDatabase(dialect);
  const harness = usePerTest('useHarness', () =>
    createHarness({ databaseUrl: db.url, ...(env ? { env } : {}) }),
  );
  return {
    get rt() {
      return harness().rt;
    },
    get app() {
      return harness().app;
    },
    postWebhook: (body, opts) => harness().postWebhook(body, opts),
    api: (path, init) => harness().api(path, init),
    close: () => harness().close(),
  };
}
