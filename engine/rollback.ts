// Rollback: the compensations of finished steps, newest first; child runs of call steps are rolled back too.
import { FOR_EACH } from './each.js';
import type { CompensateContext } from './define-task.js';
import { BadInputError, serializeError, type SerializedError } from './errors.js';
import { resultOf } from './run-result.js';
import { openSteps, RunStatus } from './journal.js';
import { isRunLive } from './liveness.js';
import { exec } from './process.js';
import { interruptedCommands } from './supervisor.js';
import { lockRun } from './run-lock.js';
import { engineOfRun } from './run-root.js';
import { getRun, loadRun, readJournal, RunWriter } from './run-store.js';
import type { EngineOptions, RunResult } from './run-types.js';

/** What rollback did, besides the run result. */
export interface RollbackReport extends RunResult {
  compensated: string[];
  /** Finished steps whose task has no compensate(). */
  skipped: string[];
  /** Interrupted steps: their effect is unknown, nothing was undone for them. */
  interrupted: string[];
  failed?: { step: string; error: SerializedError };
}

/** Runs compensations of the finished steps of a run in reverse order; stops at the first that fails. */
export async function rollbackRun(engine: EngineOptions, runId: string): Promise<RollbackReport> {
  const { id } = await loadRun(engine, runId);
  const lock = await lockRun(engine.store, id, { purpose: 'rollback' });
  try {
    return await rollbackLocked(engine, id);
  } finally {
    await lock.release();
  }
}

/** The rollback of run `id`, under its lock. */
async function rollbackLocked(engine: EngineOptions, id: string): Promise<RollbackReport> {
  const record = await loadRun(engine, id);
  // compensations run in the run's recorded root, when it has one (its child runs without their own too)
  const run = engineOfRun(engine, record);
  if (isRunLive(record))
    throw new BadInputError(`run ${id} is still running in process ${record.pid}; cancel it first`);
  if (record.status === RunStatus.RolledBack) throw new BadInputError(`run ${id} has already been rolled back`);
  const journal = await readJournal(engine.store, id);
  // undoing steps while a command of the run still runs (detached, or its process died) would race it
  for (const { step, commands } of interruptedCommands(engine, id, journal)) {
    for (const { state } of commands)
      if (state.state === 'running')
        throw new BadInputError(
          `run ${id}: the command of step <${step.step}> (${state.record.command}) is still running under the step supervisor (pid ${state.record.supervisor.pid}); cancel the run first with \`gravity cancel ${id}\``,
          { run: id, step: step.step },
        );
  }
  const ex = new RunWriter(engine, record);
  ex.journal.push(...journal);

  // finished executions already undone by an earlier (stopped) rollback
  const done = new Set(
    journal
      .filter((e) => e.type === 'task.compensated')
      .map((e) => (e.finishedAt ?? /finished at (\S+)$/.exec(e.message ?? '')?.[1]) + e.step!),
  );
  const finished: Array<{ entry: (typeof journal)[number]; input: unknown }> = [];
  const lastInput = new Map<string, unknown>();
  for (const e of journal) {
    if (e.type === 'task.started' && e.step) lastInput.set(e.step, e.input);
    if (e.type === 'task.finished' && e.step) finished.push({ entry: e, input: lastInput.get(e.step) });
  }
  const report: RollbackReport = {
    ...resultOf(record, journal),
    compensated: [],
    skipped: [],
    interrupted: openSteps(journal).map((s) => s.step),
  };
  for (const { entry, input } of finished.reverse()) {
    const step = entry.step!;
    if (done.has(entry.at + step)) continue;
    try {
      if (entry.child) {
        const child = await getRun(engine.store, entry.child);
        if (child && child.status !== RunStatus.RolledBack) {
          const r = await rollbackRun(run, entry.child);
          if (r.failed)
            throw Object.assign(new Error(`child run ${entry.child}: ${r.failed.error.message}`), {
              code: r.failed.error.code,
            });
        }
      } else if (entry.task === FOR_EACH) {
        // its items are steps of their own, undone one by one
        continue;
      } else {
        const task = engine.registry.has(entry.task ?? '') ? engine.registry.get(entry.task!) : undefined;
        if (!task?.compensate) {
          report.skipped.push(step);
          continue;
        }
        const ctx: CompensateContext<unknown, unknown> = {
          input,
          output: entry.output,
          signal: new AbortController().signal,
          exec,
          root: run.root ?? process.cwd(),
          rootOrigin: run.rootOrigin,
          store: engine.store,
          scope: {},
          runId: id,
          stepId: step,
          dryRun: false,
          log: {
            info: (m) => ex.emitLog(step, 'info', m),
            warn: (m) => ex.emitLog(step, 'warn', m),
            error: (m) => ex.emitLog(step, 'error', m),
            stream: (s, c) => ex.emitLog(step, s, c),
          },
        };
        await task.compensate(ctx);
      }
      await ex.log({
        type: 'task.compensated',
        step,
        task: entry.task,
        finishedAt: entry.at,
        message: `compensated step finished at ${entry.at}`,
      });
      report.compensated.push(step);
    } catch (e) {
      const error = serializeError(e);
      await ex.log({ type: 'task.compensate-failed', step, task: entry.task, error });
      await ex.saveRecord({
        status: RunStatus.NeedsAttention,
        attention: { message: `rollback stopped: compensation of <${step}> failed: ${error.message}`, steps: [step] },
      });
      return { ...report, ...resultOf(record, ex.journal), failed: { step, error } };
    }
  }
  await ex.log({ type: 'run.rolled-back', message: `${report.compensated.length} step(s) compensated` });
  await ex.saveRecord({ status: RunStatus.RolledBack, pid: undefined, attention: undefined });
  return { ...report, ...resultOf(record, ex.journal) };
}
