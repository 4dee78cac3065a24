// Git-workflow tests as code: scenario() builds a galaxy, runs actors' git actions and expectations, and tears it down.
import { tmpdir } from 'node:os';
import {
  cleanup,
  decide,
  DefinitionError,
  parallel,
  refuseUnknownOptions,
  sequence,
  task,
  workflow,
  type Definition,
  type Node,
  type TaskNode,
  type TaskOptions,
} from '../../engine/index.js';
import { feelString, pathIn } from '../feel.js';
import { expectOn, type Expectation } from './expect.js';

/** The galaxy of a scenario: bare remotes and the actors working on clones of them. */
export interface GalaxySpec {
  remotes: Record<
    string,
    {
      files?: Record<string, string>;
      hooks?: Record<string, string>;
      branches?: Record<string, Record<string, string>>;
    }
  >;
  actors: Record<string, { name?: string; email?: string; clones?: string[] }>;
}

/** A repo a step acts on: an actor's clone (of a given remote) or a bare remote. */
export interface RepoRef {
  readonly label: string;
  /** FEEL expression of the repo's folder. */
  readonly dir: string;
  /** The step ids of the scenario the repo belongs to. */
  readonly ids: StepIds;
}

/** Numbers the steps of one scenario in the order they are written: `s<n>_<who>_<verb>` (one per scenario, no global state). */
export class StepIds {
  private count = 0;
  /** The next step id, for `who` doing `verb`. */
  next(who: string, verb: string): string {
    return `s${++this.count}_${who}_${verb}`.replace(/[^A-Za-z0-9_-]/g, '_');
  }
}

/**
 * What `steps` receives: one handle per actor and per remote, `main` (the galaxy's default branch) and `folder(label,
 * dir)`, a repo at a folder known only while the scenario runs (a FEEL expression, e.g. `=steps.sync.backup`).
 */
export type Handles = Record<string, Actor & Remote> & { main: string; folder(label: string, dir: string): RepoRef };

/** Handle names taken by scenario() itself: no actor or remote may use them. */
const RESERVED = ['main', 'folder'];

/** Options every action takes: a title for reports, and retries/timeouts like any task. */
export type ActionOptions = Pick<TaskOptions, 'title' | 'retry' | 'timeoutMs'>;
export const ACTION_OPTIONS = ['title', 'retry', 'timeoutMs'] as const;

/** One scenario action: the task node it runs, its arguments, what it does and the options it takes. */
export interface ActionSpec {
  /** The task node the action runs; its options and arguments are that task's input fields of the same names. */
  readonly task: string;
  /** Its positional arguments, in order. */
  readonly args: readonly string[];
  /** What it does, for the README. */
  readonly does: string;
  /** The options it takes besides ACTION_OPTIONS (none for an action without an options object). */
  readonly options: readonly string[];
}

/**
 * The actions of an actor (`alice.push(...)`): the one list of the options each takes, against which each action checks
 * the options it is given (an unknown one is refused, naming the closest) and from which the README's list of actions
 * is generated (`npm run docs`). Each also takes ACTION_OPTIONS.
 */
export const ACTOR_ACTIONS = {
  checkout: {
    task: 'git.checkout',
    args: ['branch'],
    does: 'checks a branch out (`create: true` creates it first)',
    options: ['create', 'startPoint'],
  },
  commit: {
    task: 'git.commit',
    args: ['message', 'files'],
    does: 'writes (a string) or deletes (`null`) `files`, then commits everything; `amend: true` replaces the last commit instead (`git commit --amend`)',
    options: ['allowEmpty', 'amend'],
  },
  reset: {
    task: 'git.reset',
    args: ['ref'],
    does: 'moves the checked-out branch to `ref` (`git reset`), mixed by default',
    options: ['mode'],
  },
  push: {
    task: 'git.push',
    args: [],
    does: "pushes the current branch; `expect: 'rejected'` makes a refusal the expected result",
    options: ['remote', 'branch', 'force', 'setUpstream', 'tags', 'expect'],
  },
  pushOrRebase: {
    task: 'git.push',
    args: [],
    does: 'pushes; if the push is refused (it lost a race), pulls with a rebase and pushes again',
    options: ['remote', 'branch'],
  },
  fetch: { task: 'git.fetch', args: [], does: 'fetches a remote', options: ['remote', 'prune'] },
  pull: {
    task: 'git.pull',
    args: [],
    does: 'pulls (merge or rebase); conflicts are a result',
    options: ['remote', 'branch', 'mode'],
  },
  merge: {
    task: 'git.merge',
    args: ['from'],
    does: 'merges a branch into the current one; conflicts are a result',
    options: ['noFf', 'message'],
  },
  rebase: {
    task: 'git.rebase',
    args: ['onto'],
    does: 'rebases the current branch; conflicts are a result',
    options: [],
  },
  rebaseContinue: {
    task: 'git.rebase',
    args: ['files'],
    does: 'writes `files` (to resolve the conflicts), stages the work tree as it is and continues the rebase',
    options: [],
  },
  write: {
    task: 'fs.write',
    args: ['files'],
    does: 'writes (a string) or deletes (`null`) files without committing',
    options: [],
  },
  tag: { task: 'git.tag', args: ['name'], does: 'tags a commit (HEAD by default)', options: ['ref', 'message'] },
  config: { task: 'git.config', args: ['values'], does: 'sets git config values of the clone', options: [] },
  hook: { task: 'git.hook', args: ['hook', 'script'], does: 'installs a git hook in the clone', options: [] },
} as const satisfies Record<string, ActionSpec>;

