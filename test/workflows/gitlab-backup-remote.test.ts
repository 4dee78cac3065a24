// gitlab:backup-remote end to end: the real CLI pushes a backup made here (in gitlab:backup's layout) to a local folder,
// to root@127.0.0.101 by rsync over a real sshd started here, and to a real `rclone serve webdav` on 127.0.0.102; each
// copy equals the backup, a second push sends nothing, a copy tampered with is found by the next run's checksums and
// pushed again, a corrupted local backup is refused before anything is sent, and a target starting with - is refused.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonStore } from '../../engine/index.js';
import { putInstance, type Instance } from '../../tasks/gitlab/inventory.js';
import { sandbox } from '../support/cli.js';
import { tempDir } from '../support/git-fixtures.js';
import { startSshd, type TestSshd } from '../support/sshd.js';
import { startWebdav, type TestWebdav } from '../support/webdav.js';
import { asRclone, makeBackup, tamper, tree } from '../support/gitlab-backups.js';

let sshd: TestSshd;
let dav: TestWebdav;

beforeAll(async () => {
  [sshd, dav] = await Promise.all([startSshd('127.0.0.101'), startWebdav('127.0.0.102')]);
}, 30_000);

afterAll(async () => {
  await Promise.all([sshd?.stop(), dav?.stop()]);
});

const OLD = '20261201T010000Z';
const LATEST = '20261204T020000Z';
const INCOMPLETE = '20261205T030000Z';

/** A CLI sandbox whose inventory holds instance alpha, with two complete backups and a newer incomplete one. */
async function setup() {
  const sb = sandbox();
  const root = tempDir('gravity-gitlab-root-');
  const dir = join(root, 'noeud-gitlab-1');
  const rec: Instance = {
    name: 'alpha',
    number: 1,
    container: 'gitlab-alpha',
    ip: '127.0.0.103',
    network: 'host',
    ports: { http: 80, https: 443, ssh: 22 },
    dir,
    image: 'gitlab/gitlab-ce:17.5.1-ce.0',
    version: '17.5.1',
    url: 'http://127.0.0.103',
    state: 'active',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  };
  const store = await createJsonStore(sb.dataDir);
  await putInstance(store, rec);
  await store.close();
  const bckups = join(dir, 'bckups');
  makeBackup(bckups, OLD, rec, { 'data/old.txt': 'old\n' });
  const latest = makeBackup(
    bckups,
    LATEST,
    rec,
    {
      'data/git-data/repositories/a.bundle': 'bundle a\n'.repeat(2000),
      'data/postgresql/data/base/1': 'pg page\n'.repeat(500),
      'data/empty': '',
      'config/gitlab.rb': "external_url 'http://127.0.0.103'\n",
      'config/gitlab-secrets.json': '{"secret":"s3cr3t"}\n',
      'log/gitlab-rails/production.log': 'started\n',
      'data/name with spaces.txt': 'spaces\n',
    },
    { 'data/current': 'git-data' },
  );
  makeBackup(bckups, INCOMPLETE, rec, { 'data/partial.txt': 'partial\n' }, {}, false);
  const push = async (to: string, ...extra: string[]) => {
    const r = await sb.run(
      'run',
      'gitlab:backup-remote',
      '--param',
      'instance=alpha',
      '--param',
      `to=${to}`,
      ...extra,
      '--json',
    );
    const doc = JSON.parse(r.stdout || '{}');
    return { ...r, output: doc.output, doc, text: r.stdout + r.stderr };
  };
  return { sb, root, dir, bckups, latest, push };
}

