// gitlab:decommission — retires a GitLab instance: asked for first (an approval, or --param yes=true), a final cold
// backup (gitlab:backup), its backup schedule removed (gitlab:schedule), its container stopped and removed, its folder
// and every backup kept, its record marked decommissioned (its name stays taken); --param purge=true then forgets the
// record of a decommissioned instance, so that the name can be used again.
import { approval, call, decide, sequence, task, workflow, type Definition } from '../../engine/authoring.js';

const container = '=steps.record.container';
// `instance` is a FEEL keyword (`x instance of T`): the param is read by name
const instance = 'get value(params, "instance")';
const user = 'get value(params, "user")';

/** The `gitlab:decommission` workflow. */
export const gitlabDecommission: Definition = workflow({
  id: 'gitlab:decommission',
  title: 'Decommission a GitLab instance',
  description:
    'Reads the instance record (an unknown or already decommissioned instance fails, named), asks for confirmation (an approval: the run parks until gravity approve, unless --param yes=true), takes a final cold backup (gitlab:backup mode=cold, into its bckups/; --param backup=false skips it), removes its backup schedule from the crontab (gitlab:schedule remove=true), stops and removes the container, keeps the instance folder and every backup, and marks the record decommissioned: its name stays taken. With --param purge=true it instead deletes the record of a decommissioned instance (nothing on disk is deleted), freeing its name.',
  params: {
    instance: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]{0,39}$',
      description: 'The instance to decommission (its inventory name).',
      choices: 'gitlab.instances',
    },
    yes: {
      type: 'boolean',
      default: false,
      description: 'Confirm at once instead of asking (the approval is skipped).',
    },
    purge: {
      type: 'boolean',
      default: false,
      description:
        'Forget the record of an already decommissioned instance (its name becomes free); deletes nothing on disk.',
    },
    backup: {
      type: 'boolean',
      default: true,
      description:
        'Take a final cold backup first (gitlab:backup mode=cold: the container stopped, its folders copied into bckups/, started again); false skips it.',
    },
    user: {
      type: 'string',
      required: false,
      description: 'Whose crontab holds its backup schedule (gitlab:schedule user); default: the user running gravity.',
    },
    healthTimeoutMs: {
      type: 'integer',
      default: 600_000,
      description: 'The final backup: how long to wait for the instance to be healthy again after the copy.',
    },
  },
  steps: decide(
    'purge_or_retire',
    [
      {
        when: 'purge',
        label: 'purge the record',
        then: task('purge', 'gitlab.purge', { name: `=${instance}` }, { title: 'forget its record (nothing on disk)' }),
      },
    ],
    sequence(
      task(
        'record',
        'gitlab.get',
        { name: `=${instance}`, expect: ['active', 'failed'] },
        { title: 'read its record' },
      ),
      approval(
        'confirm',
        `="Decommission GitLab instance " + ${instance} + " (" + steps.record.url + ")? Its container " + steps.record.container + " is stopped and removed; " + steps.record.dir + " and its backups are kept."`,
        { skip: '=yes', title: 'confirm the decommission' },
      ),
      decide(
        'final',
        [
          {
            when: 'backup',
            label: 'a final backup',
            then: call(
              'final_backup',
              'gitlab:backup',
              {
                instance: `=${instance}`,
                mode: 'cold',
                // gitlab:backup writes under its root: the folder holding the instance's
                root: '=steps.record.dir + "/.."',
                healthTimeoutMs: '=healthTimeoutMs',
              },
              { title: 'take a final cold backup' },
            ),
          },
        ],
        undefined,
        'a final backup?',
      ),
      decide(
        'whose_crontab',
        [
          {
            when: 'user = null',
            label: 'the crontab of the user running gravity',
            then: call(
              'unschedule',
              'gitlab:schedule',
              { instance: `=${instance}`, remove: true },
              { title: 'remove its backup schedule' },
            ),
          },
        ],
        call(
          'unschedule_user',
          'gitlab:schedule',
          { instance: `=${instance}`, remove: true, user: `=${user}` },
          { title: "remove its backup schedule from the user's crontab" },
        ),
        'whose crontab?',
      ),
      task('inspect', 'docker.inspect', { name: container }, { title: 'look for its container' }),
      decide(
        'present',
        [
          {
            when: 'steps.inspect.exists',
            label: 'its container exists',
            then: sequence(
              task('stop', 'docker.stop', { name: container }, { title: 'stop its container' }),
              task('remove', 'docker.rm', { name: container }, { title: 'remove its container' }),
            ),
          },
        ],
        undefined,
        'is its container there?',
      ),
      task(
        'retire',
        'gitlab.update',
        { name: `=${instance}`, state: 'decommissioned', expect: ['active', 'failed'] },
        { title: 'record it decommissioned' },
      ),
    ),
    'decommission or purge?',
  ),
  output: `=if purge then {name: ${instance}, purged: true, kept: steps.purge.kept} else {name: ${instance}, state: "decommissioned", container: steps.record.container, kept: steps.record.dir, backup: if backup then steps.final_backup.backups[1].id else null}`,
});