/** The actions of a remote (`origin.hook(...)`): they take no options object. */
export const REMOTE_ACTIONS = {
  hook: { task: 'git.hook', args: ['hook', 'script'], does: 'installs a server hook in the bare remote', options: [] },
} as const satisfies Record<string, ActionSpec>;

export type ActorAction = keyof typeof ACTOR_ACTIONS;

/** An actor: a person with a clone of each remote; each method is one git action step. */
export class Actor implements RepoRef {
  constructor(
    readonly name: string,
    readonly dir: string,
    readonly ids: StepIds,
    readonly label: string = name,
  ) {}
  /** Refuses an option `action` does not take (a misspelt option would otherwise be dropped), naming the closest. */
  private options(action: ActorAction, o: object): void {
    refuseUnknownOptions(`${this.label}: ${action}`, o, [...ACTION_OPTIONS, ...ACTOR_ACTIONS[action].options]);
  }
  /** The same actor, acting on its clone of another remote. */
  repo(remote: string): Actor {
    return new Actor(
      this.name,
      `=steps.galaxy.actors.${this.name}.repos.${remote}`,
      this.ids,
      `${this.name}/${remote}`,
    );
  }
  private act(verb: string, src: string, input: Record<string, unknown>, o: ActionOptions = {}): Node {
    refuseUnknownOptions(`${this.label}: ${verb}`, o, ACTION_OPTIONS);
    return task(
      this.ids.next(this.name, verb),
      src,
      { repo: this.dir, ...input },
      // the default title last: actions pass `title: undefined` on when the author gave none
      { ...o, title: o.title ?? `${this.label}: ${verb}` },
    );
  }
  checkout(branch: string, o: ActionOptions & { create?: boolean; startPoint?: string } = {}) {
    this.options('checkout', o);
    const { create, startPoint, ...rest } = o;
    return this.act(
      'checkout',
      'git.checkout',
      { branch, ...(create ? { create } : {}), ...(startPoint ? { startPoint } : {}) },
      rest,
    );
  }
  /**
   * Writes (string) or deletes (null) files, then commits everything with `message`; `amend: true` replaces the last
   * commit instead (pushing it again then takes `push({ force: true })`).
   */
  commit(
    message: string,
    files: Record<string, string | null> = {},
    o: ActionOptions & { allowEmpty?: boolean; amend?: boolean } = {},
  ) {
    this.options('commit', o);
    const { allowEmpty, amend, ...rest } = o;
    return this.act(
      amend ? 'amend' : 'commit',
      'git.commit',
      { message, files, ...(allowEmpty ? { allowEmpty } : {}), ...(amend ? { amend } : {}) },
      rest,
    );
  }
  /** Moves the checked-out branch to `ref` (`git reset`): `mode` soft, mixed (git's default) or hard. */
  reset(ref: string, o: ActionOptions & { mode?: 'soft' | 'mixed' | 'hard' } = {}) {
    this.options('reset', o);
    const { title, retry, timeoutMs, ...input } = o;
    return this.act('reset', 'git.reset', { ref, ...input }, { title, retry, timeoutMs });
  }
  push(
    o: ActionOptions & {
      remote?: string;
      branch?: string;
      force?: boolean;
      setUpstream?: boolean;
      tags?: boolean;
      expect?: 'accepted' | 'rejected' | 'any';
    } = {},
  ) {
    this.options('push', o);
    const { title, retry, timeoutMs, ...input } = o;
    return this.act(o.expect === 'rejected' ? 'push_rejected' : 'push', 'git.push', input, { title, retry, timeoutMs });
  }
  /** What a developer does when a push races another: push; if it was refused, pull --rebase and push again. */
  pushOrRebase(o: ActionOptions & { remote?: string; branch?: string } = {}) {
    this.options('pushOrRebase', o);
    const first = this.push({ ...o, expect: 'any' }) as TaskNode;
    const { title: _t, ...again } = o;
    return sequence(
      first,
      decide(
        this.ids.next(this.name, 'lost_race'),
        [
          {
            when: `steps.${first.id}.rejected`,
            label: 'push refused',
            then: sequence(this.pull({ mode: 'rebase', ...again }), this.push(again)),
          },
        ],
        undefined,
        `${this.label}: lost the race?`,
      ),
    );
  }
  fetch(o: ActionOptions & { remote?: string; prune?: boolean } = {}) {
    this.options('fetch', o);
    const { title, retry, timeoutMs, ...input } = o;
    return this.act('fetch', 'git.fetch', input, { title, retry, timeoutMs });
  }
  pull(o: ActionOptions & { remote?: string; branch?: string; mode?: 'merge' | 'rebase' } = {}) {
    this.options('pull', o);
    const { title, retry, timeoutMs, ...input } = o;
    return this.act('pull', 'git.pull', input, { title, retry, timeoutMs });
  }
  merge(from: string, o: ActionOptions & { noFf?: boolean; message?: string } = {}) {
    this.options('merge', o);
    const { title, retry, timeoutMs, ...input } = o;
    return this.act('merge', 'git.merge', { from, ...input }, { title, retry, timeoutMs });
  }
  rebase(onto: string, o: ActionOptions = {}) {
    this.options('rebase', o);
    return this.act('rebase', 'git.rebase', { onto, action: 'start' }, o);
  }
  /** Stages the working tree as it is (after resolving conflicts) and continues the rebase. */
  rebaseContinue(files: Record<string, string | null> = {}, o: ActionOptions = {}) {
    this.options('rebaseContinue', o);
    return sequence(this.write(files), this.act('rebase_continue', 'git.rebase', { action: 'continue' }, o));
  }
  /** Writes files without committing (to resolve conflicts, or to leave local changes). */
  write(files: Record<string, string | null>, o: ActionOptions = {}) {
    this.options('write', o);
    const entries = Object.entries(files);
    if (!entries.length) return this.act('noop', 'log.info', { message: 'nothing to write' }, o);
    return sequence(
      ...entries.map(([path, content]) =>
        content === null
          ? task(
              this.ids.next(this.name, 'delete'),
              'fs.remove',
              { path: pathIn(this.dir, path) },
              { title: `${this.label}: delete ${path}` },
            )
          : task(
              this.ids.next(this.name, 'write'),
              'fs.write',
              { path: pathIn(this.dir, path), content },
              { title: `${this.label}: write ${path}` },
            ),
      ),
    );
  }
  tag(name: string, o: ActionOptions & { ref?: string; message?: string } = {}) {
    this.options('tag', o);
    const { title, retry, timeoutMs, ...input } = o;
    return this.act('tag', 'git.tag', { name, ...input }, { title, retry, timeoutMs });
  }
  config(values: Record<string, string>, o: ActionOptions = {}) {
    this.options('config', o);
    return this.act('config', 'git.config', { values }, o);
  }
  hook(hook: string, script: string, o: ActionOptions = {}) {
    this.options('hook', o);
    return this.act('hook', 'git.hook', { hook, script }, o);
  }
}

