// The GitLab family end to end, as one story told in order (each step builds on the one before, sharing one CLI
// sandbox, one dockerd, one sshd and one WebDAV server): two instances commissioned at the same moment by two CLI
// processes, listed, given data, backed up (one online, one cold), pushed by rsync over ssh and by rclone to WebDAV, a
// corrupted backup refused by restore and push with the file named and nothing touched, the good one restored into a
// third instance, a restore whose CLI is SIGKILLed half way resumed, one instance decommissioned; then nothing lost:
// every backup, local and remote, still matches its manifest, the others healthy with their data.
// Addresses: 127.0.0.111-117 for the instances, sshd on .118, WebDAV on .119 (no other test file uses them).
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonStore } from '../../engine/index.js';
import { listInstances, type Instance } from '../../tasks/gitlab/inventory.js';
import { sandbox, waitFor, type CliResult } from '../support/cli.js';
import { createCronUser, type CronUser } from '../support/cron.js';
import { startDocker, type TestDocker } from '../support/docker.js';
import { buildGitlabStandIn, GITLAB_GIT_USER } from '../support/gitlab-image.js';
import { tempDir } from '../support/git-fixtures.js';
import { startSshd, type TestSshd } from '../support/sshd.js';
import { startWebdav, type TestWebdav } from '../support/webdav.js';

const POOL = '127.0.0.111-127.0.0.117';
const SSHD_ADDRESS = '127.0.0.118';
const WEBDAV_ADDRESS = '127.0.0.119';
const ID = /^\d{8}T\d{6}Z(-\d+)?$/;
const OLD = new Date('2023-03-04T05:06:07.000Z');

let d: TestDocker;
let sshd: TestSshd;
let dav: TestWebdav;
// whose crontab gitlab:decommission edits (never the crontab of the user running the tests)
let cron: CronUser;
let image: string;
let sb: ReturnType<typeof sandbox>;
let root: string;
/** Where the ssh remote keeps its copies (a folder of this host, reached through sshd). */
let sshTarget: string;

beforeAll(async () => {
  cron = createCronUser('e2e');
  // settled one by one: when one fails to start, the others are still assigned, and stopped by afterAll
  const [docker, ssh, webdav] = await Promise.allSettled([
    startDocker(),
    startSshd(SSHD_ADDRESS),
    startWebdav(WEBDAV_ADDRESS),
  ]);
  if (docker.status === 'fulfilled') d = docker.value;
  if (ssh.status === 'fulfilled') sshd = ssh.value;
  if (webdav.status === 'fulfilled') dav = webdav.value;
  for (const r of [docker, ssh, webdav]) if (r.status === 'rejected') throw r.reason;
  process.env.DOCKER_HOST = d.host;
  image = buildGitlabStandIn(d);
  sb = sandbox();
  root = tempDir('gravity-gitlab-e2e-', 'file');
  sshTarget = join(tempDir('gravity-gitlab-e2e-ssh-', 'file'), 'backups');
}, 120_000);

afterAll(async () => {
  try {
    const ids = d ? d.docker(['ps', '-aq']).trim() : '';
    if (ids) d.docker(['rm', '-f', ...ids.split('\n')]);
  } finally {
    // every daemon stopped by its pid, whatever happened to the containers
    delete process.env.DOCKER_HOST;
    await Promise.all([d?.stop(), sshd?.stop(), dav?.stop()]);
    cron?.remove();
  }
});

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const params = (...ps: string[]) => ps.flatMap((p) => ['--param', p]);
const gravity = (workflow: string, ...ps: string[]) => sb.run('run', workflow, ...params(...ps), '--json');
/** The `--json` document of a run, and its stdout and stderr for the failure message. */
const doc = (r: CliResult) => ({ ...JSON.parse(r.stdout || '{}'), text: r.stdout + r.stderr });

