// gitlab.prune-backups: retention of an instance's backups: removes the oldest complete backups beyond the newest
// `keep`; an incomplete folder (no valid manifest: being written, or failed) is never touched.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { confineToRoot } from '../support/paths.js';
import { scanBackups } from './support-backup.js';

/** What retention would do in `backups` with `keep`: the ids it keeps and removes (oldest first), the incomplete ones. */
export function retention(backups: string, keep: number | null | undefined) {
  const { complete, incomplete } = scanBackups(backups);
  const ids = complete.map((b) => b.id);
  const n = keep === null || keep === undefined ? ids.length : Math.max(1, keep);
  const cut = Math.max(0, ids.length - n);
  return { remove: ids.slice(0, cut), keep: ids.slice(cut), incomplete };
}

/** Removes the oldest complete backups beyond `keep`. */
export const gitlabPruneBackups = defineTask({
  id: 'gitlab.prune-backups',
  title: 'Prune old backups',
  description:
    "Keeps the newest `keep` complete backups of a bckups/ folder (complete: its manifest.json is valid; ordered by the manifest's createdAt) and removes the older complete ones. Never the newest, never an incomplete folder (it may be still being written). No `keep` (null): keeps all. The plan lists what it would remove. Removed backups cannot be brought back (no rollback).",
  input: z.strictObject({
    dir: z.string().min(1).describe('The bckups/ folder of an instance.'),
    keep: z
      .number()
      .int()
      .min(1)
      .nullable()
      .optional()
      .describe('How many complete backups to keep (at least 1); null or absent: keep all.'),
  }),
  output: z.object({
    kept: z.array(z.string()).describe('The complete backups kept, oldest first.'),
    removed: z.array(z.string()).describe('The backups removed, oldest first.'),
    incomplete: z.array(z.string()).describe('The folders without a valid manifest, left as they are.'),
  }),
  idempotent: true,
  plan: (i) => {
    if (i.keep === null || i.keep === undefined) return [`keep every backup in ${i.dir}`];
    const r = retention(i.dir, i.keep);
    return [
      `keep the ${i.keep} newest complete backups in ${i.dir}`,
      ...r.remove.map((id) => `rm -rf ${join(i.dir, id)}`),
    ];
  },
  async run(ctx) {
    const { keep } = ctx.input;
    const dir = await confineToRoot(ctx.root, ctx.input.dir, {
      task: 'gitlab.prune-backups',
      param: 'dir',
      origin: ctx.rootOrigin,
    });
    const r = retention(dir, keep);
    for (const id of r.remove) {
      const path = await confineToRoot(ctx.root, join(dir, id), {
        task: 'gitlab.prune-backups',
        param: 'dir',
        origin: ctx.rootOrigin,
        keepLink: true,
        strict: true,
      });
      ctx.log.info(`removing backup ${id} (keeping the ${keep} newest)`);
      await rm(path, { recursive: true, force: true });
    }
    return { kept: r.keep, removed: r.remove, incomplete: r.incomplete };
  },
});
