// The vagrant.* task nodes against the real vagrant and a real Docker engine started here (no bridge: the machines are
// containers of the docker provider on the host network, serving on 127.0.0.151-159): a Vagrantfile written by
// env.vagrantfile with two machines, their status, up (one, again, all), halt, destroy, the rollback of an up (what it
// created goes, what existed stays); the reading of `vagrant status --machine-readable`; a folder without a
// Vagrantfile; vagrant's own error quoted; the environment vagrant runs in; a cancelled up killing vagrant.
// A missing vagrant or dockerd fails these tests (CI installs them: .ci/run), never skips them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, exec, type TaskDefinition } from '../../../engine/index.js';
import { envVagrantfile, vagrantDestroy, vagrantHalt, vagrantStatus, vagrantUp } from '../../../tasks/index.js';
import { parseMachineReadable, parseStatus, unescapeField } from '../../../tasks/vagrant/support.js';
import { buildBusyboxImage, startDocker, type TestDocker } from '../../support/docker.js';
import { tempDir } from '../../support/git-fixtures.js';
import { compensate, contextFor, rejection, runTask } from '../context.js';

let d: TestDocker;
let root: string;
const saved = { VAGRANT_HOME: process.env.VAGRANT_HOME, DOCKER_HOST: process.env.DOCKER_HOST };
const WEB_IP = '127.0.0.151';
const DB_IP = '127.0.0.152';
/** The image of a machine: busybox serving /www on <ip>:8080, in the foreground (the container's whole life). */
const image = (machine: string) => `gravity-test/vagrant-${machine}:1`;

/** The environment of the tests: two machines on their 127.0.0.15x addresses. */
const MODEL = {
  platform: 'vt',
  env: '1161',
  domain: 'example.test',
  machines: [
    { name: 'web', kind: 'site', ip: WEB_IP },
    { name: 'db', kind: 'service', ip: DB_IP },
  ],
  sites: [{ name: 'www', machine: 'web' }],
};
/** The containers vagrant's docker provider makes (d.name: <platform>-<env>-<machine>). */
const WEB = 'vt-1161-web';
const DB = 'vt-1161-db';

beforeAll(async () => {
  if (spawnSync('vagrant', ['--version']).status !== 0)
    throw new Error('vagrant is missing: the vagrant.* tests run it (apt-get install vagrant)');
  d = await startDocker();
  process.env.DOCKER_HOST = d.host;
  // vagrant's own state folder for these tests, not the user's ~/.vagrant.d
  process.env.VAGRANT_HOME = tempDir('gravity-vagrant-home-', 'file');
  for (const [machine, ip] of [
    ['web', WEB_IP],
    ['db', DB_IP],
  ])
    buildBusyboxImage(
      d,
      image(machine!),
      { '/www/index.html': `hello from ${machine}\n` },
      // (httpd as pid 1 ignores SIGTERM: docker stop would wait its 10 s for each halt)
      `CMD ["httpd", "-f", "-p", "${ip}:8080", "-h", "/www"]\nSTOPSIGNAL SIGKILL`,
    );
  // the Vagrantfile of the environment, as env:init writes it
  root = tempDir('gravity-vagrant-', 'file');
  mkdirSync(join(root, 'env'));
  writeFileSync(join(root, 'env/provision.sh'), '#!/bin/sh\n', { mode: 0o755 });
  await runTask(
    envVagrantfile,
    {
      model: MODEL,
      provider: 'docker',
      path: 'env/Vagrantfile',
      images: { web: image('web'), db: image('db') },
      shell: { script: 'provision.sh' },
    },
    { root },
  );
}, 180_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  await d?.stop();
});

/** The containers of the test dockerd: name -> state (running, exited...). */
const containers = () =>
  Object.fromEntries(
    d
      .docker(['ps', '--all', '--format', '{{.Names}} {{.State}}'])
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ')),
  );

