export {
  applyJournal,
  decodeJournalEntry,
  encodeObservation,
  OBSERVATION_TYPE,
} from './journal.js';
export { AttendanceQuery } from './attendance-query.js';
export { LiveKitClock } from './livekit-clock.js';
export {
  SessionService,
  type ParticipantReport,
  type SessionDataQuality,
  type SessionReport,
} from './sessions.js';
export * from './session-format.js';
export { ServiceEvents, type ServiceEventMap } from './events.js';
export { InboxProcessor } from './inbox-processor.js';
export {
  InboxRetention,
  RETENTION_BATCH,
  RETENTION_LEASE,
  type PruneRunResult,
} from './inbox-retention.js';
export { WebhookIngestor, type IngestOutcome } from './ingest.js';
export { ReconcileScheduler } from './reconcile-scheduler.js';
export * from './reconcile-report.js';
export { Reconciler, RECONCILE_LEASE, type PassOptions } from './reconciler.js';
export { RoomVerifier, VERIFY_REUSE_MS } from './room-verifier.js';
export { StoreWriter } from './store-writer.js';
export { wireTelemetry } from './wire-telemetry.js';
export type { LiveKitTarget, OutboundRuntime, Runtime } from './runtime.js';
export { OutboundRecorder } from './outbound-recorder.js';
export { OutboxDeliverer, type DeliveryRound } from './outbox-deliverer.js';
export { OutboxService } from './outbox-service.js';
export { SessionEventWatcher, SESSION_EVENTS_LEASE } from './session-event-watcher.js';
export {
  createStandardWebhookSender,
  type OutboundSender,
  type OutboundSendResult,
} from './standard-webhook-sender.js';
export { rebuildFromJournal, REBUILD_PRUNED_SLACK_MS, type RebuildResult } from './rebuild.js';
export { LiveRooms, type LiveSnapshot } from './live-rooms.js';
export { WebhookHealth, type WebhookHealthStatus } from './webhook-health.js';
export {
  AnalyticsService,
  ANALYTICS_MAX_SESSIONS,
  type AnalyticsAnswer,
  type AnalyticsQuery,
} from './analytics.js';
export { analyticsJson, analyticsCsv, ANALYTICS_CSV_COLUMNS } from './analytics-format.js';
export {
  ReadinessProbe,
  READINESS_CHECK_TIMEOUT_MS,
  type DatabaseCheckError,
  type ReadinessReport,
} from './readiness.js';
