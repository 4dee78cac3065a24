// host.requirements: checks weighed against requirements with options (a provider: docker, libvirt or VirtualBox),
// the packages of what is missing (the option asked for, each package once, a refused option never), the table and
// the hint; pure, so every case is a literal input.
import { describe, expect, it } from 'vitest';
import { assess, hostRequirements } from '../../../tasks/host/requirements.js';
import { runTask } from '../context.js';

const ok = (tool: string, path = `/usr/bin/${tool}`, version = '1.0') => ({
  tool,
  found: true,
  ok: true,
  path,
  version,
});
const ko = (tool: string) => ({ tool, found: false, ok: false, detail: `${tool} not found in PATH` });

/** The requirements of host:bootstrap, in short, with the given check results. */
function input(c: Record<string, ReturnType<typeof ok> | ReturnType<typeof ko>>, install = 'docker') {
  return {
    title: 'bootstrap',
    requirements: [
      { name: 'vagrant', options: [{ checks: [c.vagrant], packages: ['vagrant'] }] },
      {
        name: 'a provider',
        install,
        options: [
          { name: 'docker', checks: [c.docker], packages: ['docker.io'], notes: [c.daemon] },
          { name: 'libvirt', checks: [c.virsh, c.libvirtd], packages: ['libvirt-daemon-system', 'vagrant-libvirt'] },
          { name: 'virtualbox', checks: [c.vbox], packages: ['virtualbox'], refuse: 'is not in Debian main' },
        ],
      },
      { name: 'git', options: [{ checks: [c.git], packages: ['git'] }] },
      { name: 'git again', options: [{ checks: [c.git], packages: ['git'] }] },
    ],
  };
}
const all = {
  vagrant: ok('vagrant'),
  docker: ok('docker'),
  daemon: { ...ko('docker daemon'), found: true, detail: 'daemon not reachable: no socket' },
  virsh: ko('virsh'),
  libvirtd: ko('libvirtd'),
  vbox: ko('VBoxManage'),
  git: ok('git'),
};

describe('host.requirements', () => {
  it('says every requirement is met, and by which option; a note that fails is reported, not required', async () => {
    const out = await runTask(hostRequirements, input(all), { root: '/nonexistent' });
    expect(out).toMatchObject({ ok: true, missing: [], packages: [], refused: [], hint: '' });
    expect(out.met).toEqual([
      { requirement: 'vagrant', options: ['vagrant'] },
      { requirement: 'a provider', options: ['docker'] },
      { requirement: 'git', options: ['git'] },
      { requirement: 'git again', options: ['git again'] },
    ]);
    expect(out.summary).toBe('every requirement is met (4 of 4)');
    expect(out.report).toBe(
      [
        'bootstrap',
        '',
        'requirement                tool           version  package                                path / detail',
        '----------------------  -  -------------  -------  -------------------------------------  -------------',
        'vagrant                 ✔  vagrant        1.0      vagrant                                /usr/bin/vagrant',
        'a provider: docker      ✔  docker         1.0      docker.io                              /usr/bin/docker',
        '                        ·  docker daemon  -                                               not required: daemon not reachable: no socket',
        'a provider: libvirt     ✖  virsh          -        libvirt-daemon-system vagrant-libvirt  virsh not found in PATH',
        '                        ✖  libvirtd       -                                               libvirtd not found in PATH',
        'a provider: virtualbox  ✖  VBoxManage     -        virtualbox (by hand)                   VBoxManage not found in PATH',
        'git                     ✔  git            1.0      git                                    /usr/bin/git',
        'git again               ✔  git            1.0      git                                    /usr/bin/git',
        '',
        'a provider: docker',
        '4 of 4 requirements met: nothing to install',
      ].join('\n'),
    );
  });

  it('names the packages of what is missing, each once, the provider asked for, and the command to run', () => {
    const out = assess(
      hostRequirements.input.parse({
        ...input({ ...all, vagrant: ko('vagrant'), docker: ko('docker'), git: ko('git') }, 'libvirt'),
        rerun: 'gravity run host:bootstrap --param yes=true',
      }),
    );
    expect(out).toMatchObject({
      ok: false,
      missing: ['vagrant', 'a provider', 'git', 'git again'],
      packages: ['vagrant', 'libvirt-daemon-system', 'vagrant-libvirt', 'git'],
      refused: [],
      summary: 'missing 4 of 4: vagrant, a provider, git, git again',
    });
    expect(out.hint).toBe(
      [
        'install them: gravity run host:bootstrap --param yes=true',
        '  (it runs: DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -- vagrant libvirt-daemon-system vagrant-libvirt git)',
      ].join('\n'),
    );
    expect(out.report).toMatch(/\n0 of 4 requirements met; missing: vagrant, a provider, git, git again$/);
  });

  it('is met by any option whose checks all pass (libvirt: both virsh and libvirtd)', () => {
    const c = { ...all, docker: ko('docker'), virsh: ok('virsh'), libvirtd: ok('libvirtd', '/usr/sbin/libvirtd') };
    expect(assess(hostRequirements.input.parse(input(c))).met[1]).toEqual({
      requirement: 'a provider',
      options: ['libvirt'],
    });
    const half = { ...c, libvirtd: ko('libvirtd') };
    expect(assess(hostRequirements.input.parse(input(half))).packages).toEqual(['docker.io']);
  });

  it('never installs a refused option: it is reported with why', () => {
    const out = assess(hostRequirements.input.parse(input({ ...all, docker: ko('docker') }, 'virtualbox')));
    expect(out).toMatchObject({
      ok: false,
      missing: ['a provider'],
      packages: [],
      refused: ['a provider: virtualbox is not in Debian main'],
      hint: 'a provider: virtualbox is not in Debian main',
    });
  });

  it('after an install, says what was installed and what is still missing', () => {
    const out = assess(hostRequirements.input.parse({ ...input({ ...all, git: ko('git') }), installed: ['git'] }));
    expect(out.report).toContain('\ninstalled by this run: git\n');
    expect(out.hint).toMatch(/^still missing after installing git: their tools are not found in PATH or do not work/);
  });

  it('refuses an install option that is not one of the options, and a bad package name', () => {
    const r = hostRequirements.input.safeParse(input(all, 'podman'));
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({
      path: ['requirements', 1, 'install'],
      message: '"podman" is not an option of "a provider" (docker, libvirt, virtualbox)',
    });
    const bad = input(all);
    bad.requirements[0].options[0].packages = ['-y'];
    expect(hostRequirements.input.safeParse(bad).success).toBe(false);
  });
});
