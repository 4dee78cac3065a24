// vagrant.status: the machines of a Vagrantfile and their state, read from `vagrant status --machine-readable`.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { machineRows, vagrantDir, vagrantLine, readStatus, vagrantTarget } from './support.js';

const STATUS_TIMEOUT_MS = 5 * 60_000;

/** Reports the machines of a Vagrantfile (read only). */
export const vagrantStatus = defineTask({
  id: 'vagrant.status',
  title: 'Report Vagrant machines',
  description:
    "Lists the machines of a Vagrantfile with their provider and state (vagrant status --machine-readable, run in the Vagrantfile's folder): not_created, running, stopped, poweroff... A folder without a Vagrantfile is an error naming it. Read only.",
  input: z.strictObject({ dir: vagrantDir }),
  output: z.object({ machines: machineRows.describe('Every machine of the Vagrantfile, in its order.') }),
  idempotent: true,
  plan: (i) => [vagrantLine(i.dir, ['status', '--machine-readable'])],
  async run(ctx) {
    const t = await vagrantTarget(ctx, 'vagrant.status', ctx.input.dir, STATUS_TIMEOUT_MS);
    const machines = await readStatus(ctx, t);
    ctx.log.info(`${ctx.input.dir}: ${machines.map((m) => `${m.name} ${m.stateHuman} (${m.provider})`).join(', ')}`);
    return { machines };
  },
});