/**
 * The processes of group `pgid` (or the process `pid`) still running, from /proc: a zombie (killed, its parent not
 * having reaped it yet) is not.
 */
function live(pgid: number, pid?: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || (pid !== undefined && Number(name) !== pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, the fields after its last ")" do not
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state !== 'Z' && (pid !== undefined || Number(pgrp) === pgid)) out.push(Number(name));
  }
  return out;
}

/** What the machine's httpd answers (retried a little: the container has just started). */
async function page(ip: string): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await (await fetch(`http://${ip}:8080/index.html`)).text();
    } catch (e) {
      if (i >= 30) throw e;
      await sleep(100);
    }
  }
}

const states = (machines: { name: string; state: string }[]) =>
  Object.fromEntries(machines.map((m) => [m.name, m.state]));

// a vagrant command takes 2 to 5 s here (ruby, then the docker CLI), several times that on a loaded machine
describe('vagrant.status, up, halt, destroy with the docker provider', { timeout: 240_000 }, () => {
  it('reports two machines not created', async () => {
    const out = await runTask(vagrantStatus, { dir: 'env' }, { root });
    expect(out.machines).toEqual([
      { name: 'web', provider: 'docker', state: 'not_created', stateHuman: 'not created' },
      { name: 'db', provider: 'docker', state: 'not_created', stateHuman: 'not created' },
    ]);
  });

  it('brings up one machine, its output streamed; its httpd answers on its address; up again changes nothing', async () => {
    const { ctx, lines } = contextFor(vagrantUp, { dir: 'env', machine: 'web', provider: 'docker' }, { root });
    const out = vagrantUp.output.parse(await vagrantUp.run(ctx));
    expect(out).toMatchObject({ created: ['web'], started: ['web'] });
    expect(states(out.machines)).toEqual({ web: 'running', db: 'not_created' });
    const streamed = lines
      .filter((l) => l.level === 'stdout')
      .map((l) => l.message)
      .join('');
    expect(streamed).toContain("Bringing machine 'web' up with 'docker' provider...");
    expect(lines.at(-1)?.message).toMatch(/^vagrant up web in env: \d+ ms; created: web; started: web$/);
    expect(await page(WEB_IP)).toBe('hello from web\n');
    expect(containers()).toEqual({ [WEB]: 'running' });
    const id = d.docker(['inspect', '--format', '{{.Id}}', WEB]);

    const again = contextFor(vagrantUp, { dir: 'env', machine: 'web', provider: 'docker' }, { root });
    const out2 = vagrantUp.output.parse(await vagrantUp.run(again.ctx));
    expect(out2).toMatchObject({ created: [], started: [] });
    expect(again.lines.at(-1)?.message).toMatch(/already up, nothing changed$/);
    expect(d.docker(['inspect', '--format', '{{.Id}}', WEB])).toBe(id);
  });

  it('brings up every machine, halts one, then destroys them all leaving no container', async () => {
    const all = await runTask(vagrantUp, { dir: 'env', provider: 'docker' }, { root });
    expect(all).toMatchObject({ created: ['db'], started: ['db'] });
    expect(states((await runTask(vagrantStatus, { dir: 'env' }, { root })).machines)).toEqual({
      web: 'running',
      db: 'running',
    });
    expect(await page(DB_IP)).toBe('hello from db\n');

    const halted = await runTask(vagrantHalt, { dir: 'env', machine: 'db' }, { root });
    expect(halted.halted).toEqual(['db']);
    expect(states(halted.machines)).toEqual({ web: 'running', db: 'stopped' });
    expect(containers()).toEqual({ [WEB]: 'running', [DB]: 'exited' });
    // halting a stopped machine is a no-op
    expect((await runTask(vagrantHalt, { dir: 'env', machine: 'db' }, { root })).halted).toEqual([]);

    const destroyed = await runTask(vagrantDestroy, { dir: 'env' }, { root });
    expect(destroyed.destroyed).toEqual(['web', 'db']);
    expect(states(destroyed.machines)).toEqual({ web: 'not_created', db: 'not_created' });
    expect(containers()).toEqual({});
    // destroying machines that are not created is fine
    const again = await runTask(vagrantDestroy, { dir: 'env', machine: 'web' }, { root });
    expect(again.destroyed).toEqual([]);
  });

  it('rollback of an up destroys what it created, and keeps a machine that existed before it', async () => {
    const first = await runTask(vagrantUp, { dir: 'env', machine: 'db', provider: 'docker' }, { root });
    expect(first.created).toEqual(['db']);
    const raw = { dir: 'env', provider: 'docker' };
    const out = await runTask(vagrantUp, raw, { root });
    expect(out).toMatchObject({ created: ['web'], started: ['web'] });
    expect(containers()).toEqual({ [WEB]: 'running', [DB]: 'running' });
    await compensate(vagrantUp, root, raw, out);
    expect(containers()).toEqual({ [DB]: 'running' });
    expect(states((await runTask(vagrantStatus, { dir: 'env' }, { root })).machines)).toEqual({
      web: 'not_created',
      db: 'running',
    });
    await compensate(vagrantUp, root, { dir: 'env', machine: 'db' }, first);
    expect(containers()).toEqual({});
  });

  it('refuses a machine the Vagrantfile does not define, naming those it does', async () => {
    const e = await rejection(runTask(vagrantUp, { dir: 'env', machine: 'nosuch' }, { root }));
    expect(e.message).toBe('vagrant.up: no machine nosuch in env/Vagrantfile (it defines web, db)');
    expect(containers()).toEqual({});
  });
});

