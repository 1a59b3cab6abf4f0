export {
  REDACTED,
  REDACT_PATHS,
  createLogger,
  redactDatabaseUrl,
  type CreateLoggerOptions,
  type Logger,
} from './logger.js';
export {
  METRIC_PREFIX,
  RECONCILE_ACTIONS,
  RECONCILE_OUTCOMES,
  WEBHOOK_OUTCOMES,
  createMetrics,
  type AttendanceMetrics,
  type CreateMetricsOptions,
  type HttpRequestObservation,
  type LabelledCounter,
  type PlainCounter,
  type ReconcileAction,
  type ReconcileOutcome,
  type WebhookOutcome,
} from './metrics.js';
