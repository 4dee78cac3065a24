// gitlab.drop-aside: deletes the volumes a restore moved aside, once the restored instance is healthy (the last step
// of a restore): renamed to mapping-volumes.drop-<stamp> first, so that a half-deleted folder is never taken for them.
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { confineToRoot } from '../support/paths.js';
import { ASIDE_PREFIX, DROP_PREFIX, exists, renameOrSay } from './support-restore.js';

/** Deletes the moved-aside volumes. */
export const gitlabDropAside = defineTask({
  id: 'gitlab.drop-aside',
  title: 'Delete the volumes a restore moved aside',
  description:
    'Run once the restored instance is healthy: renames mapping-volumes.aside-<stamp> to mapping-volumes.drop-<stamp>, then deletes it. Run again, it finishes a deletion begun (an aside folder already gone is no error). Cannot be undone: the old volumes are gone.',
  input: z.strictObject({
    aside: z
      .string()
      .min(1)
      .refine((p) => basename(p).startsWith(ASIDE_PREFIX), `a folder named ${ASIDE_PREFIX}<stamp>`)
      .describe('The moved-aside volumes (<dir>/mapping-volumes.aside-<stamp>).'),
  }),
  output: z.object({
    aside: z.string().describe('The folder deleted.'),
    removed: z.boolean().describe('False when it was gone already.'),
  }),
  idempotent: true,
  plan: (i) => [`rm -rf ${i.aside}`],
  async run(ctx) {
    const aside = await confineToRoot(ctx.root, ctx.input.aside, {
      task: 'gitlab.drop-aside',
      param: 'aside',
      origin: ctx.rootOrigin,
      strict: true,
    });
    const drop = join(dirname(aside), DROP_PREFIX + basename(aside).slice(ASIDE_PREFIX.length));
    const there = await exists(aside);
    if (there) await renameOrSay(aside, drop);
    try {
      await rm(drop, { recursive: true, force: true });
    } catch (e) {
      throw new TaskError(`cannot delete ${drop} (the old volumes): ${(e as Error).message}`, { path: drop });
    }
    if (there) ctx.log.info(`deleted the old volumes (${aside})`);
    return { aside, removed: there };
  },
});
