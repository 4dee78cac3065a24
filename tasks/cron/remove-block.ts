// cron.remove-block: takes a gravity block out of a user's crontab, every other line kept byte for byte; rollback puts
// it back.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import {
  cronMarker,
  cronStore,
  cronUser,
  formatBlock,
  getBlock,
  installCrontab,
  ownerOf,
  readCrontab,
  setBlock,
  withCrontab,
} from './support.js';

/** Removes a gravity block from a crontab. */
export const cronRemoveBlock = defineTask({
  id: 'cron.remove-block',
  title: 'Remove a crontab block',
  description:
    'Removes the lines between `# BEGIN gravity <marker>` and `# END gravity <marker>` (markers included) from the crontab of `user` (default: the user running gravity), every other line kept byte for byte; a crontab left empty is removed (crontab -r). No such block: nothing changes. Under the store lease of that crontab. Rollback puts the block back.',
  input: z.strictObject({ user: cronUser, marker: cronMarker }),
  output: z.object({
    user: z.string().describe('Whose crontab it is.'),
    marker: z.string().describe("The block's marker."),
    removed: z.boolean().describe('Whether there was a block to remove.'),
    previous: z.array(z.string()).nullable().describe("The block's lines before the step; null when there was none."),
    report: z.string().describe('What was done.'),
  }),
  idempotent: true,
  plan: (i) => [`remove the block "${i.marker}" from the crontab of ${ownerOf(i.user)}, if it has one`],
  async run(ctx) {
    const { user, marker } = ctx.input;
    const owner = ownerOf(user);
    return withCrontab(cronStore(ctx), user, async () => {
      const current = await readCrontab(ctx, user);
      const previous = getBlock(current.text, marker, owner);
      if (previous)
        await installCrontab(ctx, user, setBlock(current.text, marker, null, owner), `removing its block "${marker}"`);
      const report = previous
        ? `removed from the crontab of ${owner}:\n${formatBlock(marker, previous)}`
        : `the crontab of ${owner} has no block "${marker}" (unchanged)`;
      ctx.log.info(report.split('\n')[0]);
      return { user: owner, marker, removed: previous !== null, previous, report };
    });
  },
  async compensate(ctx) {
    const { user, marker } = ctx.input;
    const { previous } = ctx.output;
    if (!previous) return;
    const owner = ownerOf(user);
    await withCrontab(cronStore(ctx), user, async () => {
      const current = await readCrontab(ctx, user);
      if (getBlock(current.text, marker, owner)) {
        ctx.log.warn(`the crontab of ${owner} has a block "${marker}" again: left as it is`);
        return;
      }
      await installCrontab(
        ctx,
        user,
        setBlock(current.text, marker, previous, owner),
        `restoring its block "${marker}"`,
      );
    });
  },
});
