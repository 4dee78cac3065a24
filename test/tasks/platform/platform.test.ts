// The platform.* task nodes on real folders and a real store: platform.json made once and kept (another domain or range
// refused), projects added by name, addresses allocated from the range without ever being handed out twice (also by
// two processes at once), released, and an environment's sites resolved with their dependencies into build-enabled/.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createJsonStore, type Store, type TaskDefinition } from '../../../engine/index.js';
import {
  platformActivate,
  platformAddProject,
  platformAllocate,
  platformInit,
  platformRelease,
} from '../../../tasks/index.js';
import { projectFile, resolveSites, type ProjectFile } from '../../../tasks/platform/support.js';
import { tempDir } from '../../support/git-fixtures.js';
import { contextFor, rejection } from '../context.js';

const stores: Store[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

async function fresh() {
  const home = tempDir('gravity-platform-home-');
  const dataDir = tempDir('gravity-platform-store-');
  const store = await createJsonStore(dataDir);
  stores.push(store);
  const run = async <I, O>(task: TaskDefinition<I, O>, raw: unknown): Promise<O> => {
    const { ctx } = contextFor(task, raw, { root: home });
    return task.output.parse(await task.run({ ...ctx, store }));
  };
  const undo = async <I, O>(task: TaskDefinition<I, O>, raw: unknown, output: O) => {
    const { ctx } = contextFor(task, raw, { root: home });
    const { attempt: _a, ...rest } = ctx;
    await task.compensate!({ ...rest, store, output });
  };
  return { home, dataDir, store, run, undo };
}

const platformJson = (home: string, p = 'paas') =>
  JSON.parse(readFileSync(join(home, 'platforms', p, 'platform.json'), 'utf8'));

describe('platform.init and platform.add-project', () => {
  it('makes platform.json once; again with the same values changes nothing; another range is refused', async () => {
    const { home, run } = await fresh();
    const input = {
      home: '.',
      platform: 'paas',
      domain: 'example.test',
      ipRange: '10.10.0.0/24',
      repo: '/srv/git/web.git',
    };
    const first = await run(platformInit, input);
    expect(first).toMatchObject({ created: true, projects: ['web'] });
    const made = readFileSync(first.file, 'utf8');
    expect(platformJson(home)).toMatchObject({
      format: 1,
      name: 'paas',
      domain: 'example.test',
      ipRange: '10.10.0.0/24',
      projects: [{ name: 'web', repo: '/srv/git/web.git' }],
    });
    const again = await run(platformInit, input);
    expect(again).toMatchObject({ created: false, projects: ['web'] });
    expect(readFileSync(first.file, 'utf8')).toBe(made);
    const other = await rejection(run(platformInit, { ...input, ipRange: '10.20.0.0/24' }));
    expect(other.message).toMatch(
      /exists with domain example.test and range 10.10.0.0\/24, not example.test and 10.20.0.0\/24/,
    );
    expect(readFileSync(first.file, 'utf8')).toBe(made);
  });

  it('refuses names that are not DNS labels and ranges that are not ranges, before anything is made', () => {
    for (const [field, value, message] of [
      ['platform', '../etc', 'platform: a DNS label'],
      ['platform', '-x', 'platform: a DNS label'],
      ['platform', 'PaaS', 'platform: a DNS label'],
      ['domain', 'exa mple.test', 'a domain'],
      ['ipRange', '10.10.0.0/8', 'an IPv4 range'],
      ['ipRange', '10.10.0.300', 'an IPv4 range'],
    ] as const)
      expect(() => platformInit.input.parse({ home: '.', platform: 'paas', [field]: value })).toThrow(message);
  });

  it('adds projects by name, keeps one given twice, refuses another repository under a name in use; rollback removes it', async () => {
    const { home, run, undo } = await fresh();
    await run(platformInit, { home, platform: 'paas' });
    const a = await run(platformAddProject, { home, platform: 'paas', repo: 'git@example.test:team/API.git' });
    expect(a).toEqual({ project: 'api', added: true, projects: ['api'] });
    expect(
      (await run(platformAddProject, { home, platform: 'paas', repo: 'git@example.test:team/API.git' })).added,
    ).toBe(false);
    const clash = await rejection(run(platformAddProject, { home, platform: 'paas', repo: '/elsewhere/api.git' }));
    expect(clash.message).toMatch(
      /has a project api already, from git@example.test:team\/API.git: choose another name/,
    );
    const named = { home, platform: 'paas', repo: '/elsewhere/api.git', name: 'api2', branch: 'main' };
    const b = await run(platformAddProject, named);
    expect(platformJson(home).projects).toEqual([
      { name: 'api', repo: 'git@example.test:team/API.git' },
      { name: 'api2', repo: '/elsewhere/api.git', branch: 'main' },
    ]);
    await undo(platformAddProject, named, b);
    expect(platformJson(home).projects.map((p: { name: string }) => p.name)).toEqual(['api']);
    const missing = await rejection(run(platformAddProject, { home, platform: 'nope', repo: '/x.git' }));
    expect(missing.message).toMatch(/no platform nope under .*platform:init --param platform=nope/);
    expect(() => platformAddProject.input.parse({ home, platform: 'paas', repo: '--upload-pack=x' })).toThrow(
      'not starting with -',
    );
  });
});

describe('platform.allocate and platform.release', () => {
  it('gives each environment distinct addresses, keeps them when asked again, says when the range is full, releases', async () => {
    const { home, run, undo } = await fresh();
    await run(platformInit, { home, platform: 'paas', ipRange: '10.10.0.0/29' }); // 6 addresses: .1 to .6
    const a = await run(platformAllocate, { home, platform: 'paas', env: '1161', machines: ['v5', 'db'] });
    expect(a).toEqual({ addresses: { v5: '10.10.0.1', db: '10.10.0.2' }, allocated: ['v5', 'db'] });
    const again = await run(platformAllocate, { home, platform: 'paas', env: '1161', machines: ['v5', 'db', 'api'] });
    expect(again).toEqual({ addresses: { v5: '10.10.0.1', db: '10.10.0.2', api: '10.10.0.3' }, allocated: ['api'] });
    const b = await run(platformAllocate, { home, platform: 'paas', env: '1170', machines: ['v5', 'db', 'api'] });
    expect(b.addresses).toEqual({ v5: '10.10.0.4', db: '10.10.0.5', api: '10.10.0.6' });
    const full = await rejection(run(platformAllocate, { home, platform: 'paas', env: '1180', machines: ['v5'] }));
    expect(full.message).toMatch(/no free address left in 10.10.0.0\/29 for 1180\/v5 \(6 held/);
    // rollback gives back only what that step took
    await undo(platformAllocate, { home, platform: 'paas', env: '1161', machines: ['v5', 'db', 'api'] }, again);
    const c = await run(platformAllocate, { home, platform: 'paas', env: '1180', machines: ['v5'] });
    expect(c.addresses).toEqual({ v5: '10.10.0.3' });
    expect((await run(platformRelease, { platform: 'paas', env: '1170' })).released).toEqual(b.addresses);
    expect((await run(platformRelease, { platform: 'paas', env: '1170' })).released).toEqual({});
    const d = await run(platformAllocate, { home, platform: 'paas', env: '1190', machines: ['a', 'b', 'c'] });
    expect(Object.values(d.addresses).sort()).toEqual(['10.10.0.4', '10.10.0.5', '10.10.0.6']);
  });

  it('two processes allocating for different environments at the same moment get disjoint addresses', async () => {
    const { home, dataDir, run } = await fresh();
    await run(platformInit, { home, platform: 'paas', ipRange: '10.10.0.0/24' });
    // each process opens the same store and allocates 20 machines (the lease serialises them)
    const script = `
      const { createJsonStore } = await import(${JSON.stringify(new URL('../../../dist/engine/index.js', import.meta.url).href)});
      const { platformAllocate } = await import(${JSON.stringify(new URL('../../../dist/tasks/index.js', import.meta.url).href)});
      const store = await createJsonStore(process.argv[1]);
      const input = platformAllocate.input.parse({ home: process.argv[2], platform: 'paas', env: process.argv[3],
        machines: Array.from({ length: 20 }, (_, i) => 'm' + i) });
      const out = await platformAllocate.run({ input, store, root: process.argv[2], signal: new AbortController().signal,
        log: { info() {}, warn() {}, error() {}, stream() {} } });
      await store.close();
      process.stdout.write(JSON.stringify(out.addresses));`;
    const alloc = (env: string) =>
      new Promise<Record<string, string>>((res, rej) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, dataDir, home, env], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (b) => (out += b));
        child.stderr.on('data', (b) => (err += b));
        child.on('close', (code) => (code === 0 ? res(JSON.parse(out)) : rej(new Error(`exit ${code}: ${err}`))));
      });
    const [x, y] = await Promise.all([alloc('1161'), alloc('1170')]);
    const all = [...Object.values(x), ...Object.values(y)];
    expect(all).toHaveLength(40);
    expect(new Set(all).size).toBe(40);
  }, 30_000);
});

