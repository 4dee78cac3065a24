// docker.wait-healthy: polls a container until its healthcheck says healthy (or, without one, it runs), bounded in time
// and count; a timeout says the last health check line, a container that stopped says its exit code and last logs.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineTask, ErrorCode, TaskError } from '../../engine/index.js';
import { lastLines } from '../support/format.js';
import { containerName, docker, inspectContainer, lastHealthLine } from './support.js';
import { containerState, stateOf } from './inspect.js';

/** Waits for a container to be healthy. */
export const dockerWaitHealthy = defineTask({
  id: 'docker.wait-healthy',
  title: 'Wait until a container is healthy',
  description:
    'Polls docker inspect every `intervalMs` until the container is healthy (its HEALTHCHECK passes), or, for an image without a healthcheck, running. Fails at once when the container stops (with its exit code and last log lines), and after `timeoutMs` (default 10 minutes) with the last health check line.',
  input: z.strictObject({
    name: containerName,
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(24 * 3_600_000)
      .default(600_000)
      .describe('How long to wait at most (default 10 minutes).'),
    intervalMs: z.number().int().min(50).max(60_000).default(1000).describe('Time between two checks.'),
  }),
  output: containerState,
  idempotent: true,
  plan: (i) => [`wait until container ${i.name} is healthy (at most ${Math.round(i.timeoutMs / 1000)} s)`],
  async run(ctx) {
    const { name, timeoutMs, intervalMs } = ctx.input;
    const deadline = Date.now() + timeoutMs;
    const maxChecks = Math.ceil(timeoutMs / intervalMs) + 1;
    let info;
    for (let check = 1; check <= maxChecks; check++) {
      info = await inspectContainer(ctx, name);
      if (!info) throw new TaskError(`container ${name} does not exist`, { name });
      const health = info.State.Health?.Status;
      if (health === 'healthy' || (!health && info.State.Running)) return stateOf(name, info);
      if (!info.State.Running && info.State.Status !== 'restarting' && info.State.Status !== 'created') {
        const logs = await docker(ctx, ['container', 'logs', '--tail', '20', '--', name], { allowFailure: true });
        throw new TaskError(
          `container ${name} stopped (${info.State.Status}, exit code ${info.State.ExitCode}) before it was healthy${
            logs.stdout.trim() || logs.stderr.trim()
              ? `; its last lines: ${lastLines((logs.stdout + logs.stderr).trim(), 5)}`
              : ''
          }`,
          { name, exitCode: info.State.ExitCode },
        );
      }
      if (Date.now() + intervalMs > deadline) break;
      await sleep(intervalMs, undefined, { signal: ctx.signal });
    }
    const last = lastHealthLine(info);
    throw new TaskError(
      `container ${name} was not healthy after ${Math.round(timeoutMs / 1000)} s (health: ${info?.State.Health?.Status ?? 'none'}${last ? `; last check: ${last}` : ''})`,
      { name, ...(last ? { lastCheck: last } : {}) },
      ErrorCode.Timeout,
    );
  },
});