async function records(): Promise<Record<string, Instance>> {
  const store = await createJsonStore(sb.dataDir);
  try {
    return Object.fromEntries((await listInstances(store)).map((r) => [r.name, r]));
  } finally {
    await store.close();
  }
}

const repos = (dir: string) => join(dir, 'mapping-volumes/data/git-data/repositories');
const health = (c: string) => d.docker(['inspect', '--format', '{{.State.Health.Status}}', c]).trim();
const startedAt = (c: string) => d.docker(['inspect', '--format', '{{.State.StartedAt}}', c]).trim();
const exists = (c: string) => d.docker(['ps', '-a', '--filter', `name=^${c}$`, '--format', '{{.Names}}']).trim() === c;
/** What an instance folder may hold besides its two folders: nothing (no volumes left aside, no staging). */
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n !== 'mapping-volumes' && n !== 'bckups');
/** gitlab:list rows by name (it lists them by instance number). */
const byName = (rows: Array<{ name: string; drift?: string }>) =>
  [...rows].sort((a, b) => a.name.localeCompare(b.name));
const serves = async (url: string) => (await (await fetch(`${url}/-/health`)).text()).includes('GitLab OK');

/** A repository's content as a test reads it back: its branch head and the sha256 of its pack. */
interface RepoData {
  head: string;
  pack: string;
}

/** Writes repository `<name>.git` in an instance's data volume, owned by git, mode 0640, an old mtime. */
function writeRepo(dir: string, name: string, head: string): RepoData {
  const repo = join(repos(dir), `${name}.git`);
  mkdirSync(join(repo, 'refs/heads'), { recursive: true });
  mkdirSync(join(repo, 'objects/pack'), { recursive: true });
  const pack = randomBytes(300_000);
  writeFileSync(join(repo, 'HEAD'), 'ref: refs/heads/main\n', { mode: 0o640 });
  writeFileSync(join(repo, 'refs/heads/main'), head, { mode: 0o640 });
  writeFileSync(join(repo, 'objects/pack/pack-1.pack'), pack, { mode: 0o640 });
  for (const p of ['HEAD', 'refs/heads/main', 'objects/pack/pack-1.pack']) {
    chownSync(join(repo, p), GITLAB_GIT_USER.uid, GITLAB_GIT_USER.gid);
    utimesSync(join(repo, p), OLD, OLD);
  }
  return { head, pack: sha256(pack) };
}

/** Repository `<name>.git` of an instance's data volume, or undefined when it is not there. */
const readRepo = (dir: string, name: string) => readRepoIn(repos(dir), name);
/** Repository `<name>.git` of a cold backup's data folder. */
const backupRepo = (backup: string, name: string) => readRepoIn(join(backup, 'data/git-data/repositories'), name);

function readRepoIn(repositories: string, name: string): RepoData | undefined {
  const repo = join(repositories, `${name}.git`);
  if (!existsSync(repo)) return undefined;
  return {
    head: readFileSync(join(repo, 'refs/heads/main'), 'utf8'),
    pack: sha256(readFileSync(join(repo, 'objects/pack/pack-1.pack'))),
  };
}

/** Every regular file and symlink under `dir`, relative, except manifest.json. */
function entriesUnder(dir: string, rel = ''): Array<{ path: string; link: boolean }> {
  return readdirSync(join(dir, rel)).flatMap((n) => {
    const r = rel ? `${rel}/${n}` : n;
    const st = lstatSync(join(dir, r));
    if (st.isDirectory()) return entriesUnder(dir, r);
    if (st.isSymbolicLink()) return [{ path: r, link: true }];
    return st.isFile() && r !== 'manifest.json' ? [{ path: r, link: false }] : [];
  });
}

/**
 * Checks a backup folder (local, or a remote's copy) against its manifest and returns the manifest: every file it
 * lists there with its size and sha256, every symlink with its target (an rclone copy keeps a symlink as a
 * `<path>.rclonelink` file holding the target), and nothing else.
 */
