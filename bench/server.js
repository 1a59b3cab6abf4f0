// Bench server child. `node bench/server.js bare` serves two trivial Fastify routes;
// `node bench/server.js verify` serves only the verify step of a webhook route (see below);
// `node bench/server.js service` serves the real app (createRuntime + buildRuntimeApp) on
// BENCH_DATABASE_URL (and BENCH_STATUS_CACHE_ENTRIES, BENCH_SQLITE_SYNCHRONOUS, if set), with no
// LiveKit (so no reconciler calls) and no scheduler.
// `node --expose-gc bench/server.js reconcile-heap` runs the real runtime against the LiveKit at
// BENCH_LIVEKIT_URL with a ReconcileScheduler whose passes follow each other BENCH_GAP_MS apart;
// after every BENCH_SAMPLE_EVERY-th pass, between passes, it collects garbage and sends
// { type: 'sample', pass, heapUsed } over IPC, and { type: 'done' } after BENCH_PASSES passes.
// BENCH_DIST (default ../dist) is the compiled service to load, so that the ingest-baseline
// scenario can run an older build behind the same harness.
// Prints `READY <port>` on stdout once listening; exits cleanly on SIGTERM or an IPC 'stop'
// (so that --cpu-prof can write its profile); answers an IPC { type: 'memory', id, gc } with
// { type: 'memory', id, collected, ...process.memoryUsage() }.
import Fastify from 'fastify';

export const API_TOKEN = 'bench-api-token-0123456789';
const DIST = new URL(`${process.env.BENCH_DIST ?? '../dist'}/`, import.meta.url);
const dist = (path) => import(new URL(path, DIST).href);

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
} else if (mode === 'verify') {
  // The ceiling for ingest: the webhook route doing what every ingest must (read the raw body,
  // livekit-server-sdk's WebhookReceiver: JWT, sha256 of the raw bytes, protobuf decode) and
  // nothing else: no inbox, no fold, no database.
  const { WebhookReceiver } = await import('livekit-server-sdk');
  const receiver = new WebhookReceiver('devkey', 'secret');
  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/webhook+json', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  app.post('/webhooks/livekit', async (req, reply) => {
    try {
      const event = await receiver.receive(req.body, req.headers.authorization);
      return { ok: true, id: event.id };
    } catch {
      return reply.code(401).send({ error: 'unauthorized' });
    }
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  close = () => app.close();
  process.stdout.write(`READY ${new URL(address).port}\n`);
} else if (mode === 'service') {
  const { loadConfig } = await dist('config/index.js');
  const { createLogger } = await dist('telemetry/index.js');
  const { createRuntime, buildRuntimeApp } = await dist('main.js');
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  if (!databaseUrl) throw new Error('BENCH_DATABASE_URL is not set');
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    API_TOKEN,
    // The load generators are one client on one token: a per-token limit would measure itself.
    API_RATE_LIMIT_PER_MINUTE: '0',
    STATUS_CACHE_ENTRIES: process.env.BENCH_STATUS_CACHE_ENTRIES,
    SQLITE_SYNCHRONOUS: process.env.BENCH_SQLITE_SYNCHRONOUS,
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
} else if (mode === 'reconcile-heap') {
  if (typeof globalThis.gc !== 'function') throw new Error('reconcile-heap needs node --expose-gc');
  const { loadConfig } = await dist('config/index.js');
  const { createLogger } = await dist('telemetry/index.js');
  const { createRuntime } = await dist('main.js');
  const { ReconcileScheduler } = await dist('service/index.js');
  const passes = Number(process.env.BENCH_PASSES);
  const every = Number(process.env.BENCH_SAMPLE_EVERY);
  const logger = createLogger({ level: 'silent' });
  const rt = await createRuntime({
    config: loadConfig({
      DATABASE_URL: process.env.BENCH_DATABASE_URL,
      LOG_LEVEL: 'silent',
      API_TOKEN,
    }),
    logger,
    livekit: {
      url: process.env.BENCH_LIVEKIT_URL,
      apiKey: 'devkey',
      apiSecret: 'secret',
      timeoutMs: 30_000,
    },
  });
  // The production scheduler, with a gap instead of RECONCILE_INTERVAL_SECONDS (at least 5 s).
  const scheduler = new ReconcileScheduler({
    reconciler: rt.reconciler,
    intervalMs: Number(process.env.BENCH_GAP_MS),
    logger,
  });
  let done = 0;
  rt.events.on('reconcile:pass:complete', (report) => {
    done++;
    const pass = done;
    const { outcome } = report;
    // After the pass has returned and before the next one starts (BENCH_GAP_MS later); the
    // closure holds no report, so the GC below may collect this one.
    setImmediate(() => {
      if (outcome !== 'ok') process.send({ type: 'failed', pass, outcome });
      if (pass % every === 0 || pass === 1) {
        globalThis.gc();
        process.send({ type: 'sample', pass, heapUsed: process.memoryUsage().heapUsed });
      }
      if (pass === passes) process.send({ type: 'done' });
    });
  });
  close = async () => {
    await scheduler.stop();
    await rt.close();
  };
  process.stdout.write('READY 0\n');
  scheduler.start();
} else {
  throw new Error(`unknown mode ${mode}; use bare, service or reconcile-heap`);
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await close();
  } finally {
    // Peak resident memory of this server, for the RSS row (bench/truth).
    process.send?.({ type: 'rss', maxRssBytes: process.resourceUsage().maxRSS * 1024 });
    process.exit(0);
  }
}
process.on('SIGTERM', () => void stop());
process.on('message', (m) => {
  if (m === 'stop') void stop();
  // The storm's memory probe: process.memoryUsage(), after a full collection if asked and the
  // server runs with --expose-gc.
  if (m?.type === 'memory') {
    const collected = m.gc === true && typeof globalThis.gc === 'function';
    if (collected) globalThis.gc();
    process.send({ type: 'memory', id: m.id, collected, ...process.memoryUsage() });
  }
});
