export {
  CONFIG_VARIABLES,
  DEFAULT_DATABASE_URL,
  DEFAULT_HOST,
  DEMO_DEFAULT_DATABASE_URL,
  DEMO_DEFAULT_HOST,
  MAX_WEBHOOK_BODY_LIMIT_BYTES,
  DEMO_MODES,
  LOG_LEVELS,
  PARTICIPANT_KIND_NAMES,
  SECRET_VARIABLES,
  maskDatabasePassword,
  normaliseLivekitUrl,
  type Config,
  type ConfigVariable,
  type DemoMode,
  type LogLevel,
} from './config-schema.js';
export { ConfigError, loadConfig, type ConfigProblem } from './load-config.js';
export { parseLivekitKeys, type LiveKitKeyPair } from './livekit-keys.js';
