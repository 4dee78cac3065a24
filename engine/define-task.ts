// The task-node contract: a typed, reusable unit of side-effecting work, and the registry that names them.
import type { z } from 'zod';
import { DefinitionError } from './errors.js';
import type { Exec } from './process.js';
import type { Store } from './store/types.js';

/** Where a task writes its log lines; they reach the run log, the journal and the live renderer. */
export interface TaskLogger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  /** A chunk of a child process' output, streamed as it arrives. */
  stream(stream: 'stdout' | 'stderr', chunk: string): void;
}

/** Everything a task may touch; tasks do I/O only through this. */
export interface TaskContext<I> {
  input: I;
  /** Aborted on cancel or timeout: pass it to every child process and wait. */
  signal: AbortSignal;
  log: TaskLogger;
  /** Runs a command with an argument array; the whole process group is killed on abort. */
  exec: Exec;
  /** Folder file tasks resolve relative paths from and may not write outside of (the run root). */
  root: string;
  /** Where `root` came from, for messages: `--root` when absent, or `declared by <workflow>`. */
  rootOrigin?: string;
  store?: Store;
  /** Read-only expression scope of the run at this step (params, vars, steps), for assertion nodes. */
  scope: Readonly<Record<string, unknown>>;
  runId: string;
  stepId: string;
  attempt: number;
  dryRun: boolean;
  /** The run's folder for files too big for its record (`EngineOptions.filesDir`); absent when it has none. */
  filesDir?: string;
  /**
   * A decision the attempt makes once: `compute` runs, and its value (JSON) is kept with the attempt's supervised
   * commands, so that the replay of an interrupted attempt (after a crash or a SIGHUP) gets the value the attempt had
   * and takes the path it took, even where its own work has changed what `compute` looks at since. Outside a
   * supervised attempt it simply runs `compute`. `name`: letters, digits and `-`, unique in the task.
   */
  once<T>(name: string, compute: () => T | Promise<T>): Promise<T>;
}

/** Context handed to `compensate()` on rollback: the input and the output the task produced. */
export interface CompensateContext<I, O> extends Omit<TaskContext<I>, 'attempt' | 'once'> {
  output: O;
}

/** What `defineTask` takes: schemas, behaviour and lifecycle hints. */
export interface TaskSpec<IS extends z.ZodType, OS extends z.ZodType> {
  /** Dotted id, e.g. `exec.run`. */
  id: string;
  title: string;
  description?: string;
  input: IS;
  output: OS;
  /** Safe to run again after a crash. A function decides from the input. Default false. */
  idempotent?: boolean | ((input: z.output<IS>) => boolean);
  /**
   * The task's side effects are the commands it runs through `ctx.exec`, and running its code again with the same
   * results of those commands gives the same result. Its commands then run under the step supervisor
   * (engine/supervisor.ts): they outlive the engine, and after a crash or a SIGHUP an interrupted attempt is adopted
   * (its commands' recorded ends) or re-attached (a command still running) instead of needing attention. A function
   * decides from the input (a short step may opt out: supervision costs a few milliseconds per command). Default false.
   */
  supervised?: boolean | ((input: z.output<IS>) => boolean);
  /** Default time budget per attempt, in ms. */
  timeoutMs?: number;
  /** What `--dry-run` shows for this input. */
  plan?: (input: z.output<IS>) => string[];
  run(ctx: TaskContext<z.output<IS>>): Promise<z.input<OS>>;
  /** Undo, used by rollback, newest finished task first. */
  compensate?(ctx: CompensateContext<z.output<IS>, z.output<OS>>): Promise<void>;
}

/**
 * A registered task node (schemas erased to `unknown` for the engine). `In` is what an author writes as input (before
 * defaults and coercion): the builder's `task(id, node, input)` types the input with it.
 */
export interface TaskDefinition<I = any, O = any, In = any> {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly input: z.ZodType<I, In>;
  readonly output: z.ZodType<O>;
  readonly timeoutMs?: number;
  isIdempotent(input: I): boolean;
  /** See TaskSpec.supervised. */
  isSupervised(input: I): boolean;
  plan(input: I): string[];
  run(ctx: TaskContext<I>): Promise<unknown>;
  compensate?(ctx: CompensateContext<I, O>): Promise<void>;
}

const ID = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;

/** Declares a task node. Ids are dotted lower-case words (`git.clone`). */
export function defineTask<IS extends z.ZodType, OS extends z.ZodType>(
  spec: TaskSpec<IS, OS>,
): TaskDefinition<z.output<IS>, z.output<OS>, z.input<IS>> {
  if (!ID.test(spec.id))
    throw new DefinitionError(`task id "${spec.id}" must be dotted lower-case words, e.g. "exec.run"`, {
      task: spec.id,
    });
  const idem = spec.idempotent;
  const sup = spec.supervised;
  return {
    id: spec.id,
    title: spec.title,
    description: spec.description,
    input: spec.input as z.ZodType<z.output<IS>, z.input<IS>>,
    output: spec.output as z.ZodType<z.output<OS>>,
    timeoutMs: spec.timeoutMs,
    isIdempotent: (input) => (typeof idem === 'function' ? idem(input) : idem === true),
    isSupervised: (input) => (typeof sup === 'function' ? sup(input) : sup === true),
    plan: (input) => (spec.plan ? spec.plan(input) : [`${spec.id} ${JSON.stringify(input)}`]),
    run: (ctx) => spec.run(ctx),
    compensate: spec.compensate ? (ctx) => spec.compensate!(ctx) : undefined,
  };
}
