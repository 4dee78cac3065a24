// Real git repos for the git task tests: a bare remote with one commit and clones of it, in a temp folder.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cleanup, tempRoot } from '../context.js';

/** Identities the fixtures commit as. */
export const ALICE = { name: 'Alice Liddell', email: 'alice@example.test' };
export const BOB = { name: 'Bob Builder', email: 'bob@example.test' };

/** A bare remote and two clones of it (alice and bob), each with its own user config. */
export interface Galaxy {
  root: string;
  remote: string;
  alice: string;
  bob: string;
  dispose(): Promise<void>;
}

/** Runs git in `cwd` and returns its stdout without the final newline; throws on a non-zero exit. */
export function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } }).replace(/\n$/, '');
}

/** Runs git in `cwd` and returns its exit code instead of throwing. */
export function shCode(cwd: string, ...args: string[]): number {
  try {
    sh(cwd, ...args);
    return 0;
  } catch (e) {
    return (e as { status?: number }).status ?? 1;
  }
}

/** Writes `files` into the work tree `dir` (parents created). */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** Writes `files`, stages everything and commits in `dir`; returns the new HEAD. */
export function commit(dir: string, message: string, files: Record<string, string> = {}): string {
  writeFiles(dir, files);
  sh(dir, 'add', '-A');
  sh(dir, 'commit', '-q', '--allow-empty', '-m', message);
  return sh(dir, 'rev-parse', 'HEAD');
}

/** Clones `remote` into `dir` with `who` as the clone's user. */
export function cloneAs(remote: string, dir: string, who: { name: string; email: string }): string {
  sh(dirname(dir), 'clone', '-q', '--template=', remote, dir);
  sh(dir, 'config', 'user.name', who.name);
  sh(dir, 'config', 'user.email', who.email);
  return dir;
}

/** Builds remote.git with one commit by alice, and the alice and bob clones, under `root`. */
function buildGalaxy(root: string, files: Record<string, string>): void {
  const remote = join(root, 'remote.git');
  sh(root, 'init', '-q', '--template=', '--bare', '-b', 'main', remote);
  const alice = cloneAs(remote, join(root, 'alice'), ALICE);
  sh(alice, 'symbolic-ref', 'HEAD', 'refs/heads/main');
  commit(alice, 'initial commit', { 'README.md': 'hello\n', 'notes.txt': 'one\ntwo\nthree\n', ...files });
  sh(alice, 'push', '-q', '-u', 'origin', 'main');
  cloneAs(remote, join(root, 'bob'), BOB);
}

/** Galaxies built once per test file, by extra files; each test gets a copy. */
const templates = new Map<string, Promise<string>>();

/**
 * A galaxy in a fresh temp folder: remote.git (branch main, README.md "hello\n" and notes.txt committed
 * by alice) and clones of it for alice and bob. It is a copy of a template built once per test file (the
 * clones' origin url rewritten), which is much cheaper than a dozen git processes per test.
 * `dispose()` removes it; call `disposeTemplates()` in afterAll.
 */
export async function makeGalaxy(files: Record<string, string> = {}): Promise<Galaxy> {
  const key = JSON.stringify(files);
  let template = templates.get(key);
  if (!template) {
    template = tempRoot().then((dir) => (buildGalaxy(dir, files), dir));
    templates.set(key, template);
  }
  const from = await template;
  const root = await tempRoot();
  await cp(from, root, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  for (const clone of ['alice', 'bob']) {
    const config = join(root, clone, '.git', 'config');
    writeFileSync(config, readFileSync(config, 'utf8').split(from).join(root));
  }
  return { root, remote: join(root, 'remote.git'), alice: join(root, 'alice'), bob: join(root, 'bob'), dispose: () => cleanup(root) };
}

/** Removes the templates `makeGalaxy` built in this test file. */
export async function disposeTemplates(): Promise<void> {
  const dirs = await Promise.all(templates.values());
  templates.clear();
  await Promise.all(dirs.map((d) => cleanup(d)));
}

/** Makes alice and bob both change line two of notes.txt; alice pushes first. Returns alice's pushed sha. */
export function divergeOnNotes(g: Galaxy): string {
  const pushed = commit(g.alice, 'alice edits notes', { 'notes.txt': 'one\nTWO by alice\nthree\n' });
  sh(g.alice, 'push', '-q', 'origin', 'main');
  commit(g.bob, 'bob edits notes', { 'notes.txt': 'one\n2 by bob\nthree\n' });
  return pushed;
}
