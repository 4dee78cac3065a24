// girofle:sync when only the remote moved on: the folder becomes a fresh clone (edits included), a dated backup keeps the old one.
import { call, task } from '../../../engine/index.js';
import { expect, scenario } from '../../galaxy/scenario.js';

export default scenario({
  name: 'girofle sync when the remote is ahead',
  description:
    'bob edited notes.txt and added a file; alice changed nothing: the sync backs her folder up, swaps in a fresh clone, and succeeds (no conflict: she never touched notes.txt)',
  galaxy: {
    remotes: { origin: { files: { 'notes.txt': 'start\n' } } },
    actors: { alice: {}, bob: {} },
  },
  steps: ({ alice, bob, origin, main, folder }) => [
    bob.commit('bob: edit notes, add plan', { 'notes.txt': 'edited by bob\n', 'plan.txt': 'the plan\n' }),
    bob.push(),
    call('sync', 'girofle:sync', { dir: '=steps.galaxy.actors.alice.dir' }, { title: 'alice: girofle sync' }),
    task(
      'outcome_reconciled',
      'assert.expr',
      {
        expr: 'steps.sync.outcome = "reconciled" and steps.sync.ahead = 0 and steps.sync.behind = 1 and steps.sync.added = [] and steps.sync.differing = []',
      },
      { title: 'the sync reconciled: 0 ahead, 1 behind, nothing added, nothing differing' },
    ),
    task(
      'backup_named',
      'assert.expr',
      { expr: 'matches(steps.sync.backup, "\\\\.backup-\\\\d{8}T\\\\d{6}$")' },
      { title: 'the backup is <dir>.backup-<yyyymmddThhmmss>' },
    ),
    expect(alice).file('notes.txt').toBe('edited by bob\n'),
    expect(alice).file('plan.txt').toBe('the plan\n'),
    expect(alice).branch(main).toEqual(origin),
    expect(alice).toBeClean(),
    expect(folder('alice-backup', '=steps.sync.backup')).file('notes.txt').toBe('start\n'),
    expect(origin).branch(main).toEqual(bob),
  ],
});
