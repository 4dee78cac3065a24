// One step of a run: input validation, attempts with timeout and backoff, cancellation, journaling, calls.
import { describeIssues } from './schema-keys.js';
import type { TaskRequest } from './compile.js';
import { calleeOf } from './definition.js';
import type { TaskContext, TaskDefinition, TaskLogger } from './define-task.js';
import {
  CancelledError,
  DetachedError,
  GravityError,
  TimeoutError,
  ValidationError,
  type SerializedError,
} from './errors.js';
import { exec as defaultExec, type Exec } from './process.js';
import { attemptFolder, onceIn, setAsideAttempt, supervisedExec, supervisedFilesDir } from './supervisor.js';
import type { StepHost } from './run-types.js';
import { runCall } from './call.js';
import { runEach } from './each.js';
import { runWait } from './wait.js';
import { runSend } from './send.js';
import { runWithReminders } from './reminders.js';
import { isWaitTask, SEND_TASK, type ApprovalInput, type MessageInput, type SendInput } from './wait-tasks.js';

/** Rebuilds an error from its JSON form (input errors computed inside the machine). */
function revive(e: SerializedError): GravityError {
  return new GravityError(e.code as never, e.message, e.details);
}

/** Sleeps `ms`, rejecting with CancelledError when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves with the promise, or rejects as soon as `signal` aborts (a task that ignores its signal cannot hold a run). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // the task may have been cancelled while it was starting (inside its first synchronous part): its own
    // rejection comes later and is nobody's business
    p.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function loggerFor(ex: StepHost, step: string): TaskLogger {
  const line = (level: 'info' | 'warn' | 'error') => (message: string, data?: Record<string, unknown>) =>
    ex.emitLog(step, level, data ? `${message} ${JSON.stringify(data)}` : message);
  return {
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    stream: (s, chunk) => ex.emitLog(step, s, chunk),
  };
}

/** Runs one step (task or call) with its retry policy; the promise the step's xstate actor waits on. */
export async function runTaskStep(ex: StepHost, req: TaskRequest, signal: AbortSignal): Promise<unknown> {
  await ex.checkpoint();
  if (signal.aborted) throw new CancelledError();
  if (req.meta.reminders?.length) return runWithReminders(ex, req, signal, (host) => runStep(host, req, signal));
  return runStep(ex, req, signal);
}

/** A step, its reminders aside. */
async function runStep(ex: StepHost, req: TaskRequest, signal: AbortSignal): Promise<unknown> {
  if (req.meta.each) {
    // its items run as steps of their own: while they run (or wait), the for-each itself is not a running step
    ex.holdOpen(1);
    try {
      return await runEach(ex, req, signal, (r, s) => ex.runTask(r, s));
    } finally {
      ex.holdOpen(-1);
    }
  }
  if (calleeOf(req.src) !== undefined) return runCall(ex, req, signal);
  const task = ex.engine.registry.get(req.src);
  const base = { step: req.step, task: task.id };
  if (req.inputError) {
    await ex.log({ type: 'task.started', ...base, attempt: 1, idempotent: true });
    await ex.log({ type: 'task.failed', ...base, attempt: 1, error: req.inputError });
    throw revive(req.inputError);
  }
  const parsed = task.input.safeParse(req.input);
  if (!parsed.success) {
    const err = new ValidationError(
      `input of <${req.step}> (${task.id}) is invalid: ${describeIssues(task.input, parsed.error.issues)}`,
      { step: req.step, task: task.id },
    );
    await ex.log({ type: 'task.started', ...base, attempt: 1, idempotent: true, input: req.input });
    await ex.log({ type: 'task.failed', ...base, attempt: 1, error: err.toJSON() });
    throw err;
  }
  const input = parsed.data;
  if (isWaitTask(task.id)) return runWait(ex, req, task, input as ApprovalInput | MessageInput, signal);
  if (task.id === SEND_TASK) return runSend(ex, req, task, input as SendInput, signal);
  const idempotent = task.isIdempotent(input);
  // commands under the step supervisor need a folder of the run's that outlives this process
  const filesDir = supervisedFilesDir(ex.engine, ex.record.id);
  const supervised = filesDir !== undefined && task.isSupervised(input);
  const policy = { max: 1, backoffMs: 1000, factor: 2, maxBackoffMs: 60_000, ...req.meta.retry };
  const timeoutMs = req.meta.timeoutMs ?? task.timeoutMs;
  // a step interrupted at attempt N (the process died, or the run was cancelled) goes on at attempt N after a resume
  const first = Math.max(1, ex.takeInterruptedAttempt(req.step));
  // resume found the interrupted attempt's commands adoptable: it is made again over them, not afresh
  const adopting = supervised && ex.takeAdoption(req.step);
  for (let attempt = first; ; attempt++) {
    const started = performance.now();
    const replay = adopting && attempt === first;
    const dir = supervised ? attemptFolder(filesDir, req.step, attempt) : undefined;
    // before the attempt is journaled: a crash right after must not find an older attempt's commands to adopt
    if (dir && !replay) setAsideAttempt(dir);
    if (attempt === first)
      await ex.log({
        type: 'task.started',
        ...base,
        attempt,
        idempotent,
        ...(supervised ? { supervised } : {}),
        input,
      });
    try {
      const output = await attemptOnce(
        ex,
        task,
        input,
        req.step,
        attempt,
        signal,
        timeoutMs,
        dir ? { dir, replay } : undefined,
        req.vars,
      );
      // written, not waited for nor synced: the journal keeps the order of its lines, so the next step's start (synced,
      // and waited for before its work) or the run's end makes it durable first; a failed write fails that next line
      ex.log(
        { type: 'task.finished', ...base, attempt, output, durationMs: Math.round(performance.now() - started) },
        { sync: false },
      ).catch(() => undefined);
      return output;
    } catch (e) {
      // let go of (SIGHUP): a supervised step goes on running, open in the journal, for resume to re-attach
      if (signal.aborted && signal.reason instanceof DetachedError && supervised) throw signal.reason;
      if (signal.aborted) {
        await ex.log({
          type: 'task.cancelled',
          ...base,
          attempt,
          durationMs: Math.round(performance.now() - started),
          ...(ex.leftByMachine() ? { left: true } : {}),
        });
        throw new CancelledError(`step <${req.step}> cancelled`);
      }
      const err = e instanceof GravityError || e instanceof Error ? e : new Error(String(e));
      const retryable = !(err instanceof ValidationError);
      if (retryable && attempt < policy.max) {
        const delayMs = Math.min(policy.maxBackoffMs, policy.backoffMs * policy.factor ** (attempt - 1));
        await ex.log({ type: 'task.retrying', ...base, attempt: attempt + 1, delayMs, error: toJson(err) });
        await sleep(delayMs, signal).catch(async () => {
          await ex.log({ type: 'task.cancelled', ...base, attempt });
          throw new CancelledError(`step <${req.step}> cancelled`);
        });
        continue;
      }
      await ex.log(
        {
          type: 'task.failed',
          ...base,
          attempt,
          error: toJson(err),
          durationMs: Math.round(performance.now() - started),
        },
        { sync: false },
      );
      throw err;
    }
  }
}

