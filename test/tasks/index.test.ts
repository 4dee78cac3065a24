// The default registry: every built-in task node registered once under its id, each planning a valid input without running it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { DuplicateTaskError, TaskRegistry, planDefinition, task as step, workflow } from '../../engine/index.js';
import { allTasks, createDefaultRegistry } from '../../tasks/index.js';
import { tempDir, writeFiles } from '../support/git-fixtures.js';

describe('default task registry', () => {
  it('holds every built-in task node under its id', () => {
    expect(
      createDefaultRegistry()
        .list()
        .map((t) => t.id),
    ).toEqual([
      'apache.reload',
      'apache.remove-vhosts',
      'apache.vhosts',
      'assert.ahead-behind',
      'assert.branch-exists',
      'assert.branch-head',
      'assert.commit-message',
      'assert.conflicted',
      'assert.expr',
      'assert.file-content',
      'assert.push-rejected',
      'assert.tag',
      'assert.tree-clean',
      'bind.include',
      'bind.reload',
      'bind.remove-zone',
      'bind.zone',
      'cron.install-block',
      'cron.list',
      'cron.remove-block',
      'docker.build',
      'docker.exec',
      'docker.inspect',
      'docker.rm',
      'docker.run',
      'docker.start',
      'docker.stop',
      'docker.wait-healthy',
      'env.homepage',
      'env.vagrantfile',
      'exec.run',
      'fs.copy',
      'fs.copy-files',
      'fs.mkdir',
      'fs.move',
      'fs.remove',
      'fs.render',
      'fs.write',
      'galaxy.build',
      'galaxy.stop',
      'git.changed',
      'git.checkout',
      'git.clone',
      'git.commit',
      'git.config',
      'git.diff-trees',
      'git.fetch',
      'git.hook',
      'git.init',
      'git.merge',
      'git.pull',
      'git.push',
      'git.read-config',
      'git.rebase',
      'git.reset',
      'git.status',
      'git.tag',
      'gitlab.adopt',
      'gitlab.allocate',
      'gitlab.backup-copy',
      'gitlab.backup-create',
      'gitlab.check-instance',
      'gitlab.configure',
      'gitlab.drop-aside',
      'gitlab.get',
      'gitlab.list',
      'gitlab.prepare-dir',
      'gitlab.prune-backups',
      'gitlab.pull-backup',
      'gitlab.purge',
      'gitlab.push-backup',
      'gitlab.schedule-line',
      'gitlab.select',
      'gitlab.swap-volumes',
      'gitlab.update',
      'gitlab.verify-backup',
      // the engine's built-in tasks, in every registry
      'gravity.approval',
      'gravity.message',
      'gravity.send',
      'host.apache-modules',
      'host.apt-install',
      'host.apt-plan',
      'host.check-tool',
      'host.report',
      'host.requirements',
      'log.info',
      'platform.activate',
      'platform.add-project',
      'platform.allocate',
      'platform.environment',
      'platform.get',
      'platform.init',
      'platform.release',
      'platform.status',
      'platform.sync-project',
      'time.wait',
      'vagrant.destroy',
      'vagrant.halt',
      'vagrant.status',
      'vagrant.up',
    ]);
  });

  it('throws when the same tasks are registered twice', () => {
    const registry = new TaskRegistry().register(...allTasks);
    expect(() => registry.register(...allTasks)).toThrow(DuplicateTaskError);
    expect(() => createDefaultRegistry().register(allTasks[0])).toThrow(/task "exec.run" is already registered/);
  });
});

/** Whether dpkg says `pkg` is installed (the apt plans must leave it as it was). */
function dpkgInstalled(pkg: string): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Status}', '--', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout === 'installed';
}

/** A valid input of one task, the text of it its plan must show, and what its run would leave behind. */
interface PlanCase {
  /** The input as a workflow writes it (the task's schema fills the defaults). */
  input: Record<string, unknown>;
  /** Something of the input the plan must mention: a path, a command, a message. */
  mentions: string;
  /** Files in the sandbox before planning (path relative to it -> content), for runs that would change or remove them. */
  given?: Record<string, string>;
  /** A path the run would create: it must not exist after the plan. */
  trace?: string;
  /** Further proof that nothing ran, checked after the plan. */
  check?: () => void | Promise<void>;
}

