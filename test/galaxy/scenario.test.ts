// scenario() numbers its steps per scenario (no module state): building one scenario inside another's steps leaves
// both with the ids they would have alone; handle names scenario() passes itself are refused for actors and remotes.
import { describe, expect, it } from 'vitest';
import { listSteps } from '../../engine/index.js';
import { expect as expectRepo, scenario, type Handles } from '../../workflows/galaxy/scenario.js';

const galaxy = { remotes: { origin: {} }, actors: { alice: {} } };
const steps = ({ alice }: Handles) => [
  alice.commit('one', { 'a.txt': 'a\n' }),
  alice.push(),
  expectRepo(alice).toBeClean(),
];
const ids = (s: ReturnType<typeof scenario>) => listSteps(s.definition).map((x) => x.id);

describe('scenario()', () => {
  it('numbers the steps of a scenario from 1, in the order they are written', () => {
    expect(ids(scenario({ name: 'alone', galaxy, steps }))).toEqual([
      'galaxy',
      's1_alice_commit',
      's2_alice_push',
      's3_alice_clean',
      'teardown',
      'teardown_failed',
    ]);
  });

  it('keeps the numbering of a scenario built while another one is being built', () => {
    let inner: ReturnType<typeof scenario> | undefined;
    const outer = scenario({
      name: 'outer',
      galaxy,
      steps: (h) => {
        const first = h.alice.commit('one', { 'a.txt': 'a\n' });
        inner = scenario({ name: 'inner', galaxy, steps });
        return [first, h.alice.push(), expectRepo(h.alice).toBeClean()];
      },
    });
    expect(ids(outer)).toEqual(ids(scenario({ name: 'alone', galaxy, steps })));
    expect(ids(inner!)).toEqual(ids(outer));
  });

  it('gives a folder known only at run time a repo handle for expectations', () => {
    const s = scenario({
      name: 'folder',
      galaxy,
      steps: ({ folder }) => [expectRepo(folder('backup', '=steps.galaxy.root')).file('a.txt').toBe('a\n')],
    });
    expect(listSteps(s.definition).find((x) => x.id === 's1_backup_file')?.state.invoke).toMatchObject({
      src: 'assert.file-content',
      input: { repo: '=steps.galaxy.root', path: 'a.txt' },
    });
  });

  it('tears the galaxy down through cleanup(): teardown after the steps, teardown_failed on a failure or a cancel', () => {
    // given a scenario, when built
    const { states } = scenario({ name: 'alone', galaxy, steps }).definition.machine;
    // then its steps sit in the cleanup <scenario>, whose success, error and cancel paths lead to the teardown copies
    expect(Object.keys(states.scenario.states!)).toEqual([
      's1_alice_commit',
      's2_alice_push',
      's3_alice_clean',
      'scenario_end',
    ]);
    expect(states.scenario).toMatchObject({
      onDone: 'teardown',
      onError: 'teardown_failed',
      on: { 'gravity.cancel': 'teardown_failed' },
    });
    expect(states.teardown_failed).toMatchObject({ invoke: { src: 'galaxy.stop' }, onDone: 'scenario_rethrow' });
    expect(states.scenario_rethrow).toEqual({ type: 'final', meta: { fail: { message: '=error.message' } } });
    // and no step of the scenario carries an onError of its own wiring it to the teardown
    expect(Object.values(states.scenario.states!).some((x) => x.onError !== undefined)).toBe(false);
  });

  it.each(['main', 'folder'])('refuses an actor or a remote named %s with a coded error', (name) => {
    const asActor = () =>
      scenario({ name: 'x', galaxy: { remotes: { origin: {} }, actors: { [name]: {} } }, steps: () => [] });
    const asRemote = () =>
      scenario({ name: 'x', galaxy: { remotes: { [name]: {} }, actors: { alice: {} } }, steps: () => [] });
    for (const make of [asActor, asRemote])
      expect(make).toThrow(
        expect.objectContaining({
          code: 'INVALID_DEFINITION',
          message: expect.stringContaining(`"${name}" cannot name an actor or a remote`),
        }),
      );
  });
});

