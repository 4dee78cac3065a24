// girofle:sync with an unreachable remote: a clear error naming the remote and its URL, and nothing lost or moved.
import { call, task } from '../../../engine/index.js';
import { expect, expectFailure, scenario } from '../../galaxy/scenario.js';

export default scenario({
  name: 'girofle sync with the remote down',
  description:
    'the bare remote is moved away; alice syncs with a local edit: the sync fails naming origin and its URL, her edit stays committed locally, and no backup or moved folder appears',
  galaxy: {
    remotes: { origin: { files: { 'notes.txt': 'start\n' } } },
    actors: { alice: {} },
  },
  steps: ({ alice }) => [
    alice.write({ 'notes.txt': 'precious local edit\n' }),
    task(
      'remote_away',
      'fs.move',
      { from: '=steps.galaxy.remotes.origin.dir', to: '=steps.galaxy.remotes.origin.dir + ".away"' },
      { title: 'take the remote down (move it away)' },
    ),
    expectFailure(
      call('sync', 'girofle:sync', { dir: '=steps.galaxy.actors.alice.dir' }, { title: 'alice: girofle sync' }),
      /girofle: cannot reach remote origin \(\S+\):[\s\S]*nothing was moved/,
    ),
    task(
      'url_named',
      'assert.expr',
      { expr: 'contains(error.message, steps.galaxy.remotes.origin.url)' },
      { title: 'the error names the remote URL' },
    ),
    expect(alice).file('notes.txt').toBe('precious local edit\n'),
    expect(alice)
      .commitMessage()
      .toMatch(/^girofle: save /),
    expect(alice).toBeClean(),
    task(
      'find_aside',
      'exec.run',
      {
        command: 'find',
        args: [
          '=steps.galaxy.root + "/actors"',
          '-maxdepth',
          '2',
          '(',
          '-name',
          '*.backup-*',
          '-o',
          '-name',
          '*.local-*',
          '-o',
          '-name',
          '*.incoming-*',
          '-o',
          '-name',
          '*.girofle-report.txt',
          ')',
        ],
        idempotent: true,
      },
      { title: 'look for backups or moved folders' },
    ),
    task(
      'nothing_aside',
      'assert.expr',
      { expr: 'steps.find_aside.stdout = ""', message: 'no backup, moved folder or report may exist' },
      { title: 'nothing was copied or moved aside' },
    ),
  ],
});
