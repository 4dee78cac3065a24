// gitlab.update: changes an instance record (its state, its last backup) under the inventory's lock; rollback puts the
// record back as it was.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import {
  backupRef,
  getInstance,
  instanceName,
  instanceRecord,
  instanceState,
  putInstance,
  storeOf,
  withInventory,
} from './inventory.js';

/** Changes an instance record. */
export const gitlabUpdate = defineTask({
  id: 'gitlab.update',
  title: 'Update an instance record',
  description:
    'Sets the state of an instance record (active, failed, decommissioned) and/or its last backup, under the inventory lock. `expect` refuses the change unless the record is in one of those states. Rollback restores the record as it was before the step.',
  input: z.strictObject({
    name: instanceName,
    state: instanceState.optional().describe('The state it gets.'),
    lastBackup: backupRef.optional().describe('Its last backup.'),
    expect: z.array(instanceState).optional().describe('Refuse unless the record is in one of these states.'),
  }),
  output: z.object({
    record: instanceRecord.describe('The record as it is now.'),
    previous: instanceRecord.describe('The record as it was before.'),
  }),
  idempotent: true,
  plan: (i) => [
    `set instance ${i.name}${i.state ? ` state ${i.state}` : ''}${i.lastBackup ? ` last backup ${i.lastBackup.id}` : ''}`,
  ],
  async run(ctx) {
    const store = storeOf(ctx);
    const { name, state, lastBackup, expect } = ctx.input;
    return withInventory(store, async () => {
      const previous = await getInstance(store, name);
      if (!previous) throw new TaskError(`no instance ${name} in the inventory`, { name });
      if (expect && !expect.includes(previous.state) && previous.state !== state)
        throw new TaskError(`instance ${name} is ${previous.state}, not ${expect.join(' or ')}`, {
          name,
          state: previous.state,
        });
      const record = await putInstance(store, {
        ...previous,
        ...(state ? { state } : {}),
        ...(lastBackup ? { lastBackup } : {}),
      });
      return { record, previous };
    });
  },
  async compensate(ctx) {
    const store = storeOf(ctx);
    await withInventory(store, () => putInstance(store, ctx.output.previous));
  },
});
