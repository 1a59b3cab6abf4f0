import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Clock, CountingPolicy } from '../core/index.js';
import type { AttendanceStore } from '../store/index.js';
import type { AttendanceMetrics } from '../telemetry/index.js';
import type { AttendanceQuery } from './attendance-query.js';
import type { ServiceEvents } from './events.js';
import type { InboxProcessor } from './inbox-processor.js';
import type { InboxRetention } from './inbox-retention.js';
import type { WebhookIngestor } from './ingest.js';
import type { OutboundRecorder } from './outbound-recorder.js';
import type { OutboxDeliverer } from './outbox-deliverer.js';
import type { OutboxService } from './outbox-service.js';
import type { SessionEventWatcher } from './session-event-watcher.js';
import type { ReadinessProbe } from './readiness.js';
import type { ReconcileScheduler } from './reconcile-scheduler.js';
import type { Reconciler } from './reconciler.js';
import type { RoomVerifier } from './room-verifier.js';
import type { SessionService } from './sessions.js';
import type { StoreWriter } from './store-writer.js';

/** Where LiveKit is, as the runtime uses it (config, or the embedded emulator in demo mode). */
export interface LiveKitTarget {
  url: string | null;
  apiKey: string;
  apiSecret: string;
  /**
   * Every pair webhooks may be signed with (LIVEKIT_KEYS, key rotation), `apiKey`'s among them;
   * absent: `apiKey`/`apiSecret` alone. RoomService calls always use `apiKey`.
   */
  keys?: readonly { apiKey: string; apiSecret: string }[];
  timeoutMs: number;
}

export interface Runtime {
  config: Config;
  logger: Logger;
  clock: Clock;
  store: AttendanceStore;
  events: ServiceEvents;
  metrics: AttendanceMetrics;
  writer: StoreWriter;
  ingestor: WebhookIngestor;
  inbox: InboxProcessor;
  query: AttendanceQuery;
  reconciler: Reconciler;
  roomVerifier: RoomVerifier;
  sessions: SessionService;
  /** Which participants count as attendance (UNCOUNTED_KINDS): every reader shares this one. */
  counting: CountingPolicy;
  scheduler: ReconcileScheduler;
  /** GET /readyz. The outbox wires its backlog in through the probe's `outboxBacklog`. */
  readiness: ReadinessProbe;
  /** INBOX_RETENTION_DAYS: prunes applied inbox entries; `serve` starts it. */
  retention: InboxRetention;
  livekit: LiveKitTarget;
  outbox: OutboxService;
  /** Outbound attendance events; null when EVENT_WEBHOOK_URLS is unset. */
  outbound: OutboundRuntime | null;
  close(): Promise<void>;
}

/** The parts that write, derive and deliver outbound events. */
export interface OutboundRuntime {
  recorder: OutboundRecorder;
  deliverer: OutboxDeliverer;
  watcher: SessionEventWatcher;
  /** Starts delivering and watching sessions in the background (serve). */
  start(): void;
  stop(): Promise<void>;
}
