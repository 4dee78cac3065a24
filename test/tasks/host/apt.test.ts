// host.apt-plan and host.apt-install against the host's real apt and dpkg, installing nothing: every command the
// tasks run goes through a recorder that refuses any apt-get but the simulation (`install -s`), so a test that went
// wrong could not change the machine. The install's command lines are checked as built; apt's simulation is run for
// real (read-only); installed packages are skipped without running apt-get; bad names are refused before anything runs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryStore, startRun, task, workflow, type TaskDefinition } from '../../../engine/index.js';
import { hostAptInstall } from '../../../tasks/host/apt-install.js';
import { hostAptPlan } from '../../../tasks/host/apt-plan.js';
import {
  debianPackage,
  installArgs,
  installLine,
  listsState,
  LISTS_MAX_AGE_MS,
  parseSimulation,
  simulateArgs,
  statusArgs,
  updateReason,
} from '../../../tasks/host/support-apt.js';
import { createDefaultRegistry } from '../../../tasks/index.js';
import { tempDir } from '../../support/git-fixtures.js';
import { contextFor } from '../context.js';

/** Whether dpkg says `pkg` is installed. */
function dpkgInstalled(pkg: string): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Status}', '--', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout === 'installed';
}

// a package of Debian main that this host does not have (a steam locomotive crossing the terminal), and the ones it has
const ABSENT = 'sl';
const PRESENT = ['git', 'apt'];

/** Runs a task with a real context whose exec records each command and refuses every apt-get but a simulation. */
async function run<I, O>(node: TaskDefinition<I, O>, raw: unknown): Promise<{ out: O; ran: string[][] }> {
  const { ctx } = contextFor(node, raw, { root: tempDir('gravity-apt-') });
  const ran: string[][] = [];
  const real = ctx.exec;
  ctx.exec = (command, args = [], o) => {
    ran.push([command, ...args]);
    if (/apt-get$/.test(command) && !args.includes('-s'))
      throw new Error(`the test refused to run ${command} ${args.join(' ')}`);
    return real(command, args, o);
  };
  return { out: node.output.parse(await node.run(ctx)), ran };
}

describe('Debian package names', () => {
  it.each(['git', 'bind9-dnsutils', 'libstdc++6', 'g++', 'docker.io', '0ad', 'qemu-system-x86'])('accepts %s', (n) => {
    expect(debianPackage.safeParse(n).success).toBe(true);
  });

  it.each([
    '-y',
    '--purge',
    '-oDpkg::Options::=--force-all',
    'Git',
    'a',
    'x y',
    '../pkg.deb',
    'git=1:2.39',
    'git:amd64',
    '',
  ])('refuses %j', (n) => {
    expect(debianPackage.safeParse(n).success).toBe(false);
  });

  it('refuses a bad name before anything runs, naming the field and the value', async () => {
    const engine = { store: createMemoryStore(), registry: createDefaultRegistry(), root: tempDir('gravity-apt-') };
    for (const node of ['host.apt-install', 'host.apt-plan']) {
      const def = workflow({
        id: 'test:apt',
        steps: task('apt', node, { packages: ['git', '-oAPT::Get::Trivial-Only=0'] }),
      });
      await expect(startRun(engine, def, { params: {} })).rejects.toThrow(
        `<apt> input of ${node} is invalid: packages.1: "-oAPT::Get::Trivial-Only=0" is not a Debian package name`,
      );
    }
    // a name that only the run computes is checked when the step starts: the step fails, nothing ran
    const def = workflow({
      id: 'test:apt',
      params: { pkg: { type: 'string' } },
      steps: task('apt', 'host.apt-install', { packages: ['=pkg'] }),
    });
    const r = await startRun(engine, def, { params: { pkg: '--reinstall' } });
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(/packages\.0: "--reinstall" is not a Debian package name/);
  });
});

