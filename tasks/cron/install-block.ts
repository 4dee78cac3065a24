// cron.install-block: puts a block of lines into a user's crontab between marker comments, checked with crontab -n
// before it is installed, every other line kept byte for byte; rollback puts the block back as it was.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import {
  cronLine,
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

/** Installs (or replaces) a gravity block in a crontab. */
export const cronInstallBlock = defineTask({
  id: 'cron.install-block',
  title: 'Install a crontab block',
  description:
    'Puts `lines` into the crontab of `user` (default: the user running gravity) between `# BEGIN gravity <marker>` and `# END gravity <marker>`: a block of that marker is replaced where it is, else appended; every other line is kept byte for byte. The new crontab is checked with `crontab -n` and installed with `crontab <file>` only when it passes (a bad line is refused, naming it, and nothing changes); the same lines again change nothing. Read, change and install run under a store lease per crontab. Rollback puts the block back as it was (or removes it).',
  input: z.strictObject({
    user: cronUser,
    marker: cronMarker,
    lines: z.array(cronLine).min(1).describe('The lines of the block, in order (markers left out).'),
  }),
  output: z.object({
    user: z.string().describe('Whose crontab it is.'),
    marker: z.string().describe("The block's marker."),
    changed: z.boolean().describe('Whether the crontab changed (false: the block held these lines already).'),
    previous: z.array(z.string()).nullable().describe("The block's lines before the step; null when there was none."),
    report: z.string().describe('What was done, with the block.'),
  }),
  idempotent: true,
  plan: (i) => [
    `install in the crontab of ${ownerOf(i.user)} (checked with crontab -n first), replacing its block "${i.marker}" if any:`,
    ...formatBlock(i.marker, i.lines).split('\n'),
  ],
  async run(ctx) {
    const { user, marker, lines } = ctx.input;
    const owner = ownerOf(user);
    return withCrontab(cronStore(ctx), user, async () => {
      const current = await readCrontab(ctx, user);
      const previous = getBlock(current.text, marker, owner);
      const next = setBlock(current.text, marker, lines, owner);
      const changed = next !== current.text;
      if (changed)
        await installCrontab(
          ctx,
          user,
          next,
          `its block "${marker}" would hold:\n${lines.map((l) => `  ${l}`).join('\n')}`,
        );
      const block = formatBlock(marker, lines);
      const report = changed
        ? `${previous ? 'replaced' : 'installed'} in the crontab of ${owner}:\n${block}`
        : `the crontab of ${owner} holds this block already (unchanged):\n${block}`;
      ctx.log.info(report.split('\n')[0]);
      return { user: owner, marker, changed, previous, report };
    });
  },
  async compensate(ctx) {
    const { user, marker, lines } = ctx.input;
    if (!ctx.output.changed) return;
    const owner = ownerOf(user);
    await withCrontab(cronStore(ctx), user, async () => {
      const current = await readCrontab(ctx, user);
      const now = getBlock(current.text, marker, owner);
      // changed since by someone else: theirs stays
      if (JSON.stringify(now) !== JSON.stringify(lines)) {
        ctx.log.warn(`the block "${marker}" of the crontab of ${owner} changed since this step: left as it is`);
        return;
      }
      const next = setBlock(current.text, marker, ctx.output.previous, owner);
      await installCrontab(ctx, user, next, `restoring its block "${marker}" as it was`);
    });
  },
});
