// env:up / env:halt / env:destroy / env:status over the environments named in `envs`; through `manage`, also the
// platform:up / halt / destroy / status of workflows/platform/manage.ts, over every environment of the platform. The
// same steps, through the engine's for-each (one environment failing does not stop the others; every failure is named
// at the end).
import {
  approval,
  call,
  decide,
  forEach,
  sequence,
  task,
  workflow,
  type Definition,
  type ParamSpec,
} from '../../engine/authoring.js';
import { platformHomeParam, platformParam } from '../platform/init.js';

/** Where the host's Bind and Apache keep gravity's files (as host:bind-proxy's params). */
const hostFiles: Record<string, ParamSpec> = {
  zonesDir: { type: 'string', path: true, default: '/etc/bind/gravity', description: 'The folder of the zone files.' },
  include: {
    type: 'string',
    path: true,
    default: '/etc/bind/named.conf.gravity',
    description: 'The zone include file.',
  },
  sitesDir: {
    type: 'string',
    path: true,
    default: '/etc/apache2/gravity',
    description: 'The folder of the virtual hosts files.',
  },
};

const envsParam: ParamSpec = {
  type: 'string',
  pattern: '^[a-z0-9-]+(,[a-z0-9-]+)*$',
  description: 'The environments, comma-separated (e.g. 1161,1170).',
};

/** The environments a run goes over: `envs` when given (each checked by platform.get), else every one of the platform. */
const ENVS = '=steps.platform.selected';
// (an item of the for-each is a child run: it sees the params, not the parent's steps)
const DIR = '=home + "/platforms/" + platform + "/" + env';

type Verb = 'up' | 'halt' | 'destroy' | 'status';

/** The body of one environment for a verb. */
function bodyOf(verb: Exclude<Verb, 'status'>) {
  if (verb === 'up')
    return task(
      'up',
      'vagrant.up',
      { dir: DIR, provider: '=get value(params, "provider")' },
      { title: 'vagrant up its machines' },
    );
  if (verb === 'halt') return task('halt', 'vagrant.halt', { dir: DIR }, { title: 'vagrant halt its machines' });
  return sequence(
    call(
      'unbind',
      'host:unbind-proxy',
      // (namedPidFile and apacheConf only when given: a null param is refused)
      '=context merge([{platform: platform, env: env, home: home, zonesDir: zonesDir, include: include, sitesDir: sitesDir, reload: reload}, if get value(params, "namedPidFile") != null then {namedPidFile: namedPidFile} else {}, if get value(params, "apacheConf") != null then {apacheConf: apacheConf} else {}])' as unknown as Record<
        string,
        unknown
      >,
      { title: "take its names out of the host's Bind and Apache" },
    ),
    task('machines', 'vagrant.destroy', { dir: DIR, ifPresent: true }, { title: 'vagrant destroy its machines' }),
    task('release', 'platform.release', { platform: '=platform', env: '=env' }, { title: 'release its addresses' }),
    task('workspace', 'fs.remove', { path: DIR, recursive: true }, { title: 'remove its folder' }),
  );
}

const DESCRIPTIONS: Record<Verb, string> = {
  up: 'vagrant up the machines of each environment (its Vagrantfile, made by env:init); a running machine is left as it is.',
  halt: 'vagrant halt the machines of each environment; a stopped one is left as it is.',
  destroy:
    "Destroys each environment, leaving nothing behind: its names taken out of the host's Bind and Apache (host:unbind-proxy), its machines destroyed (vagrant destroy -f), its addresses released, its folder removed. Asks for confirmation through an approval step unless yes=true. Every step can run again: a destroy interrupted halfway resumes and finishes.",
  status:
    "A table of the environments: each one's homepage and sites' URLs, its machines with their address and state (vagrant status), and whether the host's Bind and Apache serve it. --json gives the rows.",
};

/** One workflow of the family: `scope` env (envs required) or platform (every environment: workflows/platform/manage.ts). */
export function manage(scope: 'env' | 'platform', verb: Verb): Definition {
  const params: Record<string, ParamSpec> = {
    platform: platformParam,
    ...(scope === 'env' ? { envs: envsParam } : {}),
    home: platformHomeParam,
    ...(verb === 'up'
      ? {
          provider: {
            type: 'string',
            enum: ['virtualbox', 'libvirt', 'docker'],
            required: false,
            description:
              "The provider of machines not created yet (absent: the one they were created with, or vagrant's default).",
          },
        }
      : {}),
    ...(verb === 'destroy' || verb === 'status' ? hostFiles : {}),
    ...(verb === 'destroy'
      ? {
          yes: { type: 'boolean', default: false, description: 'Destroy without asking.' },
          reload: { type: 'boolean', default: true, description: 'Reload named and Apache when names were taken out.' },
          namedPidFile: {
            type: 'string',
            path: true,
            required: false,
            description: "named's pid file (reloaded by SIGHUP); absent: rndc reload.",
          },
          apacheConf: {
            type: 'string',
            path: true,
            required: false,
            description: "Apache's configuration file (apache2 -k graceful -f); absent: apache2ctl graceful.",
          },
        }
      : {}),
  };
  const read = task(
    'platform',
    'platform.get',
    { home: '=home', platform: '=platform', envs: '=get value(params, "envs")' },
    { title: 'read the platform' },
  );
  const id = `${scope}:${verb}`;
  const title = `${{ up: 'Start', halt: 'Stop', destroy: 'Destroy', status: 'Report' }[verb]} ${scope === 'env' ? 'environments' : "a platform's environments"}`;
  if (verb === 'status')
    return workflow({
      id,
      title: scope === 'env' ? 'Report environments' : "Report a platform's environments",
      description: DESCRIPTIONS.status,
      params,
      root: '=home + "/.."',
      steps: sequence(
        read,
        task(
          'status',
          'platform.status',
          {
            home: '=home',
            platform: '=platform',
            envs: ENVS,
            include: '=include',
            zonesDir: '=zonesDir',
            sitesDir: '=sitesDir',
          },
          { title: 'read each environment' },
        ),
      ),
      output: '=steps.status',
    });
  const each = forEach('envs', ENVS, bodyOf(verb), { as: 'env', onFailure: 'all', title: `${verb} each environment` });
  return workflow({
    id,
    title,
    description: DESCRIPTIONS[verb],
    params,
    root: '=home + "/.."',
    steps:
      verb === 'destroy'
        ? sequence(
            read,
            decide(
              'confirm',
              [
                {
                  when: 'not(yes)',
                  label: 'ask',
                  then: approval(
                    'approve',
                    '="destroy environments " + string join(' +
                      ENVS.slice(1) +
                      ', ", ") + " of " + platform + ": machines, names, addresses and folders?"',
                  ),
                },
              ],
              undefined,
              'yes=true given?',
            ),
            each,
          )
        : sequence(read, each),
    output: `={platform: platform, environments: ${ENVS.slice(1)}}`,
  });
}

export const envUp = manage('env', 'up');
export const envHalt = manage('env', 'halt');
export const envDestroy = manage('env', 'destroy');
export const envStatus = manage('env', 'status');
