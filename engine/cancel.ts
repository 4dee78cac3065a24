// Cancel from outside a run's process: a graceful SIGINT to the live process, or a dead run marked cancelled.
import { setTimeout as sleep } from 'node:timers/promises';
import { BadInputError } from './errors.js';
import { RunStatus } from './journal.js';
import { isRunLive } from './liveness.js';
import { lockRun } from './run-lock.js';
import { keys, loadRun, readJournal, RunWriter } from './run-store.js';
import type { EngineOptions } from './run-types.js';
import { interruptedCommands, stopCommands } from './supervisor.js';

/** What `cancelRun` did. */
export interface CancelReport {
  runId: string;
  status: RunStatus;
  /** True when the run's process was alive and stopped the run itself (SIGINT); false when it was gone. */
  signalled: boolean;
}

/**
 * Cancels run `idOrPrefix`: sends SIGINT to the process running it (the same graceful cancel as Ctrl-C) and waits up to
 * `waitMs` for it to record the end, or marks a run whose process is gone (or that was detached) as cancelled, after
 * stopping the supervised commands its steps left running. Either way it can be resumed.
 */
export async function cancelRun(
  engine: Pick<EngineOptions, 'store' | 'onEvent' | 'filesDir' | 'persist'>,
  idOrPrefix: string,
  o: { waitMs?: number } = {},
): Promise<CancelReport> {
  const r = await loadRun(engine, idOrPrefix);
  if (r.status !== RunStatus.Running && r.status !== RunStatus.Detached && r.status !== RunStatus.Waiting)
    throw new BadInputError(`run ${r.id} is ${r.status}, not running: nothing to cancel`, {
      run: r.id,
      status: r.status,
    });
  const waitMs = o.waitMs ?? 15_000;
  if (r.status === RunStatus.Running && isRunLive(r)) {
    // a gravity serve process drives many runs: it takes the request from the store and cancels that one run; a CLI
    // process drives one, and SIGINT is its Ctrl-C
    if (r.driver === 'serve')
      await engine.store.put(keys.cancelRequest(r.id), { at: new Date().toISOString(), pid: process.pid });
    else process.kill(r.pid!, 'SIGINT');
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      const now = await loadRun(engine, r.id);
      if (now.status !== RunStatus.Running) return { runId: r.id, status: now.status, signalled: true };
      await sleep(100);
    }
    throw new BadInputError(`run ${r.id}: process ${r.pid} did not stop within ${waitMs / 1000} s`, {
      run: r.id,
      pid: r.pid,
    });
  }
  // its process is gone: mark it, unless another process took the run over meanwhile (a resume holds its lock)
  const lock = await lockRun(engine.store, r.id, { purpose: 'cancel' });
  try {
    const now = await loadRun(engine, r.id);
    if (now.status !== RunStatus.Running && now.status !== RunStatus.Detached && now.status !== RunStatus.Waiting)
      throw new BadInputError(`run ${r.id} is ${now.status}, not running: nothing to cancel`, {
        run: r.id,
        status: now.status,
      });
    const writer = new RunWriter(engine, now);
    const journal = await readJournal(engine.store, r.id);
    writer.journal.push(...journal);
    // the supervised commands its steps left running are stopped, and those steps closed as cancelled: a resume
    // makes them again instead of adopting what a person asked to stop
    for (const { step, attempt, commands } of interruptedCommands(engine, r.id, journal)) {
      await stopCommands(commands.flatMap((c) => (c.state.state === 'not-started' ? [] : [c.state.record])));
      await writer.log({ type: 'task.cancelled', step: step.step, task: step.task, attempt });
    }
    await writer.log({
      type: 'run.cancelled',
      message: `${now.status === RunStatus.Detached ? 'detached' : now.status === RunStatus.Waiting ? 'waiting' : 'its process is gone'}: marked cancelled; resume with \`gravity resume\``,
    });
    await writer.saveRecord({ status: RunStatus.Cancelled, pid: undefined, waiting: undefined, listening: undefined });
    return { runId: r.id, status: RunStatus.Cancelled, signalled: false };
  } finally {
    await lock.release();
  }
}
