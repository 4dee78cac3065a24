// The send step (gravity.send, a BPMN message or signal throw): delivers a message to the waiting runs of this store
// that wait for it, as `gravity signal` does, and drives each receiver on in this process.
import type { TaskRequest } from './compile.js';
import type { TaskDefinition } from './define-task.js';
import { CancelledError } from './errors.js';
import { RunStatus, type RunRecord, type Waiting } from './journal.js';
import { listRuns } from './run-store.js';
import type { AnswerRequest, StepHost } from './run-types.js';
import type { SendInput } from './wait-tasks.js';

/** One receiver: the run, the step that waited, and the run's status once driven on (or why it could not be). */
export interface Delivery {
  runId: string;
  step: string;
  status: string;
}

/** The message waits of `r` that a send of `input` reaches: its name, and its key unless it is a signal. */
function reached(r: RunRecord, input: SendInput, key: string | undefined): Waiting[] {
  return (r.waiting ?? []).filter(
    (w) =>
      w.kind === 'message' &&
      w.message === input.name &&
      (input.signal === true || w.key === undefined || (key !== undefined && w.key === key)),
  );
}

/**
 * Runs a send step: finds the waiting runs (not child runs: their callers pass answers on; never this run) that wait
 * for the message, oldest first, and resumes each with the message as its answer, under its run lock (a run another
 * process answers at the same moment is skipped, with the reason). A message goes to the first that takes it, a signal
 * to every one. Without a persistent store (benchmarks) nobody can be waiting.
 */
export async function runSend(
  ex: StepHost,
  req: TaskRequest,
  task: TaskDefinition,
  input: SendInput,
  signal: AbortSignal,
): Promise<{ delivered: Delivery[] }> {
  const base = { step: req.step, task: task.id };
  const attempt = Math.max(1, ex.takeInterruptedAttempt(req.step));
  await ex.log({ type: 'task.started', ...base, attempt, idempotent: true, input });
  const key = input.key === undefined ? undefined : String(input.key);
  const delivered: Delivery[] = [];
  if (ex.engine.persist !== false) {
    const waiting = (await listRuns(ex.engine.store)).runs
      .filter((r) => !r.parent && r.id !== ex.record.id && r.status === RunStatus.Waiting)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    for (const r of waiting) {
      for (const w of reached(r, input, key)) {
        const answer: AnswerRequest = {
          kind: 'message',
          step: w.step,
          name: input.name,
          key: input.signal ? w.key : key,
          ...(input.data === undefined ? {} : { data: input.data }),
          by: `run ${ex.record.id} (${ex.record.workflow})`,
        };
        try {
          const result = await ex.children.resume(r.id, { answer, signal });
          delivered.push({ runId: r.id, step: w.step, status: result.status });
        } catch (e) {
          // answered by someone else meanwhile, or driven by another process: it did not take this one
          delivered.push({ runId: r.id, step: w.step, status: `not delivered: ${(e as Error).message}` });
          continue;
        }
        break; // one answer per run: its other waits are for other sends
      }
      if (!input.signal && delivered.some((d) => !d.status.startsWith('not delivered'))) break;
    }
  }
  if (signal.aborted) {
    await ex.log({ type: 'task.cancelled', ...base, attempt, ...(ex.leftByMachine() ? { left: true } : {}) });
    throw new CancelledError(`step <${req.step}> cancelled`);
  }
  const output = { delivered };
  await ex.log({ type: 'task.finished', ...base, attempt, output });
  return output;
}