function toJson(e: Error): SerializedError {
  return e instanceof GravityError
    ? e.toJSON()
    : { name: e.name, code: (e as { code?: string }).code ?? 'ERROR', message: e.message };
}

async function attemptOnce(
  ex: StepHost,
  task: TaskDefinition,
  input: unknown,
  step: string,
  attempt: number,
  signal: AbortSignal,
  timeoutMs: number | undefined,
  supervision: { dir: string; replay: boolean } | undefined,
  vars?: Record<string, unknown>,
): Promise<unknown> {
  // the step may have been cancelled while its start was being journaled: an abort listener added now would never fire
  // (an AbortSignal that already aborted does not dispatch again), so the work must not start at all
  if (signal.aborted) throw signal.reason ?? new CancelledError();
  // a step with a timeout gets a signal of its own that the timer aborts too; without one, the step's signal serves
  // (an AbortController and two listeners per step were a tenth of a no-op step's cost)
  let ac: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => ac!.abort(signal.reason ?? new CancelledError());
  if (timeoutMs) {
    ac = new AbortController();
    signal.addEventListener('abort', onAbort, { once: true });
    const own = ac;
    timer = setTimeout(() => own.abort(new TimeoutError(step, timeoutMs)), timeoutMs);
  }
  const stepSignal = ac?.signal ?? signal;
  const run: Exec = supervision ? supervisedExec(supervision.dir, supervision.replay) : defaultExec;
  const exec: Exec = (command, args = [], o = {}) =>
    run(command, args, {
      ...o,
      signal: o.signal ?? stepSignal,
      onSpawn: (pid) => {
        o.onSpawn?.(pid);
        ex.log({ type: 'task.process', step, task: task.id, pid, command: [command, ...args] }, { sync: false }).catch(
          () => undefined,
        );
      },
    });
  const ctx: TaskContext<unknown> = {
    input,
    signal: stepSignal,
    log: loggerFor(ex, step),
    exec,
    root: ex.engine.root ?? process.cwd(),
    rootOrigin: ex.engine.rootOrigin,
    store: ex.engine.store,
    // built on first read only (most tasks never read it, and it copies the step outputs)
    get scope() {
      const value = vars ? { ...ex.scope(), ...vars } : ex.scope();
      Object.defineProperty(this, 'scope', { value });
      return value;
    },
    runId: ex.record.id,
    stepId: step,
    attempt,
    dryRun: false,
    filesDir: ex.engine.filesDir?.(ex.record.id),
    once: supervision ? onceIn(supervision.dir) : async (_name, compute) => compute(),
  };
  try {
    const raw = await raceAbort(task.run(ctx), stepSignal);
    const out = task.output.safeParse(raw);
    if (!out.success)
      throw new ValidationError(
        `output of <${step}> (${task.id}) is invalid: ${describeIssues(task.output, out.error.issues)}`,
        {
          step,
          task: task.id,
        },
      );
    return out.data;
  } finally {
    if (timer) {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
