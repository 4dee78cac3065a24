// Steps that wait for a person (approvals) or an outside event (messages). Such a step parks its run: the run is
// recorded `waiting` with what it waits for, its process lets go of it, and an answer journaled later (`gravity approve`,
// `reject`, `signal`) is what the step finds when the run is resumed.
import { hostname, userInfo } from 'node:os';
import type { TaskDefinition } from './define-task.js';
import { BadInputError, CancelledError, ErrorCode, GravityError } from './errors.js';
import type { JournalEntry, RunRecord, StepAnswer, Waiting } from './journal.js';
import { RunStatus } from './journal.js';
import type { TaskRequest } from './compile.js';
import type { AnswerRequest, StepHost } from './run-types.js';
import { APPROVAL_TASK, type ApprovalInput, type MessageInput } from './wait-tasks.js';

/** Who answers from this process: `user@host`. */
export function localUser(): string {
  let user = process.env.USER ?? '';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container): the environment's USER, or nobody
  }
  return `${user || 'unknown'}@${hostname()}`;
}

/**
 * The answer journaled for the open wait of `step`: a `step.answered` after its last `step.waiting` that no end of the
 * step has consumed since (a step in a loop waits anew each time it is entered).
 */
export function pendingAnswer(journal: readonly JournalEntry[], step: string): JournalEntry | undefined {
  let waiting = false;
  let answer: JournalEntry | undefined;
  for (const e of journal) {
    if (e.step !== step) continue;
    if (e.type === 'step.waiting') {
      waiting = true;
      answer = undefined;
    } else if (e.type === 'step.answered' && waiting && e.answer) answer = e;
    else if (e.type === 'task.finished' || e.type === 'task.failed') {
      waiting = false;
      answer = undefined;
    }
  }
  return answer;
}

/** What a parked step waits for, as recorded on the run. */
function waitingOf(task: string, step: string, input: ApprovalInput | MessageInput): Waiting {
  const since = new Date().toISOString();
  if (task === APPROVAL_TASK) {
    const a = input as ApprovalInput;
    return {
      step,
      kind: 'approval',
      message: a.message,
      since,
      ...(a.assignee ? { assignee: a.assignee } : {}),
      ...(a.candidateGroups ? { candidateGroups: a.candidateGroups } : {}),
    };
  }
  const m = input as MessageInput;
  return { step, kind: 'message', message: m.name, since, ...(m.key === undefined ? {} : { key: String(m.key) }) };
}

/** Resolves never; rejects with the signal's reason when it aborts (a parked step's wait). */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * Runs a wait step: takes its journaled answer if there is one (or asks at the terminal, for an approval), else parks
 * the run and waits until it is stopped. An approval that is approved outputs who approved, when and why; a rejected
 * one fails with code REJECTED; a message outputs the data it carried.
 */
export async function runWait(
  ex: StepHost,
  req: TaskRequest,
  task: TaskDefinition,
  input: ApprovalInput | MessageInput,
  signal: AbortSignal,
): Promise<unknown> {
  const base = { step: req.step, task: task.id };
  const attempt = Math.max(1, ex.takeInterruptedAttempt(req.step));
  await ex.log({ type: 'task.started', ...base, attempt, idempotent: true, input });
  const approval = task.id === APPROVAL_TASK;
  let answered = pendingAnswer(ex.journal, req.step);
  if (!answered && approval && (input as ApprovalInput).skip) {
    const output = { approved: true, by: 'skip', at: new Date().toISOString(), skipped: true };
    await ex.log({ type: 'task.finished', ...base, attempt, output });
    return output;
  }
  if (!answered && approval && ex.engine.ask) {
    const a = await ex.engine.ask({ runId: ex.record.id, step: req.step, message: (input as ApprovalInput).message });
    if (signal.aborted) throw new CancelledError(`step <${req.step}> cancelled`);
    if (a) {
      const answer: StepAnswer = {
        kind: a.approved ? 'approve' : 'reject',
        by: localUser(),
        ...(a.reason ? { reason: a.reason } : {}),
      };
      await ex.log({ type: 'step.waiting', ...base, message: (input as ApprovalInput).message });
      await ex.log({ type: 'step.answered', ...base, answer });
      answered = pendingAnswer(ex.journal, req.step);
    }
  }
  if (!answered) {
    const w = waitingOf(task.id, req.step, input);
    await ex.log({
      type: 'step.waiting',
      ...base,
      message: w.kind === 'approval' ? w.message : `message "${w.message}"`,
    });
    ex.park(w);
    try {
      return await untilAborted(signal);
    } catch (e) {
      if (ex.parked(req.step)) throw new CancelledError(`step <${req.step}> waits (the run is parked)`);
      await ex.log({ type: 'task.cancelled', ...base, attempt, ...(ex.leftByMachine() ? { left: true } : {}) });
      throw e instanceof GravityError ? e : new CancelledError(`step <${req.step}> cancelled`);
    }
  }
  const answer = answered.answer!;
  if (answer.kind === 'reject') {
    const err = new GravityError(
      ErrorCode.Rejected,
      `<${req.step}> was rejected by ${answer.by}${answer.reason ? `: ${answer.reason}` : ''}`,
      { step: req.step, by: answer.by, ...(answer.reason ? { reason: answer.reason } : {}) },
    );
    await ex.log({ type: 'task.failed', ...base, attempt, error: err.toJSON() });
    throw err;
  }
  const output =
    answer.kind === 'approve'
      ? { approved: true, by: answer.by, at: answered.at, ...(answer.reason ? { reason: answer.reason } : {}) }
      : {
          name: answer.name ?? (input as MessageInput).name,
          ...(answer.key === undefined ? {} : { key: answer.key }),
          data: answer.data ?? null,
          by: answer.by,
          at: answered.at,
        };
  await ex.log({ type: 'task.finished', ...base, attempt, output });
  return output;
}

