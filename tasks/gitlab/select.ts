// gitlab.select: the inventory records a workflow works on: one instance, which must exist and be active, or every
// active one (`all`); a missing or inactive instance is a clear error naming it.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { instanceRecord, listInstances, storeOf } from './inventory.js';

/** Selects instances of the inventory. */
export const gitlabSelect = defineTask({
  id: 'gitlab.select',
  title: 'Select instances',
  description:
    'Reads the inventory: `all` gives every active instance (by number; none is an error), a name gives that instance, which must exist and be active (else an error naming it and its state, or the instances there are).',
  input: z.strictObject({
    instance: z
      .string()
      .regex(/^(all|[a-z0-9][a-z0-9-]{0,39})$/, 'an instance name or all')
      .describe('An instance name, or `all` for every active instance.'),
  }),
  output: z.object({
    instances: z.array(instanceRecord).describe('Their records, by number.'),
  }),
  idempotent: true,
  plan: (i) => [
    i.instance === 'all'
      ? 'read every active instance of the inventory'
      : `read instance ${i.instance} of the inventory`,
  ],
  async run(ctx) {
    const { instance } = ctx.input;
    const all = (await listInstances(storeOf(ctx))).sort((a, b) => a.number - b.number);
    if (instance === 'all') {
      const active = all.filter((r) => r.state === 'active');
      if (!active.length)
        throw new TaskError(
          `no active instance in the inventory${all.length ? ` (${all.map((r) => `${r.name}: ${r.state}`).join(', ')})` : ''}`,
        );
      return { instances: active };
    }
    const rec = all.find((r) => r.name === instance);
    if (!rec)
      throw new TaskError(
        `no instance ${instance} in the inventory${all.length ? ` (it has ${all.map((r) => r.name).join(', ')})` : ' (it is empty)'}`,
        { name: instance },
      );
    if (rec.state !== 'active')
      throw new TaskError(`instance ${instance} is ${rec.state}, not active`, { name: instance, state: rec.state });
    return { instances: [rec] };
  },
});