function checkedManifest(dir: string, o: { rclone?: boolean } = {}) {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    id: string;
    mode: string;
    files: Array<{ path: string; size: number; sha256: string }>;
    symlinks: Array<{ path: string; target: string }>;
  };
  const links = o.rclone ? [] : m.symlinks.map((l) => l.path);
  const linkFiles = o.rclone ? m.symlinks.map((l) => `${l.path}.rclonelink`) : [];
  const found = entriesUnder(dir);
  expect(
    found
      .filter((e) => !e.link)
      .map((e) => e.path)
      .sort(),
    dir,
  ).toEqual([...m.files.map((f) => f.path), ...linkFiles].sort());
  expect(
    found
      .filter((e) => e.link)
      .map((e) => e.path)
      .sort(),
    dir,
  ).toEqual(links.sort());
  for (const f of m.files) {
    const body = readFileSync(join(dir, f.path));
    expect({ path: f.path, size: body.length, sha256: sha256(body) }, dir).toEqual({
      path: f.path,
      size: f.size,
      sha256: f.sha256,
    });
  }
  for (const l of m.symlinks)
    expect(o.rclone ? readFileSync(join(dir, `${l.path}.rclonelink`), 'utf8') : readlinkSync(join(dir, l.path))).toBe(
      l.target,
    );
  return m;
}

/** The instances the story made, by name (from the inventory once commissioned). */
const inst: Record<string, Instance> = {};
/** The data written into each instance, by instance name. */
const data: Record<string, RepoData> = {};
/** The backups made: alpha's online one, beta's cold one, beta's final one (decommission). */
const backups: { online?: string; cold?: string; final?: string } = {};

const sshParams = () => [`port=${sshd.port}`, `identity=${sshd.identity}`, `knownHosts=${sshd.knownHosts}`];
const sshTo = () => `root@${SSHD_ADDRESS}:${sshTarget}`;
const davTo = () => `rclone:${dav.remote}:backups`;
/** The four pushes of the story: each instance's latest backup, to each remote. */
const pushAll = () =>
  Promise.all([
    gravity('gitlab:backup-remote', 'instance=alpha', `to=${sshTo()}`, ...sshParams()),
    gravity('gitlab:backup-remote', 'instance=beta', `to=${sshTo()}`, ...sshParams()),
    gravity('gitlab:backup-remote', 'instance=alpha', `to=${davTo()}`, `rcloneConfig=${dav.config}`),
    gravity('gitlab:backup-remote', 'instance=beta', `to=${davTo()}`, `rcloneConfig=${dav.config}`),
  ]);

