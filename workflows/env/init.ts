// env:init — an environment of a platform for a ticket: its workspace, the platform's projects cloned or updated, the
// chosen sites and their dependencies activated, addresses allocated, variables written, `*-dist` templates rendered,
// the Vagrantfile generated and each machine brought up, the Bind zone, the Apache virtual hosts and the homepage
// generated (and checked by the real tools) in the environment's own etc/ and var/; host:bind-proxy installs them.
import { decide, forEach, sequence, task, workflow, type Definition } from '../../engine/authoring.js';
import { envParam, platformHomeParam, platformParam } from '../platform/init.js';

/** The provider param: which Vagrant provider the machines run on. */
export const providerParam = {
  type: 'string' as const,
  enum: ['virtualbox', 'libvirt', 'docker'],
  default: 'virtualbox',
  description:
    'The Vagrant provider: virtualbox or libvirt (a VM per machine from `box`), docker (a container per machine from `image`, on the host network).',
};

// the environment's folder from the params alone (platform.get checks the names): --dry-run shows the real paths
const ENV_DIR = '=home + "/platforms/" + platform + "/" + env';
const MODEL = '=steps.describe.model';

/** The `env:init` workflow. */
export const envInit: Definition = workflow({
  id: 'env:init',
  title: 'Create an environment',
  description:
    "Creates environment <env> of a platform (platform:init made it): platforms/<platform>/<env>/{etc,srv,var}; each project cloned (or fast-forwarded) into srv/; the chosen sites and what they depend on linked in srv/build-enabled/; an address of the platform's range per machine; the variables in etc/gravity/ (env.json, env); every *-dist file under srv/ rendered with them; the Vagrantfile (one machine per active site or service) checked by vagrant validate; vagrant up of each machine; the Bind zone (etc/bind/), the Apache virtual hosts (etc/apache/) and the homepage (var/www/index.html), each checked by the real tool. host:bind-proxy then installs them in the host's Bind and Apache.",
  params: {
    platform: platformParam,
    env: envParam,
    sites: {
      type: 'string',
      required: false,
      pattern: '^[a-z0-9-]+(,[a-z0-9-]+)*$',
      description: "The sites, comma-separated (e.g. v5,api); default: each project's default sites.",
    },
    home: platformHomeParam,
    provider: providerParam,
    box: { type: 'string', default: 'debian/bookworm64', description: 'The box of the VMs (virtualbox, libvirt).' },
    image: { type: 'string', default: 'debian:bookworm', description: 'The image of the containers (docker).' },
    up: { type: 'boolean', default: true, description: 'Bring the machines up (false: generate everything only).' },
    proxy: {
      type: 'string',
      default: '127.0.0.1',
      description: "The host Apache's address: the zone resolves the homepage and every site to it.",
    },
    proxyPort: { type: 'integer', default: 80, description: "The host Apache's port for the virtual hosts." },
  },
  root: '=home + "/.."',
  steps: sequence(
    task(
      'platform',
      'platform.get',
      { home: '=home', platform: '=platform', env: '=env' },
      { title: 'read the platform' },
    ),
    forEach(
      'workspace',
      ['etc', 'srv', 'var'],
      task(
        'folder',
        'fs.mkdir',
        { path: '=home + "/platforms/" + platform + "/" + env + "/" + folder' },
        { title: 'make the folder' },
      ),
      { as: 'folder', title: 'make the workspace: etc, srv, var' },
    ),
    forEach(
      'projects',
      '=steps.platform.projects',
      task(
        'project',
        'platform.sync-project',
        { home: '=home', platform: '=platform', env: '=env', project: '=project.name' },
        { title: 'clone or update the project' },
      ),
      { as: 'project', title: 'clone or update each project into srv/' },
    ),
    task(
      'activate',
      'platform.activate',
      {
        home: '=home',
        platform: '=platform',
        env: '=env',
        sites: '=if get value(params, "sites") != null then split(get value(params, "sites"), ",") else []',
      },
      { title: 'activate the sites and their dependencies' },
    ),
    task(
      'addresses',
      'platform.allocate',
      { home: '=home', platform: '=platform', env: '=env', machines: '=steps.activate.machines' },
      { title: 'allocate an address per machine' },
    ),
    task(
      'describe',
      'platform.environment',
      {
        home: '=home',
        platform: '=platform',
        env: '=env',
        active: '=steps.activate.active',
        addresses: '=steps.addresses.addresses',
        tools: '=steps.activate.tools',
        provisioning: '=steps.activate.provisioning',
      },
      { title: 'write the variables to etc/gravity/' },
    ),
    task(
      'render',
      'fs.render',
      { dir: '=home + "/platforms/" + platform + "/" + env + "/srv"', vars: '=steps.describe.variables' },
      { title: 'render the *-dist files' },
    ),
    task(
      'vagrantfile',
      'env.vagrantfile',
      {
        model: MODEL,
        provider: '=provider',
        path: '=home + "/platforms/" + platform + "/" + env + "/Vagrantfile"',
        box: '=box',
        image: '=image',
        salt: '=get value(steps.describe.provisioner, "salt")',
        shell: '=get value(steps.describe.provisioner, "shell")',
      },
      { title: 'generate the Vagrantfile' },
    ),
    decide(
      'bring_up',
      [
        {
          when: 'up',
          label: 'bring them up',
          then: forEach(
            'machines',
            '=steps.activate.machines',
            task(
              'machine',
              'vagrant.up',
              { dir: ENV_DIR, machine: '=machine', provider: '=provider' },
              { title: 'vagrant up the machine' },
            ),
            { as: 'machine', title: 'vagrant up each machine' },
          ),
        },
      ],
      undefined,
      'bring the machines up?',
    ),
    task(
      'zone',
      'bind.zone',
      { model: MODEL, proxy: '=proxy', zonesDir: '=home + "/platforms/" + platform + "/" + env + "/etc/bind"' },
      { title: 'generate the Bind zone' },
    ),
    task(
      'vhosts',
      'apache.vhosts',
      {
        model: MODEL,
        address: '=proxy',
        port: '=proxyPort',
        homepageDir: '=home + "/platforms/" + platform + "/" + env + "/var/www"',
        sitesDir: '=home + "/platforms/" + platform + "/" + env + "/etc/apache"',
      },
      { title: 'generate the Apache virtual hosts' },
    ),
    task('status', 'vagrant.status', { dir: ENV_DIR }, { title: "read the machines' states" }),
    task(
      'homepage',
      'env.homepage',
      {
        model:
          '=context put(steps.describe.model, "machines", for m in steps.describe.model.machines return context put(m, "state", (for s in steps.status.machines return if s.name = m.name then s.state else null)[item != null][1]))',
        path: '=home + "/platforms/" + platform + "/" + env + "/var/www/index.html"',
      },
      { title: 'generate the homepage' },
    ),
  ),
  output:
    '={platform: platform, env: env, dir: home + "/platforms/" + platform + "/" + env, url: steps.describe.variables.ENV_URL, sites: steps.activate.sites, machines: steps.addresses.addresses}',
});
