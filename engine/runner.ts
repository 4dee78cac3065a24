// The runner: starts and resumes runs (each an Execution of a definition), and binds calls to child runs.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Definition } from './definition.js';
import { definitionHash } from './definition.js';
import { Execution } from './execution.js';
import { interruptedAttempt, openSteps, RunStatus, type RunRecord } from './journal.js';
import { startTimeOf } from './process.js';
import { deliverAnswer } from './answer.js';
import { prepareResume } from './resume.js';
import { rollbackRun } from './rollback.js';
import { lockRun } from './run-lock.js';
import { engineOfRun, startingRoot } from './run-root.js';
import { createRun, loadRun } from './run-store.js';
import type { ChildRuns, EngineOptions, ResumeOptions, RunResult, StartOptions } from './run-types.js';
import { assertValidDefinition } from './validate.js';

/** A new sortable, readable run id: `YYMMDD-HHMMSS-xxxxxx`. */
export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const d = `${String(now.getUTCFullYear()).slice(2)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${d}-${randomBytes(3).toString('hex')}`;
}

/** The child runs of `engine`'s call steps start and resume through the same runner. */
function childRunsOf(engine: EngineOptions): ChildRuns {
  return { start: (def, o) => startRun(engine, def, o), resume: (id, o) => resumeRun(engine, id, o) };
}

/** Starts a run of a (validated) definition and waits for its end. */
export async function startRun(engine: EngineOptions, def: Definition, o: StartOptions): Promise<RunResult> {
  assertValidDefinition(def, engine.registry, { resolveWorkflow: engine.resolveWorkflow });
  // path params made absolute, the declared root evaluated (a bad one refuses the start): engine/run-root.ts
  const start = await startingRoot(engine, def, o.params);
  const now = new Date().toISOString();
  const record: RunRecord = {
    id: o.runId ?? newRunId(),
    workflow: def.id,
    ...(def.title ? { title: def.title } : {}),
    definitionHash: definitionHash(def),
    source: o.source ?? { kind: 'inline' },
    params: start.params,
    status: RunStatus.Running,
    pid: process.pid,
    pidStart: startTimeOf(process.pid),
    host: hostname(),
    ...(o.parent ? { parent: o.parent } : {}),
    ...(engine.driver ? { driver: engine.driver } : {}),
    ...(o.startedBy ? { startedBy: o.startedBy } : {}),
    ...(start.root ? { root: start.root } : {}),
    createdAt: now,
    updatedAt: now,
  };
  // the run is driven by this process from before its record exists to its end (a resume waits or is refused)
  const lock = engine.persist === false ? undefined : await lockRun(engine.store, record.id, { purpose: 'run' });
  let result: RunResult;
  try {
    if (engine.persist !== false) await createRun(engine.store, record, def);
    const run = start.engine;
    const ex = new Execution(run, def, record, o.signal ?? new AbortController().signal, childRunsOf(run));
    await ex.log({ type: 'run.started', input: start.params, message: def.title ?? def.id });
    result = await ex.execute();
  } finally {
    await lock?.release();
  }
  return rollbackIfAsked(engine, def, result);
}

/**
 * A failed run of a workflow that asks for it (`meta.rollbackOnFailure`) is rolled back at once (engine/rollback.ts):
 * its finished steps' compensations run, newest first. The result stays failed (with what was undone); a compensation
 * that fails leaves the run needing attention, as `gravity rollback` does.
 */
async function rollbackIfAsked(engine: EngineOptions, def: Definition, result: RunResult): Promise<RunResult> {
  if (result.status !== RunStatus.Failed || def.meta?.rollbackOnFailure !== true || engine.persist === false)
    return result;
  const report = await rollbackRun(engine, result.runId);
  return {
    ...result,
    status: report.failed ? RunStatus.NeedsAttention : RunStatus.Failed,
    ...(report.failed ? { attention: report.attention } : {}),
    rollback: {
      compensated: report.compensated,
      skipped: report.skipped,
      ...(report.failed ? { failed: report.failed } : {}),
    },
  };
}

/** Resumes an interrupted, cancelled or needs-attention run from its last snapshot, and waits for its end. */
export async function resumeRun(engine: EngineOptions, runId: string, o: ResumeOptions = {}): Promise<RunResult> {
  const { id } = await loadRun(engine, runId);
  // one process drives a run: everything below reads and decides under the run's lock
  const lock = await lockRun(engine.store, id, { purpose: o.answer ? o.answer.kind : 'resume', waitMs: o.waitMs });
  let def: Definition;
  let result: RunResult;
  try {
    // an answer is checked and journaled under the lock: two answers at once drive the run once, the second is refused
    if (o.answer) await deliverAnswer(engine, id, o.answer);
    const point = await prepareResume(engine, id, o);
    if (!('def' in point)) return point;
    // a run with its own root (declared by its workflow) goes on in it, wherever it is resumed from
    const run = engineOfRun(engine, point.record);
    const ex = new Execution(
      run,
      point.def,
      point.record,
      o.signal ?? new AbortController().signal,
      childRunsOf(run),
      point.journal,
    );
    ex.force = o.force === true;
    for (const [step, outcomes] of point.replay) ex.replay.set(step, outcomes);
    for (const step of point.adopt) ex.adopt.add(step);
    for (const s of openSteps(point.journal)) ex.interrupted.set(s.step, interruptedAttempt(point.journal, s.step));
    def = point.def;
    result = await ex.execute(point.snapshot, point.timers);
  } finally {
    await lock.release();
  }
  return rollbackIfAsked(engine, def, result);
}
