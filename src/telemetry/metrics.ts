import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric name starts with this. */
export const METRIC_PREFIX = 'livekit_attendance_';

/** What happened to one webhook delivery. */
export const WEBHOOK_OUTCOMES = [
  'accepted',
  'duplicate',
  'ignored',
  'rejected',
  'invalid',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** How a reconcile pass ended: `partial` when some rooms could not be listed. */
export const RECONCILE_OUTCOMES = ['ok', 'partial', 'failed', 'skipped'] as const;
export type ReconcileOutcome = (typeof RECONCILE_OUTCOMES)[number];

/** What a pass did to one cycle. */
export const RECONCILE_ACTIONS = ['open', 'confirm', 'reopen', 'close'] as const;
export type ReconcileAction = (typeof RECONCILE_ACTIONS)[number];

/** How one attempt of an outbound event ended: `retry` is a failure that will be tried again. */
export const OUTBOUND_OUTCOMES = ['delivered', 'retry', 'failed'] as const;
export type OutboundOutcome = (typeof OUTBOUND_OUTCOMES)[number];

/**
 * Pass durations in seconds: a pass is a ListRooms plus one ListParticipants per room, each bounded
 * by LIVEKIT_TIMEOUT_SECONDS (≤ 60 s), so the buckets run from 10 ms to a few minutes.
 */
const PASS_DURATION_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * Webhook lag in seconds, LiveKit's `createdAt` (whole seconds) to committed: LiveKit queues and
 * retries for up to ~30 s, and the inbox retry loop applies stored leftovers every 10 s.
 */
const WEBHOOK_LAG_BUCKETS_SECONDS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600];

/** HTTP latency in seconds: status reads take milliseconds, a manual reconcile pass minutes. */
const HTTP_DURATION_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** One answered HTTP request, as `observeRequest` takes it. */
export interface HttpRequestObservation {
  method: string;
  /** The route pattern (`/api/v1/rooms/:room/attendance`), never the URL; `unmatched` for 404s. */
  route: string;
  statusCode: number;
  seconds: number;
}

/** A counter whose label values are checked by the compiler. */
export interface LabelledCounter<L extends Record<string, string>> {
  inc(labels: L, value?: number): void;
  /** The child counter of one label set, bound once for hot paths. */
  labels(labels: L): PlainCounter;
}
export interface PlainCounter {
  inc(value?: number): void;
}

export interface AttendanceMetrics {
  /** Owned by this object, never prom-client's global one, so tests and instances don't collide. */
  readonly registry: Registry;
  readonly webhooksReceived: LabelledCounter<{ outcome: WebhookOutcome }>;
  /** Webhooks acknowledged but not applied (they stay in the inbox and are retried). */
  readonly webhookProcessingFailures: PlainCounter;
  /** Inbox rows not yet applied; set after each batch. */
  readonly inboxUnprocessed: { set(value: number): void };
  readonly reconcilePasses: LabelledCounter<{ outcome: ReconcileOutcome }>;
  readonly reconcilePassDuration: { observe(seconds: number): void };
  readonly reconcileActions: LabelledCounter<{ action: ReconcileAction }>;
  /** `kind` is the livekit/ error class, e.g. `unreachable`, `timeout`, `unauthorized`. */
  readonly livekitApiErrors: LabelledCounter<{ kind: string }>;
  readonly statusReads: PlainCounter;
  /** SQLite status cache lookups: `hit` answered from memory, `miss` read from the database. */
  readonly statusCacheLookups: LabelledCounter<{ result: 'hit' | 'miss' }>;
  /** SQLite statements that found the database locked by another connection and waited to retry. */
  readonly sqliteLockWaits: PlainCounter;
  /** Outbound event attempts by outcome (EVENT_WEBHOOK_URLS). */
  readonly outboundDeliveries: LabelledCounter<{ outcome: OutboundOutcome }>;
  /** Outbound events waiting to be delivered; set after each delivery round. */
  readonly outboxBacklog: { set(value: number): void };
  /** LiveKit `createdAt` → committed, for each webhook stored; negative lags (skew) count as 0. */
  readonly webhookLag: { observe(seconds: number): void };
  /** HTTP latency by method, route pattern and status class. */
  observeRequest(r: HttpRequestObservation): void;
  /**
   * Exports `livekit_attendance_reconcile_pass_age_seconds`, read at each scrape: seconds since
   * `lastCompletedAtMs()` (the last complete pass of any instance), or since `sinceMs` (the
   * process start) while none has completed. A failed read keeps the previous value.
   */
  trackReconcilePassAge(opts: {
    lastCompletedAtMs: () => Promise<number | null>;
    now: () => number;
    sinceMs: number;
  }): void;
  /** Prometheus text exposition of every metric in `registry`. */
  render(): Promise<string>;
  /** The Content-Type that goes with `render()`. */
  readonly contentType: string;
}

export interface CreateMetricsOptions {
  /**
   * Also collect prom-client's process metrics (CPU, memory, event loop lag, GC), prefixed
   * `livekit_attendance_`. Default false: they start an event-loop monitor, which the composition
   * root wants and tests do not.
   */
  processMetrics?: boolean;
}

