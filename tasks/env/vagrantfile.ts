// env.vagrantfile: writes the Vagrantfile of one environment (one machine per `config.vm.define`, for VirtualBox,
// libvirt or Docker, provisioned by masterless Salt or a shell script), checked with `vagrant validate` beside its
// target before it is renamed into place: a file vagrant refuses is never installed.
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError, type TaskContext } from '../../engine/index.js';
import { execCommand } from '../support/command.js';
import { dnsLabel, envHost, envModel, type EnvModel } from './model.js';
import { installedOutput, installGenerated, numbered, restoreGenerated, type Candidate } from './support.js';

/** A path written into the Vagrantfile, relative to its folder (or absolute): no quotes, spaces or `#` to escape. */
const vagrantPath = () =>
  z
    .string()
    .min(1)
    .max(500)
    .regex(
      /^[A-Za-z0-9._/+-]+$/,
      'a path of letters, digits, ".", "_", "-", "+" and "/" (relative to the Vagrantfile\'s folder, or absolute)',
    );

/** A Vagrant box: `name` or `owner/name` (e.g. debian/bookworm64). */
const boxName = z
  .string()
  .max(200)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/,
    'a Vagrant box name such as debian/bookworm64 (letters, digits, ".", "_", "-", one "/")',
  );

/** A docker image for the docker provider (docker.run's rule: lower-case name, optional :tag or @sha256:digest). */
const dockerImage = () =>
  z
    .string()
    .max(255)
    .regex(
      /^[a-z0-9][a-z0-9._/:-]*(@sha256:[a-f0-9]{64})?$/,
      'an image reference such as debian:bookworm (lower-case name, optional :tag or @sha256:digest)',
    );

/** An argument of the shell provisioner's script: any text but control characters (it is escaped in the file). */
const scriptArg = z
  .string()
  .max(1000)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'an argument without control characters (newlines, tabs...)');

/** How the machines are provisioned: masterless Salt from a folder of states, or a shell script. */
const saltInput = z
  .strictObject({
    states: vagrantPath().describe(
      "The folder of Salt states (its top.sls included), relative to the Vagrantfile's folder: synced to /srv/salt.",
    ),
    pillar: vagrantPath().optional().describe('A folder of pillar data, synced to /srv/pillar.'),
    minionConfig: vagrantPath()
      .optional()
      .describe('A minion configuration file (salt.minion_config); vagrant checks that it exists.'),
    logLevel: z
      .enum(['quiet', 'critical', 'error', 'warning', 'info', 'debug'])
      .default('info')
      .describe('salt-call --log-level.'),
  })
  .describe(
    'Provision with masterless Salt (salt-call --local state.highstate, failing on a failed state), the environment in the pillar under `gravity`.',
  );

const shellInput = z
  .strictObject({
    script: vagrantPath().describe(
      "The script run as root on each machine, relative to the Vagrantfile's folder; vagrant checks that it exists.",
    ),
    args: z.array(scriptArg).max(64).default([]).describe('Its arguments.'),
  })
  .describe('Provision with a shell script, given the environment in GRAVITY_* variables.');

