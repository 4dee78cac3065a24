// docker.run: creates and starts a container (detached), labelled with the run and step that made it, so that a step
// run again after a crash adopts its own container instead of failing on the name; rollback removes it.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { formatCommand, quoteArg } from '../support/format.js';
import { resolvePath } from '../support/paths.js';
import { containerName, docker, dockerCommand, hostPath, imageRef, inspectContainer } from './support.js';

/** The labels a container made by docker.run carries: which run and step made it. */
export const RUN_LABEL = 'org.gravity.run';
export const STEP_LABEL = 'org.gravity.step';

const PUBLISH = /^(\d{1,3}(\.\d{1,3}){3}:)?\d{1,5}:\d{1,5}(\/(tcp|udp))?$/;

const input = z.strictObject({
  image: imageRef,
  name: containerName.describe('The container name (must not be in use by a container another run or step made).'),
  hostname: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}$/, 'a host name')
    .optional()
    .describe('Its host name.'),
  network: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'a network name such as host, none or bridge')
    .nullable()
    .optional()
    .describe('--network: host (the container shares the host network), none, or a network name.'),
  publish: z
    .array(z.string().regex(PUBLISH, 'IP:hostPort:containerPort[/tcp|udp], e.g. 10.0.0.5:443:443'))
    .optional()
    .describe('--publish IP:hostPort:containerPort (not with network host).'),
  volumes: z
    .array(
      z.strictObject({
        source: hostPath.describe('The host folder (relative paths from the run root); it must exist.'),
        target: z
          .string()
          .regex(/^\/[^,\n\0]*$/, 'an absolute path in the container, without commas')
          .describe('Where it is mounted in the container.'),
        readOnly: z.boolean().optional().describe('Mount it read-only.'),
      }),
    )
    .optional()
    .describe('Bind mounts (--mount type=bind).'),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name'), z.string())
    .optional()
    .describe('Environment variables of the container.'),
  restart: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).optional().describe('Restart policy.'),
  shmSize: z
    .string()
    .regex(/^\d+[bkmg]?$/, 'a size such as 256m')
    .optional()
    .describe('--shm-size (GitLab wants 256m).'),
  labels: z.record(z.string().min(1), z.string()).optional().describe('Labels set on the container.'),
  command: z.array(z.string()).optional().describe('The command and its arguments, instead of the image default.'),
  health: z
    .strictObject({
      command: z
        .array(z.string().refine((a) => !/[\n\0]/.test(a), 'an argument without newline'))
        .min(1)
        .describe(
          "The check and its arguments, each quoted for the container's sh (Docker runs it as CMD-SHELL); exit 0 is healthy.",
        ),
      intervalMs: z.number().int().min(1000).optional().describe('Time between checks (--health-interval).'),
      timeoutMs: z.number().int().min(1000).optional().describe('How long one check may take (--health-timeout).'),
      startPeriodMs: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe('Time to start during which failures do not count (--health-start-period).'),
      retries: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe('Failures in a row that make it unhealthy (--health-retries).'),
    })
    .nullable()
    .optional()
    .describe(
      "A health check instead of the image's own (e.g. GitLab's checks localhost, which a host-network instance listening on its own address does not answer).",
    ),
});
type Input = z.output<typeof input>;

/**
 * docker run's health options. The docker CLI hands `--health-cmd` to the container's shell (CMD-SHELL), so the check,
 * given as arguments, is joined with each one quoted for sh: no argument can become shell syntax.
 */
function healthArgs(h: NonNullable<Input['health']>): string[] {
  const ms = (n: number) => `${n}ms`;
  return [
    '--health-cmd',
    h.command.map(quoteArg).join(' '),
    ...(h.intervalMs !== undefined ? ['--health-interval', ms(h.intervalMs)] : []),
    ...(h.timeoutMs !== undefined ? ['--health-timeout', ms(h.timeoutMs)] : []),
    ...(h.startPeriodMs !== undefined ? ['--health-start-period', ms(h.startPeriodMs)] : []),
    ...(h.retries !== undefined ? ['--health-retries', String(h.retries)] : []),
  ];
}

