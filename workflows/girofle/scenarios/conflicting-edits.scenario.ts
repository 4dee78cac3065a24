// girofle:sync when both sides edited the same file: nothing is overwritten, a report is written, the run needs attention.
import { call, task } from '../../../engine/index.js';
import { expect, scenario } from '../../galaxy/scenario.js';

export default scenario({
  name: 'girofle sync with conflicting edits',
  description:
    "alice and bob both edited notes.txt, bob pushed first: the sync keeps both versions (remote in the folder, alice's in the backup), still pushes alice's new file, and ends in needs attention with a report",
  galaxy: {
    remotes: { origin: { files: { 'notes.txt': 'start\n', 'shared.txt': 'same\n' } } },
    actors: { alice: {}, bob: {} },
  },
  steps: ({ alice, bob, origin, main, folder }) => [
    alice.write({ 'notes.txt': 'alice version\n', 'alice.txt': 'only alice\n' }),
    bob.commit('bob: edit notes', { 'notes.txt': 'bob version\n' }),
    bob.push(),
    call('sync', 'girofle:sync', { dir: '=steps.galaxy.actors.alice.dir' }, { title: 'alice: girofle sync' }),
    task(
      'outcome_attention',
      'assert.expr',
      {
        expr: 'steps.sync.outcome = "needs-attention" and steps.sync.differing = ["notes.txt"] and steps.sync.added = ["alice.txt"] and steps.sync.ahead = 1 and steps.sync.behind = 1',
      },
      { title: 'the sync needs attention for notes.txt' },
    ),
    task(
      'attention_said',
      'assert.expr',
      { expr: 'contains(steps.sync.attention, "notes.txt") and contains(steps.sync.attention, steps.sync.backup)' },
      { title: 'the attention message names the file and the backup' },
    ),
    task(
      'report_lists_file',
      'exec.run',
      { command: 'grep', args: ['-qxF', '  - notes.txt', '=steps.sync.report'], idempotent: true },
      { title: 'the report lists notes.txt' },
    ),
    task(
      'report_names_backup',
      'exec.run',
      { command: 'grep', args: ['-qF', '=steps.sync.backup', '=steps.sync.report'], idempotent: true },
      { title: 'the report says where the backup is' },
    ),
    expect(folder('alice-backup', '=steps.sync.backup')).file('notes.txt').toBe('alice version\n'),
    expect(alice).file('notes.txt').toBe('bob version\n'),
    expect(origin).file('notes.txt', main).toBe('bob version\n'),
    expect(origin).file('alice.txt', main).toBe('only alice\n'),
    expect(alice).branch(main).toEqual(origin),
  ],
});
