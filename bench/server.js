// Bench server child. `node bench/server.js bare` serves two trivial Fastify routes;
// `node bench/server.js service` serves the real app (createRuntime + buildRuntimeApp) on
// BENCH_DATABASE_URL (and BENCH_STATUS_CACHE_ENTRIES, if set), with no LiveKit (so no reconciler
// calls) and no scheduler.
// Prints `READY <port>` on stdout once listening; exits cleanly on SIGTERM or an IPC 'stop'
// (so that --cpu-prof can write its profile).
import Fastify from 'fastify';

export const API_TOKEN = 'bench-api-token-0123456789';

const mode = process.argv[2];
let close = async () => {};

if (mode === 'bare') {
  const app = Fastify({ logger: false });
  app.post('/bare', async () => ({ ok: true }));
  app.get('/bare', async () => ({
    identity: 'user-1-2',
    name: 'User 1 2',
    attendedMs: 1234567,
    inMeeting: true,
    firstJoinedAt: '2024-01-01T10:00:00.000Z',
    lastLeftAt: null,
    cycleCount: 3,
  }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  close = () => app.close();
  process.stdout.write(`READY ${new URL(address).port}\n`);
} else if (mode === 'service') {
  const { loadConfig } = await import('../dist/config/index.js');
  const { createLogger } = await import('../dist/telemetry/index.js');
  const { createRuntime, buildRuntimeApp } = await import('../dist/main.js');
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  if (!databaseUrl) throw new Error('BENCH_DATABASE_URL is not set');
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    API_TOKEN,
    STATUS_CACHE_ENTRIES: process.env.BENCH_STATUS_CACHE_ENTRIES,
  });
  const logger = createLogger({ level: 'silent' });
  const rt = await createRuntime({
    config,
    logger,
    livekit: { url: null, apiKey: 'devkey', apiSecret: 'secret', timeoutMs: 2_000 },
    // As `serve` runs it.
    processMetrics: true,
  });
  const app = await buildRuntimeApp(rt, API_TOKEN);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  close = async () => {
    await app.close();
    await rt.close();
  };
  process.stdout.write(`READY ${new URL(address).port}\n`);
} else {
  throw new Error(`unknown mode ${mode}; use bare or service`);
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await close();
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', () => void stop());
process.on('message', (m) => {
  if (m === 'stop') void stop();
});
