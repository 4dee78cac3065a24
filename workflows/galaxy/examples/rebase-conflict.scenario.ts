// A rebase onto an updated main stops on a conflict; a step resolves it and the rebase completes.
import { expect, scenario } from '../scenario.js';

export default scenario({
  name: 'rebase with a conflict resolved by a step',
  galaxy: {
    remotes: { origin: { files: { 'config.yml': 'replicas: 1\n' } } },
    actors: { alice: {}, bob: {} },
  },
  steps: ({ alice, bob, origin, main }) => [
    alice.checkout('scale', { create: true }),
    alice.commit('scale to 3', { 'config.yml': 'replicas: 3\n' }),
    bob.commit('scale to 2', { 'config.yml': 'replicas: 2\n' }),
    bob.push(),
    alice.fetch(),
    alice.rebase('=("origin/" + defaultBranch)'),
    expect(alice).toHaveConflicts(['config.yml']),
    alice.rebaseContinue({ 'config.yml': 'replicas: 3\n' }),
    expect(alice).toHaveConflicts([]),
    expect(alice).file('config.yml').toBe('replicas: 3\n'),
    expect(alice).toBeAheadBehind(1, 0, { branch: main }),
    alice.checkout(main),
    alice.merge('scale'),
    alice.push(),
    expect(origin).file('config.yml', main).toBe('replicas: 3\n'),
  ],
});
