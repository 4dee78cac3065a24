// gitlab:restore — a backup of an instance put back, into the same instance or a new one (commissioned here, on another
// address and folder root). Nothing is touched before the instance, the backup (manifest, sizes, sha256) and the
// version are checked; the old volumes stay aside until the restored instance is healthy, and any failure puts them
// back and restarts the instance (rollbackOnFailure: each step's compensation, newest first).
import { call, decide, sequence, task, workflow, type Definition } from '../../engine/authoring.js';
import { remoteAccessInput, remoteAccessParams } from './backup-remote.js';
import { gitlabRootParam } from './commission.js';

const NAME = '^[a-z0-9][a-z0-9-]{0,39}$';
/** The instance restored into: `into` when given, else `instance`. */
// (`instance` is a FEEL keyword, `instance of`: the param is read with get value)
const TARGET =
  '=if get value(params, "into") != null then get value(params, "into") else get value(params, "instance")';
const container = '=steps.target.container';

/** The `gitlab:restore` workflow. */
export const gitlabRestore: Definition = workflow({
  id: 'gitlab:restore',
  title: 'Restore a GitLab instance from a backup',
  description:
    "With `from`, first pulls the backup back from where gitlab:backup-remote pushed it (checked against its manifest). Checks the instance (as gitlab:adopt does), the backup (complete, every file's size and sha256 as its manifest says) and that the image runs the backup's GitLab version; with `into`, commissions a new instance with the same image; stops the container, swaps the backup's volumes in (the old ones moved aside), for an online backup runs gitlab-backup restore, starts it, waits until it is healthy, and only then deletes the old volumes. Any failure puts the old volumes back and restarts the instance.",
  params: {
    instance: {
      type: 'string',
      pattern: NAME,
      description: 'The instance whose backup is restored (into itself, unless `into` is given).',
      // asked at a terminal when not given: the inventory's instances, then (below) the chosen one's backups
      choices: 'gitlab.instances',
    },
    backup: {
      type: 'string',
      default: 'latest',
      pattern: '^(latest|\\d{8}T\\d{6}Z(-\\d+)?)$',
      choices: 'gitlab.backups',
      description: 'The backup id (YYYYMMDDTHHMMSSZ, its folder under bckups/), or latest: the newest complete one.',
    },
    into: {
      type: 'string',
      required: false,
      pattern: NAME,
      description: 'A new instance to restore into (commissioned with the same image, on another address).',
    },
    from: {
      type: 'string',
      required: false,
      description:
        'Where the backup is pulled from first (a folder, [user@]host:<path> over ssh, rclone:<remote>:<path>: where gitlab:backup-remote pushed it). An instance this host does not know is restored into a new one (`into`).',
    },
    ...remoteAccessParams,
    root: gitlabRootParam,
    ip: { type: 'string', required: false, description: "The new instance's address (with `into`)." },
    pool: {
      type: 'string',
      required: false,
      description: "Addresses to choose the new instance's from (with `into`); default: the host's IPv4 addresses.",
    },
    healthTimeoutMs: {
      type: 'integer',
      default: 600_000,
      description: 'How long to wait for the restored instance to be healthy.',
    },
  },
  // as gitlab:commission's: writes stay under the folder above the instances'
  root: '=root + "/.."',
  rollbackOnFailure: true,
  steps: sequence(
    decide(
      'remote',
      [
        {
          when: 'params.from != null',
          label: 'from a remote',
          then: task(
            'pull',
            'gitlab.pull-backup',
            {
              instance: '=get value(params, "instance")',
              from: '=from',
              backup: '=backup',
              root: '=root',
              ...remoteAccessInput,
            },
            { title: 'pull the backup back, checked against its manifest' },
          ),
        },
      ],
      undefined,
      'from a remote?',
    ),
    task(
      'verify',
      'gitlab.verify-backup',
      {
        instance: '=get value(params, "instance")',
        backup: '=backup',
        into: '=get value(params, "into")',
        dir: '=get value(get value(steps, "pull"), "dir")',
      },
      { title: 'check the instance, the backup and the version' },
    ),
    decide(
      'new',
      [
        {
          // (a path, not get value(): the Camunda 7 dialect writes this guard as JUEL and reads it back as one)
          when: 'params.into != null',
          label: 'into a new instance',
          then: call(
            'commission',
            'gitlab:commission',
            // ip and pool only when given (a null param is refused): the params as one context; no backup schedule
            // (schedule "": gitlab:schedule installs one, and the tests never touch the crontab of the user running them)
            '=context merge([{name: into, root: root, image: steps.verify.image, network: steps.verify.network, healthTimeoutMs: healthTimeoutMs, schedule: ""}, if get value(params, "ip") != null then {ip: ip} else {}, if get value(params, "pool") != null then {pool: pool} else {}])' as unknown as Record<
              string,
              unknown
            >,
            { title: 'commission the new instance' },
          ),
        },
      ],
      undefined,
      'into a new instance?',
    ),
    task('target', 'gitlab.check-instance', { name: TARGET }, { title: 'check the instance restored into' }),
    task('stop', 'docker.stop', { name: container }, { title: 'stop it' }),
    task(
      'swap',
      'gitlab.swap-volumes',
      {
        dir: '=steps.target.dir',
        backup: '=steps.verify.dir',
        mode: '=steps.verify.mode',
        gitlabBackupId: '=get value(steps.verify, "gitlabBackupId")',
        stamp: '=steps.verify.stamp',
      },
      { title: 'swap the backup in, the old volumes aside' },
    ),
    task(
      'configure',
      'gitlab.configure',
      { config: '=steps.target.config', url: '=steps.target.url', listen: '=steps.target.listen' },
      { title: 'set its own external_url in the restored gitlab.rb' },
    ),
    task('start', 'docker.start', { name: container }, { title: 'start it' }),
    decide(
      'online',
      [
        {
          when: 'steps.verify.mode = "online"',
          label: 'an online backup',
          then: sequence(
            task(
              'up',
              'docker.wait-healthy',
              { name: container, timeoutMs: '=healthTimeoutMs', intervalMs: 500 },
              { title: 'wait until it runs on empty data' },
            ),
            task(
              'puma',
              'docker.exec',
              { name: container, command: ['gitlab-ctl', 'stop', 'puma'], idempotent: true },
              { title: 'gitlab-ctl stop puma' },
            ),
            task(
              'sidekiq',
              'docker.exec',
              { name: container, command: ['gitlab-ctl', 'stop', 'sidekiq'], idempotent: true },
              { title: 'gitlab-ctl stop sidekiq' },
            ),
            task(
              'restore',
              'docker.exec',
              {
                name: container,
                command: ['gitlab-backup', 'restore', '="BACKUP=" + steps.verify.gitlabBackupId', 'force=yes'],
                idempotent: true,
              },
              { title: 'gitlab-backup restore' },
            ),
            task(
              'reconfigure',
              'docker.exec',
              { name: container, command: ['gitlab-ctl', 'reconfigure'], idempotent: true },
              { title: 'gitlab-ctl reconfigure' },
            ),
            task(
              'restart',
              'docker.exec',
              { name: container, command: ['gitlab-ctl', 'restart'], idempotent: true },
              { title: 'gitlab-ctl restart' },
            ),
          ),
        },
      ],
      undefined,
      'online backup?',
    ),
    task(
      'healthy',
      'docker.wait-healthy',
      { name: container, timeoutMs: '=healthTimeoutMs', intervalMs: 500 },
      { title: 'wait until it is healthy' },
    ),
    task('drop', 'gitlab.drop-aside', { aside: '=steps.swap.aside' }, { title: 'delete the old volumes' }),
  ),
  output:
    '={instance: steps.target.name, url: steps.target.url, backup: steps.verify.id, mode: steps.verify.mode, version: steps.verify.version, from: steps.verify.source}',
});
