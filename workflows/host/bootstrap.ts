// host:bootstrap — what the environments family needs on the host (vagrant, a provider, bind9, apache2 with its proxy
// modules, git), checked; with yes=true, the Debian packages of what is missing installed through apt-get (only those),
// then everything checked again. Without yes, a missing tool fails the run with the packages and the command to run.
import { decide, fail, parallel, sequence, task, workflow, type Definition } from '../../engine/authoring.js';

const SBIN = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

/** The tool checks of host:bootstrap (host.check-tool inputs), by step name (`check_<name>`, `recheck_<name>`). */
export const bootstrapChecks: Array<{
  name: string;
  tool: string;
  command: string;
  versionArgs: string[];
  versionPattern?: string;
  probe?: { args: string[]; label: string };
}> = [
  {
    name: 'vagrant',
    tool: 'vagrant',
    command: 'vagrant',
    versionArgs: ['--version'],
    versionPattern: 'Vagrant (\\S+)',
  },
  // the docker CLI is what makes docker the provider; whether a daemon answers is reported, not required
  {
    name: 'docker',
    tool: 'docker',
    command: 'docker',
    versionArgs: ['--version'],
    versionPattern: 'version ([^,\\s]+)',
  },
  {
    name: 'docker_daemon',
    tool: 'docker daemon',
    command: 'docker',
    versionArgs: ['--version'],
    versionPattern: 'version ([^,\\s]+)',
    probe: { args: ['info', '--format', '{{.ServerVersion}}'], label: 'daemon' },
  },
  { name: 'virsh', tool: 'virsh', command: 'virsh', versionArgs: ['--version'] },
  { name: 'libvirtd', tool: 'libvirtd', command: 'libvirtd', versionArgs: ['--version'] },
  {
    name: 'vboxmanage',
    tool: 'VBoxManage',
    command: 'VBoxManage',
    versionArgs: ['--version'],
    versionPattern: '^(\\S+)',
  },
  { name: 'named', tool: 'named', command: 'named', versionArgs: ['-v'], versionPattern: 'BIND (\\S+)' },
  {
    name: 'named_checkzone',
    tool: 'named-checkzone',
    command: 'named-checkzone',
    versionArgs: ['-v'],
    versionPattern: '^(\\S+)',
  },
  { name: 'dig', tool: 'dig', command: 'dig', versionArgs: ['-v'], versionPattern: 'DiG (\\S+)' },
  { name: 'apache2', tool: 'apache2', command: 'apache2', versionArgs: ['-v'], versionPattern: 'Apache/(\\S+)' },
  { name: 'git', tool: 'git', command: 'git', versionArgs: ['--version'], versionPattern: 'git version (\\S+)' },
];

/** The Apache modules gravity's own Apache config loads (LoadModule): their files must be there. */
export const APACHE_MODULES = ['proxy', 'proxy_http'];

/**
 * The libvirt provider's packages. libvirt-daemon-system brings libvirtd and virsh (libvirt-clients); with
 * --no-install-recommends, QEMU (only recommended) and dnsmasq (the default network's DHCP) are named, or libvirt
 * could start no machine; vagrant-libvirt is vagrant's plugin.
 */
export const LIBVIRT_PACKAGES = ['libvirt-daemon-system', 'qemu-system-x86', 'dnsmasq-base', 'vagrant-libvirt'];

/** Why host:bootstrap never installs VirtualBox. */
export const VIRTUALBOX_REFUSAL =
  "is not in Debian main (Oracle's own repository, or Debian's fasttrack/contrib): gravity does not install it; install it yourself, or choose --param provider=docker or provider=libvirt";

/** The checks of a provider (the others are of the tools every environment needs). */
const PROVIDER_CHECKS = ['docker', 'docker_daemon', 'virsh', 'libvirtd', 'vboxmanage'];

/**
 * The checks, their steps named `<prefix>_<name>`: the tools', then the providers', each group in parallel (two
 * groups of at most ten steps: more at once and Node warns of the listeners on the run's signal).
 */
function checks(prefix: string) {
  const check = (t: (typeof bootstrapChecks)[number]) =>
    task(
      `${prefix}_${t.name}`,
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
    );
  return sequence(
    parallel(
      `${prefix}s_tools`,
      ...bootstrapChecks.filter((t) => !PROVIDER_CHECKS.includes(t.name)).map(check),
      task(
        `${prefix}_apache_modules`,
        'host.apache-modules',
        { modules: APACHE_MODULES, tool: 'apache2 modules' },
        { title: `check apache2 modules ${APACHE_MODULES.join(', ')}` },
      ),
    ),
    parallel(`${prefix}s_providers`, ...bootstrapChecks.filter((t) => PROVIDER_CHECKS.includes(t.name)).map(check)),
  );
}

