import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/index.js';
import { systemClock, type Clock } from './core/index.js';
import { buildApp } from './http/index.js';
import {
  createRoomServiceGateway,
  createWebhookVerifier,
  type RoomServiceGateway,
} from './livekit/index.js';
import {
  AnalyticsService,
  AttendanceQuery,
  LiveKitClock,
  createStandardWebhookSender,
  InboxProcessor,
  OutboundRecorder,
  OutboxDeliverer,
  OutboxService,
  SessionEventWatcher,
  LiveRooms,
  InboxRetention,
  ReadinessProbe,
  ReconcileScheduler,
  Reconciler,
  RoomVerifier,
  ServiceEvents,
  SessionService,
  StoreWriter,
  WebhookHealth,
  WebhookIngestor,
  wireTelemetry,
  type LiveKitTarget,
  type OutboundRuntime,
  type Runtime,
} from './service/index.js';
import { openStore } from './store/index.js';
import { createMetrics } from './telemetry/index.js';

/** `livekit-server --dev`'s key pair: what webhooks are verified with when no LiveKit is configured. */
export const DEV_API_KEY = 'devkey';
export const DEV_API_SECRET = 'secret';

export const VERSION: string = (() => {
  try {
    const pkg = fileURLToPath(new URL('../package.json', import.meta.url));
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

/** Webhook batches committed at once on PostgreSQL: well inside the pool's 10 connections. */
const INGEST_CONCURRENT_BATCHES = 4;
/** Timeout of one outbound event POST to one receiver. */
const OUTBOUND_TIMEOUT_MS = 10_000;

/** A gateway that answers every call with "not configured": a pass then closes nothing. */
function unconfiguredGateway(): RoomServiceGateway {
  const error = {
    kind: 'misconfigured' as const,
    status: null,
    code: null,
    message: 'LIVEKIT_URL is not set; cannot ask LiveKit who is in the room',
  };
  return {
    listRooms: () => Promise.resolve({ ok: false, error }),
    listParticipants: () => Promise.resolve({ ok: false, error }),
  };
}

/** The composition root: builds and wires every part from the configuration. */
export async function createRuntime(opts: {
  config: Config;
  logger: Logger;
  livekit: LiveKitTarget;
  clock?: Clock;
  migrate?: boolean;
  /** Also export process metrics (CPU, memory, event-loop lag, GC): the long-running service. */
  processMetrics?: boolean;
}): Promise<Runtime> {
  const { config, logger, livekit } = opts;
  const clock = opts.clock ?? systemClock;
  const metrics = createMetrics({ processMetrics: opts.processMetrics === true });
  // Label children bound once: this runs on every status read.
  const cacheHit = metrics.statusCacheLookups.labels({ result: 'hit' });
  const cacheMiss = metrics.statusCacheLookups.labels({ result: 'miss' });
  const store = await openStore(config.databaseUrl, {
    logger: logger.child({ area: 'store' }),
    statusCache: {
      maxEntries: config.statusCacheEntries,
      onLookup: (hit) => (hit ? cacheHit : cacheMiss).inc(),
    },
    sqlite: {
      synchronous: config.sqliteSynchronous,
      onLockWait: () => metrics.sqliteLockWaits.inc(),
    },
  });
  try {
    if (opts.migrate ?? true) {
      // The store logs what it applied ("migrations applied"); a second line here said it twice.
      await store.migrate();
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  const events = new ServiceEvents();
  wireTelemetry(events, logger, metrics);
  const writer = new StoreWriter(store);
  const policy = {
    uncountedKinds: new Set<string>(config.uncountedKinds),
  };
  // Issue #10: only with receivers configured does any write path record outbound events.
  const recorder =
    config.outbound.urls.length > 0 ? new OutboundRecorder({ clock, counting: policy }) : null;
  const verifier = createWebhookVerifier({
    keys: livekit.keys ?? [{ apiKey: livekit.apiKey, apiSecret: livekit.apiSecret }],
  });
  const ingestor = new WebhookIngestor({
    verifier,
    writer,
    clock,
    logger: logger.child({ area: 'ingest' }),
    events,
    // PostgreSQL writes rooms concurrently (per-room locks); SQLite has one writer.
    concurrentBatches: store.dialect === 'postgres' ? INGEST_CONCURRENT_BATCHES : 1,
    outbound: recorder,
  });
  const inbox = new InboxProcessor({
    writer,
    logger: logger.child({ area: 'inbox' }),
    events,
    now: () => clock.now(),
    outbound: recorder,
  });
  // LiveKit's clock as its webhooks' signing times show it: what a pass saw, and how long an open
  // cycle has lasted, are never dated past LiveKit's own now (issue #10, clock skew).
  const livekitClock = new LiveKitClock(clock);
  events.on('webhook:event:accepted', (e) => {
    if (e.signedAtMs != null) livekitClock.observe(e.signedAtMs, e.receivedAtMs);
  });
  const query = new AttendanceQuery({
    store,
    clock,
    cyclesClock: livekitClock.counting,
    policy,
    events,
  });
  const gateway = livekit.url
    ? createRoomServiceGateway({
        url: livekit.url,
        apiKey: livekit.apiKey,
        apiSecret: livekit.apiSecret,
        timeoutMs: livekit.timeoutMs,
      })
    : unconfiguredGateway();
  const reconciler = new Reconciler({
    writer,
    gateway,
    clock,
    logger: logger.child({ area: 'reconciler' }),
    events,
    // Outlives three hung RoomService calls, so a slow pass never loses it to a renewal gap.
    leaseTtlMs: Math.max(60_000, 3 * livekit.timeoutMs + 30_000),
    outbound: recorder,
    livekitClock,
  });
  const roomVerifier = new RoomVerifier({ reconciler, clock });
  const sessions = new SessionService({
    store,
    writer,
    clock,
    counting: policy,
    roomVerifier,
    livekitConfigured: livekit.url !== null,
    outbound: recorder,
    readCacheEntries: config.statusCacheEntries,
    cyclesClock: livekitClock.counting,
  });
  const outbound = recorder
    ? createOutbound({ config, logger, clock, store, writer, events, sessions, recorder })
    : null;
  const scheduler = new ReconcileScheduler({
    reconciler,
    intervalMs: config.reconcileIntervalMs,
    logger: logger.child({ area: 'scheduler' }),
  });
  const retention = new InboxRetention({
    writer,
    clock,
    logger: logger.child({ area: 'retention' }),
    retentionMs: config.inboxRetentionMs,
  });
  const readiness = new ReadinessProbe({
    store,
    clock,
    reconcileEnabled: livekit.url !== null,
    // Informational: counted up to a bound, so a large backlog never slows the probe.
    ...(outbound ? { outboxBacklog: () => store.countOutboxPending(READINESS_BACKLOG_MAX) } : {}),
  });
  if (livekit.url) {
    metrics.trackReconcilePassAge({
      lastCompletedAtMs: async () => (await store.getLastCompletedPass())?.completedAtMs ?? null,
      now: () => clock.now(),
      sinceMs: clock.now(),
    });
  }
  // Early passes only where a pass can ask LiveKit: with no URL each one would fail and warn.
  if (livekit.url) {
    events.on('reconcile:loss:detected', ({ room }) => scheduler.roomNeedsCheck(room));
  }
  return {
    config,
    logger,
    clock,
    store,
    events,
    metrics,
    writer,
    ingestor,
    inbox,
    query,
    reconciler,
    roomVerifier,
    sessions,
    counting: policy,
    scheduler,
    readiness,
    retention,
    livekit,
    outbox: new OutboxService({ store, clock }),
    outbound,
    async close() {
      await scheduler.stop();
      await outbound?.stop();
      await retention.stop();
      await store.close();
    },
  };
}

/** The outbound event parts (EVENT_WEBHOOK_URLS set), not started. */
function createOutbound(deps: {
  config: Config;
  logger: Logger;
  clock: Clock;
  store: Runtime['store'];
  writer: StoreWriter;
  events: ServiceEvents;
  sessions: SessionService;
  recorder: OutboundRecorder;
}): OutboundRuntime {
  const { config, clock, store, events } = deps;
  const deliverer = new OutboxDeliverer({
    store,
    sender: createStandardWebhookSender({
      secret: config.outbound.secret ?? '',
      timeoutMs: OUTBOUND_TIMEOUT_MS,
      userAgent: `livekit-attendance/${VERSION}`,
    }),
    targets: config.outbound.urls,
    timeoutMs: OUTBOUND_TIMEOUT_MS,
    clock,
    logger: deps.logger.child({ area: 'outbox' }),
    events,
  });
  const watcher = new SessionEventWatcher({
    store,
    writer: deps.writer,
    sessions: deps.sessions,
    clock,
    logger: deps.logger.child({ area: 'outbox' }),
    events,
  });
  const wake = () => deliverer.wake();
  return {
    recorder: deps.recorder,
    deliverer,
    watcher,
    start() {
      // Rows written by ingest go out at once rather than at the next poll.
      events.on('inbox:batch:applied', wake);
      events.on('outbox:sessions:evaluated', wake);
      deliverer.start();
      watcher.start();
    },
    async stop() {
      events.off('inbox:batch:applied', wake);
      events.off('outbox:sessions:evaluated', wake);
      await watcher.stop();
      await deliverer.stop();
    },
  };
}

/**
 * The dashboard's built browser files: `dist/dashboard` next to this file once built, or from a
 * source checkout (`tsx`) the last `npm run build`'s. Null when neither has been built.
 */
export function dashboardAssetsDir(): string | null {
  for (const rel of ['./dashboard/', '../dist/dashboard/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}live.js`)) return dir;
  }
  return null;
}

/** The readiness answer counts the outbox backlog up to this many. */
const READINESS_BACKLOG_MAX = 100_000;

/** The HTTP app over a runtime. */
export function buildRuntimeApp(
  rt: Runtime,
  apiToken: string,
  opts: { dashboardAssetsDir?: string | null } = {},
): Promise<FastifyInstance> {
  return buildApp({
    logger: rt.logger,
    ingestor: rt.ingestor,
    query: rt.query,
    reconciler: rt.reconciler,
    roomVerifier: rt.roomVerifier,
    sessions: rt.sessions,
    outbox: rt.outbox,
    analytics: new AnalyticsService({ store: rt.store, sessions: rt.sessions, clock: rt.clock }),
    policyDefaults: rt.config.policy,
    apiToken,
    apiReadTokens: rt.config.apiReadTokens,
    apiRateLimitPerMinute: rt.config.apiRateLimitPerMinute,
    webhookBodyLimitBytes: rt.config.webhookBodyLimitBytes,
    readiness: rt.readiness,
    observeRequest: (r) => rt.metrics.observeRequest(r),
    renderMetrics: async () => ({
      contentType: rt.metrics.contentType,
      body: await rt.metrics.render(),
    }),
    version: VERSION,
    dashboard: {
      events: rt.events,
      live: new LiveRooms({
        store: rt.store,
        clock: rt.clock,
        counting: rt.counting,
        livekitConfigured: rt.livekit.url !== null,
      }),
      webhookHealth: new WebhookHealth(rt.events, rt.clock),
      assetsDir:
        opts.dashboardAssetsDir === undefined ? dashboardAssetsDir() : opts.dashboardAssetsDir,
      sessionSecret: rt.config.dashboardSessionSecret,
    },
  });
}

/** Runs the command line with this composition; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const { runCli } = await import('./cli/index.js');
  return runCli(argv, {
    version: VERSION,
    devApiKey: DEV_API_KEY,
    devApiSecret: DEV_API_SECRET,
    createRuntime,
    buildRuntimeApp,
  });
}

const isEntry =
  process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
if (isEntry) process.exitCode = await main(process.argv);
