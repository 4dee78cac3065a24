// gitlab:backup end to end: the real CLI against a real Docker engine started here and the GitLab stand-in, two
// instances on the host network on 127.0.0.71-79: online and cold backups (layout, manifest checked file by file, owner,
// mode and mtime kept, the instance healthy again), a cold copy that fails (the container still restarted, no backup
// left), retention (never an incomplete folder), instance=all with one failing, an unknown instance.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonStore } from '../../engine/index.js';
import { getInstance, type Instance } from '../../tasks/gitlab/inventory.js';
import { sandbox } from '../support/cli.js';
import { startDocker, type TestDocker } from '../support/docker.js';
import { buildGitlabStandIn, GITLAB_GIT_USER } from '../support/gitlab-image.js';
import { tempDir } from '../support/git-fixtures.js';

const POOL = '127.0.0.71-127.0.0.79';
const ID = /^\d{8}T\d{6}Z(-\d+)?$/;
const OLD = new Date('2020-01-02T03:04:05.000Z');

let d: TestDocker;
let image: string;
let sb: ReturnType<typeof sandbox>;
let root: string;
const dirs: Record<string, string> = {};
let mounted: string | undefined;

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function record(name: string): Promise<Instance | undefined> {
  const store = await createJsonStore(sb.dataDir);
  try {
    return await getInstance(store, name);
  } finally {
    await store.close();
  }
}

const backup = (instance: string, mode: string, ...more: string[]) =>
  sb.run(
    'run',
    'gitlab:backup',
    '--param',
    `instance=${instance}`,
    '--param',
    `mode=${mode}`,
    '--param',
    `root=${root}`,
    '--param',
    'healthTimeoutMs=30000',
    ...more,
    '--json',
  );

/** Every regular file under `dir`, relative, except manifest.json. */
function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel)).flatMap((n) => {
    const r = rel ? `${rel}/${n}` : n;
    const st = lstatSync(join(dir, r));
    if (st.isDirectory()) return filesUnder(dir, r);
    return st.isFile() && r !== 'manifest.json' ? [r] : [];
  });
}

/** The manifest of backup folder `dir`, after checking each file it lists against the folder (and none missing). */
function checkedManifest(dir: string) {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const listed = m.files.map((f: { path: string }) => f.path).sort();
  expect(listed).toEqual(filesUnder(dir).sort());
  for (const f of m.files) {
    const body = readFileSync(join(dir, f.path));
    expect({ path: f.path, sha256: sha(body), size: body.length }).toEqual({
      path: f.path,
      sha256: f.sha256,
      size: f.size,
    });
  }
  return m;
}

const health = (container: string) =>
  d
    .docker(['inspect', '--format', '{{.State.Running}} {{.State.Health.Status}} {{.State.StartedAt}}', container])
    .trim();

beforeAll(async () => {
  d = await startDocker();
  process.env.DOCKER_HOST = d.host;
  image = buildGitlabStandIn(d);
  sb = sandbox();
  root = tempDir('gravity-gitlab-backup-', 'file');
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
  const made = await Promise.all([commission('alpha'), commission('beta')]);
  for (const r of made) {
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const o = JSON.parse(r.stdout).output;
    dirs[o.name] = o.dir;
  }
  // data in a repository: owned by git, mode 0640, an old mtime, a symlink
  const repo = join(dirs.alpha, 'mapping-volumes/data/git-data/repositories/demo.git');
  mkdirSync(join(repo, 'objects'), { recursive: true });
  writeFileSync(join(repo, 'HEAD'), 'ref: refs/heads/main\n', { mode: 0o640 });
  writeFileSync(join(repo, 'objects/pack-1.pack'), Buffer.alloc(700_000, 7));
  symlinkSync('HEAD', join(repo, 'HEAD.link'));
  for (const p of [join(repo, 'HEAD'), join(repo, 'objects/pack-1.pack')]) {
    chownSync(p, GITLAB_GIT_USER.uid, GITLAB_GIT_USER.gid);
    utimesSync(p, OLD, OLD);
  }
}, 120_000);

afterAll(async () => {
  if (mounted) execFileSync('umount', [mounted]);
  delete process.env.DOCKER_HOST;
  await d?.stop();
});

