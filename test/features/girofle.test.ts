// girofle:sync end to end through the real CLI: the girofle scenarios, then direct runs on plain git repos made here.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, sandbox, type CliResult } from '../support/cli.js';
import { bareRemoteWithClones, commitFiles, gitOutput as git } from '../support/git-fixtures.js';

const REPO = resolve(import.meta.dirname, '../..');

/** Every .ts source the CLI is compiled from, and whether its dist/ counterpart is missing or older. */
function distIsStale(): boolean {
  const walk = (dir: string): string[] =>
    readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? walk(join(dir, e.name))
        : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
          ? [join(dir, e.name)]
          : [],
    );
  return ['cli', 'engine', 'tasks', 'workflows'].flatMap(walk).some((src) => {
    const out = join(REPO, 'dist', src.replace(/\.ts$/, '.js'));
    return !existsSync(out) || statSync(out).mtimeMs < statSync(join(REPO, src)).mtimeMs;
  });
}

beforeAll(() => {
  if (distIsStale())
    execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: REPO,
      stdio: 'inherit',
    });
}, 120_000);

/** A bare remote with notes.txt, and two clones (alice, bob), each with its own identity. */
function galaxy() {
  const sb = sandbox();
  const root = join(sb.base, 'repos');
  mkdirSync(root);
  const user = (who: string) => ({ name: who, email: `${who}@example.org` });
  const {
    remote,
    clones: { alice, bob },
  } = bareRemoteWithClones(root, { alice: user('alice'), bob: user('bob') }, 'start', { 'notes.txt': 'start\n' });
  /** bob writes files, commits and pushes. */
  const bobPushes = (files: Record<string, string>) => {
    commitFiles(bob, 'bob', files);
    git(bob, 'push', '-q', 'origin', 'main');
  };
  const sync = (): Promise<CliResult> => sb.run('run', 'girofle:sync', '--param', `dir=${alice}`, '--json');
  const aside = () => readdirSync(root).filter((f) => /\.(backup|local|incoming)-|girofle-report/.test(f));
  return { sb, root, remote, alice, bob, bobPushes, sync, aside };
}

const read = (...p: string[]) => readFileSync(join(...p), 'utf8');

