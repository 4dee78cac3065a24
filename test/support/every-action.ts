// A scenario that uses every action and every expectation of the authoring API (expectFailure included): what the
// export tests (ids, round trips, readable diagrams) run over besides the examples.
import type { TaskNode } from '../../engine/index.js';
import { expect as expectRepo, expectFailure, scenario } from '../../workflows/galaxy/scenario.js';

/** A scenario that uses every action and every expectation of the authoring API. */
export const everything = scenario({
  name: 'every action and expectation',
  galaxy: { remotes: { origin: { files: { 'README.md': '# r\n' } } }, actors: { alice: {}, bob: {} } },
  steps: ({ alice, bob, origin, main }) => [
    alice.checkout('feature', { create: true, startPoint: main }),
    alice.commit('feat', { 'a.txt': 'a\n' }, { allowEmpty: false }),
    alice.commit('feat, amended', { 'a.txt': 'a2\n' }, { amend: true }),
    alice.push({ setUpstream: true, branch: 'feature' }),
    bob.fetch({ prune: true }),
    bob.pull({ mode: 'rebase' }),
    bob.merge('origin/feature', { noFf: true, message: 'merge feature' }),
    bob.rebase(main),
    bob.rebaseContinue({ 'a.txt': 'resolved\n' }),
    bob.write({ 'b.txt': 'b\n', 'c.txt': null }),
    bob.tag('v1', { message: 'one' }),
    bob.reset('origin/feature', { mode: 'hard' }),
    bob.reset('HEAD~1'),
    bob.config({ 'pull.rebase': 'true' }),
    bob.hook('pre-commit', '#!/bin/sh\nexit 0\n'),
    origin.hook('pre-receive', '#!/bin/sh\nexit 0\n'),
    alice.pushOrRebase(),
    expectFailure(bob.push() as TaskNode, /rejected/),
    expectRepo(alice).branch(main).toEqual(origin),
    expectRepo(alice).branch('feature').toExist(),
    expectRepo(alice).branch('gone').notToExist(),
    expectRepo(bob).tag('v1').toExist(),
    expectRepo(origin).tag('v0').notToExist(),
    expectRepo(bob).tag('v1').toPointAt('HEAD'),
    expectRepo(alice).file('a.txt').toBe('a\n'),
    expectRepo(alice).file('a.txt').toContain('a'),
    expectRepo(alice).file('a.txt', 'feature').toMatch(/^a/),
    expectRepo(alice).toBeClean(),
    expectRepo(bob).toHaveConflicts(['a.txt']),
    expectRepo(bob).toBeAheadBehind(0, 0),
    expectRepo(bob).commitMessage().toMatch(/merge/),
    expectRepo(bob).toRejectPush(),
  ],
});
