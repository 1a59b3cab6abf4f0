import type { Logger } from 'pino';
import type { SessionPolicy } from '../core/index.js';
import type {
  AttendanceQuery,
  OutboxService,
  Reconciler,
  RoomVerifier,
  SessionService,
  WebhookIngestor,
} from '../service/index.js';

/** What the HTTP layer needs; `main.ts` builds it, tests build it with real parts. */
export interface AppDeps {
  logger: Logger;
  ingestor: WebhookIngestor;
  query: AttendanceQuery;
  reconciler: Reconciler;
  roomVerifier: RoomVerifier;
  sessions: SessionService;
  /** The service's policy defaults (POLICY_*), resolved into each session written. */
  policyDefaults: SessionPolicy;
  apiToken: string;
  webhookBodyLimitBytes: number;
  /** Prometheus text for GET /metrics. */
  renderMetrics?: () => Promise<{ contentType: string; body: string }>;
  /** `GET /api/v1/outbox`; the route is absent without it. */
  outbox?: OutboxService;
  /** Version shown by /healthz. */
  version: string;
}
