// host:doctor — which host tools the workflow families need are here, with versions; never fails on a missing one.
import { parallel, sequence, task, workflow, type Definition } from '../../engine/authoring.js';

const SBIN = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

/** The tools checked, what family needs them, and how to read their version. */
export const doctorTools: Array<{
  step: string;
  tool: string;
  command: string;
  versionArgs: string[];
  versionPattern?: string;
  probe?: { args: string[]; label: string };
}> = [
  { step: 'check_git', tool: 'git', command: 'git', versionArgs: ['--version'], versionPattern: 'git version (\\S+)' },
  {
    step: 'check_docker',
    tool: 'docker',
    command: 'docker',
    versionArgs: ['--version'],
    versionPattern: 'version ([^,\\s]+)',
    probe: { args: ['info', '--format', '{{.ServerVersion}}'], label: 'daemon' },
  },
  {
    step: 'check_vagrant',
    tool: 'vagrant',
    command: 'vagrant',
    versionArgs: ['--version'],
    versionPattern: 'Vagrant (\\S+)',
  },
  {
    step: 'check_named_checkzone',
    tool: 'named-checkzone (bind9-utils)',
    command: 'named-checkzone',
    versionArgs: ['-v'],
    versionPattern: '^(\\S+)',
  },
  { step: 'check_apache2', tool: 'apache2', command: 'apache2', versionArgs: ['-v'], versionPattern: 'Apache/(\\S+)' },
  {
    step: 'check_crontab',
    tool: 'crontab (cron)',
    command: 'crontab',
    versionArgs: ['-V'],
    versionPattern: '(\\d+[\\w.\\-]*)',
  },
  {
    step: 'check_rsync',
    tool: 'rsync',
    command: 'rsync',
    versionArgs: ['--version'],
    versionPattern: 'version (\\S+)',
  },
  {
    step: 'check_rclone',
    tool: 'rclone',
    command: 'rclone',
    versionArgs: ['version'],
    versionPattern: 'rclone v(\\S+)',
  },
  {
    step: 'check_ssh',
    tool: 'ssh (openssh-client)',
    command: 'ssh',
    versionArgs: ['-V'],
    versionPattern: 'OpenSSH_([^\\s,]+)',
  },
  {
    step: 'check_etcd',
    tool: 'etcd',
    command: 'etcd',
    versionArgs: ['--version'],
    versionPattern: 'etcd Version: (\\S+)',
  },
];

/** The `host:doctor` workflow: every check in parallel, then one report. */
export const hostDoctor: Definition = workflow({
  id: 'host:doctor',
  title: 'Check the host tools gravity workflows need',
  description:
    'Looks for git, docker (and a reachable daemon), vagrant, named-checkzone, apache2, crontab, rsync, rclone, ssh and etcd; prints their versions. Missing tools are reported, not failures.',
  steps: sequence(
    parallel(
      'checks',
      ...doctorTools.map((t) =>
        task(
          t.step,
          'host.check-tool',
          {
            tool: t.tool,
            command: t.command,
            versionArgs: t.versionArgs,
            ...(t.versionPattern ? { versionPattern: t.versionPattern } : {}),
            alsoSearch: SBIN,
            ...(t.probe ? { probe: t.probe } : {}),
          },
          { title: `check ${t.tool}` },
        ),
      ),
    ),
    task(
      'report',
      'host.report',
      { title: 'gravity host doctor', checks: doctorTools.map((t) => `=steps.${t.step}`) },
      { title: 'write the report' },
    ),
  ),
  output: '=steps.report',
});
