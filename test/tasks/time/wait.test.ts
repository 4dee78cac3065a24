// time.wait: sleeps for the given time and stops at once when the step is cancelled.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../engine/index.js';
import { timeWait } from '../../../tasks/time/wait.js';
import { contextFor, rejection, runTask } from '../context.js';

const root = '/nonexistent';

describe('time.wait', () => {
  it('waits the given number of milliseconds', async () => {
    const out = await runTask(timeWait, { ms: 50 }, { root });
    expect(out.waitedMs).toBeGreaterThanOrEqual(45);
  });

  it('rejects with a cancellation as soon as the signal aborts', async () => {
    const { ctx, controller } = contextFor(timeWait, { ms: 30_000 }, { root });
    const started = Date.now();
    const waiting = rejection(timeWait.run(ctx));
    setTimeout(() => controller.abort(), 20);
    const err = await waiting;
    expect(err.code).toBe(ErrorCode.Cancelled);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('does not start when already cancelled', async () => {
    const { ctx, controller } = contextFor(timeWait, { ms: 10 }, { root });
    controller.abort();
    await expect(timeWait.run(ctx)).rejects.toMatchObject({ code: ErrorCode.Cancelled });
  });
});