/** A Vagrantfile whose `vagrant up` waits on a child of its own (as a long provisioning would), its pid in sleep.pid. */
const SLOW_VAGRANTFILE = [
  'if ARGV.include?("up")',
  '  pid = Process.spawn("sleep", "300")',
  '  File.write(File.join(__dir__, "sleep.pid"), pid.to_s)',
  '  Process.wait(pid)',
  'end',
  'Vagrant.configure("2") { |c| c.vm.define "slow" do |m| m.vm.provider "docker" do |d| d.image = "x" end end }',
  '',
].join('\n');

describe('vagrant.* without a running machine', { timeout: 120_000 }, () => {
  it('fails naming a folder without a Vagrantfile, even when a parent folder has one', async () => {
    const r = tempDir('gravity-vagrant-');
    const e = await rejection(runTask(vagrantStatus, { dir: 'nowhere' }, { root: r }));
    expect(e.message).toBe(
      `vagrant.status: there is no Vagrantfile in nowhere (${join(r, 'nowhere')}): generate it first (env.vagrantfile)`,
    );
    // vagrant itself would take the parent's Vagrantfile
    mkdirSync(join(r, 'env/sub'), { recursive: true });
    writeFileSync(join(r, 'env/Vagrantfile'), 'Vagrant.configure("2") { |c| c.vm.define "x" }\n');
    for (const task of [vagrantUp, vagrantHalt, vagrantDestroy] as TaskDefinition[]) {
      const e2 = await rejection(runTask(task, { dir: 'env/sub' }, { root: r }));
      expect(e2.message).toMatch(new RegExp(`^${task.id}: there is no Vagrantfile in env/sub \\(`));
    }
    expect(existsSync(join(r, 'env/.vagrant'))).toBe(false);
    expect((await rejection(runTask(vagrantStatus, { dir: '../x' }, { root: r }))).code).toBe('PATH_OUTSIDE_ROOT');
  });

  it("quotes vagrant's own error", async () => {
    const r = tempDir('gravity-vagrant-');
    writeFileSync(join(r, 'Vagrantfile'), 'raise "boom: this Vagrantfile refuses to load"\n');
    const e = await rejection(runTask(vagrantStatus, { dir: '.' }, { root: r }));
    expect(e.message).toMatch(
      /^vagrant\.status: vagrant status --machine-readable in \. failed with exit code 1; vagrant says:\n/,
    );
    expect(e.message).toContain('boom: this Vagrantfile refuses to load');
  });

  it('runs vagrant in the folder with no version check, VAGRANT_HOME and DOCKER_HOST passed on, whatever VAGRANT_CWD says', async () => {
    const r = tempDir('gravity-vagrant-');
    mkdirSync(join(r, 'env'));
    writeFileSync(
      join(r, 'env/Vagrantfile'),
      [
        'require "json"',
        'File.write(File.join(__dir__, "env.json"), ENV.to_h.select { |k, _| k.start_with?("VAGRANT_") || k == "DOCKER_HOST" }.to_json)',
        'Vagrant.configure("2") { |c| c.vm.define "only" do |m| m.vm.provider "docker" do |d| d.image = "x" end end }',
        '',
      ].join('\n'),
    );
    const cwd = process.env.VAGRANT_CWD;
    process.env.VAGRANT_CWD = tempDir('gravity-elsewhere-');
    try {
      const out = await runTask(vagrantStatus, { dir: 'env' }, { root: r });
      expect(out.machines.map((m) => m.name)).toEqual(['only']);
    } finally {
      if (cwd === undefined) delete process.env.VAGRANT_CWD;
      else process.env.VAGRANT_CWD = cwd;
    }
    expect(JSON.parse(readFileSync(join(r, 'env/env.json'), 'utf8'))).toMatchObject({
      VAGRANT_CHECKPOINT_DISABLE: '1',
      VAGRANT_HOME: process.env.VAGRANT_HOME,
      DOCKER_HOST: d.host,
      VAGRANT_CWD: join(r, 'env'),
    });
  });

  it("kills vagrant past the step's timeoutMs, and says when vagrant is not installed", async () => {
    const r = tempDir('gravity-vagrant-');
    writeFileSync(join(r, 'Vagrantfile'), SLOW_VAGRANTFILE);
    const started = performance.now();
    const e = await rejection(runTask(vagrantUp, { dir: '.', timeoutMs: 4000 }, { root: r }));
    // the status before may already have spent the budget on a loaded machine: then that is what was killed
    expect(e.message).toMatch(
      /^vagrant\.up: (vagrant (status --machine-readable|up) in \. was killed: the step's 4000 ms ran out|the step's 4000 ms were spent before vagrant up could run in \.)$/,
    );
    expect(e.code).toBe('TIMEOUT');
    expect(performance.now() - started).toBeLessThan(15_000);

    const path = process.env.PATH;
    process.env.PATH = tempDir('gravity-empty-path-');
    try {
      const missing = await rejection(runTask(vagrantStatus, { dir: '.' }, { root: r }));
      expect(missing.message).toBe('vagrant.status: vagrant is not installed (apt-get install vagrant)');
    } finally {
      process.env.PATH = path;
    }
  });

  it('cancelling a long up kills vagrant and what it started (its process group)', async () => {
    const r = tempDir('gravity-vagrant-');
    writeFileSync(join(r, 'Vagrantfile'), SLOW_VAGRANTFILE);
    const { ctx, controller } = contextFor(vagrantUp, { dir: '.', provider: 'docker' }, { root: r });
    const groups: number[] = [];
    ctx.exec = (command, args, o) => exec(command, args, { ...o, onSpawn: (pid) => groups.push(pid) });
    const running = vagrantUp.run(ctx);
    const pidFile = join(r, 'sleep.pid');
    for (let i = 0; i < 600 && !existsSync(pidFile); i++) await sleep(100);
    const sleepPid = Number(readFileSync(pidFile, 'utf8'));
    // vagrant up and its child run in the group of the command exec started
    expect(live(groups[1]!)).toContain(sleepPid);
    const started = performance.now();
    controller.abort();
    const e = await rejection(running);
    expect(e).toBeInstanceOf(CancelledError);
    expect(performance.now() - started).toBeLessThan(10_000);
    // the status before, then the up: that one's group is gone, the sleep with it (a zombie not reaped yet is gone too)
    expect(groups).toHaveLength(2);
    for (let i = 0; i < 30 && live(groups[1]!).length > 0; i++) await sleep(100);
    expect(live(groups[1]!)).toEqual([]);
    expect(live(groups[1]!, sleepPid)).toEqual([]);
  });
});

