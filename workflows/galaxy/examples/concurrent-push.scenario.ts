// Two actors push at the same moment from the same base: exactly one push wins, the other is rejected, pulls --rebase and pushes.
import { expect, parallel, scenario } from '../scenario.js';

export default scenario({
  name: 'two actors pushing concurrently',
  description:
    'alice and bob commit on the same base and push in parallel; the loser of the race is refused (non-fast-forward or ref lock), rebases on the winner and pushes again',
  galaxy: {
    remotes: { origin: { files: { 'notes.txt': 'start\n' } } },
    actors: { alice: {}, bob: {} },
  },
  steps: ({ alice, bob, origin, main }) => [
    alice.commit('alice: add a.txt', { 'a.txt': 'from alice\n' }),
    bob.commit('bob: add b.txt', { 'b.txt': 'from bob\n' }),
    parallel('race', alice.pushOrRebase(), bob.pushOrRebase()),
    expect(origin).file('a.txt', main).toBe('from alice\n'),
    expect(origin).file('b.txt', main).toBe('from bob\n'),
    expect(origin)
      .commitMessage(main)
      .toMatch(/^(alice|bob): add/),
    alice.pull(),
    bob.pull(),
    expect(alice).branch(main).toEqual(bob),
    expect(alice).branch(main).toEqual(origin),
  ],
});