/**
 * The parked step of `record` that `req` answers; throws BadInputError (exit 2) with the reason when the run is not
 * waiting for it: not waiting at all, no such step, an approval answered with a message or the other way round, a
 * message of another name or key, or several candidate steps and none named.
 */
export function waitingFor(record: RunRecord, req: AnswerRequest): Waiting {
  const verb = req.kind === 'approve' ? 'approve' : req.kind === 'reject' ? 'reject' : 'signal';
  if (record.status !== RunStatus.Waiting || !record.waiting?.length)
    throw new BadInputError(
      `run ${record.id} is not waiting for anything (it is ${record.status}): nothing to ${verb}`,
      {
        run: record.id,
        status: record.status,
      },
    );
  const kind = req.kind === 'message' ? 'message' : 'approval';
  const list = (w: Waiting) =>
    `<${w.step}> (${w.kind === 'approval' ? `approval: ${w.message}` : `message "${w.message}"${w.key === undefined ? '' : ` key ${w.key}`}`})`;
  const waits = record.waiting.map(list).join(', ');
  let candidates = record.waiting.filter((w) => w.kind === kind);
  if (req.step !== undefined) {
    const at = record.waiting.find((w) => w.step === req.step);
    if (!at) throw new BadInputError(`run ${record.id} does not wait at step <${req.step}>; it waits at ${waits}`);
    if (at.kind !== kind)
      throw new BadInputError(
        `step <${req.step}> of run ${record.id} waits for ${at.kind === 'approval' ? 'an approval (gravity approve|reject)' : `message "${at.message}" (gravity signal)`}, not for ${kind === 'approval' ? 'an approval' : 'a message'}`,
      );
    candidates = [at];
  }
  if (kind === 'message') {
    if (req.name === undefined) throw new BadInputError('a message needs its name');
    candidates = candidates.filter((w) => w.message === req.name);
    if (req.key !== undefined) candidates = candidates.filter((w) => w.key === undefined || w.key === req.key);
    else candidates = candidates.filter((w) => w.key === undefined);
  }
  if (!candidates.length)
    throw new BadInputError(
      `run ${record.id} is not waiting for ${kind === 'approval' ? 'an approval' : `message "${req.name}"${req.key === undefined ? '' : ` with key ${req.key}`}`}; it waits at ${waits}`,
    );
  if (candidates.length > 1)
    throw new BadInputError(
      `run ${record.id} waits at several steps: ${candidates.map(list).join(', ')}; name one with --step`,
    );
  return candidates[0];
}

/** The journal entry of an answer to `w`. */
export function answerEntry(w: Waiting, req: AnswerRequest, task?: string): Omit<JournalEntry, 'at'> {
  const answer: StepAnswer = {
    kind: req.kind,
    by: req.by ?? localUser(),
    ...(req.reason ? { reason: req.reason } : {}),
    ...(req.kind === 'message' ? { name: req.name, ...(req.key === undefined ? {} : { key: req.key }) } : {}),
    ...(req.data === undefined ? {} : { data: req.data }),
  };
  return { type: 'step.answered', step: w.step, ...(task ? { task } : {}), answer };
}
