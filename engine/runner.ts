// The runner: starts and resumes runs (each an Execution of a definition), and binds calls to child runs.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Definition } from './definition.js';
import { definitionHash } from './definition.js';
import { Execution } from './execution.js';
import { RunStatus, type RunRecord } from './journal.js';
import { startTimeOf } from './process.js';
import { prepareResume } from './resume.js';
import { createRun } from './run-store.js';
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
  const now = new Date().toISOString();
  const record: RunRecord = {
    id: o.runId ?? newRunId(),
    workflow: def.id,
    ...(def.title ? { title: def.title } : {}),
    definitionHash: definitionHash(def),
    source: o.source ?? { kind: 'inline' },
    params: o.params,
    status: RunStatus.Running,
    pid: process.pid,
    pidStart: startTimeOf(process.pid),
    host: hostname(),
    ...(o.parent ? { parent: o.parent } : {}),
    createdAt: now,
    updatedAt: now,
  };
  if (engine.persist !== false) await createRun(engine.store, record, def);
  const ex = new Execution(engine, def, record, o.signal ?? new AbortController().signal, childRunsOf(engine));
  await ex.log({ type: 'run.started', input: o.params, message: def.title ?? def.id });
  return ex.execute();
}

/** Resumes an interrupted, cancelled or needs-attention run from its last snapshot, and waits for its end. */
export async function resumeRun(engine: EngineOptions, runId: string, o: ResumeOptions = {}): Promise<RunResult> {
  const point = await prepareResume(engine, runId, o);
  if (!('snapshot' in point)) return point;
  const ex = new Execution(
    engine,
    point.def,
    point.record,
    o.signal ?? new AbortController().signal,
    childRunsOf(engine),
    point.journal,
  );
  ex.force = o.force === true;
  for (const [step, outcome] of point.replay) ex.replay.set(step, outcome);
  return ex.execute(point.snapshot, point.timers);
}
