// Expectations of git-workflow scenarios, written like a test framework's: expect(bob).branch('main').toEqual(origin).
import type { Node } from '../../engine/index.js';

/** Makes one assertion step: verb (for the id), task id, input (besides `repo`), title. */
export type MakeStep = (verb: string, src: string, input: Record<string, unknown>, title: string) => Node;

/** Anything with a repo folder (an actor's clone or a remote) and a label. */
interface Repo {
  readonly label: string;
  readonly dir: string;
}

/** Expectations on a branch or ref. */
export interface BranchExpectation {
  /** The ref points at the same commit as `ref` (default: the same name) in `other`. */
  toEqual(other: Repo, ref?: string): Node;
  /** The ref points at this commit (sha or ref of the same repo). */
  toBe(shaOrRef: string): Node;
  toExist(): Node;
  notToExist(): Node;
}

/** Expectations on a tag. */
export interface TagExpectation {
  toExist(): Node;
  notToExist(): Node;
  /** The tag points at this commit (a sha or a ref of the same repo; an annotated tag is peeled to its commit). */
  toPointAt(shaOrRef: string): Node;
}

/** Expectations on a file (working tree, or a commit with `ref`). */
export interface FileExpectation {
  toBe(content: string): Node;
  toContain(text: string): Node;
  toMatch(pattern: RegExp | string): Node;
}

/** Everything expect(repo) offers. */
export interface Expectation {
  branch(ref: string): BranchExpectation;
  tag(name: string): TagExpectation;
  file(path: string, ref?: string): FileExpectation;
  toBeClean(): Node;
  toHaveConflicts(files: string[]): Node;
  toBeAheadBehind(ahead: number, behind: number, o?: { remote?: string; branch?: string }): Node;
  commitMessage(ref?: string): { toMatch(pattern: RegExp | string): Node };
  /** A push of `branch` (default: current) from this clone is refused by the remote. */
  toRejectPush(o?: { remote?: string; branch?: string; force?: boolean }): Node;
}

/**
 * The `matches` / `flags` inputs of a pattern. The assertions always match multi-line (`m`); `i`, `s`, `u` and `v`
 * travel as flags; `g` and `d` change nothing for one test and are dropped; `y` (anchored at the start) is refused.
 */
function pattern(p: RegExp | string): { matches: string; flags?: string; shown: string } {
  if (typeof p === 'string') return { matches: p, shown: `/${p}/` };
  if (p.flags.includes('y'))
    throw new Error(
      `${String(p)}: the sticky flag "y" is not supported by expectations; anchor the pattern with ^ instead`,
    );
  const flags = p.flags.replace(/[dgm]/g, '');
  return { matches: p.source, ...(flags ? { flags } : {}), shown: `/${p.source}/${flags}` };
}

/**
 * A ref as a reader says it, for step titles (diagrams show them): a literal ref as it is, `=defaultBranch` as
 * "default branch", any other FEEL expression as "ref named by <expression>", never as raw FEEL.
 */
export function refWords(ref: string): string {
  if (!ref.startsWith('=')) return ref;
  const expr = ref.slice(1).trim();
  return expr === 'defaultBranch' ? 'default branch' : `ref named by ${expr}`;
}

/** Builds the expectation API over one repo. */
export function expectOn(repo: Repo, step: MakeStep): Expectation {
  const who = repo.label;
  return {
    branch(ref) {
      const head = (verb: string, input: Record<string, unknown>, title: string) =>
        step(verb, 'assert.branch-head', { ref, ...input }, title);
      return {
        toEqual: (other, otherRef = ref) =>
          head(
            'branch_head',
            { equals: otherRef, in: other.dir },
            `expect ${who} ${refWords(ref)} to equal ${other.label} ${refWords(otherRef)}`,
          ),
        toBe: (shaOrRef) =>
          head('branch_head', { equals: shaOrRef }, `expect ${who} ${refWords(ref)} to be ${refWords(shaOrRef)}`),
        toExist: () =>
          step(
            'branch_exists',
            'assert.branch-exists',
            { branch: ref, exists: true },
            `expect ${who} to have branch ${refWords(ref)}`,
          ),
        notToExist: () =>
          step(
            'branch_absent',
            'assert.branch-exists',
            { branch: ref, exists: false },
            `expect ${who} not to have branch ${refWords(ref)}`,
          ),
      };
    },
    tag(name) {
      return {
        toExist: () => step('tag_exists', 'assert.tag', { tag: name }, `expect ${who} to have tag ${name}`),
        notToExist: () =>
          step('tag_absent', 'assert.tag', { tag: name, exists: false }, `expect ${who} not to have tag ${name}`),
        toPointAt: (shaOrRef) =>
          step(
            'tag_points_at',
            'assert.tag',
            { tag: name, pointsAt: shaOrRef },
            `expect ${who} tag ${name} to point at ${refWords(shaOrRef)}`,
          ),
      };
    },
    file(path, ref) {
      const at = ref ? { ref } : {};
      const where = `${who}:${path}${ref ? `@${refWords(ref)}` : ''}`;
      return {
        toBe: (content) =>
          step(
            'file',
            'assert.file-content',
            { path, equals: content, ...at },
            `expect ${where} to be ${JSON.stringify(content)}`,
          ),
        toContain: (text) =>
          step(
            'file',
            'assert.file-content',
            { path, contains: text, ...at },
            `expect ${where} to contain ${JSON.stringify(text)}`,
          ),
        toMatch: (p) => {
          const { shown, ...input } = pattern(p);
          return step('file', 'assert.file-content', { path, ...input, ...at }, `expect ${where} to match ${shown}`);
        },
      };
    },
    toBeClean: () => step('clean', 'assert.tree-clean', {}, `expect ${who} to have a clean tree`),
    toHaveConflicts: (files) =>
      step(
        'conflicts',
        'assert.conflicted',
        { files },
        `expect ${who} to have conflicts in ${files.join(', ') || 'no file'}`,
      ),
    toBeAheadBehind: (ahead, behind, o = {}) =>
      step(
        'ahead_behind',
        'assert.ahead-behind',
        { ahead, behind, ...o },
        `expect ${who} to be ${ahead} ahead, ${behind} behind`,
      ),
    commitMessage: (ref = 'HEAD') => ({
      toMatch: (p) => {
        const { shown, ...input } = pattern(p);
        return step(
          'message',
          'assert.commit-message',
          { ref, ...input },
          `expect ${who} ${refWords(ref)} message to match ${shown}`,
        );
      },
    }),
    toRejectPush: (o = {}) =>
      step(
        'push_refused',
        'assert.push-rejected',
        { ...o },
        `expect ${who} push${o.force ? ' --force' : ''} to be rejected`,
      ),
  };
}
