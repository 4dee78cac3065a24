// Resume: what a run needs to go on from its last persisted snapshot; finished steps never run again.
import { hostname } from 'node:os';
import type { Snapshot } from 'xstate';
import type { RunContext } from './compile.js';
import type { Definition } from './definition.js';
import { definitionHash } from './definition.js';
import { BadInputError, ErrorCode, GravityError, NotFoundError, type SerializedError } from './errors.js';
import { resultOf } from './run-result.js';
import {
  openSteps,
  RunStatus,
  stepOutcomes,
  stepsFromJournal,
  type JournalEntry,
  type StepOutcome,
  type OpenStep,
  type RunRecord,
} from './journal.js';
import { isRunLive } from './liveness.js';
import { commandLineOf, killGroup, startTimeOf } from './process.js';
import { loadRun, readDefinition, readJournal, readSnapshot, RunWriter } from './run-store.js';
import type { EngineOptions, PersistedRunSnapshot, PersistedTimer, ResumeOptions, RunResult } from './run-types.js';
import { interruptedCommands, killCommand } from './supervisor.js';

/** A run ready to go on: an execution of `def` over `record` from `snapshot`, with the journal read so far. */
export interface ResumePoint {
  record: RunRecord;
  def: Definition;
  journal: JournalEntry[];
  /** Absent when the run was interrupted before its first snapshot (before any step started): it starts over. */
  snapshot?: Snapshot<unknown>;
  timers?: PersistedTimer[];
  /** Per step, its journaled outcomes the snapshot's machine had not taken in yet: replayed in order, not run again. */
  replay: Map<string, StepOutcome[]>;
  /** Interrupted supervised steps made again over their commands: adopted if they ended, re-attached if they run. */
  adopt: Set<string>;
}

/**
 * How many outcomes of each step the machine of snapshot `snap` had taken in: its own count (`context.outcomes`); for
 * a snapshot written before it had one (one snapshot per state, then), every journaled outcome except the last one of
 * a step it shows running; without a snapshot, none.
 */
function outcomesTaken(journal: JournalEntry[], snap: PersistedRunSnapshot | undefined): Record<string, number> {
  if (!snap) return {};
  const ctx = (snap.snapshot as { context?: { outcomes?: Record<string, number> } }).context;
  if (ctx?.outcomes) return ctx.outcomes;
  const taken: Record<string, number> = {};
  for (const [step, list] of stepOutcomes(journal)) taken[step] = list.length;
  const running = Object.keys((snap.snapshot as { children?: Record<string, unknown> }).children ?? {});
  for (const step of running) {
    const last = [...journal]
      .reverse()
      .find(
        (e) =>
          e.step === step &&
          (e.type === 'task.started' ||
            e.type === 'task.finished' ||
            e.type === 'task.failed' ||
            e.type === 'task.cancelled'),
      );
    if (last?.type === 'task.finished' || last?.type === 'task.failed') taken[step]--;
  }
  return taken;
}

/**
 * The steps a message left (a message boundary: `step.interrupted` after the step's last start, and no line since that
 * says the message came too late), or the machine left otherwise (`task.cancelled` with `left`): their work was stopped
 * on purpose, so they are neither adopted nor a reason to ask
 * a person; one the snapshot still shows running runs again, and the message, still in the inbox, leaves it again.
 */
function leftByMessage(journal: JournalEntry[]): Set<string> {
  const left = new Set<string>();
  for (const e of journal) {
    if (!e.step) continue;
    // likewise a step the machine left otherwise (a timer, a failure in a parallel state): its cancel says so
    if (e.type === 'step.interrupted' || (e.type === 'task.cancelled' && e.left === true)) left.add(e.step);
    else if (
      e.type === 'task.started' ||
      e.type === 'task.finished' ||
      e.type === 'task.failed' ||
      e.type === 'message.dropped'
    )
      left.delete(e.step);
  }
  return left;
}

/** Kills what an interrupted step left running (its recorded process groups, if they are still the same command). */
function killLeftovers(steps: OpenStep[]): void {
  for (const s of steps) {
    s.pids.forEach((pid, i) => {
      const cmd = commandLineOf(pid);
      if (cmd && cmd.join('\0') === s.commands[i].join('\0')) killGroup(pid, 'SIGKILL');
    });
  }
}

/**
 * Checks that run `runId` may be resumed and prepares it: the run's record is marked running again by this process and
 * `run.resumed` is journaled. Returns the run's result instead when it must wait for a person (an interrupted step that
 * is not idempotent, without `force`).
 */
