// gitlab:commission — a GitLab instance on Docker, one per address of the host: allocated in the inventory, its folder,
// its container (host network or published ports), healthy, its external_url set and reconfigured, recorded active.
// Any failure rolls back what was made: container removed, folder removed, number and address released.
import { call, decide, sequence, task, workflow, type Definition } from '../../engine/authoring.js';

/** The GitLab image commission uses unless told otherwise (pinned: a restore needs the same version). */
export const DEFAULT_GITLAB_IMAGE = 'gitlab/gitlab-ce:17.5.1-ce.0';

/** The params every gitlab:* workflow shares: where the instance folders are. */
export const gitlabRootParam = {
  type: 'string',
  path: true,
  default: '/srv/gitlab',
  description: 'The folder holding the instance folders (noeud-gitlab-<n>).',
} as const;

const dir = (sub: string) => `=steps.allocate.dir + "/mapping-volumes/${sub}"`;

/** The `gitlab:commission` workflow. */
export const gitlabCommission: Definition = workflow({
  id: 'gitlab:commission',
  title: 'Commission a GitLab instance on Docker',
  description:
    'Allocates a name, number and address (under the inventory lock), creates noeud-gitlab-<n>/mapping-volumes/{data,config,log} and bckups/, runs the container (restart always, the three volumes, host network or published IP:80/443/22), waits until healthy, sets external_url and reconfigures, and records the instance active. Any failure rolls everything back.',
  params: {
    name: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]{0,39}$',
      description: 'The instance name: lower-case letters, digits and dashes, at most 40.',
    },
    root: gitlabRootParam,
    ip: { type: 'string', required: false, description: 'Its address; default: the first free one of the pool.' },
    pool: {
      type: 'string',
      required: false,
      description: "Addresses to choose from (a list, a range a-b, a CIDR); default: the host's IPv4 addresses.",
    },
    image: { type: 'string', default: DEFAULT_GITLAB_IMAGE, description: 'The GitLab image (name:<version>-ce.<n>).' },
    network: {
      type: 'string',
      enum: ['publish', 'host'],
      default: 'publish',
      description: 'publish: ports 80, 443 and 22 published on the address; host: the container on the host network.',
    },
    healthTimeoutMs: {
      type: 'integer',
      default: 600_000,
      description: 'How long to wait for the instance to be healthy (GitLab takes minutes to start).',
    },
    healthCheck: {
      type: 'array',
      required: false,
      description:
        'A health check instead of the image\'s own, as a JSON list of arguments run in the container (e.g. ["curl","-fsS","http://10.0.0.5/help"]): GitLab\'s own asks localhost, which a host-network instance listening on its own address does not answer.',
    },
    schedule: {
      type: 'string',
      default: '0 */4 * * *',
      pattern: '^$|^@[a-z]+$|^\\S+ \\S+ \\S+ \\S+ \\S+$',
      description: 'When its online backups run (gitlab:schedule: a block in the crontab); empty: no schedule.',
    },
  },
  // the run root is the folder above the instances' (which a first commission creates): writes stay under it
  root: '=root + "/.."',
  rollbackOnFailure: true,
  steps: sequence(
    task(
      'allocate',
      'gitlab.allocate',
      {
        name: '=name',
        root: '=root',
        ip: '=get value(params, "ip")',
        pool: '=get value(params, "pool")',
        image: '=image',
        network: '=network',
      },
      { title: 'allocate its number and address' },
    ),
    task('folder', 'gitlab.prepare-dir', { dir: '=steps.allocate.dir' }, { title: 'create its folder' }),
    task(
      'container',
      'docker.run',
      {
        image: '=image',
        name: '=steps.allocate.container',
        hostname: '=name',
        network: '=if network = "host" then "host" else null',
        publish:
          '=if network = "publish" then [steps.allocate.ip + ":80:80", steps.allocate.ip + ":443:443", steps.allocate.ip + ":22:22"] else []',
        volumes: [
          { source: dir('config'), target: '/etc/gitlab' },
          { source: dir('log'), target: '/var/log/gitlab' },
          { source: dir('data'), target: '/var/opt/gitlab' },
        ],
        env: {
          GITLAB_OMNIBUS_CONFIG:
            '="external_url \'" + steps.allocate.url + "\'" + (if network = "host" then "; nginx[\'listen_addresses\'] = [\'" + steps.allocate.ip + "\']" else "")',
        },
        restart: 'always',
        shmSize: '256m',
        labels: { 'org.gravity.gitlab-instance': '=name' },
        health:
          '=if get value(params, "healthCheck") != null then {command: get value(params, "healthCheck")} else null',
      },
      { title: 'run its container' },
    ),
    task(
      'healthy',
      'docker.wait-healthy',
      { name: '=steps.allocate.container', timeoutMs: '=healthTimeoutMs' },
      { title: 'wait until it is healthy' },
    ),
    task(
      'configure',
      'gitlab.configure',
      {
        config: dir('config'),
        url: '=steps.allocate.url',
        listen: '=if network = "host" then steps.allocate.ip else null',
      },
      { title: 'set external_url in gitlab.rb' },
    ),
    task(
      'reconfigure',
      'docker.exec',
      { name: '=steps.allocate.container', command: ['gitlab-ctl', 'reconfigure'], idempotent: true },
      { title: 'gitlab-ctl reconfigure' },
    ),
    task(
      'ready',
      'docker.wait-healthy',
      { name: '=steps.allocate.container', timeoutMs: '=healthTimeoutMs' },
      { title: 'wait until it is healthy again' },
    ),
    task('activate', 'gitlab.update', { name: '=name', state: 'active' }, { title: 'record it active' }),
    decide('scheduled', [
      {
        when: 'schedule != ""',
        label: 'a schedule',
        then: call('schedule', 'gitlab:schedule', { instance: '=name', cron: '=schedule', root: '=root' }),
      },
    ]),
  ),
  output:
    '={name: name, url: steps.allocate.url, ip: steps.allocate.ip, dir: steps.allocate.dir, container: steps.allocate.container, version: steps.allocate.version}',
});
