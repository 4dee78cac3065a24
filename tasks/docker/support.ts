// The docker CLI for the docker.* task nodes: argument arrays through the step's exec (DOCKER_HOST honoured, the whole
// process group killed on cancel), names checked before they become arguments, JSON read from `--format '{{json .}}'`.
import { z } from 'zod';
import { ErrorCode, TaskError, type TaskContext } from '../../engine/index.js';
import { formatCommand, lastLines } from '../support/format.js';

/** The docker CLI (overridable for tests and odd installs with GRAVITY_DOCKER). */
export const dockerCommand = () => process.env.GRAVITY_DOCKER ?? 'docker';

/** Docker's own rule for container names (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`), at most 128 characters. */
export const containerName = z
  .string()
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/,
    'a container name: letters, digits, _ . - (not first), at most 128 characters',
  )
  .describe('The container (its name, as docker ps shows it).');

/** An image reference (`name[:tag][@digest]`, with a registry host); never starts with `-` (it would be an option). */
export const imageRef = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._/:-]*(@sha256:[a-f0-9]{64})?$|^sha256:[a-f0-9]{64}$/,
    'an image reference such as gitlab/gitlab-ce:17.5.1-ce.0 (lower-case name, optional :tag or @sha256:digest)',
  )
  .max(255)
  .describe('The image: name[:tag] or an image id.');

/** An absolute host path given to docker: no comma (it would split a --mount value), no newline. */
export const hostPath = z
  .string()
  .min(1)
  .refine((p) => !/[,\n\0]/.test(p), 'a path without commas or newlines (docker --mount cannot take them)');

/** What a failed docker command says: the command, its exit code and the end of what it printed. */
export function dockerFailure(
  args: readonly string[],
  r: { exitCode: number; stdout: string; stderr: string },
  details?: Record<string, unknown>,
): TaskError {
  const said = lastLines(r.stderr.trim() || r.stdout.trim(), 5);
  return new TaskError(
    `${formatCommand(dockerCommand(), args)} failed with exit code ${r.exitCode}${said ? `: ${said}` : ''}`,
    { exitCode: r.exitCode, ...details },
  );
}

/** Runs `docker <args>` for a task: returns its result; a non-zero exit throws (unless `allowFailure`). */
export async function docker(
  ctx: Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log'>,
  args: string[],
  o: { input?: string; allowFailure?: boolean; stream?: boolean; timeoutMs?: number } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await ctx.exec(dockerCommand(), args, {
    signal: ctx.signal,
    input: o.input,
    timeoutMs: o.timeoutMs,
    ...(o.stream
      ? { onStdout: (c: string) => ctx.log.stream('stdout', c), onStderr: (c: string) => ctx.log.stream('stderr', c) }
      : {}),
  });
  if (r.timedOut)
    throw new TaskError(
      `${formatCommand(dockerCommand(), args)} timed out after ${o.timeoutMs} ms`,
      {},
      ErrorCode.Timeout,
    );
  if (r.exitCode !== 0 && !o.allowFailure) throw dockerFailure(args, r);
  return r;
}

/** True when docker said that the object does not exist (`No such container`, `No such object`, `not found`). */
export function isMissing(stderr: string): boolean {
  return /no such (container|object|image)|not found/i.test(stderr);
}

/** The container's state as `docker inspect` tells it (the fields the tasks use). */
export interface ContainerInfo {
  Id: string;
  Name: string;
  Created: string;
  Config: { Image: string; Hostname?: string; Labels?: Record<string, string> | null; Healthcheck?: unknown };
  Image: string;
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string; FailingStreak?: number; Log?: Array<{ ExitCode: number; Output: string; End: string }> };
  };
  HostConfig: {
    NetworkMode?: string;
    RestartPolicy?: { Name?: string };
    PortBindings?: Record<string, unknown> | null;
  };
  Mounts?: Array<{ Type: string; Source: string; Destination: string; RW: boolean }>;
}

/** `docker inspect` of a container, or undefined when there is none of that name. */
export async function inspectContainer(
  ctx: Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log'>,
  name: string,
): Promise<ContainerInfo | undefined> {
  const args = ['container', 'inspect', '--format', '{{json .}}', '--', name];
  const r = await docker(ctx, args, { allowFailure: true });
  if (r.exitCode !== 0) {
    if (isMissing(r.stderr)) return undefined;
    throw dockerFailure(args, r);
  }
  try {
    return JSON.parse(r.stdout) as ContainerInfo;
  } catch {
    throw new TaskError(`docker inspect ${name} printed something that is not JSON: ${lastLines(r.stdout, 2)}`);
  }
}

/** The last line of the newest health check output, for messages. */
export function lastHealthLine(info: ContainerInfo | undefined): string | undefined {
  const log = info?.State.Health?.Log ?? [];
  const last = log[log.length - 1];
  if (!last) return undefined;
  const lines = last.Output.trim().split('\n');
  return `${lines[lines.length - 1]} (exit ${last.ExitCode})`;
}
