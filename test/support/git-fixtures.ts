// Temp folders and real git repos for the tests, made and removed one way here instead of in each test file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, onTestFinished, TestRunner } from 'vitest';

/** Who commits in a clone: its local `user.name` and `user.email`. */
export interface Identity {
  name: string;
  email: string;
}

/** Folders made by `tempDir` to last the whole test file. */
const fileDirs: string[] = [];
// vitest evaluates this module again for each test file (isolated workers), so the hook belongs to that file
afterAll(() => {
  for (const dir of fileDirs.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

/**
 * A fresh empty folder `<os temp dir>/<prefix>XXXXXX`, removed without an `afterEach`: made in a test or a
 * `beforeEach` it lasts until that test finishes; made in a `beforeAll` (or asked with `lifetime: 'file'`) it lasts
 * until the test file's last test.
 */
export function tempDir(
  prefix = 'gravity-test-',
  lifetime: 'test' | 'file' = TestRunner.getCurrentTest() ? 'test' : 'file',
): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // retried: a process a test stopped (a supervised command's supervisor) may still be writing its last file there
  if (lifetime === 'test')
    onTestFinished(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }));
  else fileDirs.push(dir);
  return dir;
}

/** Runs git in `cwd` (no prompt, English messages) and returns its stdout as printed; throws on a non-zero exit. */
export function gitOutput(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
  });
}

/** Runs git in `cwd` like `gitOutput` and returns its stdout without the final newline. */
export function git(cwd: string, ...args: string[]): string {
  return gitOutput(cwd, ...args).replace(/\n$/, '');
}

/** Runs git in `cwd` and returns its exit code instead of throwing. */
export function gitCode(cwd: string, ...args: string[]): number {
  try {
    gitOutput(cwd, ...args);
    return 0;
  } catch (e) {
    return (e as { status?: number }).status ?? 1;
  }
}

/** Writes `files` (path relative to `dir` → content) into `dir`, creating parent folders. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** Writes `files` into the work tree `repo`, stages everything and commits it as `message`; returns the new HEAD. */
export function commitFiles(repo: string, message: string, files: Record<string, string> = {}): string {
  writeFiles(repo, files);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '--allow-empty', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

/** Clones `remote` into `dir` (no template hooks) with `who` as the clone's user; returns `dir`. */
export function cloneAs(remote: string, dir: string, who: Identity): string {
  git(dirname(dir), 'clone', '-q', '--template=', remote, dir);
  git(dir, 'config', 'user.name', who.name);
  git(dir, 'config', 'user.email', who.email);
  return dir;
}

/**
 * Makes `root/remote.git`, a bare repo on branch main, and one clone of it per entry of `clones` (folder under
 * `root` → its user). The first clone commits `files` as `message` and pushes main before the others are cloned,
 * so every clone starts at that commit. Returns the remote's path and each clone's path by folder name.
 */
export function bareRemoteWithClones<K extends string>(
  root: string,
  clones: Record<K, Identity>,
  message: string,
  files: Record<string, string>,
): { remote: string; clones: Record<K, string> } {
  const remote = join(root, 'remote.git');
  git(root, 'init', '-q', '--template=', '--bare', '-b', 'main', remote);
  const paths = {} as Record<K, string>;
  const [first, ...rest] = Object.keys(clones) as K[];
  paths[first] = cloneAs(remote, join(root, first), clones[first]);
  git(paths[first], 'symbolic-ref', 'HEAD', 'refs/heads/main');
  commitFiles(paths[first], message, files);
  git(paths[first], 'push', '-q', '-u', 'origin', 'main');
  for (const name of rest) paths[name] = cloneAs(remote, join(root, name), clones[name]);
  return { remote, clones: paths };
}