export const envVagrantfileInput = z
  .strictObject({
    model: envModel.describe('The environment: platform, env, domain, machines, sites and tools.'),
    provider: z
      .enum(['virtualbox', 'libvirt', 'docker'])
      .describe(
        'virtualbox or libvirt: a VM per machine from `box`, on a private network at its ip; docker: a container per machine from its image, on the host network (the machine binds its own ip).',
      ),
    path: z
      .string()
      .min(1)
      .default('Vagrantfile')
      .describe('Where the Vagrantfile is written (relative to the run root); it must be inside the run root.'),
    box: boxName.default('debian/bookworm64').describe('The box of every machine (virtualbox and libvirt).'),
    image: dockerImage().default('debian:bookworm').describe('The image of every machine (docker).'),
    images: z
      .record(dnsLabel('images: machine'), dockerImage())
      .default({})
      .describe('The image of some machines, by machine name, instead of `image` (docker).'),
    memory: z
      .number()
      .int()
      .min(128)
      .max(1_048_576)
      .default(1024)
      .describe('MB of memory per VM (virtualbox, libvirt).'),
    cpus: z.number().int().min(1).max(256).default(1).describe('CPUs per VM (virtualbox, libvirt).'),
    salt: saltInput
      .nullable()
      .optional()
      .describe(
        'Provision with masterless Salt (salt-call --local state.highstate, failing on a failed state), the environment in the pillar under `gravity`.',
      ),
    shell: shellInput
      .nullable()
      .optional()
      .describe('Provision with a shell script, given the environment in GRAVITY_* variables.'),
  })
  .superRefine((i, ctx) => {
    if (!i.salt === !i.shell)
      ctx.addIssue({
        code: 'custom',
        path: [i.salt ? 'shell' : 'salt'],
        message: 'give one provisioner: salt (a folder of Salt states) or shell (a script), not both nor neither',
      });
    const machines = new Set(i.model.machines.map((m) => m.name));
    for (const name of Object.keys(i.images))
      if (!machines.has(name))
        ctx.addIssue({ code: 'custom', path: ['images', name], message: `images: no machine ${name} in the model` });
    for (const [n, m] of i.model.machines.entries())
      if (machineHost(i.model, m.name).length > 253)
        ctx.addIssue({
          code: 'custom',
          path: ['model', 'machines', n, 'name'],
          message: `machine ${m.name}: its host name ${machineHost(i.model, m.name)} is longer than 253 characters`,
        });
  });
export type EnvVagrantfileInput = z.output<typeof envVagrantfileInput>;

/** `<machine>.<env>.<platform>.<domain>`: a machine's host name. */
export const machineHost = (m: Pick<EnvModel, 'env' | 'platform' | 'domain'>, machine: string) =>
  `${machine}.${envHost(m)}`;

/**
 * A Ruby double-quoted string holding `s` as it is: `\`, `"` and `#` (which would start an interpolation) escaped.
 * Control characters are refused (the schemas keep them out already).
 */
export function rubyString(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s))
    throw new TaskError(`a control character cannot go into the Vagrantfile: ${JSON.stringify(s)}`);
  return `"${s.replace(/[\\"#]/g, (c) => `\\${c}`)}"`;
}

/** A Ruby hash of string keys and values (strings, or arrays of them), one pair a line, indented by `pad`. */
function rubyHash(entries: [string, string | string[]][], pad: string): string {
  const value = (v: string | string[]) => (typeof v === 'string' ? rubyString(v) : `[${v.map(rubyString).join(', ')}]`);
  return `{\n${entries.map(([k, v]) => `${pad}  ${rubyString(k)} => ${value(v)},`).join('\n')}\n${pad}}`;
}

/** What a machine's provisioner is told about the environment and itself. */
function machineFacts(i: EnvVagrantfileInput, machine: EnvModel['machines'][number]): [string, string | string[]][] {
  const m = i.model;
  return [
    ['platform', m.platform],
    ['env', m.env],
    ['domain', m.domain],
    ['machine', machine.name],
    ['kind', machine.kind],
    ['ip', machine.ip],
    ['hostname', machineHost(m, machine.name)],
    ['sites', m.sites.filter((s) => s.machine === machine.name).map((s) => s.name)],
  ];
}