/** The host.requirements input over the checks named `<prefix>_<name>`. */
function requirements(prefix: string) {
  const s = (name: string) => `=steps.${prefix}_${name}`;
  const one = (name: string, check: string, pkg: string) => ({
    name,
    options: [{ checks: [s(check)], packages: [pkg] }],
  });
  return [
    one('vagrant', 'vagrant', 'vagrant'),
    {
      name: 'a provider',
      install: '=provider',
      options: [
        { name: 'docker', checks: [s('docker')], packages: ['docker.io'], notes: [s('docker_daemon')] },
        { name: 'libvirt', checks: [s('virsh'), s('libvirtd')], packages: LIBVIRT_PACKAGES },
        { name: 'virtualbox', checks: [s('vboxmanage')], packages: ['virtualbox'], refuse: VIRTUALBOX_REFUSAL },
      ],
    },
    one('named', 'named', 'bind9'),
    one('named-checkzone', 'named_checkzone', 'bind9-utils'),
    one('dig', 'dig', 'bind9-dnsutils'),
    {
      name: `apache2 (mod_${APACHE_MODULES.join(', mod_')})`,
      options: [{ checks: [s('apache2'), s('apache_modules')], packages: ['apache2'] }],
    },
    one('git', 'git', 'git'),
  ];
}

const TITLE = 'gravity host bootstrap';
const RERUN =
  '="gravity run host:bootstrap --param yes=true" + (if provider = "docker" then "" else " --param provider=" + provider)';

/** The `host:bootstrap` workflow. */
export const hostBootstrap: Definition = workflow({
  id: 'host:bootstrap',
  title: 'Check, and with yes=true install, what the environments need',
  description:
    "Checks vagrant, a provider (docker: its CLI, the daemon's answer reported; or libvirt: virsh and libvirtd; or VirtualBox: VBoxManage), named, named-checkzone, dig, apache2 with mod_proxy and mod_proxy_http available (enabled or not: reported) and git, each with its Debian package. Something missing fails the run with the packages, apt's simulation of their install and the command to run, unless yes=true: then the packages of what is missing (only those) are installed with apt-get (apt-get update first when the lists are a day old), and everything is checked again. VirtualBox is never installed (not in Debian main). Nothing missing: nothing runs; a second run changes nothing.",
  params: {
    yes: {
      type: 'boolean',
      default: false,
      description: 'Install the missing packages with apt-get (as root); without it, only check and report.',
    },
    provider: {
      type: 'string',
      enum: ['docker', 'libvirt', 'virtualbox'],
      default: 'docker',
      description:
        'The provider installed when none is there: docker (docker.io), libvirt (libvirt-daemon-system, QEMU, vagrant-libvirt) or virtualbox (never installed: not in Debian main).',
    },
  },
  steps: sequence(
    checks('check'),
    task(
      'assess',
      'host.requirements',
      { title: TITLE, requirements: requirements('check'), rerun: RERUN },
      { title: 'weigh the checks: what is missing, which packages' },
    ),
    decide('refusal', [
      {
        when: 'count(steps.assess.refused) > 0',
        label: 'cannot be installed by gravity',
        then: fail(
          'refused',
          '=steps.assess.summary + "\\n\\n" + steps.assess.report + "\\n\\n" + steps.assess.hint + "\\nnothing was installed"',
        ),
      },
    ]),
    decide('what', [
      {
        when: 'not(steps.assess.ok)',
        label: 'something is missing',
        then: sequence(
          task(
            'apt_plan',
            'host.apt-plan',
            { packages: '=steps.assess.packages' },
            { title: 'apt-get install -s --no-install-recommends -- <the missing packages> (a simulation)' },
          ),
          decide('confirm', [
            {
              when: 'not(yes)',
              label: 'yes=true not given',
              then: fail(
                'missing',
                '=steps.assess.summary + "\\n\\n" + steps.assess.report + "\\n\\n" + steps.apt_plan.report + "\\n\\n" + steps.assess.hint',
              ),
            },
          ]),
          task(
            'install',
            'host.apt-install',
            { packages: '=steps.assess.packages' },
            {
              title:
                'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -- <the missing packages> (apt-get update first when the lists are a day old)',
            },
          ),
          checks('recheck'),
          task(
            'reassess',
            'host.requirements',
            { title: TITLE, requirements: requirements('recheck'), installed: '=steps.install.installed' },
            { title: 'weigh the checks again' },
          ),
          decide('verify', [
            {
              when: 'not(steps.reassess.ok)',
              label: 'still missing',
              then: fail(
                'still_missing',
                '=steps.reassess.summary + "\\n\\n" + steps.reassess.report + "\\n\\n" + steps.reassess.hint',
              ),
            },
          ]),
        ),
      },
    ]),
  ),
  output: '=if get value(steps, "reassess") = null then steps.assess else steps.reassess',
});
