// gitlab.check-instance: the instance a restore goes into, before anything changes: its record, its folder as
// gitlab:adopt checks it, and no volumes an earlier restore left aside. Read only.
import { readdir } from 'node:fs/promises';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { getInstance, instanceName, storeOf } from './inventory.js';
import { ASIDE_PREFIX, checkInstanceDir, DROP_PREFIX, STAGING_PREFIX } from './support-restore.js';

/** Checks the instance a restore goes into. */
export const gitlabCheckInstance = defineTask({
  id: 'gitlab.check-instance',
  title: 'Check the instance a restore goes into',
  description:
    "Reads the instance's record (refused unless active) and checks its folder as gitlab:adopt does (mapping-volumes/{data,config,log}); refuses when an earlier restore left volumes aside (mapping-volumes.aside-*, .restore-*): a person must look first. Outputs what the restore steps need. Changes nothing.",
  input: z.strictObject({ name: instanceName.describe('The instance the backup goes into.') }),
  output: z.object({
    name: z.string().describe('The instance name.'),
    container: z.string().describe('Its container.'),
    dir: z.string().describe('Its folder.'),
    config: z.string().describe('Its config volume folder (/etc/gitlab).'),
    ip: z.string().describe('Its address.'),
    url: z.string().describe('Its external URL.'),
    network: z.enum(['host', 'publish']).describe('Its network mode.'),
    listen: z
      .string()
      .nullable()
      .describe("The address nginx listens on (host network), for gitlab.rb's nginx['listen_addresses']; else null."),
    image: z.string().describe('Its image.'),
  }),
  idempotent: true,
  plan: (i) => [`check instance ${i.name}: record, mapping-volumes/{data,config,log}, nothing left aside`],
  async run(ctx) {
    const { name } = ctx.input;
    const rec = await getInstance(storeOf(ctx), name);
    if (!rec) throw new TaskError(`no instance ${name} in the inventory`, { name });
    if (rec.state !== 'active')
      throw new TaskError(`instance ${name} is ${rec.state}: only an active instance is restored into`, {
        name,
        state: rec.state,
      });
    await checkInstanceDir(rec.dir, name);
    const left = (await readdir(rec.dir)).filter(
      (n) => n.startsWith(ASIDE_PREFIX) || n.startsWith(STAGING_PREFIX) || n.startsWith(DROP_PREFIX),
    );
    if (left.length)
      throw new TaskError(
        `instance ${name}: an earlier restore left ${left.join(', ')} in ${rec.dir}: look at it (gravity runs --workflow gitlab:restore) before restoring again`,
        { name, left },
      );
    return {
      name,
      container: rec.container,
      dir: rec.dir,
      config: `${rec.dir}/mapping-volumes/config`,
      ip: rec.ip,
      url: rec.url,
      network: rec.network,
      listen: rec.network === 'host' ? rec.ip : null,
      image: rec.image,
    };
  },
});