export async function prepareResume(
  engine: EngineOptions,
  runId: string,
  o: ResumeOptions,
): Promise<ResumePoint | RunResult> {
  const record = await loadRun(engine, runId);
  const id = record.id;
  if (isRunLive(record))
    throw new BadInputError(
      `run ${id} is still running in process ${record.pid}; cancel it first with \`gravity cancel ${id}\``,
    );
  if (
    record.status !== RunStatus.Running &&
    record.status !== RunStatus.Cancelled &&
    record.status !== RunStatus.Detached &&
    record.status !== RunStatus.NeedsAttention &&
    record.status !== RunStatus.Waiting
  ) {
    throw new BadInputError(
      `run ${id} has ${record.status === RunStatus.RolledBack ? 'been rolled back' : `already ${record.status}`}: nothing to resume`,
      { status: record.status },
    );
  }
  let def = o.definition;
  if (def && definitionHash(def) !== record.definitionHash && !o.allowChanged) {
    throw new GravityError(
      ErrorCode.DefinitionChanged,
      `the definition of ${record.workflow} changed since run ${id} started (hash ${record.definitionHash.slice(0, 12)} -> ${definitionHash(def).slice(0, 12)}); resume refused. Roll back, start a new run, or pass --allow-changed`,
      { run: id },
    );
  }
  def ??= await readDefinition(engine.store, record.definitionHash);
  if (!def) throw new NotFoundError(`definition of run ${id} not found`);
  const snap = await readSnapshot(engine.store, id);
  // a cancel inside a cleanup()'s body ran the cleanup and ended the run: nothing is left to resume
  if (
    record.status === RunStatus.Cancelled &&
    ((snap?.snapshot as { status?: string } | undefined)?.status === 'done' || record.finishedAt)
  ) {
    throw new BadInputError(`run ${id} ended: its cleanup ran after the cancel; start a new run`, {
      status: record.status,
    });
  }
  const journal = await readJournal(engine.store, id);
  const open = openSteps(journal);
  // a supervised step interrupted by the end of its process (not cancelled) is adopted when each of its commands either
  // ended with its status recorded or still runs under a live supervisor; one whose supervisor died too is lost
  const adopt = new Set<string>();
  const left = leftByMessage(journal);
  for (const { step, commands } of interruptedCommands(engine, id, journal, open)) {
    // a step a message left is over: what it still runs is stopped, never adopted
    if (left.has(step.step)) {
      for (const c of commands)
        if (c.state.state === 'running' || c.state.state === 'lost') killCommand(c.state.record, 'SIGKILL');
    } else if (commands.every((c) => c.state.state !== 'lost')) adopt.add(step.step);
    else for (const c of commands) if (c.state.state === 'lost') killCommand(c.state.record, 'SIGKILL');
  }
  // what an interrupted step left running is stopped first, whatever is decided next: a leftover that finished later
  // would make its step's work happen twice once a person forces it again
  killLeftovers(open.filter((s) => !adopt.has(s.step)));
  const unsafe = open.filter((s) => !s.idempotent && !adopt.has(s.step) && !left.has(s.step));
  const writer = new RunWriter(engine, record);
  writer.journal.push(...journal);
  if (unsafe.length && !o.force) {
    const many = unsafe.length > 1;
    const message = `step${many ? 's' : ''} ${unsafe.map((s) => `<${s.step}> (${s.task})`).join(', ')} ${many ? 'were' : 'was'} interrupted and ${many ? 'are' : 'is'} not idempotent: it may have done part of its work. Check, then \`gravity resume ${id} --force\` to run it again, or \`gravity rollback ${id}\``;
    if (record.status !== RunStatus.NeedsAttention) await writer.log({ type: 'run.needs-attention', message });
    await writer.saveRecord({
      status: RunStatus.NeedsAttention,
      attention: { message, steps: unsafe.map((s) => s.step) },
      pid: undefined,
    });
    return resultOf(record, writer.journal);
  }
  // the journal is what a resume trusts; the snapshot is a checkpoint: each step's outcomes beyond those the snapshot's
  // machine had taken in are replayed, in order, instead of running the step again (none: from the start)
  const taken = outcomesTaken(journal, snap);
  const replay: ResumePoint['replay'] = new Map();
  for (const [step, list] of stepOutcomes(journal)) {
    const rest = list.slice(taken[step] ?? 0);
    if (rest.length) replay.set(step, rest);
  }
  await writer.saveRecord({
    status: RunStatus.Running,
    pid: process.pid,
    pidStart: startTimeOf(process.pid),
    host: hostname(),
    driver: engine.driver,
    attention: undefined,
    waiting: undefined,
    // its steps listen again as they start (engine/execution.ts)
    listening: undefined,
  });
  await writer.log({
    type: 'run.resumed',
    message:
      !snap && !journal.some((e) => e.type === 'task.started')
        ? 'started over: it was interrupted before its first step'
        : open.length
          ? [
              ...(adopt.size ? [`adopting ${[...adopt].map((s) => `<${s}>`).join(', ')} (its commands ran on)`] : []),
              ...(open.some((s) => !adopt.has(s.step) && !left.has(s.step))
                ? [
                    `re-running ${open
                      .filter((s) => !adopt.has(s.step) && !left.has(s.step))
                      .map((s) => `<${s.step}>`)
                      .join(', ')}${o.force ? ' (forced)' : ''}`,
                  ]
                : []),
              ...(open.some((s) => left.has(s.step))
                ? [
                    `${open
                      .filter((s) => left.has(s.step))
                      .map((s) => `<${s.step}>`)
                      .join(', ')} left by a message (its commands stopped)`,
                  ]
                : []),
            ].join('; ')
          : 'resumed',
  });
  await writer.flushed();
  if (!snap) return { record, def, journal: writer.journal, replay, adopt };
  const snapshot = snap.snapshot as typeof snap.snapshot & { context: RunContext };
  if (snap.stepsInJournal) snapshot.context = { ...snapshot.context, steps: stepsFromJournal(journal, taken) };
  return { record, def, journal: writer.journal, snapshot, timers: snap.timers, replay, adopt };
}
