// Builds a real TaskContext by hand so task nodes can be tested without the engine's runner.
import { rm } from 'node:fs/promises';
import { exec, GravityError, type TaskContext, type TaskDefinition } from '../../engine/index.js';
import { tempDir } from '../support/git-fixtures.js';

/** One line a task logged. */
export interface LogLine {
  level: 'info' | 'warn' | 'error' | 'stdout' | 'stderr';
  message: string;
  data?: Record<string, unknown>;
}

/** A context, the lines it collected and the controller that aborts it. */
export interface TestContext<I> {
  ctx: TaskContext<I>;
  lines: LogLine[];
  controller: AbortController;
  root: string;
}

/**
 * A fresh temp folder, removed when the test (or, made in a beforeAll, the file) ends.
 * @deprecated use `tempDir` from test/support/git-fixtures.ts; kept for tests written against it.
 */
export async function tempRoot(): Promise<string> {
  return tempDir('gravity-tasks-');
}

/**
 * Removes a folder made by `tempRoot` now.
 * @deprecated `tempDir` folders are removed for you; kept for tests written against it.
 */
export async function cleanup(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Validates `raw` with the task's input schema and builds a context around it. */
export function contextFor<I>(
  task: TaskDefinition<I>,
  raw: unknown,
  o: { root: string; scope?: Record<string, unknown> },
): TestContext<I> {
  const lines: LogLine[] = [];
  const controller = new AbortController();
  const ctx: TaskContext<I> = {
    input: task.input.parse(raw),
    signal: controller.signal,
    log: {
      info: (message, data) => lines.push({ level: 'info', message, data }),
      warn: (message, data) => lines.push({ level: 'warn', message, data }),
      error: (message, data) => lines.push({ level: 'error', message, data }),
      stream: (stream, chunk) => lines.push({ level: stream, message: chunk }),
    },
    exec,
    root: o.root,
    scope: o.scope ?? {},
    runId: 'test',
    stepId: 'step',
    attempt: 1,
    dryRun: false,
    once: async (_name, compute) => compute(),
  };
  return { ctx, lines, controller, root: o.root };
}

/** Runs `task` with `raw` input (validated) and returns its output, validated by the output schema. */
export async function runTask<I, O>(
  task: TaskDefinition<I, O>,
  raw: unknown,
  o: { root: string; scope?: Record<string, unknown> },
): Promise<O> {
  const { ctx } = contextFor(task, raw, o);
  return task.output.parse(await task.run(ctx));
}

/** The GravityError `promise` rejects with; fails the test when it resolves or rejects with something else. */
export async function rejection(promise: Promise<unknown>): Promise<GravityError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof GravityError))
    throw new Error(`expected a GravityError, got ${String(outcome.error)}`);
  return outcome.error;
}

/** Runs the task's `compensate` for `raw` input and the `output` a run produced. */
export async function compensate<I, O>(
  task: TaskDefinition<I, O>,
  root: string,
  raw: unknown,
  output: O,
): Promise<void> {
  const { ctx } = contextFor(task, raw, { root });
  const { attempt: _attempt, ...rest } = ctx;
  await task.compensate!({ ...rest, output });
}
