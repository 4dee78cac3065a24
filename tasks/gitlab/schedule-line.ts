// gitlab.schedule-line: the crontab line that runs gitlab:backup of an instance, with the absolute paths of this node,
// this gravity and its data dir, each argument quoted for cron's /bin/sh: what cron.install-block installs.
import { existsSync, realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BadInputError, defineTask, TaskError } from '../../engine/index.js';
import { getInstance, instanceName, storeOf } from './inventory.js';

/** The schedule commission installs unless told otherwise: every four hours. */
export const DEFAULT_BACKUP_CRON = '0 */4 * * *';

/** The marker of an instance's block in the crontab. */
export const backupMarker = (name: string) => `gitlab:backup ${name}`;

const FIELD = /^[A-Za-z0-9*,/-]+$/;
const KEYWORDS = ['@reboot', '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/**
 * Whether `cron` has the shape of a schedule: five fields (minute hour day month weekday) of digits, names, `*`,
 * ranges, lists and steps, or an @keyword. Values (`61` minutes) are crontab -n's to check; this keeps anything else
 * (a sixth word, a newline, `%`, a `;`) out of the line.
 */
export function isCronSchedule(cron: string): boolean {
  const fields = cron.trim().split(/[ \t]+/);
  return fields.length === 1 ? KEYWORDS.includes(fields[0]) : fields.length === 5 && fields.every((f) => FIELD.test(f));
}

/** One argument for /bin/sh, always single-quoted. */
export const shQuote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** A command for a crontab line: each `%` escaped (cron turns a bare one into a newline and stdin). */
export const cronEscape = (command: string) => command.replace(/%/g, '\\%');

/**
 * The gravity CLI running this task: `process.argv[1]` when it is bin/gravity.mjs, else the bin/gravity.mjs of the
 * package this module belongs to (found by walking up from it: tasks/gitlab/ in the sources, dist/tasks/gitlab/ built).
 */
export function gravityCli(): string {
  const arg = process.argv[1];
  if (arg && basename(arg) === 'gravity.mjs' && existsSync(arg)) return realpathSync(arg);
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    const bin = join(d, 'bin', 'gravity.mjs');
    if (existsSync(bin) && existsSync(join(d, 'package.json'))) return realpathSync(bin);
    if (dirname(d) === d) throw new TaskError('cannot find bin/gravity.mjs above the gravity code');
  }
}

/** Builds an instance's backup line. */
export const gitlabScheduleLine = defineTask({
  id: 'gitlab.schedule-line',
  title: "Build an instance's backup crontab line",
  description:
    "Checks that the instance is in the inventory (and not decommissioned) and that `cron` is a schedule (five fields or an @keyword), then outputs the crontab line running `gravity run gitlab:backup` for it: the absolute paths of node (process.execPath), of this gravity's bin/gravity.mjs and of the run's data dir (`--data-dir`), and the instances' root, each single-quoted for cron's /bin/sh, `%` escaped, output appended to <data dir>/logs/gitlab-backup-<name>.log (whose folder it creates). Installs nothing: cron.install-block does.",
  input: z.strictObject({
    name: instanceName,
    cron: z
      .string()
      .default(DEFAULT_BACKUP_CRON)
      .describe('When: five cron fields or an @keyword (default every 4 hours).'),
    mode: z.enum(['online', 'cold']).default('online').describe('The backup mode gitlab:backup is run with.'),
    keep: z
      .number()
      .int()
      .positive()
      .nullable()
      .optional()
      .describe('How many backups gitlab:backup keeps (its keep param).'),
    root: z.string().describe('The folder holding the instance folders (absolute).'),
  }),
  output: z.object({
    marker: z.string().describe('The block marker: gitlab:backup <name>.'),
    lines: z.array(z.string()).describe("The block's lines (the one job line)."),
    command: z.array(z.string()).describe('The command the line runs, one argument each (unquoted).'),
    log: z.string().describe('The file the runs append their output to.'),
    dataDir: z.string().describe('The data dir the scheduled runs use.'),
  }),
  idempotent: true,
  plan: (i) => [
    `the crontab line: ${i.cron} gravity run gitlab:backup --param instance=${i.name} --param mode=${i.mode}${i.keep ? ` --param keep=${i.keep}` : ''} (absolute paths, output to <data dir>/logs/gitlab-backup-${i.name}.log)`,
  ],
  async run(ctx) {
    const { name, cron, mode, keep, root } = ctx.input;
    if (!isCronSchedule(cron))
      throw new BadInputError(
        `cron "${cron}" is not a cron schedule: five fields (minute hour day-of-month month day-of-week) or one of ${KEYWORDS.join(', ')}`,
        { cron },
      );
    if (!isAbsolute(root)) throw new BadInputError(`root "${root}" is not an absolute path`, { root });
    const store = storeOf(ctx);
    const inst = await getInstance(store, name);
    if (!inst) throw new TaskError(`no instance ${name} in the inventory (gravity run gitlab:list)`, { name });
    if (inst.state === 'decommissioned') throw new TaskError(`instance ${name} is decommissioned`, { name });
    const m = /^json:(.+)$/.exec(store.location);
    if (!m || !isAbsolute(m[1]))
      throw new TaskError(`the store ${store.location} is not a data dir: a schedule needs one (--data-dir)`);
    const dataDir = m[1];
    const log = join(dataDir, 'logs', `gitlab-backup-${name}.log`);
    await mkdir(dirname(log), { recursive: true });
    const command = [
      process.execPath,
      gravityCli(),
      '--data-dir',
      dataDir,
      'run',
      'gitlab:backup',
      '--param',
      `instance=${name}`,
      '--param',
      `mode=${mode}`,
      '--param',
      `root=${root}`,
      ...(keep ? ['--param', `keep=${keep}`] : []),
    ];
    const line = `${cron.trim().replace(/[ \t]+/g, ' ')} ${cronEscape(`${command.map(shQuote).join(' ')} >>${shQuote(log)} 2>&1`)}`;
    return { marker: backupMarker(name), lines: [line], command, log, dataDir };
  },
});
