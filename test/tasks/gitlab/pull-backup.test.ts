// gitlab.pull-backup against real remotes: a local folder, root@127.0.0.104 by rsync over a real sshd started here, and a
// real `rclone serve webdav` on 127.0.0.106. Backups are pushed there by gitlab.push-backup, then pulled back: the
// copy equals the original (files, symlinks, modes), the manifest comes last, a second pull fetches nothing, a copy
// damaged at the remote is refused with the file named (the local folder stays incomplete), an instance this host
// does not know lands under <root>/pulled/, and a local backup of the same id with another manifest is never touched.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonStore, type Store, type TaskDefinition } from '../../../engine/index.js';
import { putInstance, type Instance } from '../../../tasks/gitlab/inventory.js';
import { gitlabPullBackup, gitlabPushBackup } from '../../../tasks/index.js';
import { tempDir } from '../../support/git-fixtures.js';
import { makeBackup, tamper, tree } from '../../support/gitlab-backups.js';
import { startSshd, type TestSshd } from '../../support/sshd.js';
import { startWebdav, type TestWebdav } from '../../support/webdav.js';
import { contextFor, rejection } from '../context.js';

let sshd: TestSshd;
let dav: TestWebdav;
const stores: Store[] = [];

beforeAll(async () => {
  [sshd, dav] = await Promise.all([startSshd('127.0.0.104'), startWebdav('127.0.0.106')]);
}, 30_000);

afterAll(async () => {
  await Promise.all([sshd?.stop(), dav?.stop(), ...stores.map((s) => s.close())]);
});

const OLD = '20261201T010000Z';
const LATEST = '20261204T020000Z';

/** Runs a task with the store in its context (what gravity run gives it). */
async function runWith<I, O>(task: TaskDefinition<I, O>, store: Store, raw: unknown, root: string): Promise<O> {
  const { ctx } = contextFor(task, raw, { root });
  return task.output.parse(await task.run({ ...ctx, store }));
}

/** A store holding instance alpha (unless `known` is false), its folder with two complete backups. */
async function setup(known = true) {
  const root = tempDir('gravity-pull-root-');
  const dir = join(root, 'noeud-gitlab-1');
  const rec: Instance = {
    name: 'alpha',
    number: 1,
    container: 'gitlab-alpha',
    ip: '127.0.0.105',
    network: 'host',
    ports: { http: 80, https: 443, ssh: 22 },
    dir,
    image: 'gitlab/gitlab-ce:17.5.1-ce.0',
    version: '17.5.1',
    url: 'http://127.0.0.105',
    state: 'active',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  };
  const store = await createJsonStore(tempDir('gravity-pull-store-'));
  stores.push(store);
  await putInstance(store, rec);
  const bckups = join(dir, 'bckups');
  makeBackup(bckups, OLD, rec, { 'data/old.txt': 'old\n' });
  const latest = makeBackup(
    bckups,
    LATEST,
    rec,
    {
      'data/git-data/repositories/a.bundle': 'bundle a\n'.repeat(2000),
      'data/empty': '',
      'config/gitlab.rb': "external_url 'http://127.0.0.105'\n",
      'config/gitlab-secrets.json': '{"secret":"s3cr3t"}\n',
      'data/name with spaces.txt': 'spaces\n',
    },
    { 'data/current': 'git-data' },
  );
  const original = tree(latest);
  const push = (to: string, extra: Record<string, unknown> = {}) =>
    runWith(gitlabPushBackup, store, { instance: 'alpha', to, backup: 'latest', ...extra }, root);
  const pull = (from: string, extra: Record<string, unknown> = {}, s = store) =>
    runWith(gitlabPullBackup, s, { instance: 'alpha', from, root, ...extra }, root);
  if (!known) {
    // another host: its inventory lacks alpha, its root has nothing of it
    const other = await createJsonStore(tempDir('gravity-pull-other-'));
    stores.push(other);
    return { root, dir, bckups, latest, original, push, pull, other };
  }
  return { root, dir, bckups, latest, original, push, pull, other: store };
}

const sshParams = () => ({ port: sshd.port, identity: sshd.identity, knownHosts: sshd.knownHosts });

