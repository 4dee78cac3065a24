// The inventory routes of gravity serve over real files and a real store: a platform made by the real platform:init and
// platform:add-project (started through POST /api/runs, the projects real git repositories), an environment described
// by env:init's first steps (projects cloned, sites activated, addresses allocated, etc/gravity/env.json written: no
// Vagrantfile, no vagrant up), one env:init left halfway (its folder only); GitLab instance records in the store as
// gitlab:commission writes them. Machine states come from a stand-in `vagrant` first on PATH (it prints what vagrant
// status --machine-readable prints for machines not created, and counts its calls); Docker is a stand-in docker
// (GRAVITY_DOCKER) answering inspect and ls, or a command that does not exist. Servers on 127.0.0.201-204.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEach, sequence, startRun, task, workflow, type Definition, RunStatus } from '../../engine/index.js';
import { putInstance, type Instance } from '../../tasks/gitlab/inventory.js';
import type { EnvironmentsResponse, GitlabInstancesResponse, PlatformsResponse } from '../../server/inventory.js';
import { tempDir } from '../support/git-fixtures.js';
import { platformRepos, type PlatformRepos } from '../support/platform-fixture.js';
import { startTestServer, type TestServer } from '../support/serve.js';

let ts: TestServer;
let home: string;
let repos: PlatformRepos;
let bin: string;
const saved = {
  GRAVITY_DOCKER: process.env.GRAVITY_DOCKER,
  PATH: process.env.PATH,
};

/** GET `path` sent byte for byte as given (no folding of dot segments), with a bearer token. */
function rawGet(s: TestServer, path: string, token: string): Promise<{ status: number; text: string; body: any }> {
  const u = new URL(s.url);
  return new Promise((done, fail) => {
    const req = request(
      { host: u.hostname, port: u.port, path, method: 'GET', headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          done({ status: res.statusCode!, text, body });
        });
      },
    );
    req.on('error', fail);
    req.end();
  });
}

/** Starts a catalog workflow through the API and waits for its end; returns its record. */
async function runThroughApi(s: TestServer, workflowId: string, params: Record<string, unknown>) {
  const started = await s.api('POST', '/api/runs', { body: { workflow: workflowId, params } });
  expect(started.status, started.text).toBe(202);
  const id = started.body.runId as string;
  for (let i = 0; i < 600; i++) {
    const r = await s.api('GET', `/api/runs/${id}`);
    if (r.body.run.status !== RunStatus.Running) return r.body.run as { status: string; error?: unknown };
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`${workflowId} did not end`);
}

/** env:init's steps up to etc/gravity/env.json (the Vagrantfile and vagrant up left out). */
const describeEnv: Definition = workflow({
  id: 'test:env-describe',
  params: {
    platform: { type: 'string' },
    env: { type: 'string' },
    home: { type: 'string', path: true },
    sites: { type: 'string', required: false },
  },
  root: '=home + "/.."',
  steps: sequence(
    task('platform', 'platform.get', { home: '=home', platform: '=platform', env: '=env' }),
    forEach(
      'workspace',
      ['etc', 'srv', 'var'],
      task('folder', 'fs.mkdir', { path: '=home + "/platforms/" + platform + "/" + env + "/" + folder' }),
      { as: 'folder' },
    ),
    forEach(
      'projects',
      '=steps.platform.projects',
      task('project', 'platform.sync-project', {
        home: '=home',
        platform: '=platform',
        env: '=env',
        project: '=project.name',
      }),
      { as: 'project' },
    ),
    task('activate', 'platform.activate', {
      home: '=home',
      platform: '=platform',
      env: '=env',
      sites: '=if get value(params, "sites") != null then split(get value(params, "sites"), ",") else []',
    }),
    task('addresses', 'platform.allocate', {
      home: '=home',
      platform: '=platform',
      env: '=env',
      machines: '=steps.activate.machines',
    }),
    task('describe', 'platform.environment', {
      home: '=home',
      platform: '=platform',
      env: '=env',
      active: '=steps.activate.active',
      addresses: '=steps.addresses.addresses',
      tools: '=steps.activate.tools',
      provisioning: '=steps.activate.provisioning',
    }),
  ),
});

