import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Clock, CountingPolicy } from '../core/index.js';
import type { AttendanceStore } from '../store/index.js';
import type { AttendanceMetrics } from '../telemetry/index.js';
import type { AttendanceQuery } from './attendance-query.js';
import type { ServiceEvents } from './events.js';
import type { InboxProcessor } from './inbox-processor.js';
import type { WebhookIngestor } from './ingest.js';
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
  livekit: LiveKitTarget;
  close(): Promise<void>;
}
