// gitlab.get: an instance's record, read before a workflow acts on it (decommission), refusing an unknown instance or one
// in a state the workflow cannot act on, with the name and what to do instead.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { getInstance, instanceName, instanceRecord, instanceState, storeOf } from './inventory.js';

/** Reads an instance record. */
export const gitlabGet = defineTask({
  id: 'gitlab.get',
  title: 'Read an instance record',
  description:
    'Outputs the inventory record of an instance. An unknown name fails, naming it; with `expect`, so does a record in another state (a decommissioned one says how to purge it). Reads only.',
  input: z.strictObject({
    name: instanceName,
    expect: z
      .array(instanceState)
      .optional()
      .describe('Fail unless the record is in one of these states (absent: any state).'),
  }),
  output: instanceRecord,
  idempotent: true,
  plan: (i) => [`read the record of instance ${i.name}${i.expect ? ` (${i.expect.join(' or ')})` : ''}`],
  async run(ctx) {
    const { name, expect } = ctx.input;
    const rec = await getInstance(storeOf(ctx), name);
    if (!rec)
      throw new TaskError(`no instance ${name} in the GitLab inventory (gravity run gitlab:list lists them)`, { name });
    if (expect && !expect.includes(rec.state))
      throw new TaskError(
        rec.state === 'decommissioned'
          ? `instance ${name} is decommissioned already (since ${rec.updatedAt}); --param purge=true forgets its record`
          : `instance ${name} is ${rec.state}, not ${expect.join(' or ')}`,
        { name, state: rec.state },
      );
    return rec;
  },
});