/** A stand-in vagrant: `status --machine-readable` of machines v5, api, db not created; each call counted. */
function fakeVagrant(dir: string): void {
  const lines = ['v5', 'api', 'db']
    .flatMap((m) => [
      `1764900000,${m},metadata,provider,docker`,
      `1764900000,${m},provider-name,docker`,
      `1764900000,${m},state,not_created`,
      `1764900000,${m},state-human-short,not created`,
    ])
    .join('\\n');
  writeFileSync(
    join(dir, 'vagrant'),
    [
      '#!/bin/sh',
      `echo "$PWD $*" >> "${join(dir, 'vagrant-calls')}"`,
      '[ "$1 $2" = "status --machine-readable" ] || { echo "unexpected: $*" >&2; exit 2; }',
      `printf '${lines}\\n'`,
      '',
    ].join('\n'),
  );
  chmodSync(join(dir, 'vagrant'), 0o755);
}

/** A stand-in docker: gitlab-alpha running and healthy, gitlab-beta gone, a stray gitlab-stray container. */
function fakeDocker(dir: string): string {
  const file = join(dir, 'docker');
  const alpha = JSON.stringify({
    Id: 'a1',
    Name: '/gitlab-alpha',
    Created: '2026-12-01T00:00:00Z',
    Config: { Image: 'gitlab/gitlab-ce:17.5.1-ce.0', Labels: {} },
    Image: 'sha256:1',
    State: {
      Status: 'running',
      Running: true,
      ExitCode: 0,
      StartedAt: '2026-12-01T00:00:00Z',
      FinishedAt: '',
      Health: { Status: 'healthy' },
    },
    HostConfig: { NetworkMode: 'host' },
  });
  writeFileSync(
    file,
    [
      '#!/bin/sh',
      `echo "$*" >> "${join(dir, 'docker-calls')}"`,
      'case "$*" in',
      `  "container inspect --format {{json .}} -- gitlab-alpha") echo '${alpha}' ;;`,
      '  "container inspect "*) echo "Error: No such container: $6" >&2; exit 1 ;;',
      `  "container ls --all --format {{json .}}") echo '{"Names":"gitlab-alpha","State":"running"}'; echo '{"Names":"gitlab-stray","State":"exited"}'; echo '{"Names":"other","State":"running"}' ;;`,
      '  *) echo "unexpected: $*" >&2; exit 2 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(file, 0o755);
  return file;
}

const record = (name: string, number: number, extra: Partial<Instance> = {}): Instance => ({
  name,
  number,
  container: `gitlab-${name}`,
  ip: `127.0.0.12${number}`,
  network: 'host',
  ports: { http: 80, https: 443, ssh: 22 },
  dir: join(home, `noeud-gitlab-${number}`),
  image: 'gitlab/gitlab-ce:17.5.1-ce.0',
  version: '17.5.1',
  url: `http://127.0.0.12${number}`,
  state: 'active',
  createdAt: '2026-12-01T00:00:00Z',
  updatedAt: '2026-12-01T00:00:00Z',
  ...extra,
});

beforeAll(async () => {
  home = tempDir('gravity-inventory-home-');
  bin = tempDir('gravity-inventory-bin-');
  fakeVagrant(bin);
  process.env.PATH = `${bin}:${process.env.PATH}`;
  repos = platformRepos();
  ts = await startTestServer('127.0.0.201', { platformHome: home });
  // the platform, by the real workflows, through the API
  const init = await runThroughApi(ts, 'platform:init', {
    platform: 'paas',
    home,
    repo: repos.web,
    ipRange: '10.20.0.0/24',
    domain: 'example.test',
  });
  expect(init.status, JSON.stringify(init)).toBe('succeeded');
  const add = await runThroughApi(ts, 'platform:add-project', { platform: 'paas', home, repo: repos.back });
  expect(add.status, JSON.stringify(add)).toBe('succeeded');
  // environment 1161 described (env.json written, no Vagrantfile), 1170 an env:init that stopped after mkdir
  const engine = await ts.app.engine(undefined, home);
  const described = await startRun(engine, describeEnv, {
    params: { platform: 'paas', env: '1161', home, sites: 'v5' },
  });
  expect(described.status, JSON.stringify(described.error)).toBe('succeeded');
  mkdirSync(join(home, 'platforms/paas/1170'));
  // a second platform, and a folder under platforms/ without platform.json
  const other = await runThroughApi(ts, 'platform:init', { platform: 'qa', home, domain: 'qa.test' });
  expect(other.status, JSON.stringify(other)).toBe('succeeded');
  mkdirSync(join(home, 'platforms/broken'));
  // the GitLab inventory
  const hours = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
  await putInstance(ts.app.store, record('beta', 2, { state: 'active' }));
  await putInstance(
    ts.app.store,
    record('alpha', 1, { lastBackup: { id: '20261204-010000', at: hours(5), mode: 'cold', sha256: 'x', dir: '/b' } }),
  );
  await putInstance(ts.app.store, record('gone', 3, { state: 'decommissioned' }));
}, 120_000);

afterAll(async () => {
  await ts?.close();
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});

describe('GET /api/platforms', () => {
  it('lists the platforms with their domain, range, projects and environments; a folder without platform.json apart', async () => {
    const r = await ts.api('GET', '/api/platforms', { token: ts.read });
    expect(r.status, r.text).toBe(200);
    const body = r.body as PlatformsResponse;
    expect(body.home).toBe(home);
    expect(body.platforms).toEqual([
      {
        name: 'paas',
        domain: 'example.test',
        ipRange: '10.20.0.0/24',
        projects: [
          { name: 'web', repo: repos.web },
          { name: 'back', repo: repos.back },
        ],
        environments: ['1161', '1170'],
      },
      { name: 'qa', domain: 'qa.test', ipRange: '10.10.0.0/24', projects: [], environments: [] },
    ]);
    expect(body.unreadable).toEqual([{ name: 'broken', problem: 'no platform.json' }]);
  });

  it('refuses an unknown query key', async () => {
    const r = await ts.api('GET', '/api/platforms?all=true', { token: ts.read });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('unknown key "all"');
  });
});

describe('GET /api/platforms/:platform/environments', () => {
  it("lists the environments as platform:status: homepage, sites' URLs, machines with their addresses, no state unless asked", async () => {
    const calls = join(bin, 'vagrant-calls');
    const r = await ts.api('GET', '/api/platforms/paas/environments', { token: ts.read });
    expect(r.status, r.text).toBe(200);
    const body = r.body as EnvironmentsResponse;
    expect(body.platform).toBe('paas');
    expect(body.domain).toBe('example.test');
    expect(body.machines).toEqual({ asked: false });
    expect(body.environments.map((e) => e.env)).toEqual(['1161', '1170']);
    const [e1161, e1170] = body.environments;
    expect(e1161).toMatchObject({
      env: '1161',
      url: 'http://1161.paas.example.test/',
      sites: [
        { name: 'api', url: 'http://api.1161.paas.example.test/' },
        { name: 'v5', url: 'http://v5.1161.paas.example.test/' },
      ],
      dns: false,
      apache: false,
    });
    expect(e1161!.problem).toBeUndefined();
    // the addresses env:init's allocation gave, from the platform's range; no state
    const model = JSON.parse(readFileSync(join(home, 'platforms/paas/1161/etc/gravity/env.json'), 'utf8')).model;
    expect(e1161!.machines).toEqual(
      (model.machines as Array<{ name: string; ip: string }>).map((m) => ({ name: m.name, ip: m.ip })),
    );
    expect(e1161!.machines.map((m) => m.name).sort()).toEqual(['api', 'db', 'v5']);
    for (const m of e1161!.machines) expect(m.ip).toMatch(/^10\.20\.0\.\d+$/);
    expect(e1170).toEqual({
      env: '1170',
      url: 'http://1170.paas.example.test/',
      sites: [],
      machines: [],
      dns: false,
      apache: false,
      problem: 'not initialised (no etc/gravity/env.json)',
    });
    // vagrant was not asked
    expect(existsSync(calls)).toBe(false);
  });

  it('machines=true: no Vagrantfile yet, each state unknown and vagrant not run', async () => {
    const r = await ts.api('GET', '/api/platforms/paas/environments?machines=true', { token: ts.read });
    expect(r.status, r.text).toBe(200);
    const body = r.body as EnvironmentsResponse;
    expect(body.machines.asked).toBe(true);
    expect(Date.parse(body.machines.readAt!)).toBeGreaterThan(Date.now() - 60_000);
    for (const m of body.environments[0]!.machines) expect(m.state).toBe('unknown');
    expect(existsSync(join(bin, 'vagrant-calls'))).toBe(false);
  });

  it('machines=true with a Vagrantfile: the states vagrant status gives (not created), read once per 15 s', async () => {
    const vf = join(home, 'platforms/paas/1161/Vagrantfile');
    writeFileSync(vf, '# the machines are not created\n');
    try {
      const first = await ts.api('GET', '/api/platforms/paas/environments?machines=true', { token: ts.read });
      expect(first.status, first.text).toBe(200);
      const body = first.body as EnvironmentsResponse;
      expect(body.environments[0]!.machines.map((m) => [m.name, m.state]).sort()).toEqual([
        ['api', 'not_created'],
        ['db', 'not_created'],
        ['v5', 'not_created'],
      ]);
      expect(body.environments[0]!.problem).toBeUndefined();
      // vagrant ran once, in the environment's folder; asked again at once, the kept states answer
      const again = await Promise.all(
        [1, 2, 3].map(() => ts.api('GET', '/api/platforms/paas/environments?machines=true', { token: ts.read })),
      );
      for (const a of again) expect(a.body.environments[0]).toEqual(body.environments[0]);
      const calls = readFileSync(join(bin, 'vagrant-calls'), 'utf8').trim().split('\n');
      expect(calls).toEqual([`${join(home, 'platforms/paas/1161')} status --machine-readable`]);
      // without machines=true, still no state and no call
      const plain = await ts.api('GET', '/api/platforms/paas/environments', { token: ts.read });
      expect(plain.body.environments[0].machines[0].state).toBeUndefined();
      expect(readFileSync(join(bin, 'vagrant-calls'), 'utf8').trim().split('\n')).toHaveLength(1);
    } finally {
      // (the other tests see the environment without its Vagrantfile)
      writeFileSync(join(bin, 'vagrant-calls'), '');
      await import('node:fs/promises').then((f) => f.rm(vf));
    }
  });

  it('a platform without environments lists none', async () => {
    const r = await ts.api('GET', '/api/platforms/qa/environments', { token: ts.read });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ platform: 'qa', domain: 'qa.test', environments: [], machines: { asked: false } });
  });

  it('404 for an unknown platform, naming the known ones', async () => {
    const r = await ts.api('GET', '/api/platforms/nope/environments', { token: ts.read });
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('NOT_FOUND');
    expect(r.body.message).toContain('no platform "nope"');
    expect(r.body.message).toContain('its platforms: paas, qa;');
  });

  it('400 for a name that is not a platform name (.., an encoded slash, upper case, too long, a dash first, NUL)', async () => {
    for (const bad of [
      '..',
      '%2e%2e',
      '%2E%2E',
      'a%2Fb',
      '..%2F..%2Fetc',
      'PaaS',
      'a'.repeat(64),
      '-paas',
      'paas-',
      'a%00b',
      'a.b',
    ]) {
      // (sent as is: fetch would fold a /../ or /%2e%2e/ of the path itself)
      const r = await rawGet(ts, `/api/platforms/${bad}/environments`, ts.read);
      expect(r.status, `${bad}: ${r.text}`).toBe(400);
      expect(r.body.error, bad).toBe('BAD_REQUEST');
    }
    // a /../ folded by the client is no route of the API
    const folded = await ts.api('GET', '/api/platforms/../environments', { token: ts.read });
    expect(folded.status).toBe(404);
  });

  it('400 for a bad machines value or an unknown query key', async () => {
    expect((await ts.api('GET', '/api/platforms/paas/environments?machines=yes', { token: ts.read })).status).toBe(400);
    const r = await ts.api('GET', '/api/platforms/paas/environments?machine=true', { token: ts.read });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('did you mean "machines"');
  });
});

