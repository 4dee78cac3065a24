// apache.remove-vhosts: removes the virtual hosts file of one environment, the other environments' files untouched;
// rollback puts it back.
import { rm } from 'node:fs/promises';
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { dnsLabel } from '../env/model.js';
import { absolute, install, readIfExists, withFileLease } from '../support/config-file.js';
import { sitesDirField, vhostsFile } from './support.js';

/** Removes one environment's virtual hosts file. */
export const apacheRemoveVhosts = defineTask({
  id: 'apache.remove-vhosts',
  title: "Remove an environment's virtual hosts",
  description:
    'Removes <sitesDir>/<platform>-<env>.conf (the file apache.vhosts writes); every other file is left as it is. No such file: nothing changes. Apache serves the environment until it is reloaded (apache.reload). Rollback puts the file back, unless one is there again.',
  input: z.strictObject({
    platform: dnsLabel('platform'),
    env: dnsLabel('env').describe('The environment: a ticket id such as 1161.'),
    sitesDir: sitesDirField,
  }),
  output: z.object({
    file: z.string().describe('The virtual hosts file (absolute).'),
    previous: z.string().nullable().describe('The text of the file removed; null when there was none.'),
  }),
  idempotent: true,
  plan: (i) => [`remove ${vhostsFile(i.sitesDir, i)}, if it exists`],
  async run(ctx) {
    const file = vhostsFile(absolute(ctx.root, ctx.input.sitesDir), ctx.input);
    return withFileLease(ctx, file, async () => {
      const previous = await readIfExists(file);
      if (previous === null) ctx.log.info(`no ${file} (unchanged)`);
      else {
        await rm(file, { force: true });
        ctx.log.info(`removed ${file}`);
      }
      return { file, previous };
    });
  },
  async compensate(ctx) {
    const { file, previous } = ctx.output;
    if (previous === null) return;
    await withFileLease(ctx, file, async () => {
      if ((await readIfExists(file)) !== null) return ctx.log.warn(`${file} exists again: left as it is`);
      await install(file, previous);
      ctx.log.info(`put back ${file}`);
    });
  },
});
