// A `git.clone` killed halfway (SIGKILL of the CLI during the clone) never leaves a half repository that a resume would
// take for a finished clone, and its clone is made once: git runs on under the step supervisor, and resume re-attaches
// to it (or adopts its end) and puts the clone in place. When the supervisor died too, the clone is lost and made again,
// whole. (Before the fix, the resume "reused" an empty repository and the run succeeded without a single commit; later,
// a resume raced the first clone, still running as an orphan, over the same folder.)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, sequence, task, workflow } from '../../engine/index.js';
import { partialDir } from '../../tasks/git/clone.js';
import { sandbox, waitFor } from '../support/cli.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

interface CommandJson {
  command: string;
  args: string[];
  pid?: number;
  supervisor: { pid: number };
}

/** A run cloning a repository big enough for its clone to take a moment (20 files of 2 MB that do not compress). */
async function killedWhileCloning() {
  const sb = sandbox();
  const src = join(sb.base, 'src');
  mkdirSync(src);
  git(src, 'init', '-q', '-b', 'main');
  for (let i = 0; i < 20; i++) writeFileSync(join(src, `f${i}.bin`), randomBytes(2_000_000));
  git(src, 'add', '-A');
  git(src, '-c', 'user.name=a', '-c', 'user.email=a@example.test', 'commit', '-qm', 'big');
  const work = join(sb.base, 'work');
  mkdirSync(work);
  const dir = join(work, 'clone');
  const def = sb.writeDefinition(
    'clone',
    workflow({
      id: 'test:clone',
      steps: sequence(task('c', 'git.clone', { url: `file://${src}`, dir, user: { name: 'u', email: 'u@x.test' } })),
    }),
  );
  const child = sb.spawn(['run', def, '--root', work]);
  const done = sb.collect(child);
  const runId = await waitFor(() => sb.runIds()[0]);
  const c1 = join(sb.dataDir, 'files', runId, 'steps', 'c', 'attempt-1', 'c1');
  // when the CLI is killed while git clones
  const command = await waitFor(() => {
    try {
      const c = JSON.parse(readFileSync(join(c1, 'command.json'), 'utf8')) as CommandJson;
      return c.pid !== undefined && existsSync(join(partialDir(dir), '.git')) && c;
    } catch {
      return undefined;
    }
  }, 30_000);
  child.kill('SIGKILL');
  await done;
  // nothing half-made in dir
  expect(existsSync(join(dir, '.git'))).toBe(false);
  return { sb, src, work, dir, runId, c1, command };
}

/** The clone in dir is whole, with its identity, and nothing is left beside it. */
function expectWholeClone(src: string, dir: string) {
  expect(git(dir, 'rev-parse', 'HEAD')).toBe(git(src, 'rev-parse', 'HEAD'));
  expect(readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(20);
  expect(git(dir, 'status', '--porcelain')).toBe('');
  expect(git(dir, 'config', '--local', 'user.email')).toBe('u@x.test');
  expect(existsSync(partialDir(dir))).toBe(false);
}

describe('a clone killed halfway', () => {
  it('is re-attached on resume: the same git clone ends, then the clone is put in place, once', async () => {
    const { sb, src, work, dir, runId, c1, command } = await killedWhileCloning();
    expect(command.command).toBe('git');
    expect(command.args).toContain(partialDir(dir));
    const resumed = await sb.run('resume', runId, '--root', work);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expectWholeClone(src, dir);
    // one git clone in all: the one the killed CLI started (no second attempt, no second clone command)
    expect(JSON.parse(readFileSync(join(c1, 'command.json'), 'utf8')).pid).toBe(command.pid);
    expect(readdirSync(join(c1, '..', '..'))).toEqual(['attempt-1']);
    const journal = sb.journal(runId) as Array<{ type: string; message?: string }>;
    expect(journal.find((e) => e.type === 'run.resumed')?.message).toContain('adopting <c>');
  }, 90_000);

  it('is adopted on resume when git finished meanwhile: renamed into place, no second clone', async () => {
    const { sb, src, work, dir, runId, c1, command } = await killedWhileCloning();
    await waitFor(() => existsSync(join(c1, 'status.json')) || undefined, 30_000);
    expect(isAlive(command.pid!)).toBe(false);
    // git's work is done, but the CLI that would have renamed it is gone
    expect(existsSync(join(partialDir(dir), '.git'))).toBe(true);
    expect(existsSync(dir)).toBe(false);
    const resumed = await sb.run('resume', runId, '--root', work);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expectWholeClone(src, dir);
    expect(readdirSync(join(c1, '..'))).not.toContain('c7');
    expect(JSON.parse(readFileSync(join(c1, 'command.json'), 'utf8')).pid).toBe(command.pid);
  }, 90_000);

  it('is made again, whole, when its supervisor died too (lost, and git.clone is idempotent)', async () => {
    const { sb, src, work, dir, runId, command } = await killedWhileCloning();
    process.kill(command.supervisor.pid, 'SIGKILL');
    await waitFor(() => !isAlive(command.supervisor.pid) || undefined);
    const resumed = await sb.run('resume', runId, '--root', work);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expectWholeClone(src, dir);
    // the lost git was stopped, and a new attempt made the clone from scratch
    expect(isAlive(command.pid!)).toBe(false);
    expect(sb.record(runId).status).toBe('succeeded');
  }, 90_000);
});
