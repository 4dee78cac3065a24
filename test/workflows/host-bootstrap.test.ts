// host:bootstrap end to end with the real CLI on this host, which has what the environments need (vagrant, docker.io,
// bind9, bind9-utils, bind9-dnsutils, apache2, git): all present, nothing installed, whether the docker daemon runs
// or not. The missing path without removing anything: the CLI runs with a PATH of an empty folder, so the tools of
// /usr/bin are not found (the sbin folders are searched anyway: named and apache2 still are). Nothing is ever
// installed: dpkg says the packages of those tools are installed, so with yes=true the install step skips them and
// runs no apt-get (checked first; the test is skipped on a host where one of them is not installed).
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, sandbox } from '../support/cli.js';
import { tempDir } from '../support/git-fixtures.js';

/** Whether dpkg says each package is installed. */
function dpkgInstalled(...packages: string[]): boolean {
  return packages.every((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Status}', '--', p], { encoding: 'utf8' });
    return r.status === 0 && r.stdout === 'installed';
  });
}

// what a PATH without /usr/bin misses, and the packages host:bootstrap names for them
const MISSING = ['vagrant', 'a provider', 'named-checkzone', 'dig', 'git'];
const PACKAGES = ['vagrant', 'docker.io', 'bind9-utils', 'bind9-dnsutils', 'git'];
const LINE = `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -- ${PACKAGES.join(' ')}`;

