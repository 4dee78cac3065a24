// gitlab.backup-copy and gitlab.prune-backups on real files (no Docker): a unique id when the second is taken, the
// incomplete folder of an earlier attempt removed (never another's), a failed copy leaving nothing, rollback removing only
// its own backup, retention never touching an incomplete folder; gitlab-backup's id read from its output.
// End to end (with the GitLab stand-in): test/workflows/gitlab-backup.test.ts.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitlabBackupCopy, gitlabPruneBackups } from '../../../tasks/index.js';
import { backupIdOf } from '../../../tasks/gitlab/backup-create.js';
import { backupIdAt, IN_PROGRESS } from '../../../tasks/gitlab/support-backup.js';
import { compensate, contextFor, rejection, runTask } from '../context.js';
import { tempDir, writeFiles } from '../../support/git-fixtures.js';

/** An instance folder with a little data, config and log. */
function instanceDir(): { root: string; dir: string } {
  const root = tempDir('gravity-backup-');
  const dir = join(root, 'noeud-gitlab-1');
  writeFiles(dir, {
    'mapping-volumes/data/git-data/repositories/a.git/HEAD': 'ref: refs/heads/main\n',
    'mapping-volumes/config/gitlab.rb': "external_url 'http://127.0.0.71'\n",
    'mapping-volumes/log/nginx/current': 'started\n',
  });
  mkdirSync(join(dir, 'bckups'));
  return { root, dir };
}

const input = (dir: string) => ({
  dir,
  mode: 'cold',
  instance: { name: 'alpha' },
  image: 'gitlab/gitlab-ce:17.5.1-ce.0',
  version: '17.5.1',
});

describe('gitlab.backup-copy', () => {
  it('takes the next free id when the second is taken (-2), and writes a manifest true to the files', async () => {
    const { root, dir } = instanceDir();
    const now = Date.now();
    // every id of the next three seconds is taken already: the copy gets a suffix
    const taken = [0, 1000, 2000].map((ms) => backupIdAt(new Date(now + ms)));
    for (const id of taken) mkdirSync(join(dir, 'bckups', id));
    const out = await runTask(gitlabBackupCopy, input(dir), { root });
    expect(out.id).toMatch(/^\d{8}T\d{6}Z-2$/);
    expect(taken).toContain(out.id.slice(0, -2));
    const m = JSON.parse(readFileSync(join(out.dir, 'manifest.json'), 'utf8'));
    expect(m.files.map((f: { path: string }) => f.path).sort()).toEqual([
      'config/gitlab.rb',
      'data/git-data/repositories/a.git/HEAD',
      'log/nginx/current',
    ]);
    const head = m.files.find((f: { path: string }) => f.path.endsWith('HEAD'));
    expect(head.sha256).toBe(createHash('sha256').update('ref: refs/heads/main\n').digest('hex'));
    expect(out.manifestSha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(out.dir, 'manifest.json')))
        .digest('hex'),
    );
    expect(existsSync(join(out.dir, IN_PROGRESS))).toBe(false);
  });

  it("run again after a crash, removes its own incomplete folder, never another run's", async () => {
    const { root, dir } = instanceDir();
    writeFiles(join(dir, 'bckups'), {
      [`20200101T000000Z/${IN_PROGRESS}`]: JSON.stringify({ run: 'test', step: 'step' }),
      '20200101T000000Z/data/x': 'half',
      [`20200101T000001Z/${IN_PROGRESS}`]: JSON.stringify({ run: 'other', step: 'step' }),
    });
    const out = await runTask(gitlabBackupCopy, input(dir), { root });
    expect(readdirSync(join(dir, 'bckups')).sort()).toEqual(['20200101T000001Z', out.id]);
  });

  it('a copy that fails (here cancelled) removes its folder', async () => {
    const { root, dir } = instanceDir();
    const { ctx, controller } = contextFor(gitlabBackupCopy, input(dir), { root });
    controller.abort();
    const e = await rejection(gitlabBackupCopy.run(ctx));
    expect(e.message).toMatch(/the copy into .* failed \(removed\)/);
    expect(readdirSync(join(dir, 'bckups'))).toEqual([]);
  });

  it('rollback removes the backup it made, not a folder whose manifest another wrote', async () => {
    const { root, dir } = instanceDir();
    const a = await runTask(gitlabBackupCopy, input(dir), { root });
    await compensate(gitlabBackupCopy, root, input(dir), a);
    expect(existsSync(a.dir)).toBe(false);
    const b = await runTask(gitlabBackupCopy, input(dir), { root });
    writeFileSync(join(b.dir, 'manifest.json'), '{"format":1}');
    await compensate(gitlabBackupCopy, root, input(dir), b);
    expect(existsSync(b.dir)).toBe(true);
  });

  it('refuses an online copy without the GitLab backup id', async () => {
    const { root, dir } = instanceDir();
    const e = await rejection(runTask(gitlabBackupCopy, { ...input(dir), mode: 'online' }, { root }));
    expect(e.message).toMatch(/an online backup needs gitlabBackupId/);
  });
});

describe('gitlab.prune-backups', () => {
  const complete = (id: string, day: number) => ({
    [`${id}/manifest.json`]: JSON.stringify({ format: 1, id, createdAt: `2026-01-0${day}T00:00:00.000Z`, files: [] }),
  });

  it('keeps the newest complete backups, never an incomplete folder; no keep keeps all', async () => {
    const root = tempDir('gravity-prune-');
    const dir = join(root, 'bckups');
    writeFiles(dir, {
      ...complete('20260101T000000Z', 1),
      ...complete('20260102T000000Z', 2),
      ...complete('20260102T000000Z-2', 3),
      '20250101T000000Z/data/x': 'no manifest',
      '20250102T000000Z/manifest.json': '{"format":1,"id":"another","files":[]}',
    });
    expect(gitlabPruneBackups.plan({ dir, keep: 2 })).toEqual([
      `keep the 2 newest complete backups in ${dir}`,
      `rm -rf ${join(dir, '20260101T000000Z')}`,
    ]);
    expect(await runTask(gitlabPruneBackups, { dir }, { root })).toEqual({
      kept: ['20260101T000000Z', '20260102T000000Z', '20260102T000000Z-2'],
      removed: [],
      incomplete: ['20250101T000000Z', '20250102T000000Z'],
    });
    const out = await runTask(gitlabPruneBackups, { dir, keep: 1 }, { root });
    expect(out.removed).toEqual(['20260101T000000Z', '20260102T000000Z']);
    expect(readdirSync(dir).sort()).toEqual(['20250101T000000Z', '20250102T000000Z', '20260102T000000Z-2']);
    expect(() => gitlabPruneBackups.input.parse({ dir, keep: 0 })).toThrow();
  });
});

describe('gitlab.backup-create', () => {
  it("reads the id from GitLab's last line", () => {
    expect(
      backupIdOf(
        '2026-12-05 12:00:00 UTC -- Dumping database ... \n2026-12-05 12:00:01 UTC -- Backup 1764936000_2026_12_05_17.5.1 is done.\n',
      ),
    ).toBe('1764936000_2026_12_05_17.5.1');
    expect(backupIdOf('Dumping database ... failed')).toBeUndefined();
  });
});
