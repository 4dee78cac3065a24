// girofle:sync when only the local folder moved on: the uncommitted change is saved, and everything is pushed.
import { call, task } from '../../../engine/index.js';
import { expect, scenario } from '../../galaxy/scenario.js';

export default scenario({
  name: 'girofle sync with local changes only',
  description:
    'alice committed once and left an uncommitted edit; the remote did not move: the sync saves the edit and pushes both commits',
  galaxy: {
    remotes: { origin: { files: { 'notes.txt': 'start\n' } } },
    actors: { alice: {} },
  },
  steps: ({ alice, origin, main }) => [
    alice.commit('alice: add todo', { 'todo.txt': 'buy milk\n' }),
    alice.write({ 'notes.txt': 'edited, not committed\n', 'docs/new.txt': 'new\n' }),
    call('sync', 'girofle:sync', { dir: '=steps.galaxy.actors.alice.dir' }, { title: 'alice: girofle sync' }),
    task(
      'outcome_pushed',
      'assert.expr',
      { expr: 'steps.sync.outcome = "pushed" and steps.sync.ahead = 2 and steps.sync.behind = 0' },
      { title: 'the sync pushed 2 commits' },
    ),
    task(
      'no_backup',
      'assert.expr',
      { expr: 'get value(steps.sync, "backup") = null' },
      { title: 'no backup was needed' },
    ),
    expect(alice).toBeClean(),
    expect(alice)
      .commitMessage()
      .toMatch(/^girofle: save \d{4}-\d\d-\d\dT/),
    expect(origin).branch(main).toEqual(alice),
    expect(origin).file('notes.txt', main).toBe('edited, not committed\n'),
    expect(origin).file('docs/new.txt', main).toBe('new\n'),
    expect(origin).file('todo.txt', main).toBe('buy milk\n'),
  ],
});
