// gitlab.purge: forgets the record of a decommissioned instance, so that its name (and number) can be used again; deletes
// nothing on disk (its folder and backups stay). Rollback puts the record back.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import {
  getInstance,
  instanceKey,
  instanceName,
  instanceRecord,
  putInstance,
  storeOf,
  withInventory,
} from './inventory.js';

/** Deletes a decommissioned instance's record. */
export const gitlabPurge = defineTask({
  id: 'gitlab.purge',
  title: 'Purge a decommissioned instance record',
  description:
    'Under the inventory lock, deletes the record of a decommissioned instance: its name and number are free again. Nothing on disk is deleted (its folder and bckups/ stay where they are). An unknown instance, or one not decommissioned, is refused. Rollback puts the record back unless the name was taken meanwhile.',
  input: z.strictObject({ name: instanceName }),
  output: z.object({
    record: instanceRecord.describe('The record deleted.'),
    kept: z.string().describe('The instance folder, left on disk with its backups.'),
  }),
  idempotent: false,
  plan: (i) => [`delete the record of decommissioned instance ${i.name} (nothing on disk)`],
  async run(ctx) {
    const store = storeOf(ctx);
    const { name } = ctx.input;
    return withInventory(store, async () => {
      const rec = await getInstance(store, name);
      if (!rec) throw new TaskError(`no instance ${name} in the GitLab inventory`, { name });
      if (rec.state !== 'decommissioned')
        throw new TaskError(
          `instance ${name} is ${rec.state}: only a decommissioned instance is purged (gitlab:decommission --param instance=${name} first)`,
          { name, state: rec.state },
        );
      await store.delete(instanceKey(name));
      ctx.log.info(`forgot instance ${name}; ${rec.dir} and its backups are kept on disk`);
      return { record: rec, kept: rec.dir };
    });
  },
  async compensate(ctx) {
    const store = storeOf(ctx);
    await withInventory(store, async () => {
      const now = await getInstance(store, ctx.output.record.name);
      if (now)
        throw new TaskError(`instance name ${now.name} is used again (${now.state}): its purged record stays purged`);
      await putInstance(store, ctx.output.record);
    });
  },
});
