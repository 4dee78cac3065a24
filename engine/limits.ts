// The limits that keep a hostile or broken definition from exhausting the process: the FEEL evaluation budget and the
// nesting depth of definitions and BPMN sub-processes. Each has a default and an environment variable that raises it.
import { BadInputError } from './errors.js';

/** One limit: its default and the environment variable that overrides it. */
export interface LimitSpec {
  env: string;
  default: number;
  /** What the number counts, for the message of a bad value. */
  unit: string;
}

/** Every limit, by name (README "Limits" and docs/architecture.md "Bounded by design" say why these numbers). */
export const LIMITS = {
  /** Longest FEEL expression source, checked before parsing (the parser is quadratic on some inputs). */
  feelChars: { env: 'GRAVITY_FEEL_MAX_CHARS', default: 10_000, unit: 'characters' },
  /** Deepest nesting of brackets in a FEEL source, checked before parsing. */
  feelDepth: { env: 'GRAVITY_FEEL_MAX_DEPTH', default: 64, unit: 'levels' },
  /** Items one evaluation may produce: elements of the ranges it iterates and of the lists its functions return. */
  feelItems: { env: 'GRAVITY_FEEL_MAX_ITEMS', default: 100_000, unit: 'items' },
  /** Time one evaluation may take. */
  feelTimeoutMs: { env: 'GRAVITY_FEEL_TIMEOUT_MS', default: 1_000, unit: 'milliseconds' },
  /** Deepest nesting of states in a definition, and of sub-processes in a BPMN process. */
  nesting: { env: 'GRAVITY_MAX_NESTING', default: 64, unit: 'levels' },
} as const satisfies Record<string, LimitSpec>;

export type LimitName = keyof typeof LIMITS;

/**
 * The limit in force: its environment variable when set, else the default. Read at every use (a few hundred
 * nanoseconds), so a test or an embedding process may change it at any time.
 * @throws BadInputError when the variable is set to anything but a positive integer.
 */
export function limitOf(name: LimitName): number {
  const spec = LIMITS[name];
  const env = process.env[spec.env];
  if (env === undefined || env.trim() === '') return spec.default;
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new BadInputError(`${spec.env} must be a positive integer (${spec.unit}), got "${env}"`, { env: spec.env });
  return n;
}
