// apache.vhosts, apache.remove-vhosts and apache.reload with Apache's own apache2: an environment's virtual hosts
// against their golden file (test/fixtures/apache: regenerate with GRAVITY_UPDATE_GOLDEN=1 npx vitest run
// test/tasks/apache), other environments' files kept byte for byte, inputs refused by field, a file apache2 -t refuses
// never installed; and an Apache of the test's own (127.0.0.141:8080) proxying a site by name to a server the test
// starts on 127.0.0.142, and serving the homepage.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskDefinition } from '../../../engine/index.js';
import { apacheReload, apacheRemoveVhosts, apacheVhosts } from '../../../tasks/index.js';
import { checkVhosts, renderVhosts } from '../../../tasks/apache/support.js';
import { envModel } from '../../../tasks/env/model.js';
import { exec } from '../../../engine/index.js';
import { startApache, type TestApache } from '../../support/apache.js';
import { tempDir } from '../../support/git-fixtures.js';
import { compensate, contextFor, rejection } from '../context.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/apache');
/** Compares `text` with the golden file `name`; GRAVITY_UPDATE_GOLDEN=1 rewrites the golden file instead. */
function golden(name: string, text: string) {
  const file = join(FIXTURES, name);
  if (process.env.GRAVITY_UPDATE_GOLDEN) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const MODEL = {
  platform: 'paas',
  env: '1161',
  domain: 'example.test',
  machines: [
    { name: 'web1', kind: 'site', ip: '10.42.0.11', state: 'running' },
    { name: 'web2', kind: 'site', ip: '10.42.0.12' },
    { name: 'db', kind: 'service', ip: '10.42.0.20' },
  ],
  sites: [
    { name: 'v5', machine: 'web1', port: 8081, title: 'Version 5' },
    { name: 'admin', machine: 'web2' },
    { name: 'api', machine: 'web1', port: 8082 },
  ],
};

/** Runs an apache task node with `input` (parsed by its schema) in a fresh root. */
async function run<I, O>(task: TaskDefinition<I, O>, input: object) {
  const { ctx, lines } = contextFor(task, input, { root: tempDir('gravity-apache-') });
  return { output: task.output.parse(await task.run(ctx)), lines };
}

const read = (f: string) => readFileSync(f, 'utf8');
const MODULES = '/usr/lib/apache2/modules';
const fields = (sitesDir: string, model: object = MODEL) => ({
  model,
  address: '192.0.2.80',
  homepageDir: '/srv/gravity/paas/1161/homepage',
  sitesDir,
});

describe('the virtual hosts of an environment', () => {
  it('are their golden file, and apache2 -t accepts them', async () => {
    const text = renderVhosts(envModel.parse(MODEL), {
      address: '192.0.2.80',
      port: 80,
      homepageDir: '/srv/gravity/paas/1161/homepage',
    });
    golden('paas-1161.conf', text);
    const dir = tempDir('gravity-vhosts-');
    const ctx = { exec, signal: new AbortController().signal };
    await checkVhosts(ctx, join(dir, 'paas-1161.conf'), text, { sitesDir: dir, modulesDir: MODULES });
  });
});

describe('apache.vhosts and apache.remove-vhosts', () => {
  it("write one file per environment, the same model twice is one write, and removal leaves the others' files", async () => {
    const dir = tempDir('gravity-vhosts-');
    const foreign =
      '# a vhost of someone else\n<VirtualHost 192.0.2.80:80>\n\tServerName other.example.test\n</VirtualHost>\n';
    writeFileSync(join(dir, 'other.conf'), foreign);
    const a = await run(apacheVhosts, fields(dir));
    expect(a.output).toMatchObject({
      file: join(dir, 'paas-1161.conf'),
      changed: true,
      previous: null,
      hosts: [
        '1161.paas.example.test',
        'admin.1161.paas.example.test',
        'api.1161.paas.example.test',
        'v5.1161.paas.example.test',
      ],
    });
    expect(read(a.output.file)).toBe(read(join(FIXTURES, 'paas-1161.conf')));
    const again = await run(apacheVhosts, fields(dir));
    expect(again.output.changed).toBe(false);

    const b = await run(apacheVhosts, fields(dir, { ...MODEL, env: '1162' }));
    const b1162 = read(b.output.file);
    const removed = await run(apacheRemoveVhosts, { platform: 'paas', env: '1161', sitesDir: dir });
    expect(removed.output).toMatchObject({ file: a.output.file, previous: read(join(FIXTURES, 'paas-1161.conf')) });
    expect(existsSync(a.output.file)).toBe(false);
    expect(read(b.output.file)).toBe(b1162);
    expect(read(join(dir, 'other.conf'))).toBe(foreign);
    const none = await run(apacheRemoveVhosts, { platform: 'paas', env: '1161', sitesDir: dir });
    expect(none.output.previous).toBeNull();

    // rollback of the removal: the file back; of the first write: removed again
    await compensate(apacheRemoveVhosts, dir, { platform: 'paas', env: '1161', sitesDir: dir }, removed.output);
    expect(read(a.output.file)).toBe(removed.output.previous);
    await compensate(apacheVhosts, dir, fields(dir), a.output);
    expect(existsSync(a.output.file)).toBe(false);
    expect(read(b.output.file)).toBe(b1162);
  });

  it('roll back a change to the previous file, and leave a file changed since', async () => {
    const dir = tempDir('gravity-vhosts-');
    await run(apacheVhosts, fields(dir));
    const v1 = read(join(dir, 'paas-1161.conf'));
    const moved = { ...fields(dir), address: '192.0.2.81' };
    const second = await run(apacheVhosts, moved);
    expect(second.output.previous).toBe(v1);
    writeFileSync(second.output.file, `${read(second.output.file)}# edited by hand\n`);
    const { ctx, lines } = contextFor(apacheVhosts, moved, { root: dir });
    await apacheVhosts.compensate!({ ...ctx, output: second.output });
    expect(lines.map((l) => l.message)).toEqual([`${second.output.file} changed since this step: left as it is`]);
    expect(read(second.output.file)).toMatch(/# edited by hand\n$/);
  });

  it('refuse a broken input, naming the field', () => {
    const issue = (input: object) => {
      const r = apacheVhosts.input.safeParse({ ...fields('/tmp/x'), ...input });
      expect(r.success).toBe(false);
      return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issue({ homepageDir: '/srv/a"b' })[0]).toMatch(/^homepageDir: homepageDir: a path without quotes/);
    expect(issue({ homepageDir: '/srv/${HOME}' })[0]).toMatch(/^homepageDir: /);
    expect(issue({ sitesDir: '/etc/apache2/x\nInclude /etc/shadow' })[0]).toMatch(/^sitesDir: /);
    expect(issue({ address: '192.0.2.300' })).toEqual(['address: an IPv4 address']);
    expect(issue({ port: 0 })[0]).toMatch(/^port: /);
    expect(issue({ model: { ...MODEL, sites: [{ name: 'v6', machine: 'web9' }] } })).toEqual([
      'model.sites.0.machine: site v6: no machine web9',
    ]);
    expect(issue({ model: { ...MODEL, sites: [{ name: 'V6', machine: 'web1' }] } })[0]).toMatch(
      /^model\.sites\.0\.name: site: a DNS label/,
    );
  });

  it('install nothing when apache2 -t refuses the folder with the new file, quoting Apache and the file', async () => {
    const dir = tempDir('gravity-vhosts-');
    const first = await run(apacheVhosts, fields(dir));
    const before = read(first.output.file);
    // another environment's file, broken by hand: Apache would load them together, so the reload would fail
    writeFileSync(
      join(dir, 'paas-1162.conf'),
      '<VirtualHost 192.0.2.80:80>\n\tServerNam 1162.paas.example.test\n</VirtualHost>\n',
    );
    const e = await rejection(run(apacheVhosts, { ...fields(dir), address: '192.0.2.81' }));
    expect(e.message).toContain(`apache2 refused the new ${first.output.file}`);
    expect(e.message).toContain(`nothing was installed, ${first.output.file} is as it was`);
    expect(e.message).toMatch(/apache2 says:\n(.|\n)*Invalid command 'ServerNam'/);
    expect(e.message).toContain(join(dir, 'paas-1162.conf'));
    expect(e.message).toContain(' 5| <VirtualHost 192.0.2.81:80>');
    expect(read(first.output.file)).toBe(before);
  });
});

/** GET http://127.0.0.141:8080<path> with a Host header, from 127.0.0.143. */
function get(host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = request(
      { host: '127.0.0.141', port: 8080, path, headers: { host }, localAddress: '127.0.0.143', timeout: 5000 },
      (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => res({ status: r.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${host}${path}: timed out`)));
    req.on('error', rej);
    req.end();
  });
}

/** Waits (at most 10 s) until `check` passes on a GET of `host`; returns the last answer. */
async function getUntil(host: string, check: (r: { status: number; body: string }) => boolean) {
  let last = await get(host);
  for (const end = Date.now() + 10_000; !check(last) && Date.now() < end;) {
    await sleep(100);
    last = await get(host);
  }
  return last;
}

describe('an Apache of the test (127.0.0.141:8080)', () => {
  let apache: TestApache;
  let backend: Server;
  let backendPort: number;
  let dir: string;
  let sitesDir: string;
  beforeAll(async () => {
    backend = createServer((req, res) => res.end(`backend: host=${req.headers.host} url=${req.url}`));
    await new Promise<void>((res, rej) => backend.listen(0, '127.0.0.142', res).once('error', rej));
    backendPort = (backend.address() as { port: number }).port;
    dir = tempDir('gravity-apache-server-', 'file');
    // Apache's children run as www-data: the homepage must be readable by them
    chmodSync(dir, 0o755);
    sitesDir = join(dir, 'sites');
    mkdirSync(sitesDir);
    apache = await startApache(dir, sitesDir, '127.0.0.141', 8080);
  });
  afterAll(async () => {
    await apache?.stop();
    await new Promise((res) => (backend ? backend.close(res) : res(undefined)));
  });

  it('proxies a site by name to its machine, serves the homepage, and forgets the environment once removed', async () => {
    const home = join(dir, 'homepage-1161');
    mkdirSync(home);
    writeFileSync(join(home, 'index.html'), '<h1>environment 1161</h1>\n');
    const model = {
      ...MODEL,
      machines: [...MODEL.machines.filter((m) => m.name !== 'web1'), { name: 'web1', kind: 'site', ip: '127.0.0.142' }],
      sites: MODEL.sites.map((s) => (s.machine === 'web1' ? { ...s, port: backendPort } : s)),
    };
    const input = { model, address: '127.0.0.141', port: 8080, homepageDir: home, sitesDir };
    await run(apacheVhosts, input);
    // another environment, so that removing the first leaves something to answer
    const home2 = join(dir, 'homepage-1162');
    mkdirSync(home2);
    writeFileSync(join(home2, 'index.html'), '<h1>environment 1162</h1>\n');
    await run(apacheVhosts, { ...input, model: { ...model, env: '1162' }, homepageDir: home2 });
    const reload = await run(apacheReload, { conf: apache.conf });
    expect(reload.output.report).toBe(`apache2 -k graceful -f ${apache.conf}`);

    const site = await getUntil('v5.1161.paas.example.test', (r) => r.body.startsWith('backend'));
    expect(site).toEqual({ status: 200, body: 'backend: host=v5.1161.paas.example.test url=/' });
    expect(await get('api.1162.paas.example.test', '/x?y=1')).toEqual({
      status: 200,
      body: 'backend: host=api.1162.paas.example.test url=/x?y=1',
    });
    expect(await get('1161.paas.example.test')).toEqual({ status: 200, body: '<h1>environment 1161</h1>\n' });

    await run(apacheRemoveVhosts, { platform: 'paas', env: '1161', sitesDir });
    await run(apacheReload, { conf: apache.conf });
    // the name is no longer served: the first virtual host of the address answers (the other environment's homepage)
    const gone = await getUntil('1161.paas.example.test', (r) => !r.body.includes('1161'));
    expect(gone.body).toBe('<h1>environment 1162</h1>\n');
    expect((await get('v5.1161.paas.example.test')).body).toBe('<h1>environment 1162</h1>\n');
    expect(await get('1162.paas.example.test')).toEqual({ status: 200, body: '<h1>environment 1162</h1>\n' });
    expect(apache.log()).not.toMatch(/\[(\w+:)?(error|crit|alert|emerg)\]/);
  });

  it('reload refuses a configuration Apache refuses, leaving the running server as it was', async () => {
    const broken = join(sitesDir, 'broken.conf');
    writeFileSync(broken, 'NoSuchDirective on\n');
    try {
      const e = await rejection(run(apacheReload, { conf: apache.conf }));
      expect(e.message).toMatch(
        /apache2 -k graceful -f .* exited with code 1:\n(.|\n)*Invalid command 'NoSuchDirective'/,
      );
      expect(await get('1162.paas.example.test')).toEqual({ status: 200, body: '<h1>environment 1162</h1>\n' });
    } finally {
      writeFileSync(broken, '');
    }
  });
});