/** The Vagrantfile for `i`: deterministic (the same input gives the same bytes), every value escaped. */
export function renderVagrantfile(i: EnvVagrantfileInput): string {
  const m = i.model;
  const vm = i.provider !== 'docker';
  const q = rubyString;
  const prefix = `${m.platform}-${m.env}-`;
  const out: string[] = [
    `# Vagrantfile of ${envHost(m)}, written by gravity (env.vagrantfile): generate it again rather than edit it.`,
    `# Provider: ${i.provider}. Provisioner: ${i.salt ? `masterless Salt (${i.salt.states})` : `shell (${i.shell!.script})`}.`,
  ];
  if (!vm)
    out.push(
      '# Docker: each container shares the host network (its service binds its own ip) and has no SSH, so vagrant',
      '# does not run the provisioner in it: the image must hold what the machine runs.',
    );
  out.push('Vagrant.configure("2") do |config|');
  if (vm) out.push(`  config.vm.box = ${q(i.box)}`);
  for (const machine of m.machines) {
    if (out.at(-1) !== 'Vagrant.configure("2") do |config|') out.push('');
    out.push(`  config.vm.define ${q(machine.name)} do |m|`, `    m.vm.hostname = ${q(machineHost(m, machine.name))}`);
    if (vm) out.push(`    m.vm.network "private_network", ip: ${q(machine.ip)}`);
    if (i.provider === 'virtualbox')
      out.push(
        '    m.vm.provider "virtualbox" do |v|',
        `      v.name = ${q(prefix + machine.name)}`,
        `      v.memory = ${i.memory}`,
        `      v.cpus = ${i.cpus}`,
        '    end',
      );
    if (i.provider === 'libvirt')
      out.push(
        '    m.vm.provider "libvirt" do |l|',
        `      l.default_prefix = ${q(prefix)}`,
        `      l.memory = ${i.memory}`,
        `      l.cpus = ${i.cpus}`,
        '    end',
      );
    // the shell provisioner's variables, and the container's own environment on docker (where no provisioner runs:
    // the image's command reads GRAVITY_IP to bind its own address)
    const facts = machineFacts(i, machine).map(([k, v]): [string, string] => [
      `GRAVITY_${k.toUpperCase()}`,
      typeof v === 'string' ? v : v.join(' '),
    ]);
    if (i.provider === 'docker')
      out.push(
        '    m.vm.provider "docker" do |d|',
        `      d.image = ${q(i.images[machine.name] ?? i.image)}`,
        `      d.name = ${q(prefix + machine.name)}`,
        '      d.has_ssh = false',
        '      d.create_args = ["--network", "host"]',
        `      d.env = ${rubyHash(facts, '      ')}`,
        '    end',
      );
    const sync = vm ? ', type: "rsync"' : '';
    if (i.salt) {
      out.push(`    m.vm.synced_folder ${q(i.salt.states)}, "/srv/salt"${sync}`);
      if (i.salt.pillar) out.push(`    m.vm.synced_folder ${q(i.salt.pillar)}, "/srv/pillar"${sync}`);
      out.push(
        '    m.vm.provision "salt" do |salt|',
        '      salt.masterless = true',
        `      salt.minion_id = ${q(machine.name)}`,
        ...(i.salt.minionConfig ? [`      salt.minion_config = ${q(i.salt.minionConfig)}`] : []),
        '      salt.run_highstate = true',
        `      salt.log_level = ${q(i.salt.logLevel)}`,
        '      salt.colorize = false',
        '      salt.verbose = true',
        '      salt.salt_call_args = ["--retcode-passthrough"]',
        '      salt.pillar({',
        `        "gravity" => ${rubyHash(machineFacts(i, machine), '        ')},`,
        '      })',
        '    end',
      );
    } else {
      const sh = i.shell!;
      // (the sites a space-separated list, as a shell reads it)
      out.push(
        `    m.vm.provision "shell", path: ${q(sh.script)},`,
        `      args: [${sh.args.map(q).join(', ')}],`,
        `      env: ${rubyHash(facts, '      ')}`,
      );
    }
    out.push('  end');
  }
  out.push('end', '');
  return out.join('\n');
}

/** The environment `vagrant validate` runs in: no version check over the network, no colours. */
export const VAGRANT_ENV = { VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_NO_COLOR: '1' };

/**
 * Runs `vagrant validate --ignore-provider` on the candidate file, in its folder (VAGRANT_VAGRANTFILE names it, so
 * relative paths in it are taken from where it is installed); throws a TaskError with vagrant's own message and the
 * file when vagrant refuses it. A `.vagrant` folder vagrant made for the check (there was none) is removed.
 */
