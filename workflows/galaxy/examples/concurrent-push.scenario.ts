// Two actors work at the same time on the same base: the first push wins, the second is rejected (non-fast-forward), pulls and pushes again.
import { expect, scenario } from '../scenario.js';

export default scenario({
  name: 'two actors pushing concurrently',
  galaxy: {
    remotes: { origin: { files: { 'notes.txt': 'start\n' } } },
    actors: { alice: {}, bob: {} },
  },
  steps: ({ alice, bob, origin, main }) => [
    alice.commit('alice: add a.txt', { 'a.txt': 'from alice\n' }),
    bob.commit('bob: add b.txt', { 'b.txt': 'from bob\n' }),
    alice.push(),
    bob.push({ expect: 'rejected' }),
    bob.pull({ mode: 'rebase' }),
    bob.push(),
    expect(origin).branch(main).toEqual(bob),
    alice.pull(),
    expect(alice).file('b.txt').toBe('from bob\n'),
    expect(bob).file('a.txt').toBe('from alice\n'),
    expect(alice).branch(main).toEqual(bob),
  ],
});