// a process the galaxy.stop input names as its server: planning must leave it running
let server: ChildProcess;
beforeAll(() => {
  server = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  server.on('error', () => undefined); // no `sleep` on PATH: the galaxy.stop case fails on its missing pid instead
});
afterAll(() => {
  server.kill('SIGKILL');
});
/** Whether `p` is still running: its exit is reported within `ms` if anything killed it (a killed child stays a zombie until then). */
async function stillRunning(p: ChildProcess, ms = 300): Promise<boolean> {
  if (p.exitCode !== null || p.signalCode !== null) return false;
  return Promise.race([once(p, 'exit').then(() => false), sleep(ms).then(() => true)]);
}
const galaxyName = `plan-probe-${process.pid}`;
const galaxies = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`gravity-galaxy-${galaxyName}-`));

// an environment of the environments family (tasks/env/model.ts), for the bind.* and apache.* inputs
const PLAN_NAMES = { platform: 'paas', env: '1161', domain: 'example.test' };
const PLAN_MODEL = {
  ...PLAN_NAMES,
  machines: [{ name: 'web1', kind: 'site', ip: '10.42.0.11' }],
  sites: [{ name: 'v5', machine: 'web1', port: 8081 }],
};

/** One valid input per task id; `d` is a fresh, empty sandbox every path points into. A task without an entry fails below. */
const PLAN_INPUTS: Record<string, (d: string) => PlanCase> = {
  'exec.run': (d) => ({
    input: { command: 'touch', args: [join(d, 'ran')] },
    mentions: `touch ${join(d, 'ran')}`,
    trace: join(d, 'ran'),
  }),
  'fs.mkdir': (d) => ({
    input: { path: join(d, 'made/deep') },
    mentions: `mkdir -p ${join(d, 'made/deep')}`,
    trace: join(d, 'made'),
  }),
  'fs.write': (d) => ({
    input: { path: join(d, 'out.txt'), content: 'hello' },
    mentions: `write 5 bytes to ${join(d, 'out.txt')}`,
    trace: join(d, 'out.txt'),
  }),
  'fs.copy': (d) => ({
    input: { from: join(d, 'src'), to: join(d, 'dst') },
    given: { 'src/a.txt': 'a' },
    mentions: `${join(d, 'src')} ${join(d, 'dst')}`,
    trace: join(d, 'dst'),
  }),
  'fs.copy-files': (d) => ({
    input: { from: join(d, 'src'), to: join(d, 'dst'), files: ['a.txt'] },
    given: { 'src/a.txt': 'a' },
    mentions: join(d, 'dst/a.txt'),
    trace: join(d, 'dst'),
  }),
  'fs.move': (d) => ({
    input: { from: join(d, 'old.txt'), to: join(d, 'new.txt') },
    given: { 'old.txt': 'moved?' },
    mentions: `mv -n ${join(d, 'old.txt')} ${join(d, 'new.txt')}`,
    trace: join(d, 'new.txt'),
  }),
  'fs.remove': (d) => ({
    input: { path: join(d, 'keep.txt') },
    given: { 'keep.txt': 'still here' },
    mentions: join(d, 'keep.txt'),
  }),
  'fs.render': (d) => ({
    input: { dir: join(d, 'tpl'), vars: { name: 'ann' } },
    given: { 'tpl/hello.txt-dist': 'hello {{name}}' },
    mentions: `render ${join(d, 'tpl')}`,
    trace: join(d, 'tpl/hello.txt'),
  }),
  'time.wait': () => ({ input: { ms: 1234 }, mentions: 'wait 1234 ms' }),
  'assert.expr': () => ({ input: { expr: 'count > 2', message: 'enough items' }, mentions: 'count > 2' }),
  'log.info': () => ({ input: { message: 'hello from the plan' }, mentions: 'hello from the plan' }),
  'host.check-tool': () => ({
    input: { tool: 'git', command: 'git', versionArgs: ['--version'] },
    mentions: 'git --version',
  }),
  'host.report': () => ({
    input: { checks: [{ tool: 'git', found: true, ok: true, version: '2.43.0', path: '/usr/bin/git' }] },
    mentions: 'report on 1 tool(s)',
  }),
  'host.apache-modules': (d) => ({
    input: { modules: ['proxy'], modulesDir: join(d, 'modules'), enabledDir: join(d, 'mods-enabled') },
    mentions: `test -f ${join(d, 'modules/mod_proxy.so')}`,
  }),
  'host.requirements': () => ({
    input: {
      requirements: [
        { name: 'git', options: [{ checks: [{ tool: 'git', found: false, ok: false }], packages: ['git'] }] },
      ],
    },
    mentions: 'git (git)',
  }),
  // a package this host does not have: its plan must not install it (nor simulate anything: plans run nothing)
  'host.apt-plan': () => ({
    input: { packages: ['sl'] },
    mentions: 'apt-get install -s --no-install-recommends -- sl',
    check: () => expect(dpkgInstalled('sl')).toBe(false),
  }),
  'host.apt-install': () => ({
    input: { packages: ['sl'] },
    mentions: 'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -- sl',
    check: () => expect(dpkgInstalled('sl')).toBe(false),
  }),
  'git.init': (d) => ({ input: { dir: join(d, 'repo') }, mentions: join(d, 'repo'), trace: join(d, 'repo') }),
  'git.clone': (d) => ({
    input: { url: `file://${join(d, 'remote.git')}`, dir: join(d, 'clone') },
    mentions: `file://${join(d, 'remote.git')}`,
    trace: join(d, 'clone'),
  }),
  'git.config': (d) => ({
    input: { repo: join(d, 'repo'), values: { 'user.name': 'ann' } },
    mentions: 'user.name',
    trace: join(d, 'repo'),
  }),
  'git.checkout': (d) => ({
    input: { repo: join(d, 'repo'), branch: 'feature-x', create: true },
    mentions: 'feature-x',
    trace: join(d, 'repo'),
  }),
  'git.commit': (d) => ({
    input: { repo: join(d, 'repo'), files: { 'README.md': 'hello' }, message: 'add readme' },
    mentions: `README.md in ${join(d, 'repo')}`,
    trace: join(d, 'repo'),
  }),
  'git.push': (d) => ({
    input: { repo: join(d, 'repo'), branch: 'main' },
    mentions: `${join(d, 'repo')} push`,
    trace: join(d, 'repo'),
  }),
  'git.fetch': (d) => ({
    input: { repo: join(d, 'repo') },
    mentions: `${join(d, 'repo')} fetch`,
    trace: join(d, 'repo'),
  }),
  'git.pull': (d) => ({
    input: { repo: join(d, 'repo'), branch: 'main' },
    mentions: `${join(d, 'repo')} pull`,
    trace: join(d, 'repo'),
  }),
  'git.merge': (d) => ({
    input: { repo: join(d, 'repo'), from: 'origin/feature-x' },
    mentions: 'origin/feature-x',
    trace: join(d, 'repo'),
  }),
  'git.rebase': (d) => ({
    input: { repo: join(d, 'repo'), onto: 'origin/main' },
    mentions: 'origin/main',
    trace: join(d, 'repo'),
  }),
  'git.reset': (d) => ({
    input: { repo: join(d, 'repo'), ref: 'origin/main', mode: 'hard' },
    mentions: `${join(d, 'repo')} reset -q --hard origin/main`,
    trace: join(d, 'repo'),
  }),
  'git.tag': (d) => ({ input: { repo: join(d, 'repo'), name: 'v1.2.3' }, mentions: 'v1.2.3', trace: join(d, 'repo') }),
  'git.hook': (d) => ({
    input: { repo: join(d, 'repo'), hook: 'pre-commit', script: 'exit 1' },
    mentions: `pre-commit hook (2 lines) into ${join(d, 'repo')}`,
    trace: join(d, 'repo'),
  }),
  'git.status': (d) => ({
    input: { repo: join(d, 'repo') },
    mentions: `${join(d, 'repo')} status`,
    trace: join(d, 'repo'),
  }),
  'git.read-config': (d) => ({
    input: { repo: join(d, 'repo'), keys: { email: 'user.email' } },
    mentions: 'config --get user.email (as email)',
  }),
  'git.changed': (d) => ({
    input: { repo: join(d, 'repo'), base: 'origin/main' },
    mentions: `${join(d, 'repo')} diff --name-only --no-renames -z origin/main...HEAD`,
  }),
  'git.diff-trees': (d) => ({
    input: { left: join(d, 'left'), right: join(d, 'right') },
    mentions: `compare ${join(d, 'left')} with ${join(d, 'right')}`,
  }),
  'assert.branch-head': (d) => ({
    input: { repo: join(d, 'repo'), ref: 'main', equals: 'origin/main' },
    mentions: `main in ${join(d, 'repo')} is origin/main`,
  }),
  'assert.branch-exists': (d) => ({
    input: { repo: join(d, 'repo'), branch: 'feature-x' },
    mentions: `feature-x exists in ${join(d, 'repo')}`,
  }),
  'assert.tag': (d) => ({
    input: { repo: join(d, 'repo'), tag: 'v1.2.3', pointsAt: 'main' },
    mentions: `tag v1.2.3 points at main in ${join(d, 'repo')}`,
  }),
  'assert.file-content': (d) => ({
    input: { repo: join(d, 'repo'), path: 'README.md', contains: 'hello' },
    mentions: `README.md in ${join(d, 'repo')}`,
  }),
  'assert.tree-clean': (d) => ({
    input: { repo: join(d, 'repo') },
    mentions: `${join(d, 'repo')} has a clean work tree`,
  }),
  'assert.conflicted': (d) => ({ input: { repo: join(d, 'repo'), files: ['README.md'] }, mentions: 'README.md' }),
  'assert.ahead-behind': (d) => ({
    input: { repo: join(d, 'repo'), ahead: 1, behind: 0, branch: 'main' },
    mentions: `${join(d, 'repo')} is`,
  }),
  'assert.commit-message': (d) => ({
    input: { repo: join(d, 'repo'), ref: 'HEAD', matches: '^fix: ' },
    mentions: '/^fix: /',
  }),
  'assert.push-rejected': (d) => ({
    input: { repo: join(d, 'repo'), branch: 'main' },
    mentions: `${join(d, 'repo')} push`,
    trace: join(d, 'repo'),
  }),
  'galaxy.build': () => ({
    input: { name: galaxyName, remotes: { origin: { files: { 'README.md': 'hello' } } }, actors: { ann: {} } },
    mentions: 'remotes/origin.git',
    check: () => expect(galaxies(), 'galaxy.build made its temp folder while planning').toEqual([]),
  }),
  'galaxy.stop': (d) => ({
    input: {
      servers: [{ kind: 'daemon', pid: server.pid, address: '127.0.0.1', port: 9418 }],
      root: join(d, 'galaxy'),
    },
    given: { 'galaxy/.gravity-galaxy.json': JSON.stringify({ createdBy: 'galaxy.build' }) },
    mentions: `kill -TERM -${server.pid}`,
    check: async () => expect(await stillRunning(server), 'galaxy.stop killed its server while planning').toBe(true),
  }),
  // docker: no engine is asked while planning (DOCKER_HOST points nowhere here): the plan is the command line
  'docker.build': (d) => ({
    input: { context: join(d, 'ctx'), tag: 'gravity/plan:1' },
    mentions: `docker build --quiet --tag gravity/plan:1 -- ${join(d, 'ctx')}`,
  }),
  'docker.run': () => ({
    input: { image: 'gravity/plan:1', name: 'plan-probe', network: 'host' },
    mentions: 'docker run --detach --name plan-probe --network host',
  }),
  'docker.inspect': () => ({ input: { name: 'plan-probe' }, mentions: 'docker container inspect -- plan-probe' }),
  'docker.wait-healthy': () => ({
    input: { name: 'plan-probe', timeoutMs: 5000 },
    mentions: 'wait until container plan-probe is healthy (at most 5 s)',
  }),
  'docker.exec': () => ({
    input: { name: 'plan-probe', command: ['gitlab-ctl', 'reconfigure'] },
    mentions: 'docker container exec -- plan-probe gitlab-ctl reconfigure',
  }),
  'docker.stop': () => ({
    input: { name: 'plan-probe' },
    mentions: 'docker container stop --time 10 -- plan-probe',
  }),
  'docker.start': () => ({ input: { name: 'plan-probe' }, mentions: 'docker container start -- plan-probe' }),
  'docker.rm': () => ({
    input: { name: 'plan-probe', force: true },
    mentions: 'docker container rm --force -- plan-probe',
  }),
  'gitlab.allocate': (d) => ({
    input: { name: 'alpha', root: d, pool: '127.0.0.61-127.0.0.62', image: 'gitlab/gitlab-ce:17.5.1-ce.0' },
    mentions: `allocate GitLab instance alpha (an address of 127.0.0.61-127.0.0.62) under ${d}`,
  }),
  'gitlab.prepare-dir': (d) => ({
    input: { dir: join(d, 'noeud-gitlab-1') },
    mentions: `${join(d, 'noeud-gitlab-1')}/mapping-volumes/{data,config,log}`,
    trace: join(d, 'noeud-gitlab-1'),
  }),
  'gitlab.configure': (d) => ({
    input: { config: join(d, 'config'), url: 'http://127.0.0.61' },
    mentions: `set external_url 'http://127.0.0.61' in ${join(d, 'config')}/gitlab.rb`,
    trace: join(d, 'config', 'gitlab.rb'),
  }),
  'gitlab.update': () => ({ input: { name: 'alpha', state: 'active' }, mentions: 'set instance alpha state active' }),
  'gitlab.list': () => ({ input: {}, mentions: 'list the GitLab inventory' }),
  'gitlab.schedule-line': (d) => ({
    input: { name: 'alpha', cron: '15 */6 * * *', keep: 3, root: d },
    mentions: '15 */6 * * * gravity run gitlab:backup --param instance=alpha --param mode=online --param keep=3',
  }),
  // planning reads no crontab: the plan is the block
  'cron.install-block': () => ({
    input: { user: 'nobody', marker: 'gitlab:backup alpha', lines: ['0 */4 * * * /bin/true'] },
    mentions:
      'install in the crontab of nobody (checked with crontab -n first), replacing its block "gitlab:backup alpha" if any:\n# BEGIN gravity gitlab:backup alpha\n0 */4 * * * /bin/true\n# END gravity gitlab:backup alpha',
  }),
  'cron.remove-block': () => ({
    input: { user: 'nobody', marker: 'gitlab:backup alpha' },
    mentions: 'remove the block "gitlab:backup alpha" from the crontab of nobody',
  }),
  'cron.list': () => ({
    input: { prefix: 'gitlab:backup ' },
    mentions: 'list the blocks "gitlab:backup ..." of the crontab of',
  }),
  'bind.zone': (d) => ({
    input: { model: PLAN_MODEL, proxy: '192.0.2.80', zonesDir: join(d, 'zones') },
    mentions: `write the zone 1161.paas.example.test (apex and 1 site(s) at 192.0.2.80, 1 machine(s) at their addresses) to ${join(d, 'zones/1161.paas.example.test.zone')}`,
    trace: join(d, 'zones'),
  }),
  'bind.include': (d) => ({
    input: { ...PLAN_NAMES, include: join(d, 'named.conf.gravity'), zonesDir: join(d, 'zones') },
    mentions: `zone "1161.paas.example.test" { type master; file "${join(d, 'zones/1161.paas.example.test.zone')}"; };`,
    trace: join(d, 'named.conf.gravity'),
  }),
  'bind.remove-zone': (d) => ({
    input: { ...PLAN_NAMES, include: join(d, 'named.conf.gravity'), zonesDir: join(d, 'zones') },
    given: {
      'named.conf.gravity':
        '// BEGIN gravity zone 1161.paas.example.test\n// END gravity zone 1161.paas.example.test\n',
    },
    mentions: `take the stanza of zone 1161.paas.example.test out of ${join(d, 'named.conf.gravity')}`,
  }),
  'bind.reload': (d) => ({
    input: { pidFile: join(d, 'named.pid') },
    mentions: `kill -HUP $(cat ${join(d, 'named.pid')})`,
  }),
  'apache.vhosts': (d) => ({
    input: { model: PLAN_MODEL, address: '192.0.2.80', homepageDir: join(d, 'home'), sitesDir: join(d, 'sites') },
    mentions: `on 192.0.2.80:80 to ${join(d, 'sites/paas-1161.conf')}, checked with apache2 -t first`,
    trace: join(d, 'sites'),
  }),
  'apache.remove-vhosts': (d) => ({
    input: { platform: 'paas', env: '1161', sitesDir: join(d, 'sites') },
    given: { 'sites/paas-1161.conf': '# kept\n' },
    mentions: `remove ${join(d, 'sites/paas-1161.conf')}`,
  }),
  'env.vagrantfile': (d) => ({
    input: { model: PLAN_MODEL, provider: 'libvirt', path: join(d, 'Vagrantfile'), shell: { script: 'up.sh' } },
    mentions: `write ${join(d, 'Vagrantfile')} for 1161.paas.example.test: 1 machine(s) on libvirt, provisioned by shell (up.sh), checked with vagrant validate first`,
    trace: join(d, 'Vagrantfile'),
  }),
  // vagrant: planning runs no vagrant (it would look for the Vagrantfile): the plan is the command lines
  'vagrant.status': (d) => ({
    input: { dir: join(d, 'env') },
    mentions: `cd ${join(d, 'env')} && vagrant status --machine-readable`,
  }),
  'vagrant.up': (d) => ({
    input: { dir: join(d, 'env'), machine: 'web1', provider: 'docker', provision: false },
    given: { 'env/Vagrantfile': 'Vagrant.configure("2") { |c| c.vm.define "web1" }\n' },
    mentions: `cd ${join(d, 'env')} && vagrant up web1 --provider=docker --no-provision`,
    trace: join(d, 'env/.vagrant'),
  }),
  'vagrant.halt': (d) => ({
    input: { dir: join(d, 'env'), machine: 'web1' },
    given: { 'env/Vagrantfile': 'Vagrant.configure("2") { |c| c.vm.define "web1" }\n' },
    mentions: `cd ${join(d, 'env')} && vagrant halt web1`,
    trace: join(d, 'env/.vagrant'),
  }),
  'vagrant.destroy': (d) => ({
    input: { dir: join(d, 'env') },
    given: { 'env/Vagrantfile': 'Vagrant.configure("2") { |c| c.vm.define "web1" }\n' },
    mentions: `cd ${join(d, 'env')} && vagrant destroy -f`,
    trace: join(d, 'env/.vagrant'),
  }),
  'env.homepage': (d) => ({
    input: { model: PLAN_MODEL, path: join(d, 'www/index.html') },
    mentions: `write the homepage of 1161.paas.example.test to ${join(d, 'www/index.html')}: 1 site(s), 1 machine(s), 0 tool(s)`,
    trace: join(d, 'www'),
  }),
  'apache.reload': (d) => ({
    input: { conf: join(d, 'apache2.conf') },
    mentions: `apache2 -k graceful -f ${join(d, 'apache2.conf')}`,
  }),
  'gitlab.select': () => ({ input: { instance: 'all' }, mentions: 'read every active instance of the inventory' }),
  'gitlab.backup-create': () => ({
    input: { container: 'plan-probe' },
    mentions: 'docker container exec -- plan-probe gitlab-backup create',
  }),
  'gitlab.backup-copy': (d) => ({
    input: {
      dir: join(d, 'noeud-gitlab-1'),
      mode: 'cold',
      instance: { name: 'alpha' },
      image: 'gitlab/gitlab-ce:17.5.1-ce.0',
      version: '17.5.1',
    },
    given: { 'noeud-gitlab-1/mapping-volumes/data/x': 'data', 'noeud-gitlab-1/bckups/.keep': '' },
    mentions: `copy ${join(d, 'noeud-gitlab-1')}/mapping-volumes/{data,config,log}`,
    check: () => expect(readdirSync(join(d, 'noeud-gitlab-1/bckups'))).toEqual(['.keep']),
  }),
  'gitlab.prune-backups': (d) => ({
    input: { dir: join(d, 'bckups'), keep: 1 },
    given: Object.fromEntries(
      ['20260101T000000Z', '20260102T000000Z'].map((id, i) => [
        `bckups/${id}/manifest.json`,
        JSON.stringify({ format: 1, id, createdAt: `2026-01-0${i + 1}T00:00:00.000Z`, files: [] }),
      ]),
    ),
    mentions: `rm -rf ${join(d, 'bckups', '20260101T000000Z')}`,
  }),
  'gitlab.verify-backup': () => ({
    input: { instance: 'alpha', backup: '20261205T120000Z' },
    mentions: 'verify backup 20261205T120000Z of alpha: manifest, sizes and sha256 of every file',
  }),
  'gitlab.check-instance': () => ({
    input: { name: 'alpha' },
    mentions: 'check instance alpha: record, mapping-volumes/{data,config,log}',
  }),
  'gitlab.swap-volumes': (d) => ({
    input: { dir: join(d, 'noeud-gitlab-1'), backup: join(d, 'b'), mode: 'cold', stamp: '20261205T120000Z' },
    given: { 'noeud-gitlab-1/mapping-volumes/data/x': 'old', 'b/data/x': 'new' },
    mentions: `mv ${join(d, 'noeud-gitlab-1/mapping-volumes')} ${join(d, 'noeud-gitlab-1/mapping-volumes.aside-20261205T120000Z')}`,
    trace: join(d, 'noeud-gitlab-1/mapping-volumes.aside-20261205T120000Z'),
  }),
  'gitlab.drop-aside': (d) => ({
    input: { aside: join(d, 'mapping-volumes.aside-20261205T120000Z') },
    given: { 'mapping-volumes.aside-20261205T120000Z/data/x': 'old' },
    mentions: `rm -rf ${join(d, 'mapping-volumes.aside-20261205T120000Z')}`,
  }),
  'gitlab.adopt': (d) => ({
    input: { name: 'alpha', container: 'gitlab-alpha', dir: join(d, 'noeud-gitlab-5') },
    mentions: `adopt container gitlab-alpha (folder ${join(d, 'noeud-gitlab-5')}) as GitLab instance alpha`,
  }),
  'gitlab.get': () => ({
    input: { name: 'alpha', expect: ['active'] },
    mentions: 'read the record of instance alpha (active)',
  }),
  // no inventory, no backup folder, no remote is read while planning: the plan is the commands
  'gitlab.push-backup': (d) => ({
    input: { instance: 'alpha', to: join(d, 'remote'), backup: '20261204T020000Z' },
    mentions: `--checksum --dry-run --itemize-changes --delete -- '<folder of alpha>/bckups/20261204T020000Z/' ${join(d, 'remote')}/alpha/20261204T020000Z/`,
    trace: join(d, 'remote'),
  }),
  'gitlab.pull-backup': (d) => ({
    input: { instance: 'alpha', from: join(d, 'remote'), root: join(d, 'gitlab') },
    mentions: `${join(d, 'remote')}/alpha/<the newest complete one>/manifest.json, then its files by rsync --checksum`,
    trace: join(d, 'gitlab'),
  }),
  // the platform tasks read platform.json and the store only when they run: the plan is what they would do
  'platform.init': (d) => ({
    input: { home: d, platform: 'paas', domain: 'example.test', ipRange: '10.10.0.0/24' },
    mentions: `write ${join(d, 'platforms/paas/platform.json')}: domain example.test, range 10.10.0.0/24`,
    trace: join(d, 'platforms'),
  }),
  'platform.add-project': (d) => ({
    input: { home: d, platform: 'paas', repo: '/git/web.git' },
    mentions: `add project <repository name> (/git/web.git) to ${join(d, 'platforms/paas/platform.json')}`,
    trace: join(d, 'platforms'),
  }),
  'platform.allocate': (d) => ({
    input: { home: d, platform: 'paas', env: '1161', machines: ['v5', 'db'] },
    mentions: 'allocate addresses for v5, db of paas/1161',
  }),
  'platform.get': (d) => ({
    input: { home: d, platform: 'paas', env: '1161' },
    mentions: `read ${join(d, 'platforms/paas/platform.json')}`,
  }),
  'platform.sync-project': (d) => ({
    input: { home: d, platform: 'paas', env: '1161', project: 'web' },
    mentions: `git clone <repository of web> ${join(d, 'platforms/paas/1161/srv/web')}`,
    trace: join(d, 'platforms'),
  }),
  'platform.environment': (d) => ({
    input: {
      home: d,
      platform: 'paas',
      env: '1161',
      active: [{ name: 'v5', kind: 'site' }],
      addresses: { v5: '10.10.0.1' },
    },
    mentions: `write ${join(d, 'platforms/paas/1161/etc/gravity/env.json')} and etc/gravity/env: 1 machines`,
    trace: join(d, 'platforms'),
  }),
  'platform.status': (d) => ({
    input: { home: d, platform: 'paas', include: join(d, 'inc'), zonesDir: join(d, 'z'), sitesDir: join(d, 's') },
    mentions: 'report every environment of paas: sites, machines (vagrant status), DNS and Apache',
  }),
  'platform.release': () => ({
    input: { platform: 'paas', env: '1161' },
    mentions: 'release the addresses of paas/1161',
  }),
  'platform.activate': (d) => ({
    input: { home: d, platform: 'paas', env: '1161', sites: ['v5'] },
    mentions: 'activate v5 and their dependencies as links in srv/build-enabled/',
    trace: join(d, 'platforms'),
  }),
  'gitlab.purge': () => ({
    input: { name: 'alpha' },
    mentions: 'delete the record of decommissioned instance alpha (nothing on disk)',
  }),
};

