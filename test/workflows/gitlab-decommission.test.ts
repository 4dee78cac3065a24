// gitlab:adopt and gitlab:decommission end to end: the real CLI against a real Docker engine started here and the
// stand-in GitLab image, containers run by hand on the host network on 127.0.0.81-89. Adopt takes a hand-made instance
// in (listed without drift), names every failed check, refuses a name in use; decommission parks for approval, then
// stops and removes the container, keeps the folder and backups, marks the record, keeps the name until a purge;
// a rejection leaves the instance running.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, it, type TestContext } from 'vitest';
import { createJsonStore } from '../../engine/index.js';
import { listInstances, type Instance } from '../../tasks/gitlab/inventory.js';
import { sandbox } from '../support/cli.js';
import { createCronUser, type CronUser } from '../support/cron.js';
import { startDocker, type TestDocker } from '../support/docker.js';
import { buildGitlabStandIn } from '../support/gitlab-image.js';
import { tempDir } from '../support/git-fixtures.js';

let d: TestDocker;
let image: string;
// whose crontab gitlab:schedule and gitlab:decommission edit (never the crontab of the user running the tests)
let u: CronUser;
let v: CronUser; // the reject test's (two sandboxes have two crontab leases: one user each)

beforeAll(async () => {
  u = createCronUser('dec');
  v = createCronUser('kept');
  d = await startDocker();
  process.env.DOCKER_HOST = d.host;
  image = buildGitlabStandIn(d);
  // the same image under a tag that names no version (adopt then reads /opt/gitlab/version-manifest.txt)
  d.docker(['tag', image, 'gravity-test/gitlab-custom:latest']);
}, 120_000);

afterAll(async () => {
  delete process.env.DOCKER_HOST;
  await d?.stop();
  u?.remove();
  v?.remove();
});

type Sandbox = ReturnType<typeof sandbox>;

// one sandbox per test, made before the tests (their folders live as long as the file): the tests run at once, and a
// folder tied to "the current test" could go with another test's end
const boxes = {} as Record<'adopting' | 'odd' | 'retiring' | 'kept', Sandbox>;
beforeAll(() => {
  for (const k of ['adopting', 'odd', 'retiring', 'kept'] as const) boxes[k] = sandbox();
});

/**
 * An instance as the original tool's scripts made it: `<root>/noeud-gitlab-<n>/mapping-volumes/{data,config,log}` and
 * `bckups/<backups>/{data,config,log}`, its container run by hand (host network, external_url in GITLAB_OMNIBUS_CONFIG).
 */
function handMade(
  t: TestContext,
  o: { n: number; container: string; ip: string; backups?: string[]; img?: string },
): string {
  const dir = join(tempDir('gravity-gitlab-old-', 'file'), `noeud-gitlab-${o.n}`);
  for (const sub of ['data', 'config', 'log']) mkdirSync(join(dir, 'mapping-volumes', sub), { recursive: true });
  for (const b of o.backups ?? [])
    for (const sub of ['data', 'config', 'log']) mkdirSync(join(dir, 'bckups', b, sub), { recursive: true });
  mkdirSync(join(dir, 'bckups'), { recursive: true });
  // removed when the test ends, passed or failed (another test's gitlab:list would see it)
  // (also the container a test later commissions under the same name)
  t.onTestFinished(() => {
    if (exists(o.container)) d.docker(['rm', '--force', '--volumes', o.container]);
  });
  const v = (sub: string, target: string) => ['--volume', `${join(dir, 'mapping-volumes', sub)}:${target}`];
  d.docker([
    'run',
    '--detach',
    '--name',
    o.container,
    '--network',
    'host',
    '--env',
    `GITLAB_OMNIBUS_CONFIG=external_url 'http://${o.ip}'; nginx['listen_addresses'] = ['${o.ip}']`,
    ...v('config', '/etc/gitlab'),
    ...v('log', '/var/log/gitlab'),
    ...v('data', '/var/opt/gitlab'),
    o.img ?? image,
  ]);
  return dir;
}

const adopt = (sb: Sandbox, ...params: string[]) =>
  sb.run('run', 'gitlab:adopt', ...params.flatMap((p) => ['--param', p]), '--json');