/** A bare remote of the galaxy: hooks can be installed, expectations can read it. */
export class Remote implements RepoRef {
  readonly dir: string;
  constructor(
    readonly label: string,
    readonly ids: StepIds,
  ) {
    this.dir = `=steps.galaxy.remotes.${label}.dir`;
  }
  hook(hook: string, script: string) {
    return task(
      this.ids.next(this.label, 'hook'),
      'git.hook',
      { repo: this.dir, hook, script },
      { title: `${this.label}: install ${hook} hook` },
    );
  }
}

export { parallel };

/** Starts an expectation on a repo (actor clone or remote), like `expect(x)` in a test framework. */
export function expect(repo: RepoRef): Expectation {
  return expectOn(repo, (verb, src, input, title) =>
    task(repo.ids.next(repo.label.replace('/', '_'), verb), src, { repo: repo.dir, ...input }, { title }),
  );
}

/**
 * Expects `step` (a task or a `call`) to fail with an error matching `pattern`: the scenario goes on when it
 * does, and fails (through the clean-up) when the step succeeds or fails with another error.
 */
export function expectFailure(step: TaskNode, pattern: RegExp | string): Node {
  const src = typeof pattern === 'string' ? pattern : pattern.source;
  const flags = typeof pattern === 'string' ? '' : pattern.flags.replace(/[^ims]/g, '');
  const check = task(
    `${step.id}_error`,
    'assert.expr',
    {
      expr: `matches(error.message, ${feelString(src)}${flags ? `, ${feelString(flags)}` : ''})`,
      message: `="expected <${step.id}> to fail with /" + ${feelString(src)} + "/, it failed with: " + error.message`,
    },
    { title: `expect ${step.id} to fail with /${src}/` },
  );
  return sequence(
    { ...step, options: { ...step.options, onError: check } },
    task(
      `${step.id}_failed`,
      'assert.expr',
      {
        expr: `get value(steps, ${feelString(step.id)}) = null`,
        message: `expected <${step.id}> to fail, but it succeeded`,
      },
      { title: `expect ${step.id} to have failed` },
    ),
  );
}

