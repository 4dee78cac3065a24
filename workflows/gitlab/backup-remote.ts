// gitlab:backup-remote — pushes a complete backup of an instance elsewhere (a local folder, rsync over ssh, an rclone
// remote), checked against its manifest before and after, the manifest last; a copy already complete is left alone.
import { task, workflow, type Definition } from '../../engine/authoring.js';

/** How a remote is reached: the params gitlab:backup-remote and gitlab:restore (`from`) share. */
export const remoteAccessParams = {
  port: { type: 'integer', required: false, description: 'The ssh port.' },
  identity: { type: 'string', path: true, required: false, description: 'The ssh private key file.' },
  knownHosts: {
    type: 'string',
    path: true,
    required: false,
    description: "A known_hosts file with the host's key (default: ssh's own; host keys are always checked).",
  },
  rcloneConfig: {
    type: 'string',
    path: true,
    required: false,
    description: 'The rclone config file defining the remote.',
  },
} as const;

/** Those params as a step's input (each absent unless given). */
export const remoteAccessInput = {
  port: '=get value(params, "port")',
  identity: '=get value(params, "identity")',
  knownHosts: '=get value(params, "knownHosts")',
  rcloneConfig: '=get value(params, "rcloneConfig")',
};

/** The `gitlab:backup-remote` workflow. */
export const gitlabBackupRemote: Definition = workflow({
  id: 'gitlab:backup-remote',
  title: 'Push a GitLab backup elsewhere',
  description:
    'Checks a complete backup of an instance against its manifest (size and sha256 of every file), then pushes it to <to>/<instance>/<id>/ (a local folder, [user@]host:path by rsync over ssh, or rclone:<remote>:<path>), the manifest last, and verifies the copy by checksums. A copy already complete and verified is left alone; one that differs is pushed again.',
  params: {
    instance: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]{0,39}$',
      description: 'The instance (from the inventory) whose backup is pushed.',
      choices: 'gitlab.instances',
    },
    to: {
      type: 'string',
      description:
        'Where to: a local folder, [user@]host:<path> (rsync over ssh) or rclone:<remote>:<path>; the backup goes to <path>/<instance>/<id>/.',
    },
    backup: {
      type: 'string',
      default: 'latest',
      choices: 'gitlab.backups',
      description: 'The backup id, or latest (the newest complete one).',
    },
    ...remoteAccessParams,
  },
  steps: task(
    'push',
    'gitlab.push-backup',
    {
      instance: '=get value(params, "instance")',
      to: '=to',
      backup: '=backup',
      ...remoteAccessInput,
    },
    { title: 'check, push and verify the backup' },
  ),
  output: '=steps.push',
});
