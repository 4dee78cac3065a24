// A pre-receive hook on the remote refuses force pushes (rewrites) of the default branch; normal pushes go through.
import { expect, scenario } from '../scenario.js';

/** Refuses any update of the default branch that is not a fast-forward. */
export const refuseForcePush = `#!/bin/sh
zero=0000000000000000000000000000000000000000
default=$(git symbolic-ref HEAD)
while read old new ref; do
  if [ "$ref" = "$default" ] && [ "$old" != "$zero" ] && ! git merge-base --is-ancestor "$old" "$new"; then
    echo "pre-receive: force pushes to $ref are not allowed" >&2
    exit 1
  fi
done
exit 0
`;

export default scenario({
  name: 'pre-receive hook refuses force pushes to main',
  galaxy: {
    remotes: { origin: { files: { 'app.conf': 'port=80\n' }, hooks: { 'pre-receive': refuseForcePush } } },
    actors: { alice: {}, mallory: { name: 'Mallory' } },
  },
  steps: ({ alice, mallory, origin, main }) => [
    alice.commit('listen on 8080', { 'app.conf': 'port=8080\n' }),
    alice.push(),
    expect(origin).branch(main).toEqual(alice),
    mallory.commit('rewrite history', { 'app.conf': 'port=22\n' }),
    expect(mallory).toRejectPush({ force: true }),
    mallory.push({ force: true, expect: 'rejected' }),
    expect(origin).branch(main).toEqual(alice),
    expect(origin).file('app.conf', main).toBe('port=8080\n'),
    mallory.pull({ mode: 'rebase' }),
    expect(mallory).toHaveConflicts(['app.conf']),
  ],
});