/** A scenario: a name, its galaxy and its steps. Compiles to an ordinary workflow (`definition`). */
export interface Scenario {
  name: string;
  description?: string;
  definition: Definition;
}

/** What scenario() takes. */
export interface ScenarioSpec {
  /** Human name, used in reports and as the workflow title. */
  name: string;
  /** Workflow id; default `galaxy:<name as kebab-case>`. */
  id?: string;
  description?: string;
  galaxy: GalaxySpec;
  steps: (h: Handles) => Node[];
}

/** Builds a scenario. Transport, default branch and keep are params, so one definition runs in every "universe". */
export function scenario(spec: ScenarioSpec): Scenario {
  for (const name of [...Object.keys(spec.galaxy.remotes), ...Object.keys(spec.galaxy.actors)]) {
    if (RESERVED.includes(name))
      throw new DefinitionError(
        `scenario "${spec.name}": "${name}" cannot name an actor or a remote (scenario() passes its own ${name})`,
        { name },
      );
  }
  const ids = new StepIds();
  const handles: Record<string, unknown> = {
    main: '=defaultBranch',
    folder: (label: string, dir: string): RepoRef => ({ label, dir, ids }),
  };
  for (const r of Object.keys(spec.galaxy.remotes)) handles[r] = new Remote(r, ids);
  for (const a of Object.keys(spec.galaxy.actors)) handles[a] = new Actor(a, `=steps.galaxy.actors.${a}.dir`, ids);
  const steps = spec.steps(handles as Handles);
  const id =
    spec.id ??
    `galaxy:${spec.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')}`;
  const teardown = task(
    'teardown',
    'galaxy.stop',
    { servers: '=steps.galaxy.servers', root: '=steps.galaxy.root', keep: '=keep' },
    { title: 'tear the galaxy down' },
  );
  const def = workflow({
    id,
    title: spec.name,
    ...(spec.description ? { description: spec.description } : {}),
    // galaxy.build makes its galaxy in the temp folder: the steps' writes (write, expectations, moves) go there
    root: tmpdir(),
    params: {
      transport: {
        type: 'string',
        enum: ['file', 'daemon', 'http'],
        default: 'file',
        description: 'how actors reach the remotes',
      },
      defaultBranch: {
        type: 'string',
        default: 'main',
        pattern: '^[A-Za-z0-9._/-]+$',
        description: 'default branch of every remote',
      },
      keep: { type: 'boolean', default: false, description: 'leave the galaxy on disk to inspect it' },
    },
    steps: sequence(
      task(
        'galaxy',
        'galaxy.build',
        {
          name: id,
          transport: '=transport',
          defaultBranch: '=defaultBranch',
          keep: '=keep',
          remotes: spec.galaxy.remotes,
          actors: spec.galaxy.actors,
        },
        { title: 'build the galaxy' },
      ),
      // the galaxy is torn down whatever the steps do (teardown, or teardown_failed then the run fails with their error)
      steps.length ? cleanup('scenario', sequence(...steps), teardown, 'the scenario steps') : teardown,
    ),
    output: { root: '=steps.galaxy.root' },
  });
  return { name: spec.name, ...(spec.description ? { description: spec.description } : {}), definition: def };
}
