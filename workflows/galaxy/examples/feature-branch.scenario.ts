// A feature branch reviewed and merged into the default branch, merge-request style (--no-ff merge by a maintainer).
import { expect, scenario } from '../scenario.js';

export default scenario({
  name: 'feature branch merged into main',
  description:
    'alice pushes a feature branch; bob, the maintainer, merges it with --no-ff and pushes; alice pulls the result',
  galaxy: {
    remotes: { origin: { files: { 'README.md': '# shop\n', 'src/cart.txt': 'empty cart\n' } } },
    actors: { alice: { name: 'Alice Dev' }, bob: { name: 'Bob Maintainer' } },
  },
  steps: ({ alice, bob, origin, main }) => [
    alice.checkout('feature/discount', { create: true }),
    alice.commit('add discounts to the cart', { 'src/cart.txt': 'cart with discounts\n', 'src/discount.txt': '10%\n' }),
    alice.push({ setUpstream: true }),
    expect(origin).branch('feature/discount').toEqual(alice),
    bob.fetch(),
    bob.merge('origin/feature/discount', { noFf: true, message: 'Merge branch feature/discount (MR !1)' }),
    bob.push(),
    expect(bob)
      .commitMessage()
      .toMatch(/^Merge branch feature\/discount/),
    expect(origin).branch(main).toEqual(bob),
    alice.checkout(main),
    alice.pull(),
    expect(alice).file('src/discount.txt').toBe('10%\n'),
    expect(alice).branch(main).toEqual(origin),
    expect(alice).toBeClean(),
  ],
});
