import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { PrettyOptions } from 'pino-pretty';
import { maskDatabasePassword, type LogLevel } from '../config/index.js';

export type { Logger } from 'pino';

/** What redacted values are replaced with in log lines. */
export const REDACTED = '[redacted]';

/**
 * Paths pino blanks out before a line is written. They cover the Authorization header (API bearer
 * tokens and LiveKit's webhook JWT), the LiveKit API secret, our API token and database URLs, at the
 * top level and one level down (`{ config }`, `{ livekit }`, `{ headers }`). Log a database URL
 * through `redactDatabaseUrl` to keep the host visible.
 */
export const REDACT_PATHS: readonly string[] = Object.freeze([
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.headers.authorization',
  'authorization',
  '*.authorization',
  'apiSecret',
  '*.apiSecret',
  'config.livekit.apiSecret',
  // Key pairs (LIVEKIT_KEYS): every element holds a secret.
  'keys',
  '*.keys',
  'config.livekit.keys',
  'secret',
  '*.secret',
  'apiToken',
  '*.apiToken',
  'apiReadTokens',
  '*.apiReadTokens',
  'dashboardSessionSecret',
  '*.dashboardSessionSecret',
  'sessionSecret',
  '*.sessionSecret',
  'token',
  '*.token',
  'jwt',
  '*.jwt',
  'password',
  '*.password',
  'databaseUrl',
  '*.databaseUrl',
  'LIVEKIT_API_SECRET',
  'LIVEKIT_KEYS',
  'API_TOKEN',
  'API_READ_TOKENS',
  'DASHBOARD_SESSION_SECRET',
  'DATABASE_URL',
  '*.LIVEKIT_API_SECRET',
  '*.LIVEKIT_KEYS',
  '*.API_TOKEN',
  '*.API_READ_TOKENS',
  '*.DASHBOARD_SESSION_SECRET',
  '*.DATABASE_URL',
]);

export interface CreateLoggerOptions {
  level: LogLevel;
  /**
   * Human-readable lines through `pino-pretty` (a dev dependency) instead of JSON. When it is not
   * installed the logger writes JSON and says so once. Default false.
   */
  pretty?: boolean;
  /** Where lines go; default stdout. Tests pass a memory stream. */
  destination?: DestinationStream;
}

type PrettyFactory = (options: PrettyOptions) => DestinationStream;

/**
 * The one root logger. Areas take children carrying ids (`logger.child({ area: 'reconciler' })`);
 * errors go under `err`.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const { level, pretty = false, destination } = options;
  const loggerOptions: LoggerOptions = {
    level,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
  };
  if (!pretty) return pino(loggerOptions, destination);
  const prettyStream = loadPretty();
  if (prettyStream === null) {
    const logger = pino(loggerOptions, destination);
    logger.warn('pino-pretty is not installed; writing JSON lines');
    return logger;
  }
  // A synchronous in-thread stream, not a worker transport, so lines are never lost on exit and a
  // given destination (tests) still receives them.
  const stream = prettyStream({
    colorize: destination === undefined && process.stdout.isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
    ...(destination === undefined ? {} : { destination }),
  });
  return pino(loggerOptions, stream);
}

function loadPretty(): PrettyFactory | null {
  try {
    // pino-pretty is CommonJS and optional at run time; require keeps createLogger synchronous.
    return createRequire(import.meta.url)('pino-pretty') as PrettyFactory;
  } catch {
    return null;
  }
}

/**
 * The database URL with its password replaced by `[redacted]`, for a startup line such as
 * `{ database: redactDatabaseUrl(config.databaseUrl) }`. SQLite URLs come back unchanged.
 */
export function redactDatabaseUrl(url: string): string {
  return maskDatabasePassword(url, REDACTED);
}
