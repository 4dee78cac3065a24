// gitlab:backup — backs up one GitLab instance or every active one (a for-each: one failure does not stop the others),
// online (gitlab-backup create, then GitLab's archive and the config copied) or cold (the container stopped, its three
// folders copied, started again and waited for whatever happened), into <dir>/bckups/<UTC time>/ with manifest.json
// written last; then recorded in the inventory and, with keep=N, the oldest complete backups beyond N removed.
import { cleanup, decide, fail, forEach, sequence, task, workflow, type Definition } from '../../engine/authoring.js';
import { gitlabRootParam } from './commission.js';

/** What the copy steps of both modes give the manifest: the instance record and its image and version. */
const copyInput = (mode: 'online' | 'cold') => ({
  dir: '=inst.dir',
  mode,
  gitlabBackupId: mode === 'online' ? '=steps.dump.backupId' : null,
  instance: '=inst',
  image: '=inst.image',
  version: '=inst.version',
});

const online = sequence(
  task('dump', 'gitlab.backup-create', { container: '=inst.container' }, { title: 'gitlab-backup create' }),
  task('copy_online', 'gitlab.backup-copy', copyInput('online'), {
    title: "copy GitLab's archive and the config",
    outputs: { backup: '=output' },
  }),
);

// the instance is never left stopped: start and wait run after the copy whatever happened (a cancel too)
const cold = cleanup(
  'cold',
  sequence(
    task('stop', 'docker.stop', { name: '=inst.container' }, { title: 'stop the container' }),
    task('copy_cold', 'gitlab.backup-copy', copyInput('cold'), {
      title: 'copy data, config and log',
      outputs: { backup: '=output' },
    }),
  ),
  sequence(
    task('start', 'docker.start', { name: '=inst.container' }, { title: 'start the container again' }),
    task(
      'healthy',
      'docker.wait-healthy',
      { name: '=inst.container', timeoutMs: '=healthTimeoutMs' },
      { title: 'wait until it is healthy' },
    ),
  ),
  'stop, copy, start again',
);

const backupOne = sequence(
  decide('how', [{ when: 'mode = "cold"', label: 'cold', then: cold }], online, 'online or cold'),
  task(
    'record',
    'gitlab.update',
    {
      name: '=inst.name',
      lastBackup: {
        id: '=backup.id',
        at: '=backup.createdAt',
        mode: '=backup.mode',
        sha256: '=backup.manifestSha256',
        dir: '=backup.dir',
      },
    },
    { title: 'record it in the inventory' },
  ),
  task(
    'prune',
    'gitlab.prune-backups',
    { dir: '=inst.dir + "/bckups"', keep: '=get value(params, "keep")' },
    { title: 'remove the oldest complete backups beyond keep' },
  ),
);

/** The `gitlab:backup` workflow. */
export const gitlabBackup: Definition = workflow({
  id: 'gitlab:backup',
  title: 'Back up GitLab instances',
  description:
    'Backs up an instance, or every active one (instance=all: each backed up even when another fails, the failures named at the end), online (gitlab-backup create in the container, then its archive and the config folder copied) or cold (the container stopped, mapping-volumes/{data,config,log} copied, the container started again and waited for, even when the copy fails), into <dir>/bckups/<UTC time>/ with manifest.json (sha256, size, owner, mode, mtime of every file) written last. Records the backup in the inventory; keep=N then removes the oldest complete backups beyond N.',
  params: {
    instance: {
      type: 'string',
      pattern: '^(all|[a-z0-9][a-z0-9-]{0,39})$',
      description: 'The instance to back up (its inventory name), or all: every active instance.',
      choices: 'gitlab.instances-or-all',
    },
    mode: {
      type: 'string',
      enum: ['online', 'cold'],
      description:
        'online: gitlab-backup create while GitLab runs, plus the config; cold: the container stopped, its three folders copied.',
    },
    keep: {
      type: 'integer',
      required: false,
      description: 'Keep the N newest complete backups of each instance, removing older ones; absent: keep all.',
    },
    root: gitlabRootParam,
    healthTimeoutMs: {
      type: 'integer',
      default: 600_000,
      description: 'cold: how long to wait for the instance to be healthy again.',
    },
  },
  // the backups are written in the instance folders, under root; the run root is the folder above it (as commission's
  // and restore's), so that a start with the default root on a host without /srv/gitlab fails in its steps, not before
  root: '=root + "/.."',
  steps: sequence(
    decide(
      'check_keep',
      [
        {
          when: 'params.keep != null and params.keep < 1',
          label: 'keep below 1',
          then: fail('bad_keep', 'keep must be at least 1 (the newest backup is never removed); absent: keep all'),
        },
      ],
      undefined,
      'keep is at least 1',
    ),
    task(
      'select',
      'gitlab.select',
      { instance: '=get value(params, "instance")' },
      { title: 'read the instances from the inventory' },
    ),
    forEach('backups', '=steps.select.instances', backupOne, {
      as: 'inst',
      onFailure: 'all',
      title: 'back up each instance',
    }),
  ),
  output:
    '={backups: for b in steps.backups return {instance: b.record.record.name, id: b.record.record.lastBackup.id, dir: b.record.record.lastBackup.dir, mode: b.record.record.lastBackup.mode, files: if b.copy_cold != null then b.copy_cold.files else b.copy_online.files, bytes: if b.copy_cold != null then b.copy_cold.bytes else b.copy_online.bytes, removed: b.prune.removed}}',
});
