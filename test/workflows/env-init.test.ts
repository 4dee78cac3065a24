// env:init end to end with the real CLI: a platform whose two projects are real git repositories made here, machines
// on the docker provider of a real Vagrant against a dockerd started here (busybox httpd containers on the host network,
// each on its own address of the platform's range 127.0.0.161-169), the zone checked by named-checkzone, the virtual
// hosts by apache2 -t, the Vagrantfile by vagrant validate. Two env:init of different environments started at the same
// moment get disjoint addresses.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonStore } from '../../engine/index.js';
import { readAddresses } from '../../tasks/platform/support.js';
import { sandbox, waitFor } from '../support/cli.js';
import { startDocker, type TestDocker } from '../support/docker.js';
import { startApache, type TestApache } from '../support/apache.js';
import { tempDir } from '../support/git-fixtures.js';
import { dig, startNamed, type TestNamed } from '../support/named.js';
import { buildMachineImage, MACHINE_IMAGE, platformRepos, type PlatformRepos } from '../support/platform-fixture.js';

let d: TestDocker;
let repos: PlatformRepos;
let sb: ReturnType<typeof sandbox>;
let home: string;
const RANGE = '127.0.0.161-127.0.0.169';
/** The host's Apache (the proxy every name resolves to) and named, on addresses of this file's own. */
const PROXY = '127.0.0.170';
// (named listens only on addresses an interface has: 127.0.0.1, on a port of this file's own)
const DNS = { address: '127.0.0.1', port: 5354 };
let named: TestNamed | undefined;
let apache: TestApache | undefined;
/** The host's files and servers, as host:bind-proxy and env:destroy take them. */
let hostParams: string[] = [];
let hostDir = '';
const FOREIGN = '// a line of the admin\n';

beforeAll(async () => {
  d = await startDocker();
  process.env.DOCKER_HOST = d.host;
  process.env.VAGRANT_HOME = tempDir('gravity-vagrant-home-');
  buildMachineImage(d);
  repos = platformRepos();
  sb = sandbox();
  home = tempDir('gravity-env-home-');
  hostDir = tempDir('gravity-env-host-');
  const init = await sb.run(
    'run',
    'platform:init',
    ...['--param', 'platform=paas', '--param', `home=${home}`, '--param', `repo=${repos.web}`],
    ...['--param', `ipRange=${RANGE}`, '--param', 'domain=example.test'],
  );
  if (init.code !== 0) throw new Error(`platform:init failed: ${init.stdout}${init.stderr}`);
  const add = await sb.run(
    'run',
    'platform:add-project',
    ...['--param', 'platform=paas', '--param', `home=${home}`, '--param', `repo=${repos.back}`],
  );
  if (add.code !== 0) throw new Error(`platform:add-project failed: ${add.stdout}${add.stderr}`);
}, 120_000);

afterAll(async () => {
  const ids = d ? d.docker(['ps', '-aq']).trim() : '';
  if (ids) d.docker(['rm', '-f', ...ids.split('\n')]);
  delete process.env.DOCKER_HOST;
  delete process.env.VAGRANT_HOME;
  await Promise.all([named?.stop(), apache?.stop(), d?.stop()]);
});

const envInit = (env: string, ...params: string[]) =>
  sb.run(
    'run',
    'env:init',
    ...['--param', 'platform=paas', '--param', `env=${env}`, '--param', `home=${home}`, '--param', 'provider=docker'],
    ...['--param', `image=${MACHINE_IMAGE}`, '--param', 'proxy=127.0.0.170'],
    ...params.flatMap((p) => ['--param', p]),
    '--json',
  );