describe('girofle:sync', () => {
  it('passes every girofle scenario through `gravity test`', () => {
    const sb = sandbox();
    let stdout: string;
    try {
      stdout = execFileSync(process.execPath, [BIN, 'test', 'workflows/girofle', '--reporter', 'json', '--jobs', '3'], {
        cwd: REPO,
        env: { ...process.env, GRAVITY_HOME: sb.dataDir, CI: 'true' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      throw new Error(
        `gravity test failed:\n${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`,
      );
    }
    const report = JSON.parse(stdout) as { results: Array<{ name: string; status: string; message?: string }> };
    expect(report.results.map((r) => r.name).sort()).toEqual([
      'girofle sync of a clean folder',
      'girofle sync of diverged folders with only new files',
      'girofle sync when the remote is ahead',
      'girofle sync with conflicting edits',
      'girofle sync with local changes only',
      'girofle sync with the remote down',
    ]);
    expect(report.results.filter((r) => r.status !== 'passed')).toEqual([]);
  }, 120_000);

  it('pushes local changes when only the folder moved on (exit 0)', async () => {
    const g = galaxy();
    writeFileSync(join(g.alice, 'todo.txt'), 'milk\n');
    const r = await g.sync();
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).output).toEqual({ outcome: 'pushed', ahead: 1, behind: 0 });
    expect(git(g.remote, 'show', 'main:todo.txt')).toBe('milk\n');
    expect(g.aside()).toEqual([]);
  });

  it('takes the remote version when only the remote moved on (exit 0), keeping a dated backup', async () => {
    const g = galaxy();
    g.bobPushes({ 'notes.txt': 'bob edit\n', 'plan.txt': 'plan\n' });
    const r = await g.sync();
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout).output;
    expect(out).toMatchObject({ outcome: 'reconciled', ahead: 0, behind: 1, added: [], differing: [] });
    expect(read(g.alice, 'notes.txt')).toBe('bob edit\n');
    expect(read(g.alice, 'plan.txt')).toBe('plan\n');
    expect(out.backup).toMatch(/alice\.backup-\d{8}T\d{6}$/);
    expect(read(out.backup, 'notes.txt')).toBe('start\n');
    expect(git(g.alice, 'status', '--porcelain')).toBe('');
    // the fresh clone keeps the folder's identity (read with git.read-config)
    expect(git(g.alice, 'config', '--local', 'user.name')).toBe('alice\n');
    expect(git(g.alice, 'config', '--local', 'user.email')).toBe('alice@example.org\n');
  });

  it('counts only the files changed here since the fork as conflicts, even with odd names', async () => {
    const g = galaxy();
    const odd = 'two words\nand a line.txt';
    commitFiles(g.alice, 'alice', { [odd]: 'mine\n' });
    g.bobPushes({ [odd]: 'theirs\n', 'notes.txt': 'bob edit\n' });
    const r = await g.sync();
    expect(r.code, r.stderr).toBe(3);
    const out = JSON.parse(r.stdout).output;
    // notes.txt differs too, but only bob changed it: it is not a conflict
    expect(out).toMatchObject({ outcome: 'needs-attention', differing: [odd] });
    expect(read(out.backup, odd)).toBe('mine\n');
  });

  describe('refuses before changing anything', () => {
    /** Runs sync with `params` and checks: exit 1, the message, no commit made, nothing moved aside. */
    async function refused(g: ReturnType<typeof galaxy>, params: string[], message: RegExp) {
      writeFileSync(join(g.alice, 'notes.txt'), 'precious\n');
      const head = git(g.alice, 'rev-parse', 'HEAD');
      const r = await g.sb.run('run', 'girofle:sync', '--param', `dir=${g.alice}`, ...params, '--json');
      expect(r.code, r.stderr).toBe(1);
      expect(JSON.parse(r.stdout).error.message).toMatch(message);
      expect(git(g.alice, 'rev-parse', 'HEAD')).toBe(head);
      expect(read(g.alice, 'notes.txt')).toBe('precious\n');
      expect(g.aside()).toEqual([]);
    }

    it('a folder that is not a git clone', async () => {
      const g = galaxy();
      const plain = join(g.root, 'plain');
      mkdirSync(plain);
      const r = await g.sb.run('run', 'girofle:sync', '--param', `dir=${plain}`, '--json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).error.message).toContain(`girofle: ${plain} is not a git clone`);
    });

    it('a detached HEAD', async () => {
      const g = galaxy();
      git(g.alice, 'checkout', '-q', '--detach');
      await refused(g, [], /is not on a branch \(detached HEAD\)/);
    });

    it('another branch than the one asked for', async () => {
      const g = galaxy();
      await refused(g, ['--param', 'branch=release'], /is on branch main, not release; check out release first/);
    });

    it('a remote that is not configured', async () => {
      const g = galaxy();
      await refused(g, ['--param', 'remote=backup'], /has no remote backup \(no remote\.backup\.url\)/);
    });
  });

  it('never overwrites conflicting edits: exit 3, a report naming the file, the local version in the backup', async () => {
    const g = galaxy();
    writeFileSync(join(g.alice, 'notes.txt'), 'alice edit\n');
    g.bobPushes({ 'notes.txt': 'bob edit\n' });
    const r = await g.sync();
    expect(r.code, r.stderr).toBe(3);
    const out = JSON.parse(r.stdout).output;
    expect(out).toMatchObject({
      outcome: 'needs-attention',
      ahead: 1,
      behind: 1,
      differing: ['notes.txt'],
      report: `${g.alice}.girofle-report.txt`,
    });
    const report = read(out.report);
    expect(report).toMatch(/^ {2}- notes\.txt$/m);
    expect(report).toContain(out.backup);
    expect(read(out.backup, 'notes.txt')).toBe('alice edit\n');
    expect(read(g.alice, 'notes.txt')).toBe('bob edit\n');
    expect(git(g.remote, 'show', 'main:notes.txt')).toBe('bob edit\n');
  });

  describe('writes next to dir, whatever folder it is run from (its run root is the parent of dir)', () => {
    it('takes a relative dir from the current folder, and puts the backup and moved folders beside it', async () => {
      // given a remote ahead, and the command run from the sandbox (not the parent of the clone) with a relative dir
      const g = galaxy();
      g.bobPushes({ 'notes.txt': 'bob edit\n' });
      const r = await g.sb.run('run', 'girofle:sync', '--param', 'dir=repos/alice/', '--json');
      // then the sync reconciles, with everything aside in repos/, and records the root and the absolute dir
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout);
      expect(res.output.backup).toMatch(new RegExp(`^${g.root}/alice\\.backup-\\d{8}T\\d{6}$`));
      expect(
        g
          .aside()
          .map((f) => f.replace(/-\d{8}T\d{6}$/, ''))
          .sort(),
      ).toEqual(['alice.backup', 'alice.local']);
      expect(g.sb.record(res.runId)).toMatchObject({ root: g.root, params: { dir: g.alice } });
      expect(read(g.alice, 'notes.txt')).toBe('bob edit\n');
    });

    it('says where it writes in describe and --dry-run', async () => {
      const g = galaxy();
      const d = await g.sb.run('describe', 'girofle:sync');
      expect(d.stdout).toContain('root: =dir + "/.." (declared: the folder its file tasks may not write outside of');
      const plan = await g.sb.run('run', 'girofle:sync', '--param', `dir=${g.alice}`, '--dry-run');
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(`root: ${g.root} (declared by girofle:sync)`);
    });

    it('refuses --root (exit 2): the workflow declares its own root', async () => {
      const g = galaxy();
      const r = await g.sb.run('run', 'girofle:sync', '--param', `dir=${g.alice}`, '--root', g.sb.base);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--root cannot be used with girofle:sync: it declares its own root (=dir + "/..")');
      expect(g.sb.runIds()).toEqual([]);
    });

    it('fails to start (exit 2) when the parent of dir does not exist, naming the workflow and the folder', async () => {
      const g = galaxy();
      const gone = join(g.sb.base, 'gone', 'notes');
      const r = await g.sb.run('run', 'girofle:sync', '--param', `dir=${gone}`);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `girofle:sync: its root (=dir + "/..") is ${join(g.sb.base, 'gone')} (from "${gone}/.."), which does not exist; the run is not started`,
      );
      expect(g.sb.runIds()).toEqual([]);
    });
  });

  it('fails with the remote and its URL when the remote is unreachable (exit 1), losing and moving nothing', async () => {
    const g = galaxy();
    writeFileSync(join(g.alice, 'notes.txt'), 'precious\n');
    renameSync(g.remote, `${g.remote}.away`);
    const r = await g.sync();
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe('failed');
    expect(result.error.message).toContain(`girofle: cannot reach remote origin (${g.remote})`);
    expect(result.error.message).toMatch(/nothing was moved/);
    expect(read(g.alice, 'notes.txt')).toBe('precious\n');
    expect(git(g.alice, 'log', '-1', '--format=%s')).toMatch(/^girofle: save /);
    expect(git(g.alice, 'status', '--porcelain')).toBe('');
    expect(g.aside()).toEqual([]);
    expect(readdirSync(g.root).sort()).toEqual(['alice', 'bob', 'remote.git.away']);
  });
});