async function records(sb: Sandbox): Promise<Instance[]> {
  const store = await createJsonStore(sb.dataDir);
  try {
    return await listInstances(store);
  } finally {
    await store.close();
  }
}

async function listRows(sb: Sandbox): Promise<Array<Record<string, unknown>>> {
  const r = await sb.run('run', 'gitlab:list', '--json');
  if (r.code !== 0) throw new Error(`gitlab:list exited with ${r.code}: ${r.stdout}${r.stderr}`);
  // the records' rows: the tests run at once on one dockerd, and a gitlab-<name> container another test commissioned
  // is a row of its own (a container no record knows)
  return JSON.parse(r.stdout).output.rows.filter((x: { state: string }) => x.state !== 'unknown');
}

const running = (c: string) => d.docker(['inspect', '--format', '{{.State.Running}}', c]).trim();
const exists = (c: string) =>
  d.docker(['ps', '--all', '--filter', `name=^${c}$`, '--format', '{{.Names}}']).trim() === c;
const runIdOf = (stdout: string) => /run (\d{6}-\d{6}-[0-9a-f]{6})/.exec(stdout)![1];

// the four tests run at once (each its own sandbox, containers and addresses): each uses its own expect
describe.concurrent('gitlab:adopt and gitlab:decommission', () => {
  describe('gitlab:adopt', () => {
    it('adopts a hand-made instance (number from its folder, address from external_url), listed without drift; refuses a name or container in use', async (t) => {
      const { expect } = t;
      const sb = boxes.adopting;
      const dir = handMade(t, { n: 5, container: 'old-node-5', ip: '127.0.0.81', backups: ['2024-01-31'] });
      const r = await adopt(sb, 'name=old', 'container=old-node-5', `dir=${dir}`);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).output).toEqual({
        name: 'old',
        url: 'http://127.0.0.81',
        ip: '127.0.0.81',
        number: 5,
        dir,
        container: 'old-node-5',
        network: 'host',
        version: '17.5.1',
        containerStatus: 'running',
        backups: ['2024-01-31'],
      });
      const [rec] = await records(sb);
      expect(rec).toMatchObject({ name: 'old', state: 'active', image, ports: { http: 80, https: 443, ssh: 22 } });
      const rows = await listRows(sb);
      expect(rows).toEqual([
        expect.objectContaining({ name: 'old', state: 'active', containerStatus: 'running', url: 'http://127.0.0.81' }),
      ]);
      expect(rows[0].drift).toBeUndefined();

      // the same name again, for another container: refused, nothing changes
      const other = handMade(t, {
        n: 6,
        container: 'old-node-6',
        ip: '127.0.0.82',
        img: 'gravity-test/gitlab-custom:latest',
      });
      // (both refusals at once: each is checked under the inventory lock)
      const [again, twice] = await Promise.all([
        adopt(sb, 'name=old', 'container=old-node-6', `dir=${other}`),
        adopt(sb, 'name=old-bis', 'container=old-node-5', `dir=${dir}`),
      ]);
      expect(again.code).toBe(1);
      expect(again.stdout).toMatch(/name old is used by an instance already \(active, http:\/\/127\.0\.0\.81\)/);
      expect(again.stdout).toMatch(/1 check failed/);
      // the same container and folder under another name: its container, folder, number and address are taken
      expect(twice.code).toBe(1);
      for (const why of [
        /address 127\.0\.0\.81 is used by instance old/,
        /container old-node-5 is instance old's already/,
        /folder \S+noeud-gitlab-5 is instance old's already/,
        /number 5 \(from noeud-gitlab-5\) is instance old's already/,
      ])
        expect(twice.stdout).toMatch(why);
      // an image whose tag names no version: the version manifest in the container tells it
      const custom = await adopt(sb, 'name=other', 'container=old-node-6', `dir=${other}`);
      expect(custom.code, custom.stdout).toBe(0);
      expect(JSON.parse(custom.stdout).output).toMatchObject({ number: 6, ip: '127.0.0.82', version: '17.5.1' });
      expect((await records(sb)).map((x) => x.name).sort()).toEqual(['old', 'other']);
    }, 60_000);

    it('names every failed check at once: missing container, missing mapping-volumes/log, odd entries in bckups/', async (t) => {
      const { expect } = t;
      const sb = boxes.odd;
      const dir = join(tempDir('gravity-gitlab-odd-', 'file'), 'noeud-gitlab-7');
      for (const sub of ['data', 'config']) mkdirSync(join(dir, 'mapping-volumes', sub), { recursive: true });
      for (const sub of ['data', 'config', 'log']) mkdirSync(join(dir, 'bckups', 'good', sub), { recursive: true });
      mkdirSync(join(dir, 'bckups', 'half', 'data'), { recursive: true });
      writeFileSync(join(dir, 'bckups', 'notes.txt'), 'by hand\n');
      const r = await adopt(sb, 'name=odd', 'container=gitlab-nowhere', `dir=${dir}`, 'ip=127.0.0.86');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/cannot adopt odd: 4 checks failed/);
      expect(r.stdout).toMatch(/container gitlab-nowhere does not exist/);
      expect(r.stdout).toMatch(/noeud-gitlab-7 lacks mapping-volumes\/log/);
      expect(r.stdout).not.toMatch(/lacks mapping-volumes\/(data|config)/);
      expect(r.stdout).toMatch(/bckups\/half is not a backup \(it lacks config, log\)/);
      expect(r.stdout).toMatch(/bckups\/notes\.txt is not a backup \(not a folder\)/);
      expect(r.stdout).not.toMatch(/bckups\/good/);
      expect(await records(sb)).toEqual([]);
    });
  });

  describe('gitlab:decommission', () => {
    it('parks for approval, then stops and removes the container, keeps folder and backups, keeps the name until purged', async (t) => {
      const { expect } = t;
      const sb = boxes.retiring;
      t.onTestFinished(() => {
        if (exists('gitlab-dec')) d.docker(['rm', '--force', '--volumes', 'gitlab-dec']);
      });
      const dir = handMade(t, { n: 3, container: 'old-node-3', ip: '127.0.0.83', backups: ['2024-02-29'] });
      expect((await adopt(sb, 'name=dec', 'container=old-node-3', `dir=${dir}`)).code).toBe(0);
      const params = (...ps: string[]) => ps.flatMap((p) => ['--param', p]);
      const scheduled = await sb.run(
        'run',
        'gitlab:schedule',
        ...params('instance=dec', `user=${u.name}`, `root=${dirname(dir)}`),
      );
      expect(scheduled.code, scheduled.stdout + scheduled.stderr).toBe(0);
      const BLOCK = '# BEGIN gravity gitlab:backup dec';
      expect(u.list()).toContain(BLOCK);

      const asked = await sb.run(
        'run',
        'gitlab:decommission',
        ...params('instance=dec', `user=${u.name}`, 'healthTimeoutMs=20000'),
      );
      expect(asked.code, asked.stdout + asked.stderr).toBe(4);
      expect(asked.stdout).toMatch(/Decommission GitLab instance dec \(http:\/\/127\.0\.0\.83\)\?/);
      expect(running('old-node-3')).toBe('true');
      expect((await records(sb))[0].state).toBe('active');
      expect(readdirSync(join(dir, 'bckups'))).toEqual(['2024-02-29']);
      expect(u.list()).toContain(BLOCK);

      const approved = await sb.run('approve', runIdOf(asked.stdout), '--reason', 'moved to the new farm');
      expect(approved.code, approved.stdout + approved.stderr).toBe(0);
      expect(exists('old-node-3')).toBe(false);
      expect(existsSync(join(dir, 'mapping-volumes', 'config', 'gitlab.rb'))).toBe(true);
      expect(existsSync(join(dir, 'bckups', '2024-02-29', 'data'))).toBe(true);
      // the final cold backup, beside the old one, recorded as the last backup; the schedule gone
      const final = readdirSync(join(dir, 'bckups')).filter((b) => b !== '2024-02-29');
      expect(final).toEqual([expect.stringMatching(/^\d{8}T\d{6}Z$/)]);
      expect(existsSync(join(dir, 'bckups', final[0], 'manifest.json'))).toBe(true);
      expect(existsSync(join(dir, 'bckups', final[0], 'config', 'gitlab.rb'))).toBe(true);
      expect(u.list() ?? '').not.toContain(BLOCK);
      expect((await records(sb))[0]).toMatchObject({
        name: 'dec',
        state: 'decommissioned',
        lastBackup: { id: final[0], mode: 'cold' },
      });
      const commission = (root: string) =>
        sb.run(
          'run',
          'gitlab:commission',
          ...[
            'name=dec',
            `root=${root}`,
            'ip=127.0.0.84',
            'network=host',
            `image=${image}`,
            'healthTimeoutMs=20000',
            'schedule=', // no backup schedule: the crontab of the user running the tests stays as it is
          ].flatMap((p) => ['--param', p]),
        );
      // listed decommissioned; a second decommission, an unknown name and a new commission of the name are refused
      const [rows, twice, ghost, reused] = await Promise.all([
        listRows(sb),
        sb.run('run', 'gitlab:decommission', '--param', 'instance=dec', '--param', 'yes=true'),
        sb.run('run', 'gitlab:decommission', '--param', 'instance=ghost', '--param', 'yes=true'),
        commission(tempDir('gravity-gitlab-root-', 'file')),
      ]);
      expect(rows).toEqual([
        expect.objectContaining({ name: 'dec', state: 'decommissioned', containerStatus: 'missing' }),
      ]);
      expect(rows[0].drift).toBeUndefined();

      expect(twice.code).toBe(1);
      expect(twice.stdout).toMatch(/instance dec is decommissioned already/);
      expect(ghost.code).toBe(1);
      expect(ghost.stdout).toMatch(/no instance ghost in the GitLab inventory/);
      expect(reused.code).toBe(1);
      expect(reused.stdout).toMatch(/instance dec was decommissioned on .*purge=true/);
      expect(exists('gitlab-dec')).toBe(false);

      // purge: the record goes, the folder stays, and the name can be commissioned again
      const purged = await sb.run(
        'run',
        'gitlab:decommission',
        '--param',
        'instance=dec',
        '--param',
        'purge=true',
        '--json',
      );
      expect(purged.code, purged.stdout).toBe(0);
      expect(JSON.parse(purged.stdout).output).toEqual({ name: 'dec', purged: true, kept: dir });
      expect(await records(sb)).toEqual([]);
      expect(existsSync(join(dir, 'bckups', '2024-02-29'))).toBe(true);
      const fresh = await commission(tempDir('gravity-gitlab-root-', 'file'));
      expect(fresh.code, fresh.stdout).toBe(0);
      expect((await records(sb)).map((x) => [x.name, x.state, x.ip])).toEqual([['dec', 'active', '127.0.0.84']]);
    }, 60_000);

    it('a rejection leaves the instance running and recorded; yes=true decommissions without asking (backup=false: no backup)', async (t) => {
      const { expect } = t;
      const sb = boxes.kept;
      const dir = handMade(t, { n: 8, container: 'old-node-8', ip: '127.0.0.85' });
      expect((await adopt(sb, 'name=kept', 'container=old-node-8', `dir=${dir}`)).code).toBe(0);
      const asked = await sb.run('run', 'gitlab:decommission', '--param', 'instance=kept', '--param', `user=${v.name}`);
      expect(asked.code).toBe(4);
      const rejected = await sb.run('reject', runIdOf(asked.stdout), '--reason', 'still in use');
      expect(rejected.code).toBe(1);
      expect(rejected.stdout).toMatch(/rejected by \S+: still in use/);
      expect(running('old-node-8')).toBe('true');
      expect((await records(sb))[0].state).toBe('active');

      const yes = await sb.run(
        'run',
        'gitlab:decommission',
        ...['instance=kept', 'yes=true', 'backup=false', `user=${v.name}`].flatMap((p) => ['--param', p]),
      );
      expect(yes.code, yes.stdout).toBe(0);
      expect(exists('old-node-8')).toBe(false);
      expect(readdirSync(join(dir, 'bckups'))).toEqual([]);
      expect(existsSync(join(dir, 'mapping-volumes', 'data'))).toBe(true);
      expect((await records(sb))[0].state).toBe('decommissioned');
    }, 60_000);
  });
});