describe('env:init', () => {
  it('builds environment 1161: projects cloned, v5 and its dependencies active, machines up on their addresses, zone, vhosts and homepage', async () => {
    const r = await envInit('1161', 'sites=v5');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = JSON.parse(r.stdout).output;
    const dir = join(home, 'platforms/paas/1161');
    expect(out).toMatchObject({ platform: 'paas', env: '1161', dir, url: 'http://1161.paas.example.test/' });
    expect(out.sites).toEqual(['api', 'v5']);
    const ips = out.machines as Record<string, string>;
    expect(Object.keys(ips).sort()).toEqual(['api', 'db', 'v5']);
    for (const ip of Object.values(ips)) expect(ip).toMatch(/^127\.0\.0\.16\d$/);
    expect(new Set(Object.values(ips)).size).toBe(3);

    // the workspace, the clones, the active sites' links
    expect(readdirSync(dir).sort()).toEqual(expect.arrayContaining(['Vagrantfile', 'etc', 'srv', 'var']));
    expect(existsSync(join(dir, 'srv/web/.git'))).toBe(true);
    expect(existsSync(join(dir, 'srv/back/.git'))).toBe(true);
    expect(readdirSync(join(dir, 'srv/build-enabled')).sort()).toEqual(['api', 'db', 'v5']);
    expect(readlinkSync(join(dir, 'srv/build-enabled/v5'))).toBe('../web/sites/v5');
    // variables written, *-dist rendered with them
    const vars = JSON.parse(readFileSync(join(dir, 'etc/gravity/env.json'), 'utf8')).variables;
    expect(vars).toMatchObject({ ENV: '1161', V5_URL: 'http://v5.1161.paas.example.test/', API_IP: ips.api });
    expect(readFileSync(join(dir, 'etc/gravity/env'), 'utf8')).toContain(`API_IP='${ips.api}'`);
    expect(readFileSync(join(dir, 'srv/web/sites/v5/config/app.conf'), 'utf8')).toBe(
      `url = http://v5.1161.paas.example.test/\napi = http://${ips.api}:8081/\nenv = 1161\n`,
    );
    expect(readFileSync(join(dir, 'srv/back/db.env'), 'utf8')).toBe(
      `DB_HOST=db.1161.paas.example.test\nDB_IP=${ips.db}\n`,
    );

    // the machines run, each serving on its own address
    for (const [m, port] of [
      ['v5', 8080],
      ['api', 8081],
    ] as const)
      expect(await (await fetch(`http://${ips[m]}:${port}/`)).text()).toBe(`site ${m} of 1161\n`);
    expect(d.docker(['ps', '--format', '{{.Names}}']).split('\n').sort()).toEqual(
      expect.arrayContaining(['paas-1161-api', 'paas-1161-db', 'paas-1161-v5']),
    );

    // the zone, the virtual hosts and the homepage, generated and checked
    const zone = readFileSync(join(dir, 'etc/bind/1161.paas.example.test.zone'), 'utf8');
    expect(zone).toMatch(/^v5\s.*A\s+127\.0\.0\.170$/m);
    const vhosts = readFileSync(join(dir, 'etc/apache/paas-1161.conf'), 'utf8');
    expect(vhosts).toContain('ServerName v5.1161.paas.example.test');
    expect(vhosts).toContain(`ProxyPass / http://${ips.v5}:8080/`);
    const page = readFileSync(join(dir, 'var/www/index.html'), 'utf8');
    expect(page).toContain('http://v5.1161.paas.example.test/');
    expect(page).toContain('http://api.1161.paas.example.test/');
    expect(page).toMatch(/running/);
    expect(page).toContain('phpMyAdmin');
  }, 180_000);

  it("host:bind-proxy serves 1161's names: named answers them, Apache proxies each site to its machine and serves the homepage; unbind takes exactly them away", async () => {
    // (made before the tests: a folder made in a test is removed when that test ends, and the servers outlive it)
    const host = hostDir;
    chmodSync(host, 0o755);
    const zonesDir = join(host, 'zones');
    const include = join(host, 'named.conf.gravity');
    const sitesDir = join(host, 'sites');
    mkdirSync(sitesDir);
    // another environment's lines, made by hand: they must come out of bind and unbind byte for byte
    const foreign = FOREIGN;
    writeFileSync(include, foreign);
    named = await startNamed(host, include, { ...DNS, controlAddress: '127.0.0.1', controlPort: 9531 });
    apache = await startApache(join(host), sitesDir, PROXY, 8080);
    // Apache's children run as www-data: the environment's homepage must be readable by them
    for (let p = join(home, 'platforms/paas/1161/var/www'); p.startsWith(home); p = join(p, '..')) chmodSync(p, 0o755);
    chmodSync(home, 0o755);
    const proxyParams = [
      ...['--param', 'platform=paas', '--param', 'env=1161', '--param', `home=${home}`],
      ...['--param', `zonesDir=${zonesDir}`, '--param', `include=${include}`, '--param', `sitesDir=${sitesDir}`],
      ...['--param', `proxy=${PROXY}`, '--param', 'proxyPort=8080', '--param', `namedPidFile=${named.pidFile}`],
      ...['--param', `apacheConf=${apache.conf}`, '--json'],
    ];
    hostParams = [
      ...['--param', `zonesDir=${zonesDir}`, '--param', `include=${include}`, '--param', `sitesDir=${sitesDir}`],
      ...['--param', `namedPidFile=${named.pidFile}`, '--param', `apacheConf=${apache.conf}`],
    ];
    const r = await sb.run('run', 'host:bind-proxy', ...proxyParams);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const ips = JSON.parse(readFileSync(join(home, 'platforms/paas/1161/etc/gravity/env.json'), 'utf8')).variables;
    const answer = async (name: string, want: string) => {
      let got = '';
      for (let i = 0; i < 50 && got !== want; i++, await new Promise((res) => setTimeout(res, 100)))
        got = dig(name, 'A', DNS);
      return got;
    };
    expect(await answer('v5.1161.paas.example.test', PROXY)).toBe(PROXY);
    expect(await answer('1161.paas.example.test', PROXY)).toBe(PROXY);
    expect(await answer('db.1161.paas.example.test', ips.DB_IP)).toBe(ips.DB_IP);
    const get = (hostName: string) =>
      new Promise<{ status: number; body: string }>((res, rej) => {
        const req = request({ host: PROXY, port: 8080, path: '/', headers: { Host: hostName } }, (resp) => {
          let body = '';
          resp.on('data', (b) => (body += b));
          resp.on('end', () => res({ status: resp.statusCode ?? 0, body }));
        });
        req.on('error', rej);
        req.end();
      });
    const waitFor = async (hostName: string, ok: (x: { status: number; body: string }) => boolean) => {
      let last = { status: 0, body: '' };
      for (let i = 0; i < 50; i++, await new Promise((res) => setTimeout(res, 100))) {
        last = await get(hostName);
        if (ok(last)) break;
      }
      return last;
    };
    expect((await waitFor('v5.1161.paas.example.test', (x) => x.status === 200)).body).toBe('site v5 of 1161\n');
    expect((await get('api.1161.paas.example.test')).body).toBe('site api of 1161\n');
    const homepage = await get('1161.paas.example.test');
    expect(homepage.status).toBe(200);
    for (const site of ['v5', 'api']) expect(homepage.body).toContain(`http://${site}.1161.paas.example.test/`);

    // unbind: the names go, the admin's line stays
    const u = await sb.run('run', 'host:unbind-proxy', ...proxyParams);
    expect(u.code, u.stdout + u.stderr).toBe(0);
    expect(readFileSync(include, 'utf8')).toBe(foreign);
    expect(readdirSync(sitesDir)).toEqual([]);
    expect(existsSync(join(zonesDir, '1161.paas.example.test.zone'))).toBe(false);
    expect(await answer('v5.1161.paas.example.test', '')).toBe('');
    expect((await waitFor('v5.1161.paas.example.test', (x) => !x.body.includes('site v5'))).body).not.toContain(
      'site v5',
    );
    // bound again, for env:destroy to take away
    const again = await sb.run('run', 'host:bind-proxy', ...proxyParams);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  }, 120_000);

  it('two env:init of different environments at the same moment get disjoint addresses', async () => {
    const [a, b] = await Promise.all([envInit('1170', 'up=false'), envInit('1180', 'up=false')]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    const ipsA = Object.values(JSON.parse(a.stdout).output.machines as Record<string, string>);
    const ipsB = Object.values(JSON.parse(b.stdout).output.machines as Record<string, string>);
    const mine = JSON.parse(
      readFileSync(join(home, 'platforms/paas/1161/etc/gravity/env.json'), 'utf8'),
    ).model.machines.map((m: { ip: string }) => m.ip);
    const all = [...ipsA, ...ipsB, ...mine];
    expect(all).toHaveLength(9);
    expect(new Set(all).size).toBe(9);
  }, 180_000);

  it('refuses a bad environment name (before anything runs) and an unknown site (naming the known ones)', async () => {
    const bad = await envInit('../x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/param env/);
    const unknown = await envInit('1190', 'sites=nope', 'up=false');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/unknown site nope; the platform's sites: v5, api/);
  }, 60_000);

  it('env:status shows each environment with its sites, machine states and bindings; env:halt and env:up stop and start the machines', async () => {
    // every environment (platform:status), or those named (env:status: vagrant status costs seconds per environment)
    const statusOf = async (envs?: string) => {
      const r = await sb.run(
        'run',
        envs ? 'env:status' : 'platform:status',
        ...['--param', 'platform=paas', '--param', `home=${home}`, ...hostParams.slice(0, 6), '--json'],
        ...(envs ? ['--param', `envs=${envs}`] : []),
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return JSON.parse(r.stdout).output as {
        rows: Array<{ env: string; dns: boolean; apache: boolean; machines: Array<{ name: string; state: string }> }>;
        report: string;
      };
    };
    const st = await statusOf();
    // (1190's env:init failed at its sites: listed, not initialised)
    expect(st.rows.map((r) => r.env)).toEqual(['1161', '1170', '1180', '1190']);
    expect(st.report).toMatch(/^1190\s.*not initialised \(no etc\/gravity\/env\.json\)/m);
    const r1161 = st.rows[0];
    expect(r1161).toMatchObject({ dns: true, apache: true });
    expect(r1161.machines.map((m) => `${m.name}:${m.state}`).sort()).toEqual([
      'api:running',
      'db:running',
      'v5:running',
    ]);
    expect(st.rows[1]).toMatchObject({ dns: false, apache: false });
    expect(st.rows[1].machines.every((m) => m.state === 'not_created')).toBe(true);
    expect(st.report).toMatch(/^ENV\s+URL\s+SITES\s+MACHINES\s+DNS\s+APACHE$/m);
    expect(st.report).toMatch(/^1161\s+http:\/\/1161\.paas\.example\.test\/\s+api,v5\s+.*bound\s+bound$/m);
    // the same as a table on the terminal side (plain output)
    const plain = await sb.run(
      'run',
      'env:status',
      '--param',
      'platform=paas',
      '--param',
      'envs=1161',
      '--param',
      `home=${home}`,
      ...hostParams.slice(0, 6),
    );
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/1161\s+http:\/\/1161\.paas\.example\.test\//);

    const halt = await sb.run(
      'run',
      'env:halt',
      '--param',
      'platform=paas',
      '--param',
      'envs=1161',
      '--param',
      `home=${home}`,
    );
    expect(halt.code, halt.stdout + halt.stderr).toBe(0);
    expect((await statusOf('1161')).rows[0].machines.every((m) => m.state !== 'running')).toBe(true);
    const up = await sb.run(
      'run',
      'env:up',
      '--param',
      'platform=paas',
      '--param',
      'envs=1161',
      '--param',
      `home=${home}`,
    );
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect((await statusOf('1161')).rows[0].machines.every((m) => m.state === 'running')).toBe(true);
  }, 180_000);

  it('env:destroy asks first (parks without a terminal, goes on when approved), and leaves nothing behind', async () => {
    const destroy = (envs: string, ...more: string[]) =>
      sb.run(
        'run',
        'env:destroy',
        ...['--param', 'platform=paas', '--param', `envs=${envs}`, '--param', `home=${home}`, ...hostParams],
        ...more,
      );
    // without yes=true and without a terminal: the run waits for an approval, nothing destroyed yet
    const parked = await destroy('1170', '--json');
    expect(parked.code, parked.stdout + parked.stderr).toBe(4);
    const runId = JSON.parse(parked.stdout).runId as string;
    expect(existsSync(join(home, 'platforms/paas/1170'))).toBe(true);
    const approved = await sb.run('approve', runId, '--reason', 'ticket closed', '--json');
    expect(approved.code, approved.stdout + approved.stderr).toBe(0);
    expect(existsSync(join(home, 'platforms/paas/1170'))).toBe(false);

    // 1161 (machines up, names bound), 1180 (never up) and 1190 (whose env:init failed at its sites): killed (SIGKILL)
    // halfway through, resumed, finished
    const before = new Set(sb.runIds());
    const child = sb.spawn([
      'run',
      'env:destroy',
      '--param',
      'platform=paas',
      '--param',
      'envs=1161,1180,1190',
      '--param',
      `home=${home}`,
      ...hostParams,
      '--param',
      'yes=true',
    ]);
    const done = sb.collect(child);
    await waitFor(
      () =>
        sb
          .runIds()
          .some(
            (id) => !before.has(id) && sb.journal(id).some((e) => e.type === 'task.started' && e.step === 'machines'),
          ),
      60_000,
    );
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    const top = sb.runIds().find((id) => !before.has(id) && !id.includes('.'))!;
    const resumed = await sb.run('resume', top, '--json');
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);

    // nothing left: folders, machines, names, addresses
    expect(readdirSync(join(home, 'platforms/paas')).sort()).toEqual(['platform.json']);
    expect(d.docker(['ps', '-aq']).trim()).toBe('');
    expect(readFileSync(join(hostDir, 'named.conf.gravity'), 'utf8')).toBe(FOREIGN);
    expect(readdirSync(join(hostDir, 'sites'))).toEqual([]);
    expect(readdirSync(join(hostDir, 'zones'))).toEqual([]);
    expect(dig('v5.1161.paas.example.test', 'A', DNS)).toBe('');
    const store = await createJsonStore(sb.dataDir);
    try {
      expect(await readAddresses(store, 'paas')).toEqual({});
    } finally {
      await store.close();
    }
  }, 240_000);
});
