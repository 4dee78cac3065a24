// env.vagrantfile with the real vagrant: the Vagrantfile of each provider (virtualbox, libvirt, docker) and provisioner
// (masterless Salt, shell) is the golden file of test/fixtures/env/ and passes `vagrant validate`; the same input twice
// is the same file; input that would inject Ruby is refused naming its field, text that may go in is escaped; a file
// vagrant refuses is never installed (the previous one stays byte for byte) and the error quotes vagrant and the file;
// rollback puts the previous file back. A missing vagrant fails these tests (CI installs it: .ci/run), never skips them.
//
// The golden files: UPDATE_GOLDEN=1 npx vitest run test/tasks/env   rewrites test/fixtures/env/ from what the tasks
// write now (then read the diff before committing it).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIssues } from '../../../engine/schema-keys.js';
import { envVagrantfile } from '../../../tasks/index.js';
import { envVagrantfileInput, renderVagrantfile, rubyString } from '../../../tasks/env/vagrantfile.js';
import { ENV_MODEL, golden } from '../../support/env-model.js';
import { tempDir } from '../../support/git-fixtures.js';
import { compensate, contextFor, rejection, runTask } from '../context.js';

// vagrant's own state folder for these tests, not the user's ~/.vagrant.d
const savedHome = process.env.VAGRANT_HOME;
beforeAll(() => {
  if (spawnSync('vagrant', ['--version']).status !== 0)
    throw new Error('vagrant is missing: the env.vagrantfile tests validate with it (apt-get install vagrant)');
  process.env.VAGRANT_HOME = tempDir('gravity-vagrant-home-', 'file');
});
afterAll(() => {
  if (savedHome === undefined) delete process.env.VAGRANT_HOME;
  else process.env.VAGRANT_HOME = savedHome;
});

/** A run root holding envs/1161/ with Salt states, a pillar, a minion config and a provisioning script. */
function project(): string {
  const root = tempDir('gravity-env-vagrant-');
  const dir = join(root, 'envs/1161');
  mkdirSync(join(dir, 'salt/states'), { recursive: true });
  mkdirSync(join(dir, 'salt/pillar'), { recursive: true });
  writeFileSync(join(dir, 'salt/states/top.sls'), "base:\n  '*':\n    - common\n");
  writeFileSync(join(dir, 'salt/minion'), 'file_client: local\n');
  writeFileSync(join(dir, 'provision.sh'), '#!/bin/sh\nset -eu\necho "$GRAVITY_HOSTNAME"\n', { mode: 0o755 });
  return root;
}

const PATH = 'envs/1161/Vagrantfile';
const SALT = { states: 'salt/states', pillar: 'salt/pillar', minionConfig: 'salt/minion' };
const SHELL = { script: 'provision.sh', args: ['--role', 'it\'s "quoted" #{not interpolated}'] };
const input = (provider: string, provisioner: 'salt' | 'shell', more: object = {}) => ({
  model: ENV_MODEL,
  provider,
  path: PATH,
  ...(provisioner === 'salt' ? { salt: SALT } : { shell: SHELL }),
  ...(provider === 'docker' ? { images: { db: 'mariadb:11.4' } } : {}),
  ...more,
});

/** What a folder holds, but vagrant's own state folder would show there too: nothing else may be left. */
const listing = (dir: string) => readdirSync(dir).sort();

