import { AttendanceError } from '../core/index.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../telemetry/index.js';
import type { LiveKitTarget } from '../service/index.js';

/** A command failed in a way the user can act on: printed as one line, exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function loadCliConfig(
  env: NodeJS.ProcessEnv,
  overrides: Record<string, string | undefined> = {},
): Config {
  const merged: Record<string, string | undefined> = { ...env };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  try {
    return loadConfig(merged);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message);
    throw e;
  }
}

/** Logs for one-shot commands go to stderr, so stdout carries only the command's output. */
export function commandLogger(config: Config): Logger {
  return createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    pretty: process.stderr.isTTY,
    destination: process.stderr,
  });
}

/**
 * The configured LiveKit. Without a key pair the keys are empty, and an empty key verifies no
 * webhook: the public development pair is only ever used in demo mode, never as a fallback.
 */
export function configuredLiveKit(config: Config): LiveKitTarget {
  return {
    url: config.livekit.url,
    apiKey: config.livekit.apiKey ?? '',
    apiSecret: config.livekit.apiSecret ?? '',
    keys: config.livekit.keys,
    timeoutMs: config.livekit.timeoutMs,
  };
}

/** One line for the user: what failed and, where known, what to do. */
export function describeFailure(e: unknown): string {
  if (e instanceof CliError) return e.message;
  if (e instanceof AttendanceError) {
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    if (e.code === 'database_unavailable') {
      return `${e.message}${cause}. Check DATABASE_URL and that the database is running.`;
    }
    return `${e.message}${cause}`;
  }
  return e instanceof Error ? e.message : String(e);
}
