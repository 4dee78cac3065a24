// Cancel from outside a run's process: a graceful SIGINT to the live process, or a dead run marked cancelled.
import { setTimeout as sleep } from 'node:timers/promises';
import { BadInputError } from './errors.js';
import { RunStatus } from './journal.js';
import { isRunLive } from './liveness.js';
import { lockRun } from './run-lock.js';
import { loadRun, RunWriter } from './run-store.js';
import type { EngineOptions } from './run-types.js';

/** What `cancelRun` did. */
export interface CancelReport {
  runId: string;
  status: RunStatus;
  /** True when the run's process was alive and stopped the run itself (SIGINT); false when it was gone. */
  signalled: boolean;
}

/**
 * Cancels run `idOrPrefix`: sends SIGINT to the process running it (the same graceful cancel as Ctrl-C) and waits up to
 * `waitMs` for it to record the end, or marks a run whose process is gone as cancelled. Either way it can be resumed.
 */
export async function cancelRun(
  engine: Pick<EngineOptions, 'store' | 'onEvent'>,
  idOrPrefix: string,
  o: { waitMs?: number } = {},
): Promise<CancelReport> {
  const r = await loadRun(engine, idOrPrefix);
  if (r.status !== RunStatus.Running)
    throw new BadInputError(`run ${r.id} is ${r.status}, not running: nothing to cancel`, {
      run: r.id,
      status: r.status,
    });
  const waitMs = o.waitMs ?? 15_000;
  if (isRunLive(r)) {
    process.kill(r.pid!, 'SIGINT');
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
    if (now.status !== RunStatus.Running)
      throw new BadInputError(`run ${r.id} is ${now.status}, not running: nothing to cancel`, {
        run: r.id,
        status: now.status,
      });
    const writer = new RunWriter(engine, now);
    await writer.log({
      type: 'run.cancelled',
      message: 'its process is gone: marked cancelled; resume with `gravity resume`',
    });
    await writer.saveRecord({ status: RunStatus.Cancelled, pid: undefined });
    return { runId: r.id, status: RunStatus.Cancelled, signalled: false };
  } finally {
    await lock.release();
  }
}