describe('reading vagrant status --machine-readable', () => {
  it('unescapes commas and newlines, keeps the machines in order, skips what is not a machine-readable line', () => {
    const text = [
      'Vagrant warning: something printed before',
      '1796481051,web,metadata,provider,docker',
      '1796481051,db%!(VAGRANT_COMMA)1,metadata,provider,libvirt',
      '1796481053,web,provider-name,docker',
      '1796481053,web,state,running',
      '1796481053,web,state-human-short,running',
      '1796481053,web,state-human-long,The container is created and running. You can stop it using\\n`vagrant halt`%!(VAGRANT_COMMA) see logs with `vagrant docker-logs`',
      '1796481053,db%!(VAGRANT_COMMA)1,provider-name,libvirt',
      '1796481053,db%!(VAGRANT_COMMA)1,state,shutoff',
      '1796481053,db%!(VAGRANT_COMMA)1,state-human-short,shut off%!(VAGRANT_COMMA) for now',
      '1796481053,,ui,info,Current machine states:\\n\\nweb   running (docker)',
      '',
    ].join('\n');
    expect(parseStatus(text)).toEqual([
      { name: 'web', provider: 'docker', state: 'running', stateHuman: 'running' },
      { name: 'db,1', provider: 'libvirt', state: 'shutoff', stateHuman: 'shut off, for now' },
    ]);
    const lines = parseMachineReadable(text);
    expect(lines).toHaveLength(10);
    expect(lines[5]).toEqual({
      timestamp: '1796481053',
      target: 'web',
      type: 'state-human-long',
      data: [
        'The container is created and running. You can stop it using\n`vagrant halt`, see logs with `vagrant docker-logs`',
      ],
    });
    expect(lines.at(-1)).toMatchObject({
      target: '',
      type: 'ui',
      data: ['info', 'Current machine states:\n\nweb   running (docker)'],
    });
    expect(unescapeField('a%!(VAGRANT_COMMA)b\\r\\nc')).toBe('a,b\r\nc');
    expect(parseStatus('')).toEqual([]);
  });

  it('lists the command lines for --dry-run', () => {
    expect(
      vagrantUp.plan(vagrantUp.input.parse({ dir: 'envs/1161', machine: 'web', provider: 'libvirt', provision: true })),
    ).toEqual([
      'cd envs/1161 && vagrant status --machine-readable',
      'cd envs/1161 && vagrant up web --provider=libvirt --provision',
      'cd envs/1161 && vagrant status --machine-readable',
    ]);
    expect(vagrantUp.plan(vagrantUp.input.parse({ dir: 'my env' }))[1]).toBe("cd 'my env' && vagrant up");
    expect(vagrantHalt.plan(vagrantHalt.input.parse({ dir: 'e' }))[1]).toBe('cd e && vagrant halt');
    expect(vagrantDestroy.plan(vagrantDestroy.input.parse({ dir: 'e', machine: 'db' }))[1]).toBe(
      'cd e && vagrant destroy -f db',
    );
    expect(vagrantStatus.plan(vagrantStatus.input.parse({ dir: 'e' }))).toEqual([
      'cd e && vagrant status --machine-readable',
    ]);
    expect(vagrantUp.input.safeParse({ dir: 'e', machine: 'Web"; id' }).success).toBe(false);
    expect(vagrantUp.input.safeParse({ dir: 'e', provider: 'vmware' }).success).toBe(false);
  });
});
