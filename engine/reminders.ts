// Reminders (BPMN's non-interrupting timer boundaries): while a step runs or waits, timers start side paths as child runs.
import type { TaskRequest } from './compile.js';
import { callSrc, reminderBody, type ReminderConfig } from './definition.js';
import { parseDelay } from './duration.js';
import { CancelledError, ErrorCode, GravityError, serializeError } from './errors.js';
import { evaluateExpression, isExpression } from './expressions.js';
import type { JournalEntry } from './journal.js';
import { runCall } from './call.js';
import type { StepHost } from './run-types.js';

const ENDS = new Set(['task.finished', 'task.failed', 'task.cancelled']);

/**
 * Where the current execution of `step` began in the journal: the index of its first `task.started` after its last end
 * (a waiting step journals a start each time its run is resumed), or undefined when it has not started yet.
 */
export function executionStart(journal: readonly JournalEntry[], step: string): number | undefined {
  let start: number | undefined;
  journal.forEach((e, i) => {
    if (e.step !== step) return;
    if (ENDS.has(e.type)) start = undefined;
    else if (e.type === 'task.started' && start === undefined) start = i;
  });
  return start;
}

/** How often reminder `id` fired since journal index `from`, and whether its last side path is still open. */
export function firings(journal: readonly JournalEntry[], id: string, from: number): { fired: number; open: boolean } {
  let fired = 0;
  let open = false;
  for (let i = from; i < journal.length; i++) {
    const e = journal[i];
    if (e.step !== id) continue;
    if (e.type === 'task.started') {
      fired++;
      open = true;
    } else if (ENDS.has(e.type)) open = false;
  }
  return { fired, open };
}

/** The delay of a reminder in milliseconds (its `=FEEL` evaluated over the run's scope). */
function delayOf(r: ReminderConfig, scope: Record<string, unknown>): number {
  const value =
    typeof r.after === 'string' && isExpression(r.after) ? evaluateExpression(r.after, scope, r.id) : r.after;
  return parseDelay(value, r.id);
}

/**
 * Runs step `req` through `run` with its reminders armed. The step's own end (its `task.finished`, `task.failed` or
 * `task.cancelled`) is journaled only after every side path it started has ended, so that a crash in between finds the
 * step open (resume runs it again by the usual rule, and goes on with the side path that was running: its child run is
 * resumed). A side path that fails fails the step; the step failing or being cancelled cancels the side paths.
 */
export async function runWithReminders(
  ex: StepHost,
  req: TaskRequest,
  signal: AbortSignal,
  run: (host: StepHost) => Promise<unknown>,
): Promise<unknown> {
  const reminders = req.meta.reminders ?? [];
  const startedAt = executionStart(ex.journal, req.step);
  const since = startedAt === undefined ? Date.now() : Date.parse(ex.journal[startedAt].at);
  const from = startedAt ?? ex.journal.length;
  const side = new AbortController();
  const onAbort = () => side.abort(signal.reason ?? new CancelledError());
  signal.addEventListener('abort', onAbort, { once: true });
  const running = new Set<Promise<void>>();
  const failures: Array<{ id: string; error: Error }> = [];
  const timers = new Map<string, NodeJS.Timeout>();
  const due = new Map<string, number>();
  const scope = ex.scope();
  // a side path starts with the run's params and variables, as a for-each body's items do
  const { params: _p, vars: _v, steps: _s, error: _e, ...seed } = scope;

  // a side path cannot wait for a person or a message (validation refuses wait steps in it; a called workflow may still)
  const sideHost: StepHost = new Proxy(ex, {
    get(target, prop) {
      if (prop === 'park')
        return () => {
          throw new GravityError(
            ErrorCode.Validation,
            `a reminder of <${req.step}> cannot wait for an approval or a message: it runs while its step goes on`,
            { step: req.step },
          );
        };
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const fire = (r: ReminderConfig) => {
    const body = reminderBody(ex.record.workflow, r);
    ex.sidePath(1);
    const p = runCall(sideHost, { step: r.id, src: callSrc(body.id), meta: {}, input: seed, body }, side.signal)
      .then(
        () => undefined,
        (e: unknown) => {
          if (!side.signal.aborted) failures.push({ id: r.id, error: e as Error });
        },
      )
      .finally(() => {
        running.delete(p);
        ex.sidePath(-1);
      });
    running.add(p);
  };
  const report = () => ex.remindAt(req.step, due.size ? Math.min(...due.values()) : undefined);
  const arm = (r: ReminderConfig, ms: number, fired: number) => {
    const times = r.times ?? 1;
    if (times !== 0 && fired >= times) {
      due.delete(r.id);
      return report();
    }
    const at = since + ms * (fired + 1);
    due.set(r.id, at);
    report();
    const t = setTimeout(
      () => {
        if (side.signal.aborted) return;
        fire(r);
        arm(r, ms, fired + 1);
      },
      Math.max(0, at - Date.now()),
    );
    timers.set(r.id, t);
  };
  const disarm = () => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
    due.clear();
    report();
  };

  try {
    for (const r of reminders) {
      const ms = delayOf(r, scope);
      const { fired, open } = firings(ex.journal, r.id, from);
      // a side path a crash interrupted goes on (its child run is resumed), then the timer counts on
      if (open) fire(r);
      arm(r, ms, fired);
    }
  } catch (e) {
    // a delay that cannot be evaluated fails the step before it starts, journaled as an input error is
    disarm();
    signal.removeEventListener('abort', onAbort);
    const base = { step: req.step, task: req.src };
    await ex.log({ type: 'task.started', ...base, attempt: 1, idempotent: true });
    await ex.log({ type: 'task.failed', ...base, attempt: 1, error: serializeError(e) });
    throw e;
  }

  // the step's end waits for its side paths: the host the step runs with holds that one journal line back
  let held: { entry: Omit<JournalEntry, 'at'>; sync?: boolean } | undefined;
  const host: StepHost = new Proxy(ex, {
    get(target, prop) {
      if (prop === 'log')
        return (entry: Omit<JournalEntry, 'at'>, o?: { sync?: boolean }) => {
          if (entry.step === req.step && ENDS.has(entry.type)) {
            held = { entry, sync: o?.sync };
            return Promise.resolve();
          }
          return target.log(entry, o);
        };
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });

  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await run(host) };
  } catch (e) {
    outcome = { ok: false, error: e };
  }
  disarm();
  signal.removeEventListener('abort', onAbort);
  // a failure or cancel of the step stops its side paths; a success waits for them
  if (!outcome.ok) side.abort(new CancelledError(`step <${req.step}> ended: its reminders stop`));
  while (running.size) await Promise.allSettled([...running]);
  if (outcome.ok && failures.length) {
    const f = failures[0];
    const error = new GravityError(
      ErrorCode.TaskFailed,
      `reminder <${f.id}> of <${req.step}> failed: ${f.error.message}`,
      { step: req.step, reminder: f.id },
    );
    const entry = held?.entry;
    await ex.log({
      type: 'task.failed',
      step: req.step,
      ...(entry?.task ? { task: entry.task } : {}),
      attempt: entry?.attempt ?? 1,
      error: error.toJSON(),
    });
    throw error;
  }
  if (held) await ex.log(held.entry, { sync: held.sync });
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