describe('gitlab:backup-remote', () => {
  it('pushes to a local folder, skips a second time, and pushes again what a tampered copy lost', async () => {
    const { push, latest } = await setup();
    const target = tempDir('gravity-remote-local-');
    const first = await push(target);
    expect(first.code, first.text).toBe(0);
    const copy = join(target, 'alpha', LATEST);
    expect(first.output).toMatchObject({ backup: LATEST, destination: copy, pushed: true, repaired: [], files: 7 });
    expect(tree(copy)).toEqual(tree(latest));
    // the older and the incomplete backups stay home
    expect(readdirSync(join(target, 'alpha'))).toEqual([LATEST]);

    const again = await push(target);
    expect(again.code, again.text).toBe(0);
    expect(again.output).toMatchObject({ pushed: false });
    expect(again.output.summary).toMatch(/already at .*complete and verified by checksums \(7 files\): nothing pushed/);

    // same size, same time, other bytes: found by the checksums, pushed again, told
    tamper(join(copy, 'data/git-data/repositories/a.bundle'));
    writeFileSync(join(copy, 'data/stray.txt'), 'not mine\n');
    const repaired = await push(target);
    expect(repaired.code, repaired.text).toBe(0);
    expect(repaired.output).toMatchObject({ pushed: true });
    expect(repaired.output.repaired).toEqual(['differs: data/git-data/repositories/a.bundle', 'extra: data/stray.txt']);
    expect(tree(copy)).toEqual(tree(latest));

    // an interrupted push (no manifest there): resumed, not counted as a repair
    rmSync(join(copy, 'manifest.json'));
    rmSync(join(copy, 'config'), { recursive: true });
    const resumed = await push(target);
    expect(resumed.code, resumed.text).toBe(0);
    expect(resumed.output).toMatchObject({ pushed: true, repaired: [] });
    expect(tree(copy)).toEqual(tree(latest));
  }, 30_000);

  it('pushes to root@127.0.0.101 by rsync over ssh, host key checked, and verifies by checksums', async () => {
    const { push, latest } = await setup();
    const target = tempDir('gravity-remote-ssh-');
    const ssh = [
      '--param',
      `port=${sshd.port}`,
      '--param',
      `identity=${sshd.identity}`,
      '--param',
      `knownHosts=${sshd.knownHosts}`,
    ];
    const to = `root@127.0.0.101:${target}/backups`;
    const first = await push(to, ...ssh);
    expect(first.code, first.text).toBe(0);
    const copy = join(target, 'backups', 'alpha', LATEST);
    expect(first.output).toMatchObject({ destination: `root@127.0.0.101:${copy}`, pushed: true, files: 7 });
    expect(tree(copy)).toEqual(tree(latest));

    const again = await push(to, ...ssh);
    expect(again.code, again.text).toBe(0);
    expect(again.output).toMatchObject({ pushed: false });

    tamper(join(copy, 'config/gitlab-secrets.json'));
    const repaired = await push(to, ...ssh);
    expect(repaired.code, repaired.text).toBe(0);
    expect(repaired.output).toMatchObject({ pushed: true, repaired: ['differs: config/gitlab-secrets.json'] });
    expect(tree(copy)).toEqual(tree(latest));

    // a host whose key is not the one known: refused by ssh, nothing trusted blindly
    const other = join(tempDir('gravity-remote-kh-'), 'known_hosts');
    const [, type, key] = readFileSync(sshd.knownHosts, 'utf8').trim().split(/\s+/);
    writeFileSync(other, `[127.0.0.101]:${sshd.port} ${type} ${key.slice(0, -8)}AAAAAAAA\n`);
    const wrong = await push(
      `root@127.0.0.101:${target}/elsewhere`,
      '--param',
      `port=${sshd.port}`,
      '--param',
      `identity=${sshd.identity}`,
      '--param',
      `knownHosts=${other}`,
    );
    expect(wrong.code).toBe(1);
    expect(wrong.text).toMatch(/Host key verification failed|host key/i);
    expect(existsSync(join(target, 'elsewhere'))).toBe(false);
  }, 30_000);

  it('pushes to a WebDAV remote by rclone, verified by sha256 against the manifest', async () => {
    const { push, latest } = await setup();
    const rc = ['--param', `rcloneConfig=${dav.config}`];
    const to = `rclone:${dav.remote}:backups`;
    const first = await push(to, ...rc);
    expect(first.code, first.text).toBe(0);
    const copy = join(dav.dir, 'backups', 'alpha', LATEST);
    expect(first.output).toMatchObject({ destination: `rclone:dav:backups/alpha/${LATEST}`, pushed: true, files: 7 });
    expect(tree(copy)).toEqual(asRclone(tree(latest)));

    const again = await push(to, ...rc);
    expect(again.code, again.text).toBe(0);
    expect(again.output).toMatchObject({ pushed: false });
    expect(again.output.summary).toMatch(/nothing pushed/);

    tamper(join(copy, 'data/postgresql/data/base/1'));
    writeFileSync(join(copy, 'log/extra.log'), 'extra\n');
    const repaired = await push(to, ...rc);
    expect(repaired.code, repaired.text).toBe(0);
    expect(repaired.output.repaired).toEqual(['differs: data/postgresql/data/base/1', 'extra: log/extra.log']);
    expect(tree(copy)).toEqual(asRclone(tree(latest)));

    // a copy whose manifest is another one: not this backup, refused
    writeFileSync(join(copy, 'manifest.json'), '{"format":1,"id":"someone else"}\n');
    const refused = await push(to, ...rc);
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/holds another manifest\.json than backup 20261204T020000Z of alpha/);
  }, 30_000);

  it('refuses a corrupted or incomplete local backup before pushing, naming the file', async () => {
    const { push, latest } = await setup();
    const target = tempDir('gravity-remote-bad-');
    tamper(join(latest, 'data/git-data/repositories/a.bundle'));
    const r = await push(target);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(
      /backup 20261204T020000Z of alpha .* does not match its manifest, nothing pushed: data\/git-data\/repositories\/a\.bundle: sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/,
    );
    expect(readdirSync(target)).toEqual([]);
    const incomplete = await push(target, '--param', `backup=${INCOMPLETE}`);
    expect(incomplete.code).toBe(1);
    expect(incomplete.text).toMatch(/backup 20261205T030000Z of alpha is incomplete: .*manifest\.json is missing/);
    expect(readdirSync(target)).toEqual([]);
  }, 30_000);

  it('refuses a target starting with "-" (the other cases: test/tasks/gitlab/push-backup.test.ts) or inside the instance folder', async () => {
    const { push, bckups } = await setup();
    const cases: Array<[string, RegExp]> = [
      ['-oProxyCommand=touch /tmp/x', /the target of .* starts with "-"/],
      ['root@-oProxyCommand=x:/srv', /the host of .* starts with "-"/],
      // and a local folder inside the instance's own
      [bckups, /is inside the folder of instance alpha; push to another folder/],
    ];
    const results = await Promise.all(cases.map(([to]) => push(to)));
    results.forEach((r, i) => {
      expect(r.code, cases[i][0]).toBe(1);
      expect(r.doc.error?.message, cases[i][0]).toMatch(cases[i][1]);
    });
  }, 30_000);
});
