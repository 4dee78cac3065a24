// cron.list: the gravity blocks of a user's crontab (all, one marker, or those whose marker starts with a prefix),
// without changing anything.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { cronMarker, cronUser, findBlocks, formatBlock, ownerOf, readCrontab } from './support.js';

/** Lists gravity blocks of a crontab. */
export const cronList = defineTask({
  id: 'cron.list',
  title: 'List crontab blocks',
  description:
    'Reads the crontab of `user` (default: the user running gravity) and outputs its gravity blocks: the one of `marker`, else those whose marker starts with `prefix`, else all. Changes nothing.',
  input: z.strictObject({
    user: cronUser,
    marker: cronMarker.nullable().optional().describe('Only the block of this marker.'),
    prefix: z
      .string()
      .max(100)
      .optional()
      .describe('Only the blocks whose marker starts with this (e.g. "gitlab:backup ").'),
  }),
  output: z.object({
    user: z.string().describe('Whose crontab it is.'),
    blocks: z
      .array(
        z.object({
          marker: z.string().describe("The block's marker."),
          lines: z.array(z.string()).describe('Its lines (markers left out).'),
        }),
      )
      .describe('The blocks found, in crontab order.'),
    report: z.string().describe('The blocks as they are in the crontab, or a line saying there is none.'),
  }),
  idempotent: true,
  plan: (i) => [
    `list ${i.marker ? `the block "${i.marker}"` : i.prefix ? `the blocks "${i.prefix}..."` : 'the gravity blocks'} of the crontab of ${ownerOf(i.user)}`,
  ],
  async run(ctx) {
    const { user, marker, prefix } = ctx.input;
    const owner = ownerOf(user);
    const { text } = await readCrontab(ctx, user);
    const blocks = findBlocks(text, owner)
      .filter((b) => (marker ? b.marker === marker : prefix ? b.marker.startsWith(prefix) : true))
      .map(({ marker: m, lines }) => ({ marker: m, lines }));
    const report = blocks.length
      ? blocks.map((b) => formatBlock(b.marker, b.lines)).join('\n')
      : `no ${marker ? `block "${marker}"` : prefix ? `block "${prefix}..."` : 'gravity block'} in the crontab of ${owner}`;
    return { user: owner, blocks, report };
  },
});