/** The CLI in a sandbox, with PATH replaced by `path` when given. */
function gravity(path?: string) {
  const sb = sandbox();
  const env = {
    ...process.env,
    GRAVITY_HOME: sb.dataDir,
    CI: 'true',
    FORCE_COLOR: '0',
    ...(path ? { PATH: path } : {}),
  };
  const run = (...args: string[]) =>
    sb.collect(spawn(process.execPath, [BIN, ...args], { cwd: sb.base, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  return Object.assign(run, { sandbox: sb });
}

interface RunJson {
  status: string;
  steps: Array<{ id: string; status: string; output?: Record<string, unknown> }>;
  output?: Record<string, unknown>;
  error?: { message: string; details?: { element?: string } };
}

describe('host:bootstrap', () => {
  it('finds everything on this host and installs nothing, with or without yes (docker daemon or not)', async () => {
    const run = gravity();
    // without yes first: yes=true runs only once that found everything (an assertion failing stops the test), so
    // that on a host lacking a package this test fails rather than install it
    for (const yes of [[], ['--param', 'yes=true']]) {
      const r = await run('run', 'host:bootstrap', ...yes, '--json');
      expect(r.code, r.stderr + r.stdout).toBe(0);
      // at most ten steps at once: no MaxListenersExceededWarning on the run's signal
      expect(r.stderr).toBe('');
      const j = JSON.parse(r.stdout) as RunJson;
      expect(j.output).toMatchObject({ ok: true, missing: [], packages: [], refused: [] });
      expect(j.output?.met).toContainEqual({ requirement: 'a provider', options: expect.arrayContaining(['docker']) });
      const ids = j.steps.map((s) => s.id);
      expect(ids).toContain('check_docker_daemon');
      for (const absent of ['apt_plan', 'install', 'reassess']) expect(ids).not.toContain(absent);
    }
    const human = await run('run', 'host:bootstrap');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^a provider: docker/m);
    expect(human.stdout).toMatch(/^7 of 7 requirements met: nothing to install$/m);
    expect(human.stdout).toMatch(/^apache2 \(mod_proxy, mod_proxy_http\) +✔ +apache2 /m);
    expect(human.stdout).toMatch(/^ +✔ +apache2 modules +- +\/usr\/lib\/apache2\/modules: /m);
    // installed but the daemon not answering is still a provider: the daemon is a note
    expect(human.stdout).toMatch(/^ +· +docker daemon +- +not required: /m);
  }, 120_000);

  it('--dry-run shows the checks, the apt commands and the decisions, and runs nothing', async () => {
    const run = gravity();
    const r = await run('run', 'host:bootstrap', '--param', 'yes=true', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^dry run of host:bootstrap \(nothing is changed\)$/m);
    expect(r.stdout).toContain('params: {"yes":true,"provider":"docker"}');
    for (const line of [
      '$ which vagrant && vagrant --version',
      '$ which docker && docker --version && docker info --format {{.ServerVersion}}',
      '$ which named-checkzone && named-checkzone -v',
      '$ which dig && dig -v',
      '$ test -f /usr/lib/apache2/modules/mod_proxy.so -a -f /usr/lib/apache2/modules/mod_proxy_http.so   (available)',
      'apt_plan — host.apt-plan: apt-get install -s --no-install-recommends -- <the missing packages> (a simulation)',
      'install — host.apt-install: DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -- <the missing packages>',
      'if not(yes) -> missing',
      'with these params: takes install',
      'if count(steps.assess.refused) > 0 -> refused',
    ])
      expect(r.stdout).toContain(line);
    expect(run.sandbox.runIds()).toEqual([]);
  });

  it("without yes, a missing tool fails the run: the packages, apt's simulation and the command to run", async () => {
    const r = await gravity(tempDir('gravity-empty-path-'))('run', 'host:bootstrap', '--json');
    expect(r.code, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout) as RunJson;
    expect(j.status).toBe('failed');
    expect(j.error?.details?.element).toBe('missing');
    const message = j.error!.message;
    expect(message.split('\n')[0]).toBe(`missing 5 of 7: ${MISSING.join(', ')}`);
    expect(message).toMatch(/^vagrant +✖ +vagrant +- +vagrant +vagrant not found in PATH/m);
    expect(message).toMatch(/^named +✔ +named /m);
    expect(message).toContain('install them: gravity run host:bootstrap --param yes=true\n');
    expect(message).toContain(`  (it runs: ${LINE})`);
    const assess = j.steps.find((s) => s.id === 'assess')!.output!;
    expect(assess).toMatchObject({ ok: false, missing: MISSING, packages: PACKAGES });
    // apt's simulation ran (read-only); installed packages (dpkg) are what it skips
    const plan = j.steps.find((s) => s.id === 'apt_plan');
    expect(plan?.status).toBe('succeeded');
    expect(plan?.output?.packages).toEqual(PACKAGES);
    expect(message).toContain(String(plan?.output?.report));
    expect(j.steps.map((s) => s.id)).not.toContain('install');
  }, 120_000);

  it.runIf(dpkgInstalled(...PACKAGES))(
    'with yes=true, installs only the missing packages: here dpkg has them all, so no apt-get runs, and the re-check says what is still missing',
    async () => {
      const r = await gravity(tempDir('gravity-empty-path-'))('run', 'host:bootstrap', '--param', 'yes=true', '--json');
      expect(r.code, r.stderr).toBe(1);
      const j = JSON.parse(r.stdout) as RunJson;
      expect(j.error?.details?.element).toBe('still_missing');
      const install = j.steps.find((s) => s.id === 'install')!;
      expect(install.output).toEqual({ installed: [], skipped: PACKAGES, updated: false, commands: [] });
      expect(j.steps.find((s) => s.id === 'reassess')?.output).toMatchObject({ ok: false, missing: MISSING });
      expect(j.error?.message).toContain('installed by this run: nothing');
      expect(j.error?.message).toContain(
        'still missing after the install (dpkg said their packages were installed already): their tools are not found in PATH',
      );
    },
    120_000,
  );

  it('never installs VirtualBox: provider=virtualbox with no provider fails before anything is installed', async () => {
    const r = await gravity(tempDir('gravity-empty-path-'))(
      'run',
      'host:bootstrap',
      '--param',
      'provider=virtualbox',
      '--param',
      'yes=true',
      '--json',
    );
    expect(r.code, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout) as RunJson;
    expect(j.error?.details?.element).toBe('refused');
    expect(j.error?.message).toContain('a provider: virtualbox is not in Debian main');
    expect(j.error?.message).toMatch(/\nnothing was installed$/);
    const ids = j.steps.map((s) => s.id);
    for (const absent of ['apt_plan', 'install']) expect(ids).not.toContain(absent);
  }, 120_000);

  it("with provider=libvirt, names libvirt's packages and gives the provider in the command", async () => {
    const r = await gravity(tempDir('gravity-empty-path-'))(
      'run',
      'host:bootstrap',
      '--param',
      'provider=libvirt',
      '--json',
    );
    expect(r.code, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout) as RunJson;
    expect(j.steps.find((s) => s.id === 'assess')?.output?.packages).toEqual([
      'vagrant',
      'libvirt-daemon-system',
      'qemu-system-x86',
      'dnsmasq-base',
      'vagrant-libvirt',
      'bind9-utils',
      'bind9-dnsutils',
      'git',
    ]);
    expect(j.error?.message).toContain(
      'install them: gravity run host:bootstrap --param yes=true --param provider=libvirt',
    );
  }, 120_000);

  it('refuses a provider it does not know, and an unknown param (exit 2)', async () => {
    const run = gravity();
    const bad = await run('run', 'host:bootstrap', '--param', 'provider=podman');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/provider/);
    const unknown = await run('run', 'host:bootstrap', '--param', 'yess=true');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/yess/);
  });
});