// a vagrant validate takes 2 to 3 s on an idle machine, several times that on a loaded one
describe('env.vagrantfile', { timeout: 120_000 }, () => {
  it.each([
    ['virtualbox', 'salt'],
    ['virtualbox', 'shell'],
    ['libvirt', 'salt'],
    ['libvirt', 'shell'],
    ['docker', 'salt'],
    ['docker', 'shell'],
  ] as const)('writes the %s Vagrantfile provisioned by %s, as vagrant validate accepts it', async (provider, prov) => {
    const root = project();
    const { ctx, lines } = contextFor(envVagrantfile, input(provider, prov), { root });
    const out = envVagrantfile.output.parse(await envVagrantfile.run(ctx));
    expect(out).toMatchObject({ path: join(root, PATH), changed: true, previous: null, provider });
    const text = readFileSync(join(root, PATH), 'utf8');
    golden(`Vagrantfile.${provider}-${prov}`, text);
    expect(lines.at(-1)?.message).toMatch(/^wrote .* vagrant validate passed in \d+ ms\)$/);
    // nothing left beside it: no temp file, no .vagrant folder made for the check
    expect(listing(join(root, 'envs/1161'))).toEqual(['Vagrantfile', 'provision.sh', 'salt']);
    // one define per machine, the docker ones on the host network, the others on a private network
    expect(text.match(/config\.vm\.define/g)).toHaveLength(3);
    expect(text).toContain('m.vm.hostname = "web.1161.acme.dev.example.test"');
    expect(text.includes('private_network')).toBe(provider !== 'docker');
    expect(text.includes('d.create_args = ["--network", "host"]')).toBe(provider === 'docker');
  });

  it('writes the same bytes for the same input, and leaves the file alone then', async () => {
    const root = project();
    const first = await runTask(envVagrantfile, input('libvirt', 'salt'), { root });
    const again = await runTask(envVagrantfile, input('libvirt', 'salt'), { root });
    expect(again).toMatchObject({ changed: false, previous: readFileSync(first.path, 'utf8') });
    expect(renderVagrantfile(envVagrantfileInput.parse(input('libvirt', 'salt')))).toBe(again.previous);
  });

  it('validates relative paths from where the file is installed (the temp file is checked beside it)', async () => {
    const root = project();
    // provision.sh is in envs/1161, not in the run root: right only if vagrant reads the file from envs/1161
    const e = await rejection(runTask(envVagrantfile, input('virtualbox', 'shell', { path: 'Vagrantfile' }), { root }));
    expect(e.message).toMatch(/`path` for shell provisioner does not exist on the host system: .*\/provision\.sh/);
    expect(existsSync(join(root, 'Vagrantfile'))).toBe(false);
  });

  it('never installs a file vagrant refuses: the previous one stays byte for byte, the error quotes vagrant and the file', async () => {
    const root = project();
    const dir = join(root, 'envs/1161');
    const before = '# the Vagrantfile before\r\nVagrant.configure("2") { |c| c.vm.box = "x" }\n\u00e9\n';
    writeFileSync(join(dir, 'Vagrantfile'), before, { mode: 0o640 });
    const listed = listing(dir);
    // a script that is not there: vagrant validate refuses the file, in its own words
    const e = await rejection(
      runTask(envVagrantfile, input('libvirt', 'shell', { shell: { script: 'missing.sh' } }), { root }),
    );
    expect(e.message).toContain(
      `vagrant validate refused the Vagrantfile generated for ${join(dir, 'Vagrantfile')}; nothing was installed.`,
    );
    expect(e.message).toMatch(
      /vagrant says:\n.*shell provisioner:\n\* `path` for shell provisioner does not exist on the host system: .*missing\.sh/s,
    );
    expect(e.message).toMatch(/the refused file:\n 1 {2}# Vagrantfile of 1161\.acme\.dev\.example\.test/);
    expect(e.message).toContain('m.vm.provision "shell", path: "missing.sh",');
    expect(readFileSync(join(dir, 'Vagrantfile'), 'utf8')).toBe(before);
    expect(listing(dir)).toEqual(listed);

    // a Salt states folder that is not there: the synced folder is refused the same way
    const salt = await rejection(
      runTask(envVagrantfile, input('docker', 'salt', { salt: { states: 'salt/nowhere' } }), { root }),
    );
    expect(salt.message).toMatch(
      /vagrant says:\n(.|\n)*The host path of the shared folder is missing: .*salt\/nowhere/,
    );
    expect(readFileSync(join(dir, 'Vagrantfile'), 'utf8')).toBe(before);
    expect(listing(dir)).toEqual(listed);
  });

  it('refuses input that would inject Ruby, naming the field', () => {
    const refused = (more: object, provisioner: 'salt' | 'shell' = 'shell') => {
      const r = envVagrantfileInput.safeParse(input('docker', provisioner, more));
      expect(r.success, JSON.stringify(more)).toBe(false);
      return describeIssues(envVagrantfileInput, r.error!.issues);
    };
    expect(refused({ image: 'debian:bookworm"; system("id"); "' })).toBe(
      'image: an image reference such as debian:bookworm (lower-case name, optional :tag or @sha256:digest)',
    );
    expect(refused({ images: { db: 'x#{`id`}' } })).toMatch(/^images\.db: an image reference/);
    expect(refused({ images: { nosuch: 'debian:12' } })).toBe('images.nosuch: images: no machine nosuch in the model');
    expect(refused({ box: 'debian/bookworm64" ; `id`' })).toMatch(/^box: a Vagrant box name/);
    expect(refused({ shell: { script: 'provision.sh"\nsystem("id")' } })).toMatch(/^shell\.script: a path of letters/);
    expect(refused({ salt: { states: 'salt/#{x}' } }, 'salt')).toMatch(/^salt\.states: a path of letters/);
    expect(refused({ shell: { script: 'p.sh', args: ['a\nb'] } })).toMatch(
      /^shell\.args\.0: an argument without control characters/,
    );
    expect(refused({ model: { ...ENV_MODEL, machines: [{ name: 'Web"', kind: 'site', ip: '10.0.0.1' }] } })).toMatch(
      /^model\.machines\.0\.name: /,
    );
    expect(refused({ salt: SALT, shell: SHELL })).toMatch(/^shell: give one provisioner/);
    const neither = envVagrantfileInput.safeParse({ model: ENV_MODEL, provider: 'docker' });
    expect(describeIssues(envVagrantfileInput, neither.error!.issues)).toMatch(/^salt: give one provisioner/);
  });

  it('escapes what may go in: Ruby reads back the very strings (quotes, backslashes, #{...} not run)', () => {
    const texts = ['it\'s "quoted"', 'back\\slash\\', '#{`touch pwned`}', '#@x #$y', 'é ü'];
    const dir = tempDir('gravity-ruby-');
    const read = execFileSync('ruby', ['-e', `print [${texts.map(rubyString).join(', ')}].join("\\n")`], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(read.split('\n')).toEqual(texts);
    expect(readdirSync(dir)).toEqual([]);
    expect(() => rubyString('a\nb')).toThrow(/a control character cannot go into the Vagrantfile/);
  });

  it('puts the previous file back on rollback, removes one it created, and keeps one changed since', async () => {
    const root = project();
    const file = join(root, PATH);
    writeFileSync(file, '# before\n');
    const raw = input('virtualbox', 'shell');
    const out = await runTask(envVagrantfile, raw, { root });
    expect(out.previous).toBe('# before\n');
    await compensate(envVagrantfile, root, raw, out);
    expect(readFileSync(file, 'utf8')).toBe('# before\n');

    const other = project();
    const created = await runTask(envVagrantfile, raw, { root: other });
    writeFileSync(created.path, `${readFileSync(created.path, 'utf8')}# mine\n`);
    await compensate(envVagrantfile, other, raw, created);
    expect(readFileSync(created.path, 'utf8')).toMatch(/# mine\n$/);
    writeFileSync(created.path, renderVagrantfile(envVagrantfileInput.parse(raw)));
    await compensate(envVagrantfile, other, raw, created);
    expect(existsSync(created.path)).toBe(false);
  });

  it('says what it would do for --dry-run, and refuses a path outside the run root', async () => {
    const plan = envVagrantfile.plan!(envVagrantfileInput.parse(input('docker', 'salt')));
    expect(plan).toEqual([
      `write ${PATH} for 1161.acme.dev.example.test: 3 machine(s) on docker, provisioned by Salt (salt/states), checked with vagrant validate first`,
    ]);
    const root = project();
    const e = await rejection(runTask(envVagrantfile, input('docker', 'salt', { path: '../Vagrantfile' }), { root }));
    expect(e.code).toBe('PATH_OUTSIDE_ROOT');
  });

  it('fails with a clear message when vagrant is not installed, writing nothing', async () => {
    const root = project();
    const path = process.env.PATH;
    process.env.PATH = tempDir('gravity-empty-path-');
    try {
      const e = await rejection(runTask(envVagrantfile, input('docker', 'shell'), { root }));
      expect(e.message).toMatch(/^env\.vagrantfile: vagrant is not installed \(apt-get install vagrant\)/);
    } finally {
      process.env.PATH = path;
    }
    expect(listing(join(root, 'envs/1161'))).toEqual(['provision.sh', 'salt']);
  });
});