const args = (i: Input, root: string, labels: Record<string, string>) => {
  if (i.network === 'host' && i.publish?.length)
    throw new TaskError(
      `docker.run ${i.name}: publish does not go with network host (the container uses the host's ports)`,
    );
  return [
    'run',
    '--detach',
    '--name',
    i.name,
    ...(i.hostname ? ['--hostname', i.hostname] : []),
    ...(i.network ? ['--network', i.network] : []),
    ...(i.publish ?? []).flatMap((p) => ['--publish', p]),
    ...(i.volumes ?? []).flatMap((v) => [
      '--mount',
      `type=bind,source=${resolvePath(root, v.source)},target=${v.target}${v.readOnly ? ',readonly' : ''}`,
    ]),
    ...Object.entries(i.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ...(i.restart ? ['--restart', i.restart] : []),
    ...(i.shmSize ? ['--shm-size', i.shmSize] : []),
    ...Object.entries({ ...i.labels, ...labels }).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    ...(i.health ? healthArgs(i.health) : []),
    '--',
    i.image,
    ...(i.command ?? []),
  ];
};

/** Creates and starts a container. */
export const dockerRun = defineTask({
  id: 'docker.run',
  title: 'Run a container',
  description:
    'Creates and starts a container, detached (docker run --detach): image, name, host name, network (host, none, a network) or published ports (IP:host:container), bind mounts, environment, restart policy, labels, command, a health check of its own. It is labelled with the run and step that made it: run again after a crash, the step adopts that container (starting it if it stopped) instead of failing on the name; a container of that name made otherwise is refused. Rollback removes it (docker rm -f), if it is still the one the step made.',
  input,
  output: z.object({
    containerId: z.string().describe('The container id.'),
    name: z.string().describe('The container name.'),
    adopted: z.boolean().describe('True when the container existed already, made by this step before a crash.'),
  }),
  idempotent: true,
  timeoutMs: 10 * 60_000,
  plan: (i) => [formatCommand(dockerCommand(), args(i, '.', { [RUN_LABEL]: '<run>', [STEP_LABEL]: '<step>' }))],
  async run(ctx) {
    const i = ctx.input;
    const existing = await inspectContainer(ctx, i.name);
    if (existing) {
      const labels = existing.Config.Labels ?? {};
      if (labels[RUN_LABEL] !== ctx.runId || labels[STEP_LABEL] !== ctx.stepId)
        throw new TaskError(
          `a container named ${i.name} exists already${labels[RUN_LABEL] ? ` (made by run ${labels[RUN_LABEL]}, step ${labels[STEP_LABEL]})` : ''}: remove it or choose another name`,
          { name: i.name, containerId: existing.Id },
        );
      if (!existing.State.Running) await docker(ctx, ['container', 'start', '--', i.name]);
      ctx.log.info(`adopted container ${i.name} (${existing.Id.slice(0, 12)}), made by this step before`);
      return { containerId: existing.Id, name: i.name, adopted: true };
    }
    const r = await docker(ctx, args(i, ctx.root, { [RUN_LABEL]: ctx.runId, [STEP_LABEL]: ctx.stepId }), {
      stream: true,
    });
    const containerId = r.stdout.trim().split('\n').pop() ?? '';
    return { containerId, name: i.name, adopted: false };
  },
  async compensate(ctx) {
    const info = await inspectContainer(ctx, ctx.output.name);
    if (!info) return;
    if (info.Id !== ctx.output.containerId) {
      ctx.log.warn(
        `container ${ctx.output.name} is not the one this step made (${ctx.output.containerId.slice(0, 12)}): kept`,
      );
      return;
    }
    await docker(ctx, ['container', 'rm', '--force', '--', ctx.output.name]);
  },
});