describe('GET /api/gitlab/instances', () => {
  it("the inventory beside Docker's answer, as gitlab:list: status, health, drift both ways, last backup's age", async () => {
    const s = await startTestServer('127.0.0.202', { home: ts.home });
    try {
      process.env.GRAVITY_DOCKER = fakeDocker(bin);
      const r = await s.api('GET', '/api/gitlab/instances', { token: s.read });
      expect(r.status, r.text).toBe(200);
      const body = r.body as GitlabInstancesResponse;
      expect(body.docker).toMatchObject({ asked: true, ok: true });
      expect(body.instances.map((i) => i.name)).toEqual(['alpha', 'beta', 'gone', 'stray']);
      const [alpha, beta, gone, stray] = body.instances;
      expect(alpha).toMatchObject({
        name: 'alpha',
        url: 'http://127.0.0.121',
        ip: '127.0.0.121',
        state: 'active',
        container: 'gitlab-alpha',
        containerStatus: 'running',
        health: 'healthy',
        lastBackup: '20261204-010000',
        number: 1,
        version: '17.5.1',
      });
      expect(alpha!.lastBackupAgeHours).toBeGreaterThan(4.9);
      expect(alpha!.lastBackupAgeHours).toBeLessThan(5.1);
      expect(alpha!.drift).toBeUndefined();
      expect(beta).toMatchObject({ state: 'active', containerStatus: 'missing', drift: 'its container is missing' });
      expect(gone).toMatchObject({ state: 'decommissioned', containerStatus: 'missing' });
      expect(gone!.drift).toBeUndefined();
      expect(stray).toEqual({
        name: 'stray',
        state: 'unknown',
        container: 'gitlab-stray',
        containerStatus: 'exited',
        drift: 'a container the inventory lacks (gitlab:adopt takes it in)',
      });
      // asked again at once: Docker's answer is kept (3 inspects and one ls in all)
      const again = await s.api('GET', '/api/gitlab/instances', { token: s.read });
      expect(again.body.instances).toEqual(body.instances);
      expect(readFileSync(join(bin, 'docker-calls'), 'utf8').trim().split('\n')).toHaveLength(4);
      // docker=false: the inventory only, Docker not asked
      const inv = await s.api('GET', '/api/gitlab/instances?docker=false', { token: s.read });
      expect(inv.status).toBe(200);
      expect(inv.body.docker).toEqual({ asked: false, ok: false });
      expect(
        inv.body.instances.map((i: { name: string; containerStatus: string }) => [i.name, i.containerStatus]),
      ).toEqual([
        ['alpha', 'unknown'],
        ['beta', 'unknown'],
        ['gone', 'unknown'],
      ]);
      expect(readFileSync(join(bin, 'docker-calls'), 'utf8').trim().split('\n')).toHaveLength(4);
    } finally {
      delete process.env.GRAVITY_DOCKER;
      await s.close();
    }
  });

  it('without Docker: the inventory with its containers unknown, and what Docker said', async () => {
    const s = await startTestServer('127.0.0.203', { home: ts.home });
    try {
      process.env.GRAVITY_DOCKER = join(bin, 'no-such-docker');
      const r = await s.api('GET', '/api/gitlab/instances', { token: s.read });
      expect(r.status, r.text).toBe(200);
      const body = r.body as GitlabInstancesResponse;
      expect(body.docker.asked).toBe(true);
      expect(body.docker.ok).toBe(false);
      expect(body.docker.problem).toMatch(/no-such-docker/);
      expect(body.instances.map((i) => [i.name, i.state, i.containerStatus])).toEqual([
        ['alpha', 'active', 'unknown'],
        ['beta', 'active', 'unknown'],
        ['gone', 'decommissioned', 'unknown'],
      ]);
      for (const i of body.instances) expect(i.drift).toBeUndefined();
    } finally {
      delete process.env.GRAVITY_DOCKER;
      await s.close();
    }
  });

  it('an empty inventory is an empty list', async () => {
    const s = await startTestServer('127.0.0.204');
    try {
      const r = await s.api('GET', '/api/gitlab/instances?docker=false', { token: s.read });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ instances: [], docker: { asked: false, ok: false } });
    } finally {
      await s.close();
    }
  });
});

describe('access', () => {
  it('401 without a token or with an unknown one, on every inventory route; a read token is enough', async () => {
    for (const path of ['/api/platforms', '/api/platforms/paas/environments', '/api/gitlab/instances?docker=false']) {
      for (const token of [null, 'not-a-token']) {
        const r = await ts.api('GET', path, { token });
        expect(r.status, `${path} ${token}`).toBe(401);
        expect(r.body.error).toBe('UNAUTHORIZED');
        expect(r.headers.get('www-authenticate')).toContain('Bearer');
      }
      expect((await ts.api('GET', path, { token: ts.read })).status, path).toBe(200);
      expect((await ts.api('GET', path, { token: ts.operate })).status, path).toBe(200);
    }
  });

  it('the routes are in the OpenAPI description, with their summaries', async () => {
    const r = await ts.api('GET', '/api/openapi.json', { token: null });
    const paths = r.body.paths as Record<string, Record<string, { summary?: string }>>;
    expect(paths['/api/platforms']?.get?.summary).toBeTruthy();
    expect(paths['/api/platforms/{platform}/environments']?.get?.summary).toContain('machines=true');
    expect(paths['/api/gitlab/instances']?.get?.summary).toContain('kept 5 s');
  });
});
