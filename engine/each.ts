// For-each steps: a task or call run once per item of a list, each item a step of its own (`<step>:<index>`), journaled,
// replayed and resumed like any step, so a crash never runs a finished item again.
import type { TaskRequest } from './compile.js';
import { callSrc, type EachConfig } from './definition.js';
import { CancelledError, DetachedError, ErrorCode, GravityError, serializeError } from './errors.js';
import { evaluateCondition, evaluateExpression, isExpression, resolveTemplate } from './expressions.js';
import type { StepHost } from './run-types.js';

/** The most items a for-each takes (a list this long is a mistake, or a job for several runs). */
export const MAX_ITEMS = 100_000;
/** The most items run at once. */
export const MAX_CONCURRENCY = 64;
/** The task name a for-each step is journaled under (its items under their own task's). */
export const FOR_EACH = 'for-each';
/** A scope name: what `as` and `index` may be. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Problems of a for-each configuration, each a sentence naming what was expected (empty when it is valid). */
export function eachProblems(each: unknown): string[] {
  if (!each || typeof each !== 'object' || Array.isArray(each)) return ['meta.each must be an object { items, ... }'];
  const e = each as Partial<EachConfig>;
  const out: string[] = [];
  if (!(Array.isArray(e.items) || (typeof e.items === 'string' && isExpression(e.items))))
    out.push('meta.each.items must be a FEEL expression starting with "=" (e.g. "=instances") or a list');
  for (const k of ['as', 'index'] as const)
    if (e[k] !== undefined && (typeof e[k] !== 'string' || !NAME.test(e[k])))
      out.push(`meta.each.${k} must be a name (letters, digits, _; not starting with a digit)`);
  if ((e.as ?? 'item') === (e.index ?? 'index')) out.push('meta.each.as and meta.each.index must differ');
  if (
    e.concurrency !== undefined &&
    (!Number.isInteger(e.concurrency) || e.concurrency < 1 || e.concurrency > MAX_CONCURRENCY)
  )
    out.push(`meta.each.concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`);
  if (e.onFailure !== undefined && e.onFailure !== 'stop' && e.onFailure !== 'all')
    out.push('meta.each.onFailure must be "stop" or "all"');
  if (e.until !== undefined && !(isExpression(e.until) && e.until.slice(1).trim()))
    out.push(
      'meta.each.until must be a FEEL condition starting with "=" (e.g. "=nrOfCompletedInstances >= 2"): once it holds, no further item starts',
    );
  return out;
}

/** The step id of item `index` of the for-each `step` in its `execution`-th run (a loop may enter it again). */
export const itemStep = (step: string, execution: number, index: number) =>
  execution === 1 ? `${step}:${index}` : `${step}.${execution}:${index}`;

/** One failed item: its index, the item, and the error. */
interface Failed {
  index: number;
  item: unknown;
  error: GravityError | Error;
}

