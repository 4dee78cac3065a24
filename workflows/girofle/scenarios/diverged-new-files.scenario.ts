// girofle:sync when both sides added different files: the remote gets the files it lacked, the run succeeds.
import { call, task } from '../../../engine/index.js';
import { expect, scenario } from '../../galaxy/scenario.js';

export default scenario({
  name: 'girofle sync of diverged folders with only new files',
  description:
    'alice added a.txt (committed) and docs/b.txt (not committed), bob added c.txt and pushed: the sync swaps in a fresh clone, copies a.txt and docs/b.txt in, commits and pushes them',
  galaxy: {
    remotes: { origin: { files: { 'notes.txt': 'start\n' } } },
    actors: { alice: {}, bob: {} },
  },
  steps: ({ alice, bob, origin, main, folder }) => [
    alice.commit('alice: add a', { 'a.txt': 'from alice\n' }),
    alice.write({ 'docs/b.txt': 'also from alice\n' }),
    bob.commit('bob: add c', { 'c.txt': 'from bob\n' }),
    bob.push(),
    call('sync', 'girofle:sync', { dir: '=steps.galaxy.actors.alice.dir' }, { title: 'alice: girofle sync' }),
    task(
      'outcome_reconciled',
      'assert.expr',
      {
        expr: 'steps.sync.outcome = "reconciled" and steps.sync.ahead = 2 and steps.sync.behind = 1 and steps.sync.added = ["a.txt", "docs/b.txt"] and steps.sync.differing = []',
      },
      { title: 'the sync reconciled and added a.txt and docs/b.txt' },
    ),
    expect(origin).file('a.txt', main).toBe('from alice\n'),
    expect(origin).file('docs/b.txt', main).toBe('also from alice\n'),
    expect(origin).file('c.txt', main).toBe('from bob\n'),
    expect(origin)
      .commitMessage(main)
      .toMatch(/^girofle: add 2 file\(s\) missing on the remote$/),
    expect(alice).branch(main).toEqual(origin),
    expect(alice).toBeClean(),
    expect(folder('alice-backup', '=steps.sync.backup')).file('a.txt').toBe('from alice\n'),
    bob.pull(),
    expect(bob).file('docs/b.txt').toBe('also from alice\n'),
  ],
});