describe('scenario actions are strict', () => {
  // an option an action does not take would be dropped: the scenario then tests something else than it says
  it.each([
    ['pull', (h: Handles) => h.alice.pull({ rebase: true } as never), 'alice: pull: unknown option "rebase"'],
    [
      'commit',
      (h: Handles) => h.alice.commit('m', {}, { amen: true } as never),
      'alice: commit: unknown option "amen"',
    ],
    [
      'push',
      (h: Handles) => h.alice.push({ forse: true } as never),
      'alice: push: unknown option "forse"; did you mean "force"?',
    ],
    [
      'checkout',
      (h: Handles) => h.alice.checkout('b', { start: 'main' } as never),
      'alice: checkout: unknown option "start"; did you mean "startPoint"?',
    ],
    [
      'commit (amend)',
      (h: Handles) => h.alice.commit('m', {}, { ammend: true } as never),
      'alice: commit: unknown option "ammend"; did you mean "amend"?',
    ],
    ['reset', (h: Handles) => h.alice.reset('HEAD~1', { hard: true } as never), 'alice: reset: unknown option "hard"'],
    [
      'rebase',
      (h: Handles) => h.alice.rebase('main', { timeoutMS: 5 } as never),
      'alice: rebase: unknown option "timeoutMS"; did you mean "timeoutMs"?',
    ],
  ])('refuses an option %s does not take, naming the actor, the action and the closest option', (_a, act, message) => {
    expect(() => scenario({ name: 'typo', galaxy, steps: (h) => [act(h)] })).toThrow(message);
  });

  it('takes every option an action documents', () => {
    const s = scenario({
      name: 'all-options',
      galaxy,
      steps: ({ alice }) => [
        alice.checkout('b', { create: true, startPoint: 'main', title: 'branch off' }),
        alice.commit('m', { 'a.txt': 'a' }, { allowEmpty: true, retry: { max: 2 }, timeoutMs: 1000 }),
        alice.push({ remote: 'origin', branch: 'b', force: true, setUpstream: true, tags: true, expect: 'any' }),
        alice.fetch({ remote: 'origin', prune: true }),
        alice.pull({ remote: 'origin', branch: 'b', mode: 'rebase' }),
        alice.merge('main', { noFf: true, message: 'merge' }),
        alice.tag('v1', { ref: 'HEAD', message: 'one' }),
        alice.commit('m2', {}, { amend: true, allowEmpty: true }),
        alice.reset('HEAD~1', { mode: 'soft', title: 'undo' }),
      ],
    });
    expect(ids(s)).toContain('s7_alice_tag');
    expect(ids(s)).toContain('s8_alice_amend');
    expect(ids(s)).toContain('s9_alice_reset');
  });

  it('compiles amend and reset to git.commit and git.reset with their inputs', () => {
    const s = scenario({
      name: 'rewrite',
      galaxy,
      steps: ({ alice }) => [
        alice.commit('m', { 'a.txt': 'a' }, { amend: true }),
        alice.commit('plain', {}, { amend: false }),
        alice.reset('origin/main', { mode: 'hard' }),
        alice.reset('HEAD~1'),
      ],
    });
    const inputs = listSteps(s.definition)
      .filter((x) => x.src.startsWith('git.'))
      .map((x) => `${x.src} ${JSON.stringify(x.state.invoke!.input)}`);
    expect(inputs).toEqual([
      'git.commit {"repo":"=steps.galaxy.actors.alice.dir","message":"m","files":{"a.txt":"a"},"amend":true}',
      'git.commit {"repo":"=steps.galaxy.actors.alice.dir","message":"plain","files":{}}',
      'git.reset {"repo":"=steps.galaxy.actors.alice.dir","ref":"origin/main","mode":"hard"}',
      'git.reset {"repo":"=steps.galaxy.actors.alice.dir","ref":"HEAD~1"}',
    ]);
  });
});

describe('scenario step titles', () => {
  it('gives every action a title, the author\'s or "<actor>: <verb>" (push, fetch, pull, merge and tag lost theirs)', () => {
    const s = scenario({
      name: 'titles',
      galaxy,
      steps: ({ alice }) => [
        alice.push(),
        alice.fetch(),
        alice.pull(),
        alice.merge('main'),
        alice.tag('v1'),
        alice.push({ title: 'publish' }),
      ],
    });
    const titles = listSteps(s.definition)
      .filter((x) => /^s\d/.test(x.id))
      .map((x) => x.state.meta?.title);
    expect(titles).toEqual(['alice: push', 'alice: fetch', 'alice: pull', 'alice: merge', 'alice: tag', 'publish']);
  });
});
