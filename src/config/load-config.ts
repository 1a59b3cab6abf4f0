import type { z } from 'zod';
import { AttendanceError } from '../core/index.js';
import {
  CONFIG_VARIABLES,
  SECRET_VARIABLES,
  envSchema,
  maskDatabasePassword,
  type Config,
} from './config-schema.js';

/** What replaces a secret, or the password part of `DATABASE_URL`, in error messages. */
const HIDDEN = '(hidden)';
/** Long values are cut so one bad variable cannot flood the terminal. */
const MAX_SHOWN_CHARS = 80;

/** One variable that broke one rule. `received` is already safe to print (secrets hidden). */
export interface ConfigProblem {
  variable: string;
  rule: string;
  received: string;
}

/**
 * The environment does not describe a runnable service. The message lists every problem, one per
 * line, so a user fixes them all in one go; secrets show as `(hidden)`.
 */
export class ConfigError extends AttendanceError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((p) => `  ${p.variable} ${p.rule} (received ${p.received})`);
    super('config_invalid', [`Invalid configuration (${count}):`, ...lines].join('\n'));
    this.name = 'ConfigError';
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
}

/**
 * Parses the environment into a deep-frozen {@link Config}.
 *
 * The caller passes `process.env` (only `main.ts` and the CLI do); nothing here reads it, so tests
 * pass plain objects. Blank values count as unset. Unknown variables are ignored.
 *
 * @throws {ConfigError} listing every invalid variable, with its rule and the value received.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) throw new ConfigError(toProblems(result.error.issues, env));
  return deepFreeze(result.data);
}

function toProblems(
  issues: readonly z.core.$ZodIssue[],
  env: Readonly<Record<string, string | undefined>>,
): ConfigProblem[] {
  const order = (name: string): number => {
    const i = CONFIG_VARIABLES.findIndex((v) => v.name === name);
    return i === -1 ? CONFIG_VARIABLES.length : i;
  };
  return issues
    .map((issue) => {
      const variable = typeof issue.path[0] === 'string' ? issue.path[0] : '(environment)';
      return { variable, rule: issue.message, received: showValue(variable, env[variable]) };
    })
    .sort((a, b) => order(a.variable) - order(b.variable));
}

function showValue(variable: string, value: string | undefined): string {
  if (value === undefined || value.trim() === '') return '(unset)';
  if (SECRET_VARIABLES.has(variable)) return HIDDEN;
  const shown = variable === 'DATABASE_URL' ? maskDatabasePassword(value, HIDDEN) : value;
  const cut = shown.length > MAX_SHOWN_CHARS ? `${shown.slice(0, MAX_SHOWN_CHARS)}…` : shown;
  return JSON.stringify(cut);
}

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Freezes `value` and everything reachable from it, so no layer can change settings after start. */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value as DeepReadonly<T>;
}