export async function vagrantValidate(
  ctx: Pick<TaskContext<unknown>, 'exec' | 'signal'>,
  c: Candidate,
  content: string,
): Promise<void> {
  const target = c.target;
  const dotVagrant = join(c.dir, '.vagrant');
  const hadDotVagrant = await stat(dotVagrant).then(
    () => true,
    () => false,
  );
  try {
    const r = await execCommand(ctx, 'vagrant', ['validate', '--ignore-provider'], {
      cwd: c.dir,
      // VAGRANT_CWD too: one set in gravity's environment would point vagrant elsewhere
      env: { ...VAGRANT_ENV, VAGRANT_CWD: c.dir, VAGRANT_VAGRANTFILE: c.name },
      timeoutMs: 120_000,
      allowFail: true,
    });
    if (r.exitCode === 127 && /ENOENT|not found/i.test(r.stderr))
      throw new TaskError(
        `env.vagrantfile: vagrant is not installed (apt-get install vagrant): the Vagrantfile is checked with vagrant validate before it is installed, nothing was written`,
        { path: target },
      );
    if (r.exitCode !== 0) {
      const said = `${r.stderr}\n${r.stdout}`
        .split(c.file)
        .join(`${target} (new)`)
        .split(c.name)
        .join('Vagrantfile (new)')
        .split('\n')
        .filter((l) => l.trim() !== '' && !/Ignoring provider config for validation/.test(l))
        .join('\n');
      throw new TaskError(
        `vagrant validate refused the Vagrantfile generated for ${target}; nothing was installed.\nvagrant says:\n${said}\nthe refused file:\n${numbered(content)}`,
        { path: target, exitCode: r.exitCode, vagrant: said, content },
      );
    }
  } finally {
    if (!hadDotVagrant) await rm(dotVagrant, { recursive: true, force: true });
  }
}

/** Writes the Vagrantfile of an environment, checked by vagrant first. */
export const envVagrantfile = defineTask({
  id: 'env.vagrantfile',
  title: 'Write the Vagrantfile of an environment',
  description:
    "Writes the Vagrantfile of one environment: a `config.vm.define` per machine, host name <machine>.<env>.<platform>.<domain>; virtualbox or libvirt: a VM from `box` on a private network at the machine's ip; docker: a container from its image on the host network (no SSH, so vagrant runs no provisioner in it). Provisioned by masterless Salt (a folder of states synced to /srv/salt, highstate, the environment in the pillar) or a shell script (the environment in GRAVITY_* variables). Every value is validated and escaped; the output is deterministic. The file is written beside its target and checked with `vagrant validate --ignore-provider` there; only a file vagrant accepts is renamed into place, else the step fails with vagrant's own message and the file, the previous one untouched. Rollback puts the previous file back (or removes it). Writes confined to the run root: `path`.",
  input: envVagrantfileInput,
  output: z.object({ ...installedOutput, provider: z.string().describe('The provider it is for.') }),
  idempotent: true,
  timeoutMs: 5 * 60_000,
  plan: (i) => [
    `write ${i.path} for ${envHost(i.model)}: ${i.model.machines.length} machine(s) on ${i.provider}, provisioned by ${i.salt ? `Salt (${i.salt.states})` : `shell (${i.shell?.script})`}, checked with vagrant validate first`,
  ],
  async run(ctx) {
    const content = renderVagrantfile(ctx.input);
    const started = performance.now();
    const r = await installGenerated(ctx, {
      task: 'env.vagrantfile',
      param: 'path',
      path: ctx.input.path,
      content,
      validate: (c) => vagrantValidate(ctx, c, content),
    });
    const ms = Math.round(performance.now() - started);
    ctx.log.info(
      `${r.changed ? 'wrote' : 'unchanged:'} ${r.path} (${ctx.input.model.machines.length} machine(s), ${ctx.input.provider}; vagrant validate passed in ${ms} ms)`,
    );
    return { ...r, provider: ctx.input.provider };
  },
  async compensate(ctx) {
    await restoreGenerated(ctx, { ...ctx.output, wrote: renderVagrantfile(ctx.input) });
  },
});