const project = (o: Record<string, unknown>): ProjectFile => projectFile.parse({ format: 1, ...o });

describe('resolveSites', () => {
  const web = project({
    sites: { v5: { port: 8080, depends: ['api'] }, admin: { depends: ['db'] } },
    defaultSites: ['v5'],
  });
  const back = project({
    sites: { api: { port: 3000, depends: ['db', 'mq'] } },
    services: { db: { port: 3306 }, mq: {} },
  });

  it('activates the chosen sites and, transitively, what they depend on, each after its dependencies', () => {
    const order = resolveSites(
      [
        { name: 'web', file: web },
        { name: 'back', file: back },
      ],
      ['v5'],
    );
    expect(order.map((a) => `${a.name}:${a.kind}:${a.project}`)).toEqual([
      'db:service:back',
      'mq:service:back',
      'api:site:back',
      'v5:site:web',
    ]);
    // none chosen: each project's defaults (back has none: all its sites)
    expect(
      resolveSites(
        [
          { name: 'web', file: web },
          { name: 'back', file: back },
        ],
        [],
      ).map((a) => a.name),
    ).toEqual(['db', 'mq', 'api', 'v5']);
  });

  it('names a cycle, an unknown site, a dependency nobody declares, and a name two projects declare', () => {
    const cyc = project({ sites: { a: { depends: ['b'] }, b: { depends: ['c'] }, c: { depends: ['a'] } } });
    expect(() => resolveSites([{ name: 'p', file: cyc }], ['a'])).toThrow('a dependency cycle: a -> b -> c -> a');
    expect(() =>
      resolveSites(
        [
          { name: 'web', file: web },
          { name: 'back', file: back },
        ],
        ['nope'],
      ),
    ).toThrow("unknown site nope; the platform's sites: v5, admin, api");
    expect(() =>
      resolveSites(
        [
          { name: 'web', file: web },
          { name: 'back', file: back },
        ],
        ['db'],
      ),
    ).toThrow('unknown site db (db is a service of project back)');
    expect(() => resolveSites([{ name: 'web', file: web }], ['v5'])).toThrow(
      'v5 depends on api, which no project of the platform declares',
    );
    const dup = project({ services: { api: {} } });
    expect(() =>
      resolveSites(
        [
          { name: 'back', file: back },
          { name: 'dup', file: dup },
        ],
        [],
      ),
    ).toThrow('service api of project dup is also a site of project back');
  });

  it('refuses an unknown key in a project manifest, naming the closest field', () => {
    expect(() => projectFile.parse({ format: 1, site: {} })).toThrow(/site/);
  });
});

