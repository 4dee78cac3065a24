// vagrant.halt, vagrant.destroy: stop or remove one machine of a Vagrantfile, or all of them, each safe to run again
// (halting a stopped machine, destroying one that is not created are no-ops). Neither is undone on rollback: a halted
// machine is brought up by vagrant.up, a destroyed one cannot come back.
import { z } from 'zod';
import { defineTask, ErrorCode, TaskError } from '../../engine/index.js';
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
  timeoutMs: timeoutParam(10 * 60_000, '10 minutes'),
});
const args = (verb: string[], machine: string | undefined) => [...verb, ...(machine ? [machine] : [])];

/** Stops machines of a Vagrantfile. */
export const vagrantHalt = defineTask({
  id: 'vagrant.halt',
  title: 'Stop Vagrant machines',
  description:
    "Stops one machine of a Vagrantfile, or all of them (vagrant halt [<machine>]), in the Vagrantfile's folder, its output streamed to the log and killed past `timeoutMs` or on cancel. A stopped or not created machine is left as it is (idempotent). Outputs the machines it stopped and every machine's state after (vagrant status --machine-readable). Not undone on rollback.",
  input,
  output: z.object({
    halted: z.array(z.string()).describe('The machines that were running before the step and are not now.'),
    machines: machineRows,
  }),
  idempotent: true,
  plan: (i) => [
    vagrantLine(i.dir, ['status', '--machine-readable']),
    vagrantLine(i.dir, args(['halt'], i.machine)),
    vagrantLine(i.dir, ['status', '--machine-readable']),
  ],
  async run(ctx) {
    const i = ctx.input;
    const t = await vagrantTarget(ctx, 'vagrant.halt', i.dir, i.timeoutMs);
    const before = selected(t, await readStatus(ctx, t), i.machine);
    await vagrant(ctx, t, args(['halt'], i.machine), { stream: true });
    const machines = await readStatus(ctx, t);
    const now = new Map(machines.map((r) => [r.name, r.state]));
    const halted = before.filter((r) => r.state === 'running' && now.get(r.name) !== 'running').map((r) => r.name);
    ctx.log.info(`vagrant halt ${i.machine ?? '(every machine)'} in ${i.dir}: stopped ${halted.join(', ') || 'none'}`);
    return { halted, machines };
  },
});

/** Destroys machines of a Vagrantfile. */
export const vagrantDestroy = defineTask({
  id: 'vagrant.destroy',
  title: 'Destroy Vagrant machines',
  description:
    "Destroys one machine of a Vagrantfile, or all of them (vagrant destroy -f [<machine>]): its container or VM and its disks are removed, the Vagrantfile stays. Runs in the Vagrantfile's folder, its output streamed to the log and killed past `timeoutMs` or on cancel. A machine not created is fine (idempotent): when none of them is, vagrant destroy does not even run. Outputs the machines it destroyed and every machine's state after (vagrant status --machine-readable). Cannot be undone.",
  input: input.extend({
    ifPresent: z
      .boolean()
      .default(false)
      .describe('true: a folder without a Vagrantfile (or no folder) has nothing to destroy, instead of an error.'),
  }),
  output: z.object({
    destroyed: z.array(z.string()).describe('The machines that existed before the step and do not now.'),
    machines: machineRows,
  }),
  idempotent: true,
  plan: (i) => [
    vagrantLine(i.dir, ['status', '--machine-readable']),
    vagrantLine(i.dir, args(['destroy', '-f'], i.machine)),
    vagrantLine(i.dir, ['status', '--machine-readable']),
  ],
  async run(ctx) {
    const i = ctx.input;
    let t;
    try {
      t = await vagrantTarget(ctx, 'vagrant.destroy', i.dir, i.timeoutMs);
    } catch (e) {
      if (!(i.ifPresent && e instanceof TaskError && e.code === ErrorCode.NotFound)) throw e;
      ctx.log.info(`${i.dir} has no Vagrantfile: nothing to destroy`);
      return { destroyed: [], machines: [] };
    }
    const all = await readStatus(ctx, t);
    const before = selected(t, all, i.machine);
    if (!before.some(exists)) {
      ctx.log.info(`vagrant destroy ${i.machine ?? '(every machine)'} in ${i.dir}: nothing to destroy (not created)`);
      return { destroyed: [], machines: all };
    }
    await vagrant(ctx, t, args(['destroy', '-f'], i.machine), { stream: true });
    const machines = await readStatus(ctx, t);
    const now = new Map(machines.map((r) => [r.name, r]));
    const destroyed = before.filter((r) => exists(r) && !exists(now.get(r.name) ?? r)).map((r) => r.name);
    ctx.log.info(
      `vagrant destroy ${i.machine ?? '(every machine)'} in ${i.dir}: destroyed ${destroyed.join(', ') || 'none'}`,
    );
    return { destroyed, machines };
  },
});
