// A `git.clone` killed halfway (SIGKILL of the CLI during the clone) never leaves a half repository that a resume would
// take for a finished clone: the resumed run ends with a complete clone. (Before the fix, the resume "reused" an empty
// repository and the run succeeded without a single commit.)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sequence, task, workflow } from '../../engine/index.js';
import { partialDir } from '../../tasks/git/clone.js';
import { sandbox, waitFor } from '../support/cli.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

describe('a clone killed halfway', () => {
  it('is made again on resume, never taken for a finished one', async () => {
    // given a repository big enough for its clone to take a moment (20 files of 2 MB that do not compress)
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
      workflow({ id: 'test:clone', steps: sequence(task('c', 'git.clone', { url: `file://${src}`, dir })) }),
    );
    // when the CLI is killed while git clones
    const child = sb.spawn(['run', def, '--root', work]);
    const done = sb.collect(child);
    await waitFor(() => existsSync(join(partialDir(dir), '.git')) || existsSync(join(dir, '.git')), 30_000);
    child.kill('SIGKILL');
    await done;
    expect(existsSync(join(dir, '.git'))).toBe(false);
    // then a resume clones again, whole, into dir
    const runId = sb.runIds()[0];
    const resumed = await sb.run('resume', runId, '--root', work);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(git(src, 'rev-parse', 'HEAD'));
    expect(readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(20);
    expect(existsSync(partialDir(dir))).toBe(false);
  }, 90_000);
});
