// Resume: recreate the actor from the last persisted snapshot; finished steps never run again.
import { hostname } from 'node:os';
import type { Definition } from './definition.js';
import { definitionHash } from './definition.js';
import { BadInputError, ErrorCode, GravityError, NotFoundError } from './errors.js';
import { openSteps, RunStatus, type JournalEntry, type RunRecord } from './journal.js';
import { commandLineOf, isAlive, killGroup, startTimeOf } from './process.js';
import { Execution, keys, resultOf, stepsFromJournal, type EngineOptions, type PersistedRunSnapshot, type RunResult } from './runner.js';
import type { RunContext } from './compile.js';

/** Options of resume. */
export interface ResumeOptions {
  /** The definition as it is now (from the catalog or the file); compared with the run's hash. */
  definition?: Definition;
  /** Re-run interrupted steps that are not idempotent. */
  force?: boolean;
  /** Accept a definition that changed since the run started. */
  allowChanged?: boolean;
  signal?: AbortSignal;
}

/** Loads a run record, accepting a unique prefix of the id. */
export async function loadRun(engine: EngineOptions, idOrPrefix: string): Promise<RunRecord> {
  const exact = await engine.store.get<RunRecord>(keys.run(idOrPrefix));
  if (exact) return exact.value;
  const all = (await engine.store.list<RunRecord>('runs/')).filter((e) => e.value.id.startsWith(idOrPrefix));
  if (all.length === 1) return all[0].value;
  if (all.length > 1) throw new BadInputError(`run id "${idOrPrefix}" is ambiguous: ${all.slice(0, 5).map((e) => e.value.id).join(', ')}`);
  throw new NotFoundError(`no run "${idOrPrefix}" in ${engine.store.location} (see \`gravity runs\`)`, { run: idOrPrefix });
}

/** True when the process that owns a running run is still alive on this host. */
export function isRunLive(r: RunRecord): boolean {
  if (r.status !== RunStatus.Running || r.pid === undefined || r.host !== hostname() || r.pid === process.pid || !isAlive(r.pid)) return false;
  // the pid may have been reused by another process since the run's process died
  return r.pidStart === undefined || startTimeOf(r.pid) === r.pidStart;
}

/** Kills what an interrupted step left running (its recorded process groups, if they are still the same command). */
function killLeftovers(steps: ReturnType<typeof openSteps>): void {
  for (const s of steps) {
    s.pids.forEach((pid, i) => {
      const cmd = commandLineOf(pid);
      if (cmd && cmd.join('\0') === s.commands[i].join('\0')) killGroup(pid, 'SIGKILL');
    });
  }
}

/** Resumes an interrupted, cancelled or needs-attention run. */
export async function resumeRun(engine: EngineOptions, runId: string, o: ResumeOptions = {}): Promise<RunResult> {
  const record = await loadRun(engine, runId);
  const id = record.id;
  if (isRunLive(record)) throw new BadInputError(`run ${id} is still running in process ${record.pid}; cancel it first with \`gravity cancel ${id}\``);
  if (record.status !== RunStatus.Running && record.status !== RunStatus.Cancelled && record.status !== RunStatus.NeedsAttention) {
    throw new BadInputError(`run ${id} has ${record.status === RunStatus.RolledBack ? 'been rolled back' : `already ${record.status}`}: nothing to resume`, { status: record.status });
  }
  let def = o.definition;
  const stored = await engine.store.get<Definition>(`definitions/${record.definitionHash}`);
  if (def && definitionHash(def) !== record.definitionHash && !o.allowChanged) {
    throw new GravityError(
      ErrorCode.DefinitionChanged,
      `the definition of ${record.workflow} changed since run ${id} started (hash ${record.definitionHash.slice(0, 12)} -> ${definitionHash(def).slice(0, 12)}); resume refused. Roll back, start a new run, or pass --allow-changed`,
      { run: id },
    );
  }
  def ??= stored?.value;
  if (!def) throw new NotFoundError(`definition of run ${id} not found`);
  const snap = await engine.store.get<PersistedRunSnapshot>(keys.snapshot(id));
  if (!snap) throw new NotFoundError(`run ${id} has no snapshot to resume from`);
  const journal = await engine.store.readLog<JournalEntry>(keys.journal(id));

  const open = openSteps(journal);
  const unsafe = open.filter((s) => !s.idempotent);
  const ex = new Execution(engine, def, record, o.signal ?? new AbortController().signal);
  ex.force = o.force === true;
  ex.journal.push(...journal);
  if (unsafe.length && !o.force) {
    const message = `step${unsafe.length > 1 ? 's' : ''} ${unsafe.map((s) => `<${s.step}> (${s.task})`).join(', ')} ${unsafe.length > 1 ? 'were' : 'was'} interrupted and ${unsafe.length > 1 ? 'are' : 'is'} not idempotent: it may have done part of its work. Check, then \`gravity resume ${id} --force\` to run it again, or \`gravity rollback ${id}\``;
    if (record.status !== RunStatus.NeedsAttention) await ex.log({ type: 'run.needs-attention', message });
    await ex.saveRecord({ status: RunStatus.NeedsAttention, attention: { message, steps: unsafe.map((s) => s.step) }, pid: undefined });
    return resultOf(record, ex.journal);
  }
  // steps the snapshot shows running but the journal shows ended: the crash came before the next snapshot
  const running = Object.keys((snap.value.snapshot as { children?: Record<string, unknown> }).children ?? {});
  for (const step of running) {
    const last = [...journal].reverse().find((e) => e.step === step && (e.type === 'task.started' || e.type === 'task.finished' || e.type === 'task.failed' || e.type === 'task.cancelled'));
    if (last?.type === 'task.finished') ex.replay.set(step, { output: last.output });
    else if (last?.type === 'task.failed' && last.error) ex.replay.set(step, { error: last.error });
  }
  killLeftovers(open);
  await ex.saveRecord({ status: RunStatus.Running, pid: process.pid, pidStart: startTimeOf(process.pid), host: hostname(), attention: undefined });
  await ex.log({ type: 'run.resumed', message: open.length ? `re-running ${open.map((s) => `<${s.step}>`).join(', ')}${o.force ? ' (forced)' : ''}` : 'resumed' });
  const snapshot = snap.value.snapshot as typeof snap.value.snapshot & { context: RunContext };
  if (snap.value.stepsInJournal) snapshot.context = { ...snapshot.context, steps: stepsFromJournal(journal) };
  return ex.execute(snapshot, snap.value.timers);
}
