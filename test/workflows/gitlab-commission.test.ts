// gitlab:commission and gitlab:list end to end: the real CLI against a real Docker engine started here and the
// stand-in GitLab image, instances on the host network on 127.0.0.61-69: two commissions at once get their own number,
// address and folder and both serve; a failure rolls everything back; list shows health and drift both ways.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonStore } from '../../engine/index.js';
import { listInstances } from '../../tasks/gitlab/inventory.js';
import { sandbox, waitFor } from '../support/cli.js';
import { startDocker, type TestDocker } from '../support/docker.js';
import { buildGitlabStandIn } from '../support/gitlab-image.js';
import { tempDir } from '../support/git-fixtures.js';

let d: TestDocker;
let image: string;

beforeAll(async () => {
  d = await startDocker();
  process.env.DOCKER_HOST = d.host;
  image = buildGitlabStandIn(d);
}, 120_000);

afterAll(async () => {
  delete process.env.DOCKER_HOST;
  await d?.stop();
});

const POOL = '127.0.0.61-127.0.0.69';

describe('gitlab:commission', () => {
  it('commissions two instances at once, each on its own address and folder, healthy, recorded, listed', async () => {
    const sb = sandbox();
    const root = tempDir('gravity-gitlab-root-');
    const commission = (name: string) =>
      sb.run(
        'run',
        'gitlab:commission',
        '--param',
        `name=${name}`,
        '--param',
        `root=${root}`,
        '--param',
        `pool=${POOL}`,
        '--param',
        'network=host',
        '--param',
        `image=${image}`,
        '--param',
        'healthTimeoutMs=60000',
        '--param',
        'schedule=', // no crontab block: a test never touches the crontab of the user running it
        '--json',
      );
    const [a, b] = await Promise.all([commission('alpha'), commission('beta')]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const outA = JSON.parse(a.stdout).output;
    const outB = JSON.parse(b.stdout).output;
    expect(new Set([outA.ip, outB.ip]).size).toBe(2);
    expect(new Set([outA.dir, outB.dir])).toEqual(
      new Set([join(root, 'noeud-gitlab-1'), join(root, 'noeud-gitlab-2')]),
    );
    for (const o of [outA, outB]) {
      expect(o.url).toBe(`http://${o.ip}`);
      expect(await (await fetch(`${o.url}/-/health`)).text()).toMatch(/GitLab OK/);
      // the original tool's layout, and external_url in gitlab.rb (gitlab.rb wins over GITLAB_OMNIBUS_CONFIG)
      for (const sub of ['mapping-volumes/data', 'mapping-volumes/config', 'mapping-volumes/log', 'bckups'])
        expect(existsSync(join(o.dir, sub))).toBe(true);
      const rb = readFileSync(join(o.dir, 'mapping-volumes/config/gitlab.rb'), 'utf8');
      expect(rb).toContain(`external_url '${o.url}'`);
      expect(rb).toContain(`nginx['listen_addresses'] = ['${o.ip}']`);
      expect(existsSync(join(o.dir, 'mapping-volumes/config/gitlab-secrets.json'))).toBe(true);
      const restart = d.docker(['inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}', o.container]).trim();
      expect(restart).toBe('always');
    }
    const store = await createJsonStore(sb.dataDir);
    const records = await listInstances(store);
    await store.close();
    expect(records.map((r) => [r.name, r.state]).sort()).toEqual([
      ['alpha', 'active'],
      ['beta', 'active'],
    ]);
    // list: a table, and the same rows in JSON
    const list = await sb.run('run', 'gitlab:list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout).output.rows;
    expect(rows).toEqual([
      expect.objectContaining({
        name: expect.any(String),
        state: 'active',
        containerStatus: 'running',
        health: 'healthy',
      }),
      expect.objectContaining({ state: 'active', containerStatus: 'running', health: 'healthy' }),
    ]);
    expect(rows.every((r: { drift?: string }) => r.drift === undefined)).toBe(true);
    const table = await sb.run('run', 'gitlab:list');
    expect(table.stdout).toMatch(/NAME\s+URL\s+IP\s+STATE\s+CONTAINER\s+HEALTH\s+LAST BACKUP\s+DRIFT/);
    expect(table.stdout).toMatch(
      /alpha\s+http:\/\/127\.0\.0\.6\d\s+127\.0\.0\.6\d\s+active\s+running\s+healthy\s+never/,
    );
    // drift both ways: a record whose container is gone, a gitlab-<name> container nobody recorded
    d.docker(['rm', '-f', outB.container]);
    d.docker(['create', '--name', 'gitlab-stray', '--network', 'host', image]);
    const drift = JSON.parse((await sb.run('run', 'gitlab:list', '--json')).stdout).output.rows;
    expect(drift).toContainEqual(
      expect.objectContaining({ name: 'beta', containerStatus: 'missing', drift: 'its container is missing' }),
    );
    expect(drift).toContainEqual(
      expect.objectContaining({ name: 'stray', state: 'unknown', drift: expect.stringContaining('inventory lacks') }),
    );
    d.docker(['rm', '-f', outA.container, 'gitlab-stray']);
  }, 180_000);

  it('a failure rolls back everything it made: container, folder, number and address', async () => {
    const sb = sandbox();
    const root = tempDir('gravity-gitlab-root-');
    // never healthy within 1 ms: the wait fails after the container and folder exist
    const r = await sb.run(
      'run',
      'gitlab:commission',
      '--param',
      'name=gamma',
      '--param',
      `root=${root}`,
      '--param',
      `pool=${POOL}`,
      '--param',
      'network=host',
      '--param',
      `image=${image}`,
      '--param',
      'healthTimeoutMs=1',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ gitlab:commission failed at <healthy>: container gitlab-gamma was not healthy/);
    expect(r.stdout).toMatch(/↶ rolled back: undid <container>, <folder>, <allocate>/);
    expect(d.docker(['ps', '-a', '--filter', 'name=gitlab-gamma', '--format', '{{.Names}}']).trim()).toBe('');
    expect(existsSync(join(root, 'noeud-gitlab-1'))).toBe(false);
    const store = await createJsonStore(sb.dataDir);
    expect(await listInstances(store)).toEqual([]);
    await store.close();
  }, 120_000);

  it('killed (SIGKILL) while it waits for the instance, resumes to one healthy instance, recorded once', async () => {
    const sb = sandbox();
    const root = tempDir('gravity-gitlab-root-');
    const child = sb.spawn([
      'run',
      'gitlab:commission',
      '--param',
      'name=delta',
      '--param',
      `root=${root}`,
      '--param',
      'ip=127.0.0.69',
      '--param',
      'network=host',
      '--param',
      `image=${image}`,
      '--param',
      'healthTimeoutMs=60000',
      '--param',
      'schedule=',
    ]);
    const runId = await waitFor(() => {
      const id = sb.runIds()[0];
      return id && sb.journal(id).some((e) => e.type === 'task.started' && e.step === 'healthy') ? id : undefined;
    }, 60_000);
    child.kill('SIGKILL');
    await new Promise((res) => child.on('close', res));
    const resumed = await sb.run('resume', runId, '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).status).toBe('succeeded');
    // one container (the step adopted its own), one record, active, serving
    expect(d.docker(['ps', '-a', '--filter', 'name=gitlab-delta', '--format', '{{.Names}}']).trim()).toBe(
      'gitlab-delta',
    );
    const store = await createJsonStore(sb.dataDir);
    expect((await listInstances(store)).map((r) => [r.name, r.state, r.number])).toEqual([['delta', 'active', 1]]);
    await store.close();
    expect(await (await fetch('http://127.0.0.69/-/health')).text()).toMatch(/GitLab OK/);
    d.docker(['rm', '-f', 'gitlab-delta']);
  }, 120_000);

  it("takes a health check of its own instead of the image's, and waits on it", async () => {
    const sb = sandbox();
    const root = tempDir('gravity-gitlab-root-');
    const check = ['wget', '-q', '-O', '/dev/null', 'http://127.0.0.69/-/health'];
    const r = await sb.run(
      'run',
      'gitlab:commission',
      ...['--param', 'name=gamma', '--param', `root=${root}`, '--param', 'ip=127.0.0.69', '--param', 'network=host'],
      ...['--param', `image=${image}`, '--param', 'healthTimeoutMs=60000', '--param', 'schedule='],
      ...['--param', `healthCheck=${JSON.stringify(check)}`, '--json'],
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const test = JSON.parse(d.docker(['inspect', '--format', '{{json .Config.Healthcheck.Test}}', 'gitlab-gamma']));
    expect(test).toEqual(['CMD-SHELL', check.join(' ')]);
    expect(d.docker(['inspect', '--format', '{{.State.Health.Status}}', 'gitlab-gamma']).trim()).toBe('healthy');
    d.docker(['rm', '-f', 'gitlab-gamma']);
  }, 90_000);

  it('refuses a bad name before anything runs', async () => {
    const sb = sandbox();
    const r = await sb.run('run', 'gitlab:commission', '--param', 'name=../etc', '--param', `root=${tempDir()}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/param name/);
  });
});
