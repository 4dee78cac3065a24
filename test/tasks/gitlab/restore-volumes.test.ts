// gitlab.swap-volumes and gitlab.drop-aside on real temp folders: the swap keeps owner, mode and times, goes on from
// each state a crash can leave (a half-built staging folder, moved aside but not swapped in, swapped already), and its
// rollback puts the old volumes back; the drop finishes a deletion begun.
import { chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { gitlabDropAside } from '../../../tasks/gitlab/drop-aside.js';
import { gitlabSwapVolumes } from '../../../tasks/gitlab/swap-volumes.js';
import { tempDir } from '../../support/git-fixtures.js';
import { compensate, runTask } from '../context.js';

const STAMP = '20261205T120000Z';
let root: string;
let dir: string;
let backup: string;

const write = (path: string, content: string) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
};
const head = (sub = 'mapping-volumes') => readFileSync(join(dir, sub, 'data/repo.git/HEAD'), 'utf8');
const entries = () => readdirSync(dir).sort();
const input = () => ({ dir, backup, mode: 'cold' as const, stamp: STAMP });

beforeEach(() => {
  root = tempDir('gravity-restore-');
  dir = join(root, 'noeud-gitlab-1');
  backup = join(dir, 'bckups', STAMP);
  for (const sub of ['data', 'config', 'log']) {
    write(join(dir, 'mapping-volumes', sub, 'old.txt'), `old ${sub}`);
    write(join(backup, sub, 'new.txt'), `new ${sub}`);
  }
  write(join(dir, 'mapping-volumes/data/repo.git/HEAD'), 'old\n');
  write(join(backup, 'data/repo.git/HEAD'), 'backup\n');
});

describe('gitlab.swap-volumes', () => {
  it('swaps the backup in, the old volumes aside, owner, mode and times kept', async () => {
    const f = join(backup, 'data/repo.git/HEAD');
    chownSync(f, 998, 998);
    utimesSync(f, new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'));
    const out = await runTask(gitlabSwapVolumes, input(), { root });
    expect(out).toMatchObject({ aside: join(dir, `mapping-volumes.aside-${STAMP}`), resumed: false, files: 4 });
    expect(entries()).toEqual(['bckups', 'mapping-volumes', `mapping-volumes.aside-${STAMP}`]);
    expect(head()).toBe('backup\n');
    expect(head(`mapping-volumes.aside-${STAMP}`)).toBe('old\n');
    const st = lstatSync(join(dir, 'mapping-volumes/data/repo.git/HEAD'));
    expect([st.uid, st.gid, st.mtime.toISOString()]).toEqual([998, 998, '2024-01-02T03:04:05.000Z']);
    expect(readdirSync(join(dir, 'mapping-volumes/data')).sort()).toEqual(['new.txt', 'repo.git']);
  });

  it('run again after a crash: rebuilds a half-built staging folder, swaps in a built one, finds a swap done', async () => {
    // crashed while copying: the volumes untouched, a partial staging folder
    write(join(dir, `mapping-volumes.restore-${STAMP}/data/partial`), 'x');
    const a = await runTask(gitlabSwapVolumes, input(), { root });
    expect(a.resumed).toBe(true);
    expect(head()).toBe('backup\n');
    expect(readdirSync(join(dir, 'mapping-volumes/data'))).not.toContain('partial');
    // crashed between the two renames: aside, staging, no volumes
    await rename(join(dir, 'mapping-volumes'), join(dir, `mapping-volumes.restore-${STAMP}`));
    const b = await runTask(gitlabSwapVolumes, input(), { root });
    expect(b).toMatchObject({ resumed: true, files: 0 });
    expect(head()).toBe('backup\n');
    // swapped already
    const c = await runTask(gitlabSwapVolumes, input(), { root });
    expect(c).toMatchObject({ resumed: true, files: 0 });
    expect(entries()).toEqual(['bckups', 'mapping-volumes', `mapping-volumes.aside-${STAMP}`]);
    expect(head(`mapping-volumes.aside-${STAMP}`)).toBe('old\n');
  });

  it('rollback puts the old volumes back; with the aside folder gone it keeps the volumes in place', async () => {
    const out = await runTask(gitlabSwapVolumes, input(), { root });
    await compensate(gitlabSwapVolumes, root, input(), out);
    expect(entries()).toEqual(['bckups', 'mapping-volumes']);
    expect(head()).toBe('old\n');
    // run again (a rollback interrupted after its rename): nothing is lost
    await compensate(gitlabSwapVolumes, root, input(), out);
    expect(head()).toBe('old\n');
  });

  it('rollback after a crash between its renames still finds the old volumes', async () => {
    const out = await runTask(gitlabSwapVolumes, input(), { root });
    // the restored volumes renamed out of the way, then the crash
    await rename(join(dir, 'mapping-volumes'), join(dir, `mapping-volumes.restore-${STAMP}`));
    await compensate(gitlabSwapVolumes, root, input(), out);
    expect(entries()).toEqual(['bckups', 'mapping-volumes']);
    expect(head()).toBe('old\n');
  });
});

describe('gitlab.drop-aside', () => {
  it('deletes the aside volumes, and finishes a deletion begun', async () => {
    const { aside } = await runTask(gitlabSwapVolumes, input(), { root });
    expect(await runTask(gitlabDropAside, { aside }, { root })).toEqual({ aside, removed: true });
    expect(entries()).toEqual(['bckups', 'mapping-volumes']);
    // a crash after the rename to drop-<stamp>: the next run deletes it
    write(join(dir, `mapping-volumes.drop-${STAMP}/data/x`), 'x');
    expect(await runTask(gitlabDropAside, { aside }, { root })).toEqual({ aside, removed: false });
    expect(entries()).toEqual(['bckups', 'mapping-volumes']);
    expect(head()).toBe('backup\n');
  });

  it('refuses a folder that is not an aside folder', async () => {
    await expect(runTask(gitlabDropAside, { aside: join(dir, 'mapping-volumes') }, { root })).rejects.toThrow(
      /mapping-volumes\.aside-<stamp>/,
    );
    expect(head()).toBe('old\n');
  });
});