describe('the apt command lines', () => {
  it('install with -y, no recommended package, and -- before the names; simulate with -s', () => {
    expect(installArgs(['vagrant', 'docker.io'])).toEqual([
      'install',
      '-y',
      '--no-install-recommends',
      '--',
      'vagrant',
      'docker.io',
    ]);
    expect(simulateArgs(['sl'])).toEqual(['install', '-s', '--no-install-recommends', '--', 'sl']);
    expect(installLine(['vagrant', 'docker.io'])).toBe(
      'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -- vagrant docker.io',
    );
    expect(statusArgs(['git'])).toEqual(['-W', '-f', '${Package}\\t${db:Status-Status}\\t${Version}\\n', '--', 'git']);
  });

  it("host.apt-install's plan shows each command line, and the condition of the update", () => {
    const plan = (input: object) => hostAptInstall.plan(hostAptInstall.input.parse(input));
    expect(plan({ packages: ['vagrant', 'bind9-utils'] })).toEqual([
      "dpkg-query -W -f '${Package}\\t${db:Status-Status}\\t${Version}\\n' -- vagrant bind9-utils   (installed packages are skipped)",
      'apt-get update   (only when /var/lib/apt/lists has no package list or none changed in the last 24 hours)',
      'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -- vagrant bind9-utils   (the packages not installed; none: nothing runs)',
    ]);
    expect(plan({ packages: ['git'], update: 'never' })).toHaveLength(2);
    expect(plan({ packages: ['git'], update: 'always' })[1]).toBe('apt-get update');
    expect(plan({ packages: [] })).toEqual(['nothing to install: no package given']);
    expect(hostAptPlan.plan(hostAptPlan.input.parse({ packages: ['sl'] }))[1]).toMatch(
      /^apt-get install -s --no-install-recommends -- sl {3}\(the packages not installed; a simulation, it changes nothing\)$/,
    );
  });
});

