// docker.inspect: what docker knows of a container (state, health, image, network, mounts), or that it does not exist.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { formatCommand } from '../support/format.js';
import { containerName, dockerCommand, inspectContainer, lastHealthLine, type ContainerInfo } from './support.js';

/** A container as the docker.* tasks report it. */
export const containerState = z.object({
  exists: z.boolean().describe('False when no container has this name (the other fields are then absent).'),
  id: z.string().optional().describe('The container id.'),
  name: z.string().describe('The container name.'),
  image: z.string().optional().describe('The image it was created from, as given (name:tag).'),
  status: z.string().optional().describe('created, running, paused, restarting, removing, exited or dead.'),
  running: z.boolean().optional().describe('Whether it runs.'),
  exitCode: z.number().int().optional().describe('The exit code of its last run.'),
  startedAt: z.string().optional().describe('When it last started.'),
  health: z.string().optional().describe('starting, healthy or unhealthy; absent without a healthcheck.'),
  healthLog: z.string().optional().describe('The last line of the newest health check.'),
  networkMode: z.string().optional().describe('host, none, default or a network name.'),
  restart: z.string().optional().describe('Its restart policy.'),
  labels: z.record(z.string(), z.string()).optional().describe('Its labels.'),
  mounts: z
    .array(
      z.object({
        source: z.string().describe('The host path.'),
        target: z.string().describe('The path in the container.'),
        readOnly: z.boolean().describe('Mounted read-only.'),
      }),
    )
    .optional()
    .describe('Its mounts.'),
});
export type ContainerState = z.infer<typeof containerState>;

/** The report of `info` (undefined: no such container). */
export function stateOf(name: string, info: ContainerInfo | undefined): ContainerState {
  if (!info) return { exists: false, name };
  const health = info.State.Health?.Status;
  const healthLog = lastHealthLine(info);
  return {
    exists: true,
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    status: info.State.Status,
    running: info.State.Running,
    exitCode: info.State.ExitCode,
    startedAt: info.State.StartedAt,
    ...(health ? { health } : {}),
    ...(healthLog ? { healthLog } : {}),
    ...(info.HostConfig.NetworkMode ? { networkMode: info.HostConfig.NetworkMode } : {}),
    ...(info.HostConfig.RestartPolicy?.Name ? { restart: info.HostConfig.RestartPolicy.Name } : {}),
    labels: info.Config.Labels ?? {},
    mounts: (info.Mounts ?? []).map((m) => ({ source: m.Source, target: m.Destination, readOnly: !m.RW })),
  };
}

/** Inspects a container (read only). */
export const dockerInspect = defineTask({
  id: 'docker.inspect',
  title: 'Inspect a container',
  description:
    'Reports a container as docker inspect sees it: status, health and its last check line, image, network mode, restart policy, labels, mounts. A missing container is `exists: false`, not a failure.',
  input: z.strictObject({ name: containerName }),
  output: containerState,
  idempotent: true,
  plan: (i) => [formatCommand(dockerCommand(), ['container', 'inspect', '--', i.name])],
  async run(ctx) {
    return stateOf(ctx.input.name, await inspectContainer(ctx, ctx.input.name));
  },
});
