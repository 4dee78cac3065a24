// Rewriting a pushed commit: alice amends it, her plain push is refused, she force-pushes; bob, who had the old commit,
// resets onto the rewritten branch; the release tag goes on the amended commit.
import { expect, scenario } from '../scenario.js';

export default scenario({
  name: 'amend a pushed commit and force-push it',
  galaxy: {
    remotes: { origin: { files: { 'README.md': '# login\n' } } },
    actors: { alice: {}, bob: {} },
  },
  steps: ({ alice, bob, origin }) => [
    alice.checkout('feature/login', { create: true }),
    alice.commit('add login', { 'login.txt': 'form\n' }),
    alice.push({ setUpstream: true }),
    bob.fetch(),
    bob.checkout('feature/login', { create: true, startPoint: 'origin/feature/login' }),
    // the amend replaces the pushed commit: alice's branch and origin's have diverged, one commit each
    alice.commit('add login form with a password field', { 'login.txt': 'form\npassword\n' }, { amend: true }),
    expect(alice).toBeAheadBehind(1, 1),
    expect(alice).toRejectPush(),
    alice.push({ force: true }),
    expect(origin).branch('feature/login').toEqual(alice),
    expect(origin)
      .commitMessage('feature/login')
      .toMatch(/^add login form with a password field$/),
    // bob's branch still has the replaced commit: a pull would merge it back in, a hard reset takes the rewrite
    bob.fetch(),
    expect(bob).toBeAheadBehind(1, 1),
    bob.reset('origin/feature/login', { mode: 'hard' }),
    expect(bob).branch('feature/login').toEqual(origin),
    expect(bob).file('login.txt').toBe('form\npassword\n'),
    alice.tag('v1.0.0', { message: 'login' }),
    alice.push({ tags: true }),
    expect(origin).tag('v1.0.0').toPointAt('feature/login'),
    expect(origin).tag('v0.9.0').notToExist(),
  ],
});
