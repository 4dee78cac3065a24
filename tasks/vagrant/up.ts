// vagrant.up: brings up one machine of a Vagrantfile, or all of them (vagrant up), its output streamed to the log;
// a running machine is left as it is. What it created (a machine vagrant had not created before the step) is what its
// rollback destroys: a machine that existed before the step is never destroyed by it.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import {
  exists,
  machineName,
  machineRows,
  selected,
  timeoutParam,
  vagrant,
  vagrantDir,
  vagrantLine,
  readStatus,
  vagrantTarget,
} from './support.js';

const input = z.strictObject({
  dir: vagrantDir,
  machine: machineName,
  provider: z
    .enum(['virtualbox', 'libvirt', 'docker'])
    .nullable()
    .optional()
    .describe("--provider: the provider of the machines it creates (absent: vagrant's default one)."),
  provision: z
    .boolean()
    .optional()
    .describe(
      'true: --provision (run the provisioners even on a machine created before); false: --no-provision; absent: vagrant provisions the machines it creates.',
    ),
  timeoutMs: timeoutParam(30 * 60_000, '30 minutes'),
});
type Input = z.output<typeof input>;

const upArgs = (i: Input) => [
  'up',
  ...(i.machine ? [i.machine] : []),
  ...(i.provider ? [`--provider=${i.provider}`] : []),
  ...(i.provision === true ? ['--provision'] : i.provision === false ? ['--no-provision'] : []),
];
const DESTROY_TIMEOUT_MS = 10 * 60_000;

/** Brings up machines of a Vagrantfile. */
export const vagrantUp = defineTask({
  id: 'vagrant.up',
  title: 'Bring up Vagrant machines',
  description:
    "Brings up one machine of a Vagrantfile, or all of them (vagrant up [<machine>] [--provider=<p>] [--provision|--no-provision]), in the Vagrantfile's folder, its output streamed to the log and killed (its process group) past `timeoutMs` or on cancel. `vagrant status --machine-readable` before and after tells which machines it created and which it started; a running machine is left as it is (idempotent). Rollback destroys (vagrant destroy -f) the machines this step created, never one that existed before it.",
  input,
  output: z.object({
    created: z
      .array(z.string())
      .describe('The machines this step created (not created before it): rollback destroys them.'),
    started: z.array(z.string()).describe('The machines that were not running before the step and are now.'),
    machines: machineRows,
  }),
  idempotent: true,
  plan: (i) => [
    vagrantLine(i.dir, ['status', '--machine-readable']),
    vagrantLine(i.dir, upArgs(i)),
    vagrantLine(i.dir, ['status', '--machine-readable']),
  ],
  async run(ctx) {
    const i = ctx.input;
    const t = await vagrantTarget(ctx, 'vagrant.up', i.dir, i.timeoutMs);
    const before = selected(t, await readStatus(ctx, t), i.machine);
    const started = performance.now();
    await vagrant(ctx, t, upArgs(i), { stream: true });
    const ms = Math.round(performance.now() - started);
    const machines = await readStatus(ctx, t);
    const now = new Map(machines.map((r) => [r.name, r]));
    const created = before.filter((r) => !exists(r) && now.get(r.name) && exists(now.get(r.name)!)).map((r) => r.name);
    const up = before.filter((r) => r.state !== 'running' && now.get(r.name)?.state === 'running').map((r) => r.name);
    ctx.log.info(
      `vagrant up ${i.machine ?? '(every machine)'} in ${i.dir}: ${ms} ms; ${
        created.length || up.length
          ? `created: ${created.join(', ') || 'none'}; started: ${up.join(', ') || 'none'}`
          : 'already up, nothing changed'
      }`,
    );
    return { created, started: up, machines };
  },
  async compensate(ctx) {
    const { created } = ctx.output;
    if (created.length === 0) return;
    const t = await vagrantTarget(ctx, 'vagrant.up', ctx.input.dir, DESTROY_TIMEOUT_MS);
    // only what this step created, named: a machine that existed before the step is not its to destroy
    await vagrant(ctx, t, ['destroy', '-f', ...created], { stream: true });
    ctx.log.info(`destroyed the machine(s) vagrant.up created in ${ctx.input.dir}: ${created.join(', ')}`);
  },
});
