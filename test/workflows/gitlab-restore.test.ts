// gitlab:restore end to end: the real CLI against a real Docker engine started here and the stand-in GitLab image, on
// the host network on 127.0.0.91-99. Backups are built here in gitlab:backup's layout (bckups/<id>/{data,config,log}
// and manifest.json, written last). A restore brings the data back and leaves nothing aside; a corrupted backup and a
// version mismatch are refused before anything is touched; a failure after the swap puts the old volumes back; a
// SIGKILL during the wait is resumed; `into` commissions a new instance on another address and root.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonStore } from '../../engine/index.js';
import { getInstance, type Instance } from '../../tasks/gitlab/inventory.js';
import { sandbox, waitFor } from '../support/cli.js';
import { startDocker, type TestDocker } from '../support/docker.js';
import { buildGitlabStandIn, GITLAB_VERSION } from '../support/gitlab-image.js';
import { tempDir } from '../support/git-fixtures.js';

const POOL = '127.0.0.91-127.0.0.99';

let d: TestDocker;
let image: string;
let sb: ReturnType<typeof sandbox>;
let root: string;
let alpha: Instance;

const repos = (dir: string) => join(dir, 'mapping-volumes/data/git-data/repositories');
const HEAD = 'proj.git/refs/heads/main';
const headOf = (dir: string) => readFileSync(join(repos(dir), HEAD), 'utf8');
const containerStarted = (name: string) => d.docker(['inspect', '--format', '{{.State.StartedAt}}', name]).trim();
const health = (name: string) => d.docker(['inspect', '--format', '{{.State.Health.Status}}', name]).trim();
/** What a restore may leave in an instance folder: only these two. */
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n !== 'mapping-volumes' && n !== 'bckups');

async function record(name: string): Promise<Instance> {
  const store = await createJsonStore(sb.dataDir);
  try {
    const r = await getInstance(store, name);
    if (!r) throw new Error(`no record ${name}`);
    return r;
  } finally {
    await store.close();
  }
}

let idCounter = 0;
/** A backup id, each newer than the one before. */
const nextId = () => `20261205T12${String(idCounter++).padStart(2, '0')}00Z`;

/** The regular files under `dir`, relative to `base`. */
function filesUnder(base: string, dir = base): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(base, join(dir, e.name)) : e.isFile() ? [relative(base, join(dir, e.name))] : [],
  );
}

