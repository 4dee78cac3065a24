// gitlab:schedule — the periodic backup of an instance in the crontab: one block per instance, between
// `# BEGIN gravity gitlab:backup <name>` and `# END gravity gitlab:backup <name>`, whose line runs gitlab:backup with
// absolute paths; every other crontab line kept byte for byte. remove=true takes the block out, list=true shows blocks.
import { decide, fail, sequence, task, workflow, type Definition } from '../../engine/authoring.js';
import { gitlabRootParam } from './commission.js';

const user = '=get value(params, "user")';
const instance = '=get value(params, "instance")';
// `instance` is a FEEL word (`instance of`): the param is read with get value
const marker = '="gitlab:backup " + get value(params, "instance")';

/** The `gitlab:schedule` workflow. */
export const gitlabSchedule: Definition = workflow({
  id: 'gitlab:schedule',
  title: "Schedule an instance's backups in the crontab",
  description:
    "Installs (or replaces) the crontab block of an instance, # BEGIN gravity gitlab:backup <instance> ... # END gravity gitlab:backup <instance>, whose line runs gitlab:backup (mode, keep) at `cron` with absolute paths to node, gravity and the data dir, its output appended to <data dir>/logs/gitlab-backup-<instance>.log; checked with crontab -n before it is installed, every other line kept byte for byte; the same schedule again changes nothing. The instance must be in the inventory. remove=true removes the block only; list=true prints the instance's block (without instance: every gitlab:backup block) and changes nothing.",
  params: {
    instance: {
      type: 'string',
      required: false,
      pattern: '^[a-z0-9][a-z0-9-]{0,39}$',
      description: 'The instance (its inventory name); optional with list=true.',
    },
    cron: {
      type: 'string',
      default: '0 */4 * * *',
      description: 'When: five cron fields (minute hour day month weekday) or an @keyword; default every 4 hours.',
    },
    mode: {
      type: 'string',
      enum: ['online', 'cold'],
      default: 'online',
      description: 'The backup mode of the scheduled runs (gitlab:backup mode).',
    },
    keep: {
      type: 'integer',
      required: false,
      description: 'The scheduled runs keep the N newest backups (gitlab:backup keep); absent: keep all.',
    },
    remove: { type: 'boolean', default: false, description: "Remove the instance's block instead." },
    list: { type: 'boolean', default: false, description: 'Print the block(s) and change nothing.' },
    user: {
      type: 'string',
      required: false,
      description: "Whose crontab (crontab -u: only root may edit another user's); default: the user running gravity.",
    },
    root: gitlabRootParam,
  },
  steps: decide(
    'what',
    [
      {
        when: 'list',
        label: 'print the blocks',
        then: task(
          'list',
          'cron.list',
          {
            user,
            marker:
              '=if get value(params, "instance") = null then null else "gitlab:backup " + get value(params, "instance")',
            prefix: 'gitlab:backup ',
          },
          { title: 'read the crontab' },
        ),
      },
      {
        when: 'get value(params, "instance") = null',
        label: 'no instance',
        then: fail('no_instance', 'instance is required (--param instance=<name>) unless list=true'),
      },
      {
        when: 'remove',
        label: 'remove the block',
        then: task('remove', 'cron.remove-block', { user, marker }, { title: 'remove its crontab block' }),
      },
    ],
    sequence(
      task(
        'line',
        'gitlab.schedule-line',
        { name: instance, cron: '=cron', mode: '=mode', keep: '=get value(params, "keep")', root: '=root' },
        { title: 'build its crontab line' },
      ),
      task(
        'install',
        'cron.install-block',
        { user, marker: '=steps.line.marker', lines: '=steps.line.lines' },
        { title: 'install its crontab block' },
      ),
    ),
    'list, remove or install',
  ),
  output:
    '=if list then steps.list else if remove then steps.remove else {user: steps.install.user, marker: steps.install.marker, changed: steps.install.changed, lines: steps.line.lines, log: steps.line.log, report: steps.install.report}',
});
