// girofle:sync on a folder already in sync with its remote: nothing to save, nothing to push, outcome "clean".
import { call, task } from '../../../engine/index.js';
import { expect, scenario } from '../../galaxy/scenario.js';

export default scenario({
  name: 'girofle sync of a clean folder',
  description:
    'alice has no local change and the remote has nothing new: the sync commits nothing, pushes nothing and says "clean"',
  galaxy: {
    remotes: { origin: { files: { 'notes.txt': 'start\n' } } },
    actors: { alice: {} },
  },
  steps: ({ alice, origin, main }) => [
    call('sync', 'girofle:sync', { dir: '=steps.galaxy.actors.alice.dir' }, { title: 'alice: girofle sync' }),
    task(
      'outcome_clean',
      'assert.expr',
      { expr: 'steps.sync.outcome = "clean" and steps.sync.ahead = 0 and steps.sync.behind = 0' },
      { title: 'the sync says clean, 0 ahead, 0 behind' },
    ),
    task(
      'nothing_else',
      'assert.expr',
      { expr: 'get value(steps.sync, "backup") = null and get value(steps.sync, "attention") = null' },
      { title: 'no backup was made' },
    ),
    expect(alice).toBeClean(),
    expect(alice)
      .commitMessage()
      .toMatch(/^galaxy: initial content/),
    expect(origin).branch(main).toEqual(alice),
  ],
});
