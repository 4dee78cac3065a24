// host:bind-proxy and host:unbind-proxy — one environment's names in the host's Bind and Apache: its zone file and its
// stanza in the zone include file, its virtual hosts (the homepage served from the environment's var/www), each checked
// by the real tool before it is installed, then named and Apache reloaded. Exactly that environment's files and lines
// are written or removed: every other environment's stay byte for byte. A failure rolls back what the run installed.
import { decide, fail, sequence, task, workflow, type Definition } from '../../engine/authoring.js';
import { envParam, platformHomeParam, platformParam } from '../platform/init.js';

/** Where the host's Bind and Apache take gravity's files from, and how they are reloaded: params of both workflows. */
const hostParams = {
  zonesDir: {
    type: 'string',
    path: true,
    default: '/etc/bind/gravity',
    description: 'The folder of the environments\u2019 zone files.',
  },
  include: {
    type: 'string',
    path: true,
    default: '/etc/bind/named.conf.gravity',
    description: 'The zone include file (named.conf has `include "/etc/bind/named.conf.gravity";`).',
  },
  sitesDir: {
    type: 'string',
    path: true,
    default: '/etc/apache2/gravity',
    description:
      'The folder of the environments\u2019 virtual hosts (apache2.conf has `IncludeOptional /etc/apache2/gravity/*.conf`).',
  },
  proxy: {
    type: 'string',
    default: '127.0.0.1',
    description: "The host Apache's address: the zone resolves the homepage and every site to it.",
  },
  proxyPort: { type: 'integer', default: 80, description: "The host Apache's port for the virtual hosts." },
  namedPidFile: {
    type: 'string',
    path: true,
    required: false,
    description: "named's pid file: reloaded by SIGHUP; absent: rndc reload.",
  },
  apacheConf: {
    type: 'string',
    path: true,
    required: false,
    description: "Apache's own configuration file (apache2 -k graceful -f <it>); absent: apache2ctl graceful.",
  },
  reload: { type: 'boolean', default: true, description: 'Reload named and Apache afterwards.' },
} as const;

/** named and Apache reloaded when `reload` is true and `when` holds (FEEL). */
const reloads = (when: string) =>
  decide(
    'reloading',
    [
      {
        when,
        label: 'reload them',
        then: sequence(
          task('named', 'bind.reload', { pidFile: '=get value(params, "namedPidFile")' }, { title: 'reload named' }),
          task('apache', 'apache.reload', { conf: '=get value(params, "apacheConf")' }, { title: 'reload Apache' }),
        ),
      },
    ],
    undefined,
    'reload the servers?',
  );

/** The `host:bind-proxy` workflow. */
export const hostBindProxy: Definition = workflow({
  id: 'host:bind-proxy',
  title: "Serve an environment's names from the host",
  description:
    "Installs environment <env>'s zone (its homepage and sites at the proxy address, each machine at its own) and its stanza in the zone include file, and its Apache virtual hosts (the homepage from the environment's var/www, each site proxied to its machine), each checked by named-checkzone, named-checkconf or apache2 -t before it is installed; then reloads named and Apache. Other environments' files and lines stay byte for byte; a failure rolls back what was installed.",
  params: { platform: platformParam, env: envParam, home: platformHomeParam, ...hostParams },
  rollbackOnFailure: true,
  steps: sequence(
    task(
      'platform',
      'platform.get',
      { home: '=home', platform: '=platform', env: '=env' },
      { title: 'read the environment' },
    ),
    decide(
      'described',
      [
        {
          when: 'steps.platform.model = null',
          label: 'no env.json',
          then: fail('not_initialised', 'the environment has no etc/gravity/env.json: run env:init first'),
        },
      ],
      undefined,
      'made by env:init?',
    ),
    task(
      'zone',
      'bind.zone',
      { model: '=steps.platform.model', proxy: '=proxy', zonesDir: '=zonesDir' },
      { title: 'install the zone file' },
    ),
    task(
      'include',
      'bind.include',
      {
        platform: '=platform',
        env: '=env',
        domain: '=steps.platform.domain',
        include: '=include',
        zonesDir: '=zonesDir',
      },
      { title: 'name the zone in the include file' },
    ),
    task(
      'vhosts',
      'apache.vhosts',
      {
        model: '=steps.platform.model',
        address: '=proxy',
        port: '=proxyPort',
        homepageDir: '=steps.platform.envDir + "/var/www"',
        sitesDir: '=sitesDir',
      },
      { title: 'install the virtual hosts' },
    ),
    reloads('reload'),
  ),
  output: '={platform: platform, env: env, zone: steps.zone, vhosts: steps.vhosts}',
});

/** The `host:unbind-proxy` workflow. */
export const hostUnbindProxy: Definition = workflow({
  id: 'host:unbind-proxy',
  title: "Stop serving an environment's names from the host",
  description:
    "Removes environment <env>'s stanza from the zone include file (checked by named-checkconf) and its zone file, and its Apache virtual hosts file; then reloads named and Apache. Other environments' files and lines stay byte for byte. An environment that is not bound changes nothing (and reloads nothing).",
  params: { platform: platformParam, env: envParam, home: platformHomeParam, ...hostParams },
  rollbackOnFailure: true,
  steps: sequence(
    task('platform', 'platform.get', { home: '=home', platform: '=platform' }, { title: 'read the platform' }),
    task(
      'zone',
      'bind.remove-zone',
      {
        platform: '=platform',
        env: '=env',
        domain: '=steps.platform.domain',
        include: '=include',
        zonesDir: '=zonesDir',
      },
      { title: 'remove the zone' },
    ),
    task(
      'vhosts',
      'apache.remove-vhosts',
      { platform: '=platform', env: '=env', sitesDir: '=sitesDir' },
      { title: 'remove the virtual hosts' },
    ),
    // only when something was taken out: unbinding an environment never bound changes nothing, reloads nothing
    reloads(
      'reload and (steps.zone.previousStanza != null or steps.zone.previousZone != null or steps.vhosts.previous != null)',
    ),
  ),
  output: '={platform: platform, env: env, zone: steps.zone, vhosts: steps.vhosts}',
});
