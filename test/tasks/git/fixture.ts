// Real git repos for the git task tests: a bare remote with one commit and clones of it, in a temp folder.
import { readFileSync, writeFileSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bareRemoteWithClones, commitFiles, git, tempDir } from '../../support/git-fixtures.js';

// the git task tests know the shared helpers by these names
export {
  cloneAs,
  commitFiles as commit,
  git as sh,
  gitCode as shCode,
  writeFiles,
} from '../../support/git-fixtures.js';

/** Identities the fixtures commit as. */
export const ALICE = { name: 'Alice Liddell', email: 'alice@example.test' };
export const BOB = { name: 'Bob Builder', email: 'bob@example.test' };

/** A bare remote and two clones of it (alice and bob), each with its own user config. */
export interface Galaxy {
  root: string;
  remote: string;
  alice: string;
  bob: string;
  /** Removes the galaxy now; it is removed when the test finishes anyway. */
  dispose(): Promise<void>;
}

/** Builds remote.git with one commit by alice, and the alice and bob clones, under `root`. */
function buildGalaxy(root: string, files: Record<string, string>): void {
  bareRemoteWithClones(root, { alice: ALICE, bob: BOB }, 'initial commit', {
    'README.md': 'hello\n',
    'notes.txt': 'one\ntwo\nthree\n',
    ...files,
  });
}

/** Galaxies built once per test file, by extra files; each test gets a copy. */
const templates = new Map<string, string>();

/**
 * A galaxy in a fresh temp folder: remote.git (branch main, README.md "hello\n" and notes.txt committed
 * by alice) and clones of it for alice and bob. It is a copy of a template built once per test file (the
 * clones' origin url rewritten), which is much cheaper than a dozen git processes per test.
 * Made in a test or a `beforeEach`, it is removed when the test finishes; the templates after the file's last test.
 */
export async function makeGalaxy(files: Record<string, string> = {}): Promise<Galaxy> {
  const key = JSON.stringify(files);
  let from = templates.get(key);
  if (!from) {
    from = tempDir('gravity-tasks-', 'file');
    buildGalaxy(from, files);
    templates.set(key, from);
  }
  const root = tempDir('gravity-tasks-');
  await cp(from, root, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  for (const clone of ['alice', 'bob']) {
    const config = join(root, clone, '.git', 'config');
    writeFileSync(config, readFileSync(config, 'utf8').split(from).join(root));
  }
  return {
    root,
    remote: join(root, 'remote.git'),
    alice: join(root, 'alice'),
    bob: join(root, 'bob'),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

/** Removes the templates `makeGalaxy` built in this test file now; they are removed after its last test anyway. */
export async function disposeTemplates(): Promise<void> {
  const dirs = [...templates.values()];
  templates.clear();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}

/** Makes alice and bob both change line two of notes.txt; alice pushes first. Returns alice's pushed sha. */
export function divergeOnNotes(g: Galaxy): string {
  const pushed = commitFiles(g.alice, 'alice edits notes', { 'notes.txt': 'one\nTWO by alice\nthree\n' });
  git(g.alice, 'push', '-q', 'origin', 'main');
  commitFiles(g.bob, 'bob edits notes', { 'notes.txt': 'one\n2 by bob\nthree\n' });
  return pushed;
}
