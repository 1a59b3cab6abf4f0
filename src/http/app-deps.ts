import type { Logger } from 'pino';
import type { SessionPolicy } from '../core/index.js';
import type {
  AnalyticsService,
  AttendanceQuery,
  OutboxService,
  ReadinessProbe,
  Reconciler,
  RoomVerifier,
  SessionService,
  WebhookIngestor,
} from '../service/index.js';
import type { DashboardDeps } from './dashboard/index.js';

/** What the HTTP layer needs; `main.ts` builds it, tests build it with real parts. */
export interface AppDeps {
  logger: Logger;
  ingestor: WebhookIngestor;
  query: AttendanceQuery;
  reconciler: Reconciler;
  roomVerifier: RoomVerifier;
  sessions: SessionService;
  /** Attendance across sessions (GET /api/v1/analytics, the dashboard's analytics page). */
  analytics: AnalyticsService;
  /** The service's policy defaults (POLICY_*), resolved into each session written. */
  policyDefaults: SessionPolicy;
  /** API_TOKEN: every route. */
  apiToken: string;
  /** API_READ_TOKENS: GET routes only (403 `forbidden` otherwise). */
  apiReadTokens?: readonly string[];
  webhookBodyLimitBytes: number;
  /** API_RATE_LIMIT_PER_MINUTE: requests a minute per token (per address without one); 0 or absent: none. */
  apiRateLimitPerMinute?: number;
  /** GET /readyz (no token); absent: no readiness route. */
  readiness?: ReadinessProbe;
  /** Called once per answered request with its route pattern (for the latency histogram). */
  observeRequest?: (r: {
    method: string;
    route: string;
    statusCode: number;
    seconds: number;
  }) => void;
  /** Prometheus text for GET /metrics. */
  renderMetrics?: () => Promise<{ contentType: string; body: string }>;
  /** `GET /api/v1/outbox`; the route is absent without it. */
  outbox?: OutboxService;
  /** Version shown by /healthz. */
  version: string;
  /** The browser dashboard at `/` (sign-in, live view, sessions, analytics); off when absent. */
  dashboard?: DashboardDeps;
}