describe('host.apt-install', () => {
  it('skips installed packages: nothing to install runs no apt-get', async () => {
    for (const p of PRESENT) expect(dpkgInstalled(p), `${p} should be installed on this host`).toBe(true);
    const { out, ran } = await run(hostAptInstall, { packages: PRESENT });
    expect(out).toEqual({ installed: [], skipped: PRESENT, updated: false, commands: [] });
    expect(ran.map((c) => c[0].replace(/.*\//, ''))).toEqual(['dpkg-query']);
  });

  it('given no package, runs nothing at all', async () => {
    const { out, ran } = await run(hostAptInstall, { packages: [] });
    expect(out).toEqual({ installed: [], skipped: [], updated: false, commands: [] });
    expect(ran).toEqual([]);
  });

  it('refuses to install as another user than root, with the command to run, before apt-get', async () => {
    expect(dpkgInstalled(ABSENT)).toBe(false);
    const uid = vi.spyOn(process, 'getuid').mockReturnValue(1000);
    try {
      await expect(run(hostAptInstall, { packages: ['git', ABSENT] })).rejects.toThrow(
        `installing ${ABSENT} needs root: run gravity as root, or install them yourself: sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -- ${ABSENT}`,
      );
    } finally {
      uid.mockRestore();
    }
    expect(dpkgInstalled(ABSENT)).toBe(false);
  });
});

describe('host.apt-plan', () => {
  it("runs apt's simulation of what is not installed: what it would install, the commands; changes nothing", async () => {
    expect(dpkgInstalled(ABSENT)).toBe(false);
    const { out, ran } = await run(hostAptPlan, { packages: ['git', ABSENT] });
    expect(out).toMatchObject({ packages: ['git', ABSENT], installed: ['git'], wanted: [ABSENT], ok: true });
    expect(out.changes).toContainEqual({ action: 'install', package: ABSENT, version: expect.any(String) });
    expect(out.summary).toMatch(/^\d+ upgraded, [1-9]\d* newly installed, \d+ to remove and \d+ not upgraded\.$/);
    expect((out.commands as string[]).at(-1)).toBe(
      `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -- ${ABSENT}`,
    );
    expect(out.report).toContain(`apt-get install -s (a simulation: nothing was changed) of ${ABSENT}:`);
    expect(out.report).toMatch(new RegExp(`^  install ${ABSENT} \\S+$`, 'm'));
    expect(ran.map((c) => c.slice(1).join(' '))).toEqual([
      expect.stringMatching(/^-W -f .* -- git sl$/),
      `install -s --no-install-recommends -- ${ABSENT}`,
    ]);
    expect(dpkgInstalled(ABSENT)).toBe(false);
  });

  it("reports a package apt does not know as a result, with apt's message", async () => {
    const { out } = await run(hostAptPlan, { packages: ['gravity-no-such-package'] });
    expect(out).toMatchObject({ wanted: ['gravity-no-such-package'], ok: false, changes: [] });
    expect(out.detail).toMatch(/^E: Unable to locate package gravity-no-such-package/);
    expect(out.report).toContain('apt refuses: E: Unable to locate package gravity-no-such-package');
  });

  it('has nothing to simulate when every package is installed', async () => {
    const { out, ran } = await run(hostAptPlan, { packages: PRESENT });
    expect(out).toMatchObject({ installed: PRESENT, wanted: [], changes: [], ok: true, commands: [] });
    expect(out.report).toMatch(/^apt: nothing to install: dpkg says every package is installed/m);
    expect(ran).toHaveLength(1);
  });
});

describe("apt's lists and its simulation", () => {
  it('reads the lists folder: none, fresh, a day old', async () => {
    const dir = tempDir('gravity-lists-');
    expect(await listsState(join(dir, 'absent'))).toEqual({ present: false });
    expect((await listsState(dir)).present).toBe(false);
    mkdirSync(join(dir, 'partial'));
    const list = join(dir, 'deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4');
    writeFileSync(list, '');
    const fresh = await listsState(dir);
    expect(fresh.present).toBe(true);
    expect(updateReason('auto', fresh)).toBeUndefined();
    expect(updateReason('always', fresh)).toBe('update: always');
    // apt dates a list by the server's Last-Modified: an old file in a folder changed by the last update is fresh
    const old = new Date(Math.floor((Date.now() - 2 * LISTS_MAX_AGE_MS) / 1000) * 1000);
    utimesSync(list, old, old);
    expect(updateReason('auto', await listsState(dir))).toBeUndefined();
    for (const p of [dir, join(dir, 'partial')]) utimesSync(p, old, old);
    expect(updateReason('auto', await listsState(dir))).toBe(
      `the package lists are older than a day (last changed ${old.toISOString()})`,
    );
    expect(updateReason('never', await listsState(dir))).toBeUndefined();
    expect(updateReason('auto', { present: false })).toBe('/var/lib/apt/lists holds no package list');
  });

  it('parses what a simulation would install, upgrade and remove', () => {
    const out = [
      'NOTE: This is only a simulation!',
      'The following NEW packages will be installed:',
      '  sl',
      '1 upgraded, 1 newly installed, 1 to remove and 133 not upgraded.',
      'Remv oldpkg [1.0-1]',
      'Inst libfoo1 [1.2-1] (1.2-2 Debian:12.15/oldstable [amd64])',
      'Inst sl (5.02-1 Debian:12.15/oldstable [amd64])',
      'Conf sl (5.02-1 Debian:12.15/oldstable [amd64])',
    ].join('\n');
    expect(parseSimulation(out)).toEqual({
      changes: [
        { action: 'remove', package: 'oldpkg', version: '1.0-1' },
        { action: 'upgrade', package: 'libfoo1', version: '1.2-2' },
        { action: 'install', package: 'sl', version: '5.02-1' },
      ],
      summary: '1 upgraded, 1 newly installed, 1 to remove and 133 not upgraded.',
    });
  });
});