describe('the GitLab family, one story', () => {
  it('commissions alpha and beta at the same moment (two CLI processes), each on its own address and folder', async () => {
    const commission = (name: string) =>
      gravity(
        'gitlab:commission',
        `name=${name}`,
        `root=${root}`,
        `pool=${POOL}`,
        'network=host',
        `image=${image}`,
        'healthTimeoutMs=60000',
        'schedule=', // no crontab block: a test never touches the crontab of the user running it
      );
    const [a, b] = await Promise.all([commission('alpha'), commission('beta')]);
    const [da, db] = [doc(a), doc(b)];
    expect(a.code, da.text).toBe(0);
    expect(b.code, db.text).toBe(0);
    // the two runs overlapped: each began before the other ended
    const times = [da.runId, db.runId].map((id: string) => {
      const r = sb.record(id) as unknown as { createdAt: string; finishedAt: string };
      return [Date.parse(r.createdAt), Date.parse(r.finishedAt)];
    });
    expect(times[0][0]).toBeLessThan(times[1][1]);
    expect(times[1][0]).toBeLessThan(times[0][1]);
    Object.assign(inst, await records());
    expect(Object.keys(inst).sort()).toEqual(['alpha', 'beta']);
    expect(inst.alpha.ip).not.toBe(inst.beta.ip);
    expect(inst.alpha.dir).not.toBe(inst.beta.dir);
    for (const i of [inst.alpha, inst.beta]) {
      expect(i.ip).toMatch(/^127\.0\.0\.11[1-7]$/);
      expect(i.state).toBe('active');
      expect(await serves(i.url)).toBe(true);
    }
  }, 90_000);

  it('gitlab:list shows both, running and healthy, as a table and as JSON', async () => {
    const [table, json] = await Promise.all([sb.run('run', 'gitlab:list'), gravity('gitlab:list')]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/NAME\s+URL\s+IP\s+STATE\s+CONTAINER\s+HEALTH\s+LAST BACKUP\s+DRIFT/);
    for (const name of ['alpha', 'beta']) {
      const { url, ip } = inst[name];
      expect(table.stdout).toMatch(new RegExp(`${name}\\s+${url}\\s+${ip}\\s+active\\s+running\\s+healthy\\s+never`));
    }
    expect(json.code, json.stderr).toBe(0);
    // (in the order of their numbers, which the two commissions at once took in either order)
    const rows = byName(doc(json).output.rows);
    expect(rows).toEqual(
      ['alpha', 'beta'].map((name) =>
        expect.objectContaining({
          name,
          url: inst[name].url,
          state: 'active',
          containerStatus: 'running',
          health: 'healthy',
        }),
      ),
    );
    expect(rows.every((r) => r.drift === undefined)).toBe(true);
  }, 30_000);

  it('writes data into both data volumes, then backs alpha up online and beta cold, at the same time', async () => {
    data.alpha = writeRepo(inst.alpha.dir, 'alpha-proj', 'alpha-1\n');
    data.beta = writeRepo(inst.beta.dir, 'beta-proj', 'beta-1\n');
    const betaStarted = startedAt(inst.beta.container);
    const alphaStarted = startedAt(inst.alpha.container);
    const [on, cold] = await Promise.all([
      gravity('gitlab:backup', 'instance=alpha', 'mode=online', `root=${root}`, 'healthTimeoutMs=60000'),
      gravity('gitlab:backup', 'instance=beta', 'mode=cold', `root=${root}`, 'healthTimeoutMs=60000'),
    ]);
    const [don, dcold] = [doc(on), doc(cold)];
    expect(on.code, don.text).toBe(0);
    expect(cold.code, dcold.text).toBe(0);
    const [b1] = don.output.backups;
    const [b2] = dcold.output.backups;
    expect(b1).toMatchObject({ instance: 'alpha', mode: 'online', id: expect.stringMatching(ID) });
    expect(b2).toMatchObject({ instance: 'beta', mode: 'cold', id: expect.stringMatching(ID) });
    backups.online = b1.id;
    backups.cold = b2.id;
    const mOnline = checkedManifest(b1.dir);
    const mCold = checkedManifest(b2.dir);
    expect(mOnline.files.map((f) => f.path)).toContainEqual(expect.stringMatching(/^gitlab\/.*_gitlab_backup\.tar$/));
    // the cold copy holds beta's repository as written
    expect(mCold.files).toContainEqual(
      expect.objectContaining({ path: 'data/git-data/repositories/beta-proj.git/objects/pack/pack-1.pack' }),
    );
    expect(backupRepo(b2.dir, 'beta-proj')).toEqual(data.beta);
    // online: alpha never stopped; cold: beta stopped and started again, healthy
    expect(startedAt(inst.alpha.container)).toBe(alphaStarted);
    expect(startedAt(inst.beta.container)).not.toBe(betaStarted);
    expect(health(inst.beta.container)).toBe('healthy');
    const recs = await records();
    expect(recs.alpha.lastBackup?.id).toBe(b1.id);
    expect(recs.beta.lastBackup?.id).toBe(b2.id);
  }, 60_000);

  it('pushes both backups by rsync over ssh and by rclone to WebDAV; each copy matches its manifest', async () => {
    const results = await pushAll();
    for (const r of results) expect(r.code, doc(r).text).toBe(0);
    const out = results.map((r) => doc(r).output);
    expect(out.map((o) => [o.instance, o.backup, o.pushed])).toEqual([
      ['alpha', backups.online, true],
      ['beta', backups.cold, true],
      ['alpha', backups.online, true],
      ['beta', backups.cold, true],
    ]);
    expect(out[0].destination).toBe(`${sshTo()}/alpha/${backups.online}`);
    expect(out[2].destination).toBe(`${davTo()}/alpha/${backups.online}`);
    for (const [name, id] of [
      ['alpha', backups.online!],
      ['beta', backups.cold!],
    ]) {
      const local = checkedManifest(join(inst[name].dir, 'bckups', id));
      expect(checkedManifest(join(sshTarget, name, id))).toEqual(local);
      expect(checkedManifest(join(dav.dir, 'backups', name, id), { rclone: true })).toEqual(local);
    }
  }, 60_000);

  it('a corrupted backup: gitlab:restore and gitlab:backup-remote refuse it, naming the file; nothing touched', async () => {
    const dir = join(inst.alpha.dir, 'bckups', backups.online!);
    const [tar] = readdirSync(join(dir, 'gitlab'));
    const file = join(dir, 'gitlab', tar);
    // one byte flipped in the middle of GitLab's archive: same size, same times
    const st = statSync(file);
    const flip = () => {
      const b = readFileSync(file);
      b[b.length >> 1] ^= 0x20;
      writeFileSync(file, b);
      utimesSync(file, st.atime, st.mtime);
    };
    flip();
    try {
      const started = startedAt(inst.alpha.container);
      const remoteBefore = checkedManifest(join(sshTarget, 'alpha', backups.online!));
      const [restore, push] = await Promise.all([
        gravity('gitlab:restore', 'instance=alpha', `backup=${backups.online}`, `root=${root}`),
        gravity('gitlab:backup-remote', 'instance=alpha', `to=${sshTo()}`, ...sshParams()),
      ]);
      const [dr, dp] = [doc(restore), doc(push)];
      expect(restore.code, dr.text).toBe(1);
      expect(dr.error.message).toContain(
        `backup ${backups.online} is corrupted: gitlab/${tar} does not match its manifest (sha256`,
      );
      // refused at the first step: the container not stopped, the data where it was, nothing aside
      expect(dr.steps.map((s: { id: string }) => s.id)).toEqual(['verify']);
      expect(startedAt(inst.alpha.container)).toBe(started);
      expect(readRepo(inst.alpha.dir, 'alpha-proj')).toEqual(data.alpha);
      expect(leftovers(inst.alpha.dir)).toEqual([]);
      expect(push.code, dp.text).toBe(1);
      expect(dp.text).toMatch(
        new RegExp(
          `does not match its manifest, nothing pushed: gitlab/${tar}: sha256 [0-9a-f]{64}, the manifest says`,
        ),
      );
      // the good copy on the remote is left as it was
      expect(checkedManifest(join(sshTarget, 'alpha', backups.online!))).toEqual(remoteBefore);
    } finally {
      // the byte put back: the backup is whole again (checked at the end of the story)
      flip();
    }
    checkedManifest(dir);
  }, 30_000);

  it('restores beta’s cold backup into a third instance, gamma, on its own address: the data is there', async () => {
    const r = await gravity(
      'gitlab:restore',
      'instance=beta',
      `backup=${backups.cold}`,
      'into=gamma',
      `root=${root}`,
      `pool=${POOL}`,
      'healthTimeoutMs=60000',
    );
    const dr = doc(r);
    expect(r.code, dr.text).toBe(0);
    inst.gamma = (await records()).gamma;
    expect(dr.output).toMatchObject({ instance: 'gamma', url: inst.gamma.url, backup: backups.cold, from: 'beta' });
    expect(new Set([inst.alpha.ip, inst.beta.ip, inst.gamma.ip]).size).toBe(3);
    expect(inst.gamma.ip).toMatch(/^127\.0\.0\.11[1-7]$/);
    expect(readRepo(inst.gamma.dir, 'beta-proj')).toEqual(data.beta);
    // its own external_url, not beta's (whose gitlab.rb the backup holds)
    expect(readFileSync(join(inst.gamma.dir, 'mapping-volumes/config/gitlab.rb'), 'utf8')).toContain(
      `external_url '${inst.gamma.url}'`,
    );
    expect(health(inst.gamma.container)).toBe('healthy');
    expect(await serves(inst.gamma.url)).toBe(true);
    expect(leftovers(inst.gamma.dir)).toEqual([]);
    // beta, whose backup it was, untouched
    expect(readRepo(inst.beta.dir, 'beta-proj')).toEqual(data.beta);
    expect(health(inst.beta.container)).toBe('healthy');
  }, 60_000);

  it('a restore whose CLI is SIGKILLed half way (old volumes aside, GitLab on empty data), then gravity resume: data back', async () => {
    // alpha's data changes after its backup: the restore must bring back the backup's
    writeFileSync(join(repos(inst.alpha.dir), 'alpha-proj.git/refs/heads/main'), 'alpha-2\n');
    mkdirSync(join(repos(inst.alpha.dir), 'junk.git'));
    const before = new Set(sb.runIds());
    const child = sb.spawn([
      'run',
      'gitlab:restore',
      ...params('instance=alpha', `backup=${backups.online}`, `root=${root}`, 'healthTimeoutMs=60000'),
    ]);
    const done = sb.collect(child);
    const runId = await waitFor(() => sb.runIds().find((id) => !before.has(id)));
    // killed while it waits for GitLab to run on the fresh data volume, before gitlab-backup restore fills it
    await waitFor(() => sb.journal(runId).some((e) => e.type === 'task.started' && e.step === 'up'), 30_000);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(leftovers(inst.alpha.dir)).toEqual([expect.stringMatching(/^mapping-volumes\.aside-\d{8}T\d{6}Z$/)]);
    expect(readRepo(inst.alpha.dir, 'alpha-proj')).toBeUndefined();
    const r = await sb.run('resume', runId, '--json');
    const dr = doc(r);
    expect(r.code, dr.text).toBe(0);
    expect(dr.status).toBe('succeeded');
    expect(dr.output).toMatchObject({ instance: 'alpha', backup: backups.online, mode: 'online' });
    expect(readRepo(inst.alpha.dir, 'alpha-proj')).toEqual(data.alpha);
    expect(existsSync(join(repos(inst.alpha.dir), 'junk.git'))).toBe(false);
    expect(leftovers(inst.alpha.dir)).toEqual([]);
    expect(health(inst.alpha.container)).toBe('healthy');
    expect(await serves(inst.alpha.url)).toBe(true);
  }, 90_000);

  it('decommissions beta (yes=true): a final cold backup, its container gone, its folder and backups kept', async () => {
    const r = await gravity(
      'gitlab:decommission',
      'instance=beta',
      'yes=true',
      `user=${cron.name}`,
      'healthTimeoutMs=60000',
    );
    const dr = doc(r);
    expect(r.code, dr.text).toBe(0);
    expect(dr.output).toMatchObject({
      name: 'beta',
      state: 'decommissioned',
      container: inst.beta.container,
      kept: inst.beta.dir,
      backup: expect.stringMatching(ID),
    });
    backups.final = dr.output.backup;
    expect(backups.final).not.toBe(backups.cold);
    expect(exists(inst.beta.container)).toBe(false);
    expect(readdirSync(join(inst.beta.dir, 'bckups')).sort()).toEqual([backups.cold, backups.final].sort());
  }, 60_000);

  it('at the end nothing is lost: every backup, local and remote, matches its manifest; alpha and gamma serve their data', async () => {
    // local backups: alpha's online one (corrupted, then put back), beta's cold one and its final one
    const online = checkedManifest(join(inst.alpha.dir, 'bckups', backups.online!));
    const cold = checkedManifest(join(inst.beta.dir, 'bckups', backups.cold!));
    const final = checkedManifest(join(inst.beta.dir, 'bckups', backups.final!));
    expect([online.mode, cold.mode, final.mode]).toEqual(['online', 'cold', 'cold']);
    expect(readdirSync(join(inst.alpha.dir, 'bckups'))).toEqual([backups.online]);
    expect(readdirSync(join(inst.gamma.dir, 'bckups'))).toEqual([]);
    // the final backup holds beta's data as it was
    expect(backupRepo(join(inst.beta.dir, 'bckups', backups.final!), 'beta-proj')).toEqual(data.beta);
    // remote copies: as the local ones, and gravity itself finds them complete (nothing to push)
    for (const [name, m] of [
      ['alpha', online],
      ['beta', cold],
    ] as const) {
      expect(checkedManifest(join(sshTarget, name, m.id))).toEqual(m);
      expect(checkedManifest(join(dav.dir, 'backups', name, m.id), { rclone: true })).toEqual(m);
    }
    const again = await Promise.all([
      gravity('gitlab:backup-remote', 'instance=alpha', `to=${sshTo()}`, ...sshParams()),
      gravity('gitlab:backup-remote', 'instance=beta', `to=${sshTo()}`, ...sshParams(), `backup=${backups.cold}`),
      gravity('gitlab:backup-remote', 'instance=alpha', `to=${davTo()}`, `rcloneConfig=${dav.config}`),
      gravity(
        'gitlab:backup-remote',
        'instance=beta',
        `to=${davTo()}`,
        `rcloneConfig=${dav.config}`,
        `backup=${backups.cold}`,
      ),
    ]);
    for (const r of again) {
      expect(r.code, doc(r).text).toBe(0);
      expect(doc(r).output).toMatchObject({ pushed: false, repaired: [] });
    }
    // the inventory and docker: beta decommissioned (no drift), alpha and gamma active, running, healthy
    const [list, table] = await Promise.all([gravity('gitlab:list'), sb.run('run', 'gitlab:list')]);
    expect(list.code, list.stderr).toBe(0);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`beta\\s+${inst.beta.url}\\s+${inst.beta.ip}\\s+decommissioned\\s+missing\\s`),
    );
    const rows = byName(doc(list).output.rows);
    expect(rows).toEqual([
      expect.objectContaining({ name: 'alpha', state: 'active', containerStatus: 'running', health: 'healthy' }),
      expect.objectContaining({ name: 'beta', state: 'decommissioned', containerStatus: 'missing' }),
      expect.objectContaining({ name: 'gamma', state: 'active', containerStatus: 'running', health: 'healthy' }),
    ]);
    expect(rows.every((r) => r.drift === undefined)).toBe(true);
    const recs = await records();
    expect(recs.alpha.lastBackup?.id).toBe(backups.online);
    expect(recs.beta).toMatchObject({ state: 'decommissioned', lastBackup: { id: backups.final, mode: 'cold' } });
    // the data: alpha's restored, gamma's from beta's backup, beta's volume kept on disk
    expect(readRepo(inst.alpha.dir, 'alpha-proj')).toEqual(data.alpha);
    expect(readRepo(inst.gamma.dir, 'beta-proj')).toEqual(data.beta);
    expect(readRepo(inst.beta.dir, 'beta-proj')).toEqual(data.beta);
    for (const name of ['alpha', 'gamma']) {
      expect(await serves(inst[name].url)).toBe(true);
      expect(leftovers(inst[name].dir)).toEqual([]);
    }
    // the decommission edited the test user's crontab only, and left nothing there
    expect(cron.list() ?? '').not.toContain('gravity gitlab:backup');
  }, 60_000);
});
