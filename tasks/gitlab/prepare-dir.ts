// gitlab.prepare-dir: an instance's folder in the layout of the original tool (mapping-volumes/{data,config,log} and
// bckups/); rollback removes it if this step made it and it holds no backup.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { confineToRoot } from '../support/paths.js';

/** The volume folders of an instance and where GitLab mounts them. */
export const VOLUMES = [
  { folder: 'config', target: '/etc/gitlab' },
  { folder: 'log', target: '/var/log/gitlab' },
  { folder: 'data', target: '/var/opt/gitlab' },
] as const;

/** The folders of an instance folder `dir`. */
export const layoutOf = (dir: string) => ({
  volumes: join(dir, 'mapping-volumes'),
  config: join(dir, 'mapping-volumes', 'config'),
  log: join(dir, 'mapping-volumes', 'log'),
  data: join(dir, 'mapping-volumes', 'data'),
  backups: join(dir, 'bckups'),
});

/** Creates an instance folder. */
export const gitlabPrepareDir = defineTask({
  id: 'gitlab.prepare-dir',
  title: 'Create an instance folder',
  description:
    'Creates <dir>/mapping-volumes/{data,config,log} and <dir>/bckups (inside the run root). An existing folder is refused unless it is this layout and empty of data (a step run again). Rollback removes the folder when this step created it and bckups/ holds nothing.',
  input: z.strictObject({ dir: z.string().min(1).describe('The instance folder (noeud-gitlab-<n>).') }),
  output: z.object({
    dir: z.string().describe('The instance folder (absolute).'),
    created: z.boolean().describe('Whether this step created it.'),
  }),
  idempotent: true,
  plan: (i) => [`mkdir -p ${i.dir}/mapping-volumes/{data,config,log} ${i.dir}/bckups`],
  async run(ctx) {
    const dir = await confineToRoot(ctx.root, ctx.input.dir, {
      task: 'gitlab.prepare-dir',
      param: 'dir',
      origin: ctx.rootOrigin,
    });
    let created = true;
    try {
      await stat(dir);
      created = false;
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    if (!created) {
      // a run of this step again (after a crash) finds its own folders, nothing else
      const entries = await readdir(dir);
      const unknown = entries.filter((e) => e !== 'mapping-volumes' && e !== 'bckups');
      if (unknown.length)
        throw new TaskError(
          `instance folder ${dir} exists already and holds ${unknown.join(', ')}: not an instance folder this run made`,
          { dir },
        );
    }
    const l = layoutOf(dir);
    for (const p of [l.config, l.log, l.data, l.backups]) await mkdir(p, { recursive: true, mode: 0o755 });
    return { dir, created };
  },
  async compensate(ctx) {
    if (!ctx.output.created) return;
    const l = layoutOf(ctx.output.dir);
    const backups = await readdir(l.backups).catch(() => [] as string[]);
    if (backups.length) {
      ctx.log.warn(`kept ${ctx.output.dir}: bckups/ holds ${backups.length} entr${backups.length === 1 ? 'y' : 'ies'}`);
      return;
    }
    await rm(ctx.output.dir, { recursive: true, force: true });
  },
});