describe('gitlab.pull-backup', () => {
  it('pulls the newest backup back from a local folder into bckups/, manifest last, modes kept; a second pull fetches nothing', async () => {
    const { latest, original, push, pull } = await setup();
    const remote = tempDir('gravity-pull-remote-');
    await push(remote);
    rmSync(latest, { recursive: true });
    const r = await pull(remote);
    expect(r).toMatchObject({ id: LATEST, dir: latest, pulled: true, known: true, files: 5 });
    expect(tree(latest)).toEqual(original);
    expect(statSync(join(latest, 'config/gitlab.rb')).mode & 0o777).toBe(0o640);
    const again = await pull(remote);
    expect(again).toMatchObject({ id: LATEST, pulled: false });
    // a named backup, not only the newest: the older one is not at the remote
    const missing = await rejection(pull(remote, { backup: OLD }));
    expect(missing.message).toMatch(new RegExp(`alpha/${OLD}/? holds no manifest.json`));
  }, 30_000);

  it('pulls over ssh from root@127.0.0.104 with the host key checked, and refuses a copy damaged there, leaving the local one incomplete', async () => {
    const { latest, original, push, pull } = await setup();
    const target = tempDir('gravity-pull-ssh-');
    const from = `root@127.0.0.104:${target}/b`;
    await push(from, sshParams());
    rmSync(latest, { recursive: true });
    const r = await pull(from, sshParams());
    expect(r).toMatchObject({ id: LATEST, pulled: true, source: `root@127.0.0.104:${target}/b/alpha/${LATEST}` });
    expect(tree(latest)).toEqual(original);

    // the remote copy rots (same size, same time, other bytes): the pull names the file and installs no manifest
    tamper(join(target, 'b/alpha', LATEST, 'data/git-data/repositories/a.bundle'));
    rmSync(latest, { recursive: true });
    const bad = await rejection(pull(from, sshParams()));
    expect(bad.message).toMatch(/data\/git-data\/repositories\/a\.bundle: sha256 [0-9a-f]{64}, the manifest says/);
    expect(bad.message).toMatch(/the local folder stays incomplete/);
    expect(existsSync(join(latest, 'manifest.json'))).toBe(false);
  }, 30_000);

  it('pulls from a webdav remote through rclone: modes and times put back from the manifest', async () => {
    const { latest, original, push, pull } = await setup();
    const from = `rclone:${dav.remote}:pull-test`;
    await push(from, { rcloneConfig: dav.config });
    const mtime = statSync(join(latest, 'config/gitlab.rb')).mtime.toISOString();
    rmSync(latest, { recursive: true });
    const r = await pull(from, { rcloneConfig: dav.config });
    expect(r).toMatchObject({ id: LATEST, pulled: true, files: 5 });
    expect(tree(latest)).toEqual(original);
    const st = statSync(join(latest, 'config/gitlab.rb'));
    expect(st.mode & 0o777).toBe(0o640);
    expect(st.mtime.toISOString()).toBe(mtime);
    expect((await pull(from, { rcloneConfig: dav.config })).pulled).toBe(false);
  }, 30_000);

  it('puts the backup of an instance this host does not know under <root>/pulled/<instance>/<id>', async () => {
    const { root, original, push, pull, other } = await setup(false);
    const remote = tempDir('gravity-pull-remote-');
    await push(remote);
    const r = await pull(remote, {}, other);
    expect(r).toMatchObject({ known: false, dir: join(root, 'pulled', 'alpha', LATEST), pulled: true });
    expect(tree(r.dir)).toEqual(original);
  }, 30_000);

  it('never overwrites a local backup of the same id that has another manifest; says when the remote has none', async () => {
    const { latest, push, pull } = await setup();
    const remote = tempDir('gravity-pull-remote-');
    await push(remote);
    const manifest = join(latest, 'manifest.json');
    const changed = readFileSync(manifest, 'utf8').replace('"mode": "cold"', '"mode": "cold" ');
    writeFileSync(manifest, changed);
    const refused = await rejection(pull(remote));
    expect(refused.message).toMatch(/with another manifest.json than the one at .*: it is left as it is/);
    expect(readFileSync(manifest, 'utf8')).toBe(changed);

    const empty = tempDir('gravity-pull-empty-');
    const none = await rejection(pull(empty));
    expect(none.message).toMatch(/holds no complete backup of alpha/);
    const noneSsh = await rejection(pull(`root@127.0.0.104:${empty}/nothing`, sshParams()));
    expect(noneSsh.message).toMatch(/holds no complete backup of alpha/);
  }, 30_000);
});