/** Every path under `dir` with the content of each file, to compare before and after a plan. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    (readdirSync(dir, { recursive: true }) as string[]).sort().map((p) => {
      const full = join(dir, p);
      return [p, statSync(full).isDirectory() ? '<dir>' : readFileSync(full, 'utf8')];
    }),
  );
}

describe('planning each built-in task node', () => {
  it('has a valid input in PLAN_INPUTS for registered tasks only', () => {
    expect(
      Object.keys(PLAN_INPUTS).filter((id) => !allTasks.some((t) => t.id === id)),
      'PLAN_INPUTS names tasks that are not registered',
    ).toEqual([]);
  });

  it.each(allTasks.map((t) => [t.id, t]))(
    '%s has a title and plans a valid input without running it',
    async (id, task) => {
      expect(task.title).not.toBe('');
      // given a valid input of the task, every path in a sandbox holding only the files the case needs
      const make = PLAN_INPUTS[id];
      if (!make)
        expect.fail(
          `task ${id} has no input in PLAN_INPUTS (test/tasks/index.test.ts): add one valid input for it, the text its plan must mention and what its run would leave behind`,
        );
      const dir = tempDir('gravity-tasks-');
      const c = make(dir);
      writeFiles(dir, c.given ?? {});
      const before = snapshot(dir);
      const parsed = task.input.safeParse(c.input);
      if (!parsed.success) expect.fail(`the PLAN_INPUTS input of ${id} is not valid: ${parsed.error.message}`);
      // when the task plans it, directly and through the engine's dry-run plan of a one-step workflow
      const lines = task.plan(parsed.data);
      const [item] = planDefinition(
        workflow({ id: 'test:plan', steps: step('only', id, c.input) }),
        createDefaultRegistry(),
        {},
      );
      // then the plan describes the input
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(typeof l).toBe('string');
      expect(lines.join('\n')).toContain(c.mentions);
      expect(item).toMatchObject({ id: 'only', kind: 'task', task: id, lines });
      // and nothing ran: the sandbox is as it was, the run's trace is absent
      expect(snapshot(dir), `planning ${id} changed the sandbox`).toEqual(before);
      if (c.trace) expect(existsSync(c.trace), `planning ${id} created ${c.trace}`).toBe(false);
      await c.check?.();
    },
  );
});