/** manifest.json of backup folder `dir`, written last: every regular file with its size, sha256, mode and time. */
function writeManifest(dir: string, head: Record<string, unknown>): void {
  const files = filesUnder(dir).map((path) => {
    const p = join(dir, path);
    const st = statSync(p);
    return {
      path,
      size: st.size,
      sha256: createHash('sha256').update(readFileSync(p)).digest('hex'),
      mode: st.mode & 0o7777,
      mtime: st.mtime.toISOString(),
    };
  });
  const manifest = { format: 1, ...head, createdAt: new Date().toISOString(), files };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

/** A cold backup of `inst` in gitlab:backup's layout: copies of its volumes (cp -a), then manifest.json. */
function coldBackup(inst: Instance, o: { version?: string } = {}): { id: string; dir: string } {
  const id = nextId();
  const dir = join(inst.dir, 'bckups', id);
  mkdirSync(dir);
  for (const sub of ['data', 'config', 'log'])
    execFileSync('cp', ['-a', join(inst.dir, 'mapping-volumes', sub), join(dir, sub)]);
  writeManifest(dir, { id, mode: 'cold', instance: inst, image: inst.image, version: o.version ?? inst.version });
  return { id, dir };
}

/** An online backup of `inst`: `gitlab-backup create` in its container, the archive and config/ copied, then manifest.json. */
function onlineBackup(inst: Instance): { id: string; dir: string; gitlabBackupId: string } {
  const id = nextId();
  const gitlabBackupId = `online-${id}`;
  d.docker(['exec', inst.container, 'gitlab-backup', 'create', `BACKUP=${gitlabBackupId}`]);
  const dir = join(inst.dir, 'bckups', id);
  const tar = `${gitlabBackupId}_gitlab_backup.tar`;
  mkdirSync(join(dir, 'gitlab'), { recursive: true });
  execFileSync('cp', ['-a', join(inst.dir, 'mapping-volumes/data/backups', tar), join(dir, 'gitlab', tar)]);
  rmSync(join(inst.dir, 'mapping-volumes/data/backups', tar));
  execFileSync('cp', ['-a', join(inst.dir, 'mapping-volumes/config'), join(dir, 'config')]);
  writeManifest(dir, { id, mode: 'online', instance: inst, image: inst.image, version: inst.version, gitlabBackupId });
  return { id, dir, gitlabBackupId };
}

const restore = (...params: string[]) =>
  sb.run('run', 'gitlab:restore', '--param', `root=${root}`, ...params.flatMap((p) => ['--param', p]), '--json');

beforeAll(async () => {
  d = await startDocker();
  process.env.DOCKER_HOST = d.host;
  image = buildGitlabStandIn(d);
  sb = sandbox();
  root = tempDir('gravity-gitlab-restore-');
  const r = await sb.run(
    'run',
    'gitlab:commission',
    ...['--param', 'name=alpha', '--param', `root=${root}`, '--param', `pool=${POOL}`, '--param', 'network=host'],
    ...['--param', `image=${image}`, '--param', 'healthTimeoutMs=60000', '--param', 'schedule=', '--json'],
  );
  if (r.code !== 0) throw new Error(`commission failed: ${r.stdout}${r.stderr}`);
  alpha = await record('alpha');
  // data in a repository, owned by git, with a mode and a time of its own
  mkdirSync(join(repos(alpha.dir), 'proj.git/refs/heads'), { recursive: true });
  writeFileSync(join(repos(alpha.dir), HEAD), 'v1\n', { mode: 0o640 });
  writeFileSync(join(repos(alpha.dir), 'proj.git/config'), '[core]\n\tbare = true\n');
  chownSync(join(repos(alpha.dir), HEAD), 998, 998);
  utimesSync(join(repos(alpha.dir), HEAD), new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'));
}, 120_000);

afterAll(async () => {
  const ids = d ? d.docker(['ps', '-aq']).trim() : '';
  if (ids) d.docker(['rm', '-f', ...ids.split('\n')]);
  delete process.env.DOCKER_HOST;
  await d?.stop();
});

describe('gitlab:restore', () => {
  let b1: { id: string; dir: string };

  it('restores the newest complete backup into the instance: data back, healthy, nothing left aside', async () => {
    b1 = coldBackup(alpha);
    // a newer backup without manifest.json is incomplete: latest skips it
    mkdirSync(join(alpha.dir, 'bckups', '20261205T125900Z', 'data'), { recursive: true });
    // the data changes after the backup
    writeFileSync(join(repos(alpha.dir), HEAD), 'v2\n');
    rmSync(join(repos(alpha.dir), 'proj.git/config'));
    mkdirSync(join(repos(alpha.dir), 'junk.git'));
    const r = await restore('instance=alpha');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).output).toEqual({
      instance: 'alpha',
      url: alpha.url,
      backup: b1.id,
      mode: 'cold',
      version: GITLAB_VERSION,
      from: 'alpha',
    });
    expect(headOf(alpha.dir)).toBe('v1\n');
    expect(readFileSync(join(repos(alpha.dir), 'proj.git/config'), 'utf8')).toContain('bare = true');
    expect(existsSync(join(repos(alpha.dir), 'junk.git'))).toBe(false);
    // owner, mode and time kept
    const st = statSync(join(repos(alpha.dir), HEAD));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([998, 998, 0o640]);
    expect(st.mtime.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(health(alpha.container)).toBe('healthy');
    expect(await (await fetch(`${alpha.url}/-/health`)).text()).toMatch(/GitLab OK/);
    expect(leftovers(alpha.dir)).toEqual([]);
    expect(readFileSync(join(alpha.dir, 'mapping-volumes/config/gitlab.rb'), 'utf8')).toContain(
      `external_url '${alpha.url}'`,
    );
  }, 60_000);

  it('refuses a corrupted backup naming the file, one of another GitLab version naming both, one with an unlisted file: nothing touched', async () => {
    const corrupted = coldBackup(alpha);
    const older = coldBackup(alpha, { version: '17.4.0' });
    const unlisted = coldBackup(alpha);
    writeFileSync(join(unlisted.dir, 'data/extra.txt'), 'not in the manifest');
    writeFileSync(join(repos(alpha.dir), HEAD), 'live\n');
    // one byte changed, same size
    writeFileSync(join(corrupted.dir, 'data/git-data/repositories', HEAD), 'v9\n');
    const started = containerStarted(alpha.container);
    const [c, v, u] = await Promise.all([
      restore('instance=alpha', `backup=${corrupted.id}`),
      restore('instance=alpha', `backup=${older.id}`),
      restore('instance=alpha', `backup=${unlisted.id}`),
    ]);
    expect(c.code).toBe(1);
    expect(JSON.parse(c.stdout).error.message).toContain(
      `backup ${corrupted.id} is corrupted: data/git-data/repositories/${HEAD} does not match its manifest (sha256`,
    );
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).error.message).toContain(
      `backup ${older.id} was made by GitLab 17.4.0, but instance alpha runs ${image} (GitLab ${GITLAB_VERSION})`,
    );
    expect(u.code).toBe(1);
    expect(JSON.parse(u.stdout).error.message).toContain(
      `backup ${unlisted.id} holds data/extra.txt, which its manifest does not list`,
    );
    // refused at the first step: the container was not stopped, the data not moved
    for (const r of [c, v, u]) expect(JSON.parse(r.stdout).steps.map((s: { id: string }) => s.id)).toEqual(['verify']);
    expect(containerStarted(alpha.container)).toBe(started);
    expect(headOf(alpha.dir)).toBe('live\n');
    expect(leftovers(alpha.dir)).toEqual([]);
    rmSync(corrupted.dir, { recursive: true });
    rmSync(older.dir, { recursive: true });
    rmSync(unlisted.dir, { recursive: true });
  }, 30_000);

  it('a failure after the swap puts the old volumes back and restarts the instance', async () => {
    writeFileSync(join(repos(alpha.dir), HEAD), 'before the failed restore\n');
    // never healthy within 1 ms: the wait fails once the backup's volumes are in place
    const r = await restore('instance=alpha', `backup=${b1.id}`, 'healthTimeoutMs=1');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.error.message).toMatch(/container gitlab-alpha was not healthy/);
    expect(out.steps.map((s: { id: string; status: string }) => `${s.id}:${s.status}`)).toEqual(
      expect.arrayContaining(['swap:succeeded', 'start:succeeded', 'healthy:failed']),
    );
    // undone newest first: the container stopped, the old volumes back, the container started
    expect(out.rollback.compensated).toEqual(['start', 'swap', 'stop']);
    expect(headOf(alpha.dir)).toBe('before the failed restore\n');
    expect(leftovers(alpha.dir)).toEqual([]);
    await waitFor(() => health(alpha.container) === 'healthy', 20_000);
    expect(await (await fetch(`${alpha.url}/-/health`)).text()).toMatch(/GitLab OK/);
    expect(headOf(alpha.dir)).toBe('before the failed restore\n');
  }, 60_000);

  it('a SIGKILL of the CLI during the wait, then gravity resume: the backup restored, nothing aside', async () => {
    writeFileSync(join(repos(alpha.dir), HEAD), 'before the killed restore\n');
    const before = new Set(sb.runIds());
    const child = sb.spawn(['run', 'gitlab:restore', '--param', `root=${root}`, '--param', 'instance=alpha']);
    const done = sb.collect(child);
    const runId = await waitFor(() => sb.runIds().find((id) => !before.has(id)));
    await waitFor(() => sb.journal(runId).some((e) => e.type === 'task.started' && e.step === 'healthy'), 20_000);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    // killed mid-restore: the old volumes are aside, not gone
    expect(leftovers(alpha.dir)).toEqual([expect.stringMatching(/^mapping-volumes\.aside-\d{8}T\d{6}Z$/)]);
    const r = await sb.run('resume', runId, '--json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).output.backup).toBe(b1.id);
    expect(headOf(alpha.dir)).toBe('v1\n');
    expect(leftovers(alpha.dir)).toEqual([]);
    expect(health(alpha.container)).toBe('healthy');
  }, 60_000);

  it('restores an online backup: gitlab-backup restore on a fresh data volume, the config from the backup', async () => {
    writeFileSync(join(repos(alpha.dir), HEAD), 'online\n');
    const b = onlineBackup(alpha);
    writeFileSync(join(repos(alpha.dir), HEAD), 'after the online backup\n');
    mkdirSync(join(repos(alpha.dir), 'junk.git'));
    const r = await restore('instance=alpha', `backup=${b.id}`, 'healthTimeoutMs=60000');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.output).toMatchObject({ backup: b.id, mode: 'online' });
    expect(out.steps.map((s: { id: string }) => s.id)).toEqual(
      expect.arrayContaining(['up', 'puma', 'sidekiq', 'restore', 'reconfigure', 'restart', 'healthy', 'drop']),
    );
    expect(headOf(alpha.dir)).toBe('online\n');
    expect(existsSync(join(repos(alpha.dir), 'junk.git'))).toBe(false);
    expect(leftovers(alpha.dir)).toEqual([]);
    expect(health(alpha.container)).toBe('healthy');
    expect(await (await fetch(`${alpha.url}/-/health`)).text()).toMatch(/GitLab OK/);
  }, 60_000);

  it('restores into a new instance, on another address and root: the data is there', async () => {
    const root2 = tempDir('gravity-gitlab-restore-into-');
    const r = await sb.run(
      'run',
      'gitlab:restore',
      ...['--param', `root=${root2}`, '--param', 'instance=alpha', '--param', `backup=${b1.id}`],
      ...['--param', 'into=beta', '--param', `pool=${POOL}`, '--param', 'healthTimeoutMs=60000', '--json'],
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const beta = await record('beta');
    expect(beta.state).toBe('active');
    expect(beta.ip).not.toBe(alpha.ip);
    expect(beta.dir).toMatch(new RegExp(`^${root2}/noeud-gitlab-\\d+$`));
    expect(beta.image).toBe(alpha.image);
    expect(JSON.parse(r.stdout).output).toMatchObject({ instance: 'beta', url: beta.url, from: 'alpha' });
    expect(headOf(beta.dir)).toBe('v1\n');
    expect(leftovers(beta.dir)).toEqual([]);
    // its own external_url and address, not alpha's (whose gitlab.rb the backup holds)
    const rb = readFileSync(join(beta.dir, 'mapping-volumes/config/gitlab.rb'), 'utf8');
    expect(rb).toContain(`external_url '${beta.url}'`);
    expect(rb).toContain(`nginx['listen_addresses'] = ['${beta.ip}']`);
    expect(health(beta.container)).toBe('healthy');
    expect(await (await fetch(`${beta.url}/-/health`)).text()).toMatch(/GitLab OK/);
    expect(health(alpha.container)).toBe('healthy');
  }, 60_000);

  it('on another host (its own store and root), pulls a pushed backup from the remote and restores it into a new instance', async () => {
    const remote = tempDir('gravity-gitlab-restore-remote-');
    const pushed = await sb.run(
      'run',
      'gitlab:backup-remote',
      ...['--param', 'instance=alpha', '--param', `backup=${b1.id}`, '--param', `to=${remote}`, '--json'],
    );
    expect(pushed.code, pushed.stdout + pushed.stderr).toBe(0);
    // the other host: a store without alpha, a root of its own
    const host2 = sandbox();
    const root3 = tempDir('gravity-gitlab-restore-host2-');
    const r = await host2.run(
      'run',
      'gitlab:restore',
      ...['--param', `root=${root3}`, '--param', 'instance=alpha', '--param', `from=${remote}`],
      ...['--param', 'into=gamma', '--param', `pool=${POOL}`, '--param', 'healthTimeoutMs=60000', '--json'],
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const store = await createJsonStore(host2.dataDir);
    const gamma = await getInstance(store, 'gamma').finally(() => store.close());
    expect(gamma?.state).toBe('active');
    expect(gamma!.image).toBe(alpha.image);
    expect(JSON.parse(r.stdout).output).toMatchObject({ instance: 'gamma', backup: b1.id, from: 'alpha' });
    expect(headOf(gamma!.dir)).toBe('v1\n');
    // the pulled backup stays, complete, where a backup of an unknown instance goes
    expect(existsSync(join(root3, 'pulled', 'alpha', b1.id, 'manifest.json'))).toBe(true);
    expect(health(gamma!.container)).toBe('healthy');

    // without `into`, an instance this host does not know is refused before anything is touched
    const refused = await host2.run(
      'run',
      'gitlab:restore',
      ...['--param', `root=${root3}`, '--param', 'instance=alpha', '--param', `from=${remote}`, '--json'],
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toMatch(
      /no instance alpha in the inventory: its backup can only be restored into a new instance \(into=<name>\)/,
    );
  }, 90_000);
});