/** A short text of an item for messages. */
function shown(item: unknown): string {
  const s = typeof item === 'string' ? item : JSON.stringify(item);
  return s === undefined ? String(item) : s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/**
 * Runs the for-each step `req` (its input is the template of each item's input): the list is evaluated once and
 * journaled with the step's start (a resume takes it from there, not from a scope that may have changed), then items run
 * through `run` (the execution's step runner: it replays what a crash left finished), `concurrency` at a time.
 */
export async function runEach(
  ex: StepHost,
  req: TaskRequest,
  signal: AbortSignal,
  run: (request: TaskRequest, signal: AbortSignal) => Promise<unknown>,
): Promise<unknown> {
  const each = req.meta.each!;
  // journaled as a step of its own kind (rollback undoes its items one by one, never the list as one output)
  const base = { step: req.step, task: FOR_EACH };
  // executions of this step that ended: this one is the next (a loop back to it runs its items afresh)
  const ended = ex.journal.filter(
    (e) => e.step === req.step && (e.type === 'task.finished' || e.type === 'task.failed'),
  ).length;
  const execution = ended + 1;
  const resumed = [...ex.journal]
    .reverse()
    .find(
      (e) =>
        e.step === req.step && (e.type === 'task.started' || e.type === 'task.finished' || e.type === 'task.failed'),
    );
  let items: unknown[];
  if (resumed?.type === 'task.started' && Array.isArray((resumed.input as { items?: unknown } | undefined)?.items)) {
    items = (resumed.input as { items: unknown[] }).items;
    ex.takeInterruptedAttempt(req.step);
  } else {
    try {
      const value = Array.isArray(each.items) ? each.items : evaluateExpression(each.items, ex.scope(), req.step);
      if (!Array.isArray(value))
        throw new GravityError(
          ErrorCode.Validation,
          `for-each <${req.step}>: ${String(each.items)} must give a list, it gave ${value === null ? 'null' : typeof value}`,
          { step: req.step },
        );
      if (value.length > MAX_ITEMS)
        throw new GravityError(
          ErrorCode.Validation,
          `for-each <${req.step}>: ${value.length} items, more than the ${MAX_ITEMS} a for-each takes`,
          { step: req.step },
        );
      items = value;
    } catch (e) {
      await ex.log({ type: 'task.started', ...base, attempt: 1, idempotent: true });
      await ex.log({ type: 'task.failed', ...base, attempt: 1, error: serializeError(e) });
      throw e;
    }
    await ex.log({ type: 'task.started', ...base, attempt: 1, idempotent: true, input: { items } });
  }

  const as = each.as ?? 'item';
  const indexName = each.index ?? 'index';
  const stopOnFailure = (each.onFailure ?? 'stop') === 'stop';
  const outputs = new Array<unknown>(items.length).fill(null);
  const failed: Failed[] = [];
  const scope = ex.scope();
  // the for-each's reminders are its own (counted from its start), not each item's
  const { each: _each, reminders: _reminders, ...meta } = req.meta;
  // a sub-sequence's items are child runs of the body: they start with the run's params and variables, plus the item
  const { params: _p, vars: _v, steps: _s, error: _e, ...seed } = scope;
  const body = req.body;
  let next = 0;
  // the completion condition (until): once it holds, no further item starts and the items still running are stopped
  const held = new AbortController();
  const itemSignal = each.until ? AbortSignal.any([signal, held.signal]) : signal;
  let completed = 0;
  let active = 0;
  let conditionError: Error | undefined;
  /** The outputs when the condition held: the step's output, journaled at once (a resume never runs an item again). */
  let final: unknown[] | undefined;
  const checkUntil = (index: number, item: unknown) => {
    const counts = { Instances: items.length, CompletedInstances: completed, ActiveInstances: active };
    const vars = {
      ...ex.scope(),
      outputs: [...outputs],
      ...Object.fromEntries(
        Object.entries(counts).flatMap(([k, n]) => [
          [`nrOf${k}`, n],
          [`numberOf${k}`, n],
        ]),
      ),
      loopCounter: index,
      [as]: item,
      [indexName]: index,
    };
    try {
      if (!evaluateCondition(each.until!, vars, req.step)) return;
    } catch (e) {
      conditionError = e as Error;
      return;
    }
    final = [...outputs];
    if (!failed.length)
      ex.log({ type: 'task.finished', ...base, attempt: 1, output: final }, { sync: false }).catch(() => undefined);
    held.abort(new CancelledError(`for-each <${req.step}>: its completion condition holds`));
  };
  const worker = async () => {
    while (next < items.length && !(stopOnFailure && failed.length) && !conditionError && !itemSignal.aborted) {
      const i = next++;
      const item = items[i];
      const step = itemStep(req.step, execution, i);
      const vars = { [as]: item, [indexName]: i };
      let request: TaskRequest;
      if (body) request = { step, src: callSrc(body.id), meta: {}, input: { ...seed, ...vars }, body };
      else {
        let input: unknown;
        let inputError;
        try {
          input = resolveTemplate(req.input ?? {}, { ...scope, ...vars }, step);
        } catch (e) {
          input = null;
          inputError = serializeError(e);
        }
        request = { step, src: req.src, meta, input, vars, ...(inputError ? { inputError } : {}) };
      }
      let ok = false;
      active++;
      try {
        outputs[i] = await run(request, itemSignal);
        ok = true;
      } catch (e) {
        if (signal.aborted || e instanceof DetachedError) throw e;
        // an item stopped because the completion condition held is no failure: its output stays null
        if (!held.signal.aborted) {
          if (e instanceof CancelledError) throw e;
          failed.push({ index: i, item, error: e as Error });
        }
      } finally {
        active--;
      }
      if (ok) completed++;
      if (ok && each.until && !held.signal.aborted) checkUntil(i, item);
    }
  };
  const workers = Array.from({ length: Math.min(each.concurrency ?? 1, Math.max(1, items.length)) }, worker);
  const settled = await Promise.allSettled(workers);
  const thrown = settled.find((s) => s.status === 'rejected');
  if (thrown || signal.aborted) {
    const reason = thrown ? (thrown as PromiseRejectedResult).reason : signal.reason;
    if (reason instanceof DetachedError) throw reason;
    // a for-each whose condition held has ended in the journal already: a resume takes that
    if (!final || failed.length)
      await ex.log({ type: 'task.cancelled', ...base, attempt: 1, ...(ex.leftByMachine() ? { left: true } : {}) });
    throw reason instanceof CancelledError ? reason : new CancelledError(`step <${req.step}> cancelled`);
  }
  if (failed.length) {
    failed.sort((a, b) => a.index - b.index);
    const notStarted = items.length - next;
    const list = failed.map((f) => `[${f.index}] ${shown(f.item)}: ${f.error.message}`).join('; ');
    const err = new GravityError(
      ErrorCode.TaskFailed,
      `for-each <${req.step}>: ${failed.length} of ${items.length} items failed${notStarted > 0 ? ` (${notStarted} not started)` : ''}: ${list}`,
      {
        step: req.step,
        failed: failed.map((f) => ({
          index: f.index,
          step: itemStep(req.step, execution, f.index),
          message: f.error.message,
        })),
      },
    );
    await ex.log({ type: 'task.failed', ...base, attempt: 1, error: err.toJSON() });
    throw err;
  }
  if (conditionError) {
    await ex.log({ type: 'task.failed', ...base, attempt: 1, error: serializeError(conditionError) });
    throw conditionError;
  }
  if (final) return final;
  ex.log({ type: 'task.finished', ...base, attempt: 1, output: outputs }, { sync: false }).catch(() => undefined);
  return outputs;
}
