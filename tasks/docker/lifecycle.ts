// docker.stop, docker.start, docker.rm: a container's lifecycle, each safe to run again (stopping a stopped container,
// starting a running one, removing a missing one are no-ops), stop and start undoing each other on rollback.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { formatCommand } from '../support/format.js';
import { containerName, docker, dockerCommand, inspectContainer } from './support.js';

const changed = z.object({
  name: z.string().describe('The container.'),
  wasRunning: z.boolean().describe('Whether the container was running before the step.'),
});

/** Stops a container (SIGTERM, then SIGKILL after the grace period). */
export const dockerStop = defineTask({
  id: 'docker.stop',
  title: 'Stop a container',
  description:
    'Stops a container (docker stop: SIGTERM, then SIGKILL after `graceSeconds`, default 10). A stopped one stays stopped (no-op). Rollback starts it again if it was running.',
  input: z.strictObject({
    name: containerName,
    graceSeconds: z.number().int().min(0).max(3600).default(10).describe('Seconds between SIGTERM and SIGKILL.'),
  }),
  output: changed,
  idempotent: true,
  plan: (i) => [formatCommand(dockerCommand(), ['container', 'stop', '--time', String(i.graceSeconds), '--', i.name])],
  async run(ctx) {
    const { name, graceSeconds } = ctx.input;
    const info = await inspectContainer(ctx, name);
    if (!info) throw new TaskError(`container ${name} does not exist`, { name });
    if (info.State.Running || info.State.Status === 'restarting')
      await docker(ctx, ['container', 'stop', '--time', String(graceSeconds), '--', name], {
        timeoutMs: (graceSeconds + 60) * 1000,
      });
    return { name, wasRunning: info.State.Running };
  },
  async compensate(ctx) {
    if (ctx.output.wasRunning) await docker(ctx, ['container', 'start', '--', ctx.output.name]);
  },
});

/** Starts a stopped container. */
export const dockerStart = defineTask({
  id: 'docker.start',
  title: 'Start a container',
  description:
    'Starts a stopped container (docker start); a running one is left as it is (no-op). Rollback stops it again if it was stopped.',
  input: z.strictObject({ name: containerName }),
  output: changed,
  idempotent: true,
  plan: (i) => [formatCommand(dockerCommand(), ['container', 'start', '--', i.name])],
  async run(ctx) {
    const { name } = ctx.input;
    const info = await inspectContainer(ctx, name);
    if (!info) throw new TaskError(`container ${name} does not exist`, { name });
    if (!info.State.Running) await docker(ctx, ['container', 'start', '--', name]);
    return { name, wasRunning: info.State.Running };
  },
  async compensate(ctx) {
    if (!ctx.output.wasRunning) await docker(ctx, ['container', 'stop', '--', ctx.output.name]);
  },
});

/** Removes a container. */
export const dockerRm = defineTask({
  id: 'docker.rm',
  title: 'Remove a container',
  description:
    'Removes a container (docker rm; `force` stops a running one first). Its bind-mounted folders are never touched; anonymous volumes only with `volumes: true`. A missing container is a no-op unless `missingOk: false`. Cannot be undone.',
  input: z.strictObject({
    name: containerName,
    force: z.boolean().default(false).describe('Remove it even when it runs (SIGKILL).'),
    volumes: z.boolean().default(false).describe('Remove its anonymous volumes too.'),
    missingOk: z.boolean().default(true).describe('A container that does not exist is not an error.'),
  }),
  output: z.object({
    name: z.string().describe('The container.'),
    removed: z.boolean().describe('False when there was no such container.'),
    containerId: z.string().optional().describe('The id of the container removed.'),
  }),
  idempotent: true,
  plan: (i) => [
    formatCommand(dockerCommand(), [
      'container',
      'rm',
      ...(i.force ? ['--force'] : []),
      ...(i.volumes ? ['--volumes'] : []),
      '--',
      i.name,
    ]),
  ],
  async run(ctx) {
    const { name, force, volumes, missingOk } = ctx.input;
    const info = await inspectContainer(ctx, name);
    if (!info) {
      if (missingOk) return { name, removed: false };
      throw new TaskError(`container ${name} does not exist`, { name });
    }
    if (info.State.Running && !force)
      throw new TaskError(`container ${name} is running: stop it first, or remove it with force: true`, { name });
    await docker(ctx, [
      'container',
      'rm',
      ...(force ? ['--force'] : []),
      ...(volumes ? ['--volumes'] : []),
      '--',
      name,
    ]);
    return { name, removed: true, containerId: info.Id };
  },
});