const repoPath = 'git-data/repositories/demo.git';
const ids: string[] = [];

describe('gitlab:backup', () => {
  it('online: GitLab archive and config copied, manifest last and true, owner and mode kept, recorded', async () => {
    const r = await backup('alpha', 'online');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [b] = JSON.parse(r.stdout).output.backups;
    expect(b).toMatchObject({ instance: 'alpha', mode: 'online', id: expect.stringMatching(ID) });
    expect(b.dir).toBe(join(dirs.alpha, 'bckups', b.id));
    expect(b.bytes).toBeGreaterThan(700_000); // the archive holds the repository
    ids.push(b.id);
    expect(readdirSync(b.dir).sort()).toEqual(['config', 'gitlab', 'manifest.json']);
    const m = checkedManifest(b.dir);
    expect(m).toMatchObject({ format: 1, id: b.id, mode: 'online', image, version: '17.5.1' });
    expect(m.instance).toMatchObject({ name: 'alpha', dir: dirs.alpha });
    const tar = `${m.gitlabBackupId}_gitlab_backup.tar`;
    expect(readdirSync(join(b.dir, 'gitlab'))).toEqual([tar]);
    // GitLab's archive: git:git 0600, as GitLab wrote it; the config with gitlab.rb and the secrets
    const st = statSync(join(b.dir, 'gitlab', tar));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([GITLAB_GIT_USER.uid, GITLAB_GIT_USER.gid, 0o600]);
    // (compared by hash: a deep equality of two 1 MB buffers takes vitest seconds)
    expect(sha(readFileSync(join(b.dir, 'gitlab', tar)))).toBe(
      sha(readFileSync(join(dirs.alpha, 'mapping-volumes/data/backups', tar))),
    );
    expect(filesUnder(join(b.dir, 'config')).sort()).toEqual(['gitlab-secrets.json', 'gitlab.rb']);
    expect(b.files).toBe(m.files.length);
    // recorded: the sha256 of manifest.json
    const rec = await record('alpha');
    expect(rec?.lastBackup).toEqual({
      id: b.id,
      at: m.createdAt,
      mode: 'online',
      sha256: sha(readFileSync(join(b.dir, 'manifest.json'))),
      dir: b.dir,
    });
  }, 30_000);

  it('cold: the container stopped, data/config/log copied with owner, mode and mtime, healthy again', async () => {
    const before = health('gitlab-alpha');
    expect(before).toMatch(/^true healthy /);
    const r = await backup('alpha', 'cold');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [b] = JSON.parse(r.stdout).output.backups;
    ids.push(b.id);
    expect(b.id).not.toBe(ids[0]);
    expect(readdirSync(b.dir).sort()).toEqual(['config', 'data', 'log', 'manifest.json']);
    const m = checkedManifest(b.dir);
    expect(m.mode).toBe('cold');
    expect(m.gitlabBackupId).toBeUndefined();
    const head = m.files.find((f: { path: string }) => f.path === `data/${repoPath}/HEAD`);
    expect(head).toMatchObject({ mode: 0o640, mtime: OLD.toISOString(), uid: 998, gid: 998 });
    for (const f of ['HEAD', 'objects/pack-1.pack']) {
      const st = statSync(join(b.dir, 'data', repoPath, f));
      expect([st.uid, st.gid, st.mtime.toISOString()]).toEqual([998, 998, OLD.toISOString()]);
    }
    expect(statSync(join(b.dir, 'data', repoPath, 'HEAD')).mode & 0o7777).toBe(0o640);
    expect(lstatSync(join(b.dir, 'data', repoPath, 'HEAD.link')).isSymbolicLink()).toBe(true);
    expect(m.symlinks).toContainEqual(expect.objectContaining({ path: `data/${repoPath}/HEAD.link`, target: 'HEAD' }));
    expect(existsSync(join(b.dir, 'config/gitlab-secrets.json'))).toBe(true);
    // stopped and started again (a new StartedAt), and healthy
    const after = health('gitlab-alpha');
    expect(after).toMatch(/^true healthy /);
    expect(after).not.toBe(before);
    expect((await record('alpha'))?.lastBackup?.id).toBe(b.id);
  }, 30_000);

  it('a cold copy that fails still restarts the instance and leaves no backup', async () => {
    const bckups = join(dirs.alpha, 'bckups');
    // a destination too small for the data (the 700 KB pack): the copy fails half way (ENOSPC)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', bckups]);
    mounted = bckups;
    const before = health('gitlab-alpha');
    try {
      const r = await backup('alpha', 'cold');
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/the copy into .* failed \(removed\): .*ENOSPC|no space/i);
      expect(readdirSync(bckups)).toEqual([]);
    } finally {
      execFileSync('umount', [bckups]);
      mounted = undefined;
    }
    const after = health('gitlab-alpha');
    expect(after).toMatch(/^true healthy /);
    expect(after).not.toBe(before); // it was stopped, and started again
    expect((await record('alpha'))?.lastBackup?.id).toBe(ids[1]);
  }, 30_000);

  it('keep=N removes the oldest complete backups, never an incomplete folder', async () => {
    const bckups = join(dirs.alpha, 'bckups');
    // incomplete: no manifest (older than every other), and a manifest naming another id
    mkdirSync(join(bckups, '20000101T000000Z/data'), { recursive: true });
    mkdirSync(join(bckups, '20000101T000001Z'));
    writeFileSync(join(bckups, '20000101T000001Z/manifest.json'), '{"format":1,"id":"other","files":[]}');
    const r = await backup('alpha', 'online', '--param', 'keep=2');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [b] = JSON.parse(r.stdout).output.backups;
    expect(b.removed).toEqual([ids[0]]);
    expect(readdirSync(bckups).sort()).toEqual(['20000101T000000Z', '20000101T000001Z', ids[1], b.id].sort());
    ids.shift();
    ids.push(b.id);
    const keep1 = await backup('alpha', 'online', '--param', 'keep=1');
    expect(keep1.code, keep1.stdout + keep1.stderr).toBe(0);
    const [c] = JSON.parse(keep1.stdout).output.backups;
    expect(c.removed).toEqual(ids);
    expect(readdirSync(bckups).sort()).toEqual(['20000101T000000Z', '20000101T000001Z', c.id].sort());
  }, 30_000);

  it('instance=all backs up every active instance; one failing does not stop the others and is named', async () => {
    d.docker(['rm', '-f', 'gitlab-beta']);
    const before = (await record('alpha'))?.lastBackup?.id;
    const r = await backup('all', 'online');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.message).toMatch(/1 of 2 items failed: \[\d\] \{"name":"beta".*gitlab-beta/);
    const after = (await record('alpha'))?.lastBackup;
    expect(after?.id).toMatch(ID);
    expect(after?.id).not.toBe(before);
    expect(existsSync(join(after!.dir, 'manifest.json'))).toBe(true);
    expect((await record('beta'))?.lastBackup).toBeUndefined();
    expect(existsSync(join(dirs.beta, 'bckups')) && readdirSync(join(dirs.beta, 'bckups'))).toEqual([]);
  }, 30_000);

  it('refuses an unknown instance and keep=0 with clear errors; --dry-run lists the steps', async () => {
    const [ghost, zero, dry] = await Promise.all([
      backup('ghost', 'online'),
      backup('alpha', 'online', '--param', 'keep=0'),
      sb.run(
        'run',
        'gitlab:backup',
        '--param',
        'instance=alpha',
        '--param',
        'mode=cold',
        '--param',
        `root=${root}`,
        '--dry-run',
      ),
    ]);
    expect(ghost.code).toBe(1);
    expect(JSON.parse(ghost.stdout).error.message).toMatch(
      /no instance ghost in the inventory \(it has (alpha, beta|beta, alpha)\)/,
    );
    expect(zero.code).toBe(1);
    expect(JSON.parse(zero.stdout).error.message).toMatch(/keep must be at least 1/);
    expect(dry.code, dry.stderr).toBe(0);
    for (const step of ['stop', 'copy_cold', 'start', 'healthy', 'start_failed', 'record', 'prune'])
      expect(dry.stdout).toMatch(new RegExp(`• ${step} — `));
  }, 20_000);
});
