// Waits a fixed time as a task node; cancelling the run ends the wait at once.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { CancelledError, defineTask } from '../../engine/index.js';

/** Input of `time.wait`. */
export const timeWaitInput = z.strictObject({
  ms: z.number().int().min(0).describe('How long to wait, in milliseconds.'),
});

/** Output of `time.wait`: how long the wait really took, ms. */
export const timeWaitOutput = z.object({
  waitedMs: z.number().describe('How long the wait really took, in milliseconds.'),
});

/** Sleeps `ms` milliseconds; rejects with CancelledError as soon as the signal aborts. */
export async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw new CancelledError(`wait of ${ms} ms cancelled`);
  try {
    await sleep(ms, undefined, { signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw new CancelledError(`wait of ${ms} ms cancelled`);
    throw e;
  }
}

/** Waits `ms` milliseconds (the issue calls it `wait`). */
export const timeWait = defineTask({
  id: 'time.wait',
  title: 'Wait',
  description: 'Waits `ms` milliseconds; a cancel ends the wait at once.',
  input: timeWaitInput,
  output: timeWaitOutput,
  idempotent: true,
  plan: (i) => [`wait ${i.ms} ms`],
  async run(ctx) {
    const started = performance.now();
    await abortableSleep(ctx.input.ms, ctx.signal);
    return { waitedMs: Math.round(performance.now() - started) };
  },
});