/** A fresh registry holding every attendance metric. Labels carry outcomes, never people or rooms. */
export function createMetrics(options: CreateMetricsOptions = {}): AttendanceMetrics {
  const registry = new Registry();
  const registers = [registry];

  const webhooksReceived = new Counter({
    name: `${METRIC_PREFIX}webhooks_received_total`,
    help: 'Webhook deliveries by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const webhookProcessingFailures = new Counter({
    name: `${METRIC_PREFIX}webhook_processing_failures_total`,
    help: 'Accepted webhooks whose processing failed and will be retried from the inbox.',
    registers,
  });
  const inboxUnprocessed = new Gauge({
    name: `${METRIC_PREFIX}inbox_unprocessed`,
    help: 'Inbox events received but not yet applied.',
    registers,
  });
  const reconcilePasses = new Counter({
    name: `${METRIC_PREFIX}reconcile_passes_total`,
    help: 'Reconcile passes by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const reconcilePassDuration = new Histogram({
    name: `${METRIC_PREFIX}reconcile_pass_duration_seconds`,
    help: 'Wall time of one reconcile pass in seconds.',
    buckets: PASS_DURATION_BUCKETS_SECONDS,
    registers,
  });
  const reconcileActions = new Counter({
    name: `${METRIC_PREFIX}reconcile_actions_total`,
    help: 'Cycle changes made by reconcile passes, by action.',
    labelNames: ['action'] as const,
    registers,
  });
  const livekitApiErrors = new Counter({
    name: `${METRIC_PREFIX}livekit_api_errors_total`,
    help: 'Failed LiveKit RoomService requests, by error kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  const statusReads = new Counter({
    name: `${METRIC_PREFIX}status_reads_total`,
    help: 'Participant attendance status reads served.',
    registers,
  });

  const statusCacheLookups = new Counter({
    name: `${METRIC_PREFIX}status_cache_lookups_total`,
    help: 'SQLite status reads by cache result: hit (from memory) or miss (from the database).',
    labelNames: ['result'] as const,
    registers,
  });

  const sqliteLockWaits = new Counter({
    name: `${METRIC_PREFIX}sqlite_lock_waits_total`,
    help: 'Times a SQLite statement found the database locked by another connection (the CLI, another process) and paused before retrying.',
    registers,
  });

  const outboundDeliveries = new Counter({
    name: `${METRIC_PREFIX}outbound_deliveries_total`,
    help: 'Outbound attendance event attempts by outcome: delivered (every receiver answered 2xx), retry (will be tried again), failed (gave up after 24 hours).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const outboxBacklog = new Gauge({
    name: `${METRIC_PREFIX}outbox_backlog`,
    help: 'Outbound attendance events waiting to be delivered (pending).',
    registers,
  });
  const webhookLag = new Histogram({
    name: `${METRIC_PREFIX}webhook_lag_seconds`,
    help: "Seconds from LiveKit's createdAt of a webhook to its commit in the inbox (LiveKit's clock against ours).",
    buckets: WEBHOOK_LAG_BUCKETS_SECONDS,
    registers,
  });
  const httpDuration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP request latency in seconds by method, route pattern and status class.',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: HTTP_DURATION_BUCKETS_SECONDS,
    registers,
  });

  // Export every known label value from the start, so rate() and alerts see 0 rather than no series.
  for (const outcome of WEBHOOK_OUTCOMES) webhooksReceived.labels({ outcome }).inc(0);
  for (const outcome of RECONCILE_OUTCOMES) reconcilePasses.labels({ outcome }).inc(0);
  for (const action of RECONCILE_ACTIONS) reconcileActions.labels({ action }).inc(0);
  for (const result of ['hit', 'miss'] as const) statusCacheLookups.labels({ result }).inc(0);
  for (const outcome of OUTBOUND_OUTCOMES) outboundDeliveries.labels({ outcome }).inc(0);

  if (options.processMetrics === true)
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });

  return {
    registry,
    webhooksReceived,
    webhookProcessingFailures,
    inboxUnprocessed,
    reconcilePasses,
    reconcilePassDuration,
    reconcileActions,
    livekitApiErrors,
    statusReads,
    statusCacheLookups,
    sqliteLockWaits,
    outboundDeliveries,
    outboxBacklog,
    webhookLag: { observe: (seconds) => webhookLag.observe(Math.max(0, seconds)) },
    observeRequest: (r) =>
      httpDuration.observe(
        { method: r.method, route: r.route, status_class: `${Math.floor(r.statusCode / 100)}xx` },
        r.seconds,
      ),
    trackReconcilePassAge(opts) {
      if (registry.getSingleMetric(`${METRIC_PREFIX}reconcile_pass_age_seconds`)) return;
      new Gauge({
        name: `${METRIC_PREFIX}reconcile_pass_age_seconds`,
        help: 'Seconds since the last reconcile pass that LiveKit answered for every room completed (any instance); since this process started while none has.',
        registers,
        async collect() {
          try {
            const last = await opts.lastCompletedAtMs();
            this.set(Math.max(0, (opts.now() - (last ?? opts.sinceMs)) / 1000));
          } catch {
            // The database did not answer this scrape: keep the last value, still export the rest.
          }
        },
      });
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
