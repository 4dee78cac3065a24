// git-flow: a release branch stabilised and tagged, then a hotfix from the tag merged back into main and develop.
import { expect, scenario } from '../scenario.js';

export default scenario({
  name: 'git-flow release and hotfix',
  description:
    'develop gets a feature, release/1.0 is cut, tagged and merged into main; hotfix/1.0.1 starts from the tag and is merged into main and develop',
  galaxy: {
    remotes: {
      origin: { files: { VERSION: '0.9.0\n' }, branches: { develop: { VERSION: '0.9.0\n', CHANGELOG: 'develop\n' } } },
    },
    actors: { dev: { name: 'Dana Dev' }, rm: { name: 'Rita Release' } },
  },
  steps: ({ dev, rm, origin, main }) => [
    dev.checkout('develop', { startPoint: 'origin/develop', create: true }),
    dev.commit('feature: search', { 'search.txt': 'search v1\n' }),
    dev.push({ branch: 'develop' }),
    rm.fetch(),
    rm.checkout('release/1.0', { create: true, startPoint: 'origin/develop' }),
    rm.commit('bump version to 1.0.0', { VERSION: '1.0.0\n' }),
    rm.push({ branch: 'release/1.0', setUpstream: true }),
    rm.checkout(main),
    rm.merge('release/1.0', { noFf: true, message: 'Merge release/1.0' }),
    rm.tag('v1.0.0', { message: 'release 1.0.0' }),
    rm.push({ tags: true }),
    rm.push(),
    expect(origin).branch('v1.0.0').toEqual(rm, main),
    rm.checkout('hotfix/1.0.1', { create: true, startPoint: 'v1.0.0' }),
    rm.commit('fix: search crash', { 'search.txt': 'search v1 (fixed)\n', VERSION: '1.0.1\n' }),
    rm.checkout(main),
    rm.merge('hotfix/1.0.1', { noFf: true, message: 'Merge hotfix/1.0.1' }),
    rm.tag('v1.0.1'),
    rm.checkout('develop', { create: true, startPoint: 'origin/develop' }),
    rm.merge('hotfix/1.0.1', { noFf: true, message: 'Merge hotfix/1.0.1 into develop' }),
    rm.push({ branch: 'develop' }),
    rm.checkout(main),
    rm.push({ tags: true }),
    rm.push(),
    expect(origin).file('VERSION', 'v1.0.1').toBe('1.0.1\n'),
    expect(origin).file('search.txt', 'develop').toBe('search v1 (fixed)\n'),
    expect(origin).file('CHANGELOG', 'develop').toBe('develop\n'),
  ],
});