describe('platform.activate', () => {
  it('links exactly the active sites and services in srv/build-enabled/, to their folders', async () => {
    const { home, run } = await fresh();
    await run(platformInit, { home, platform: 'paas' });
    await run(platformAddProject, { home, platform: 'paas', repo: '/git/web.git' });
    await run(platformAddProject, { home, platform: 'paas', repo: '/git/back.git' });
    const srv = join(home, 'platforms/paas/1161/srv');
    const write = (proj: string, m: unknown) => {
      mkdirSync(join(srv, proj, 'sites/v5'), { recursive: true });
      writeFileSync(join(srv, proj, 'gravity-project.json'), JSON.stringify(m));
    };
    write('web', {
      format: 1,
      sites: { v5: { port: 8080, path: 'sites/v5', depends: ['api'] }, admin: {} },
      defaultSites: ['v5'],
      provision: 'provision.sh',
    });
    write('back', {
      format: 1,
      sites: { api: { port: 3000, depends: ['db'] } },
      services: { db: { port: 3306 } },
      tools: [
        { name: 'phpMyAdmin', on: 'db', port: 8081 },
        { name: 'never', on: 'admin', port: 1 },
      ],
      salt: 'salt',
    });
    const input = { home, platform: 'paas', env: '1161', sites: ['v5'] };
    const out = await run(platformActivate, input);
    expect(out.machines).toEqual(['db', 'api', 'v5']);
    expect(out.sites).toEqual(['api', 'v5']);
    expect(out.tools).toEqual([{ name: 'phpMyAdmin', machine: 'db', port: 8081, path: '/' }]);
    expect(out.provisioning).toEqual({ web: { shell: 'provision.sh' }, back: { salt: 'salt' } });
    const enabled = join(srv, 'build-enabled');
    expect(readdirSync(enabled).sort()).toEqual(['api', 'db', 'v5']);
    expect(readlinkSync(join(enabled, 'v5'))).toBe('../web/sites/v5');
    expect(readlinkSync(join(enabled, 'api'))).toBe('../back');
    expect(existsSync(join(enabled, 'v5', 'sites'))).toBe(false); // the link leads into the site's own folder

    // another choice: links of sites no longer active go, the others stay
    const admin = await run(platformActivate, { ...input, sites: ['admin'] });
    expect(admin.machines).toEqual(['admin']);
    expect(readdirSync(enabled)).toEqual(['admin']);
    // something there that gravity did not make is refused, not deleted
    writeFileSync(join(enabled, 'notes.txt'), 'mine\n');
    const refused = await rejection(run(platformActivate, input));
    expect(refused.message).toMatch(/notes.txt is not a link/);
    expect(readFileSync(join(enabled, 'notes.txt'), 'utf8')).toBe('mine\n');
    symlinkSync('elsewhere', join(enabled, 'x'));
    const noManifest = await rejection(run(platformActivate, { ...input, platform: 'paas', env: '1170' }));
    expect(noManifest.message).toMatch(/project web has no gravity-project.json at its root/);
  });
});
