// girofle:sync — backs a versioned folder up to its remote: save, fetch, push, or reconcile through a fresh clone, never losing a file.
import { attention, decide, fail, sequence, task, workflow, type Definition } from '../../engine/authoring.js';
import { feelLines } from '../feel.js';

/** A step that records the run's result (variable `result`, the workflow output) and says it. */
const finish = (id: string, outcome: string, message: string, extra = '') =>
  task(
    id,
    'log.info',
    { message },
    {
      title: `result: ${outcome}`,
      outputs: { result: `={outcome: "${outcome}", ahead: steps.status.ahead, behind: steps.status.behind${extra}}` },
    },
  );

/** The report written next to the folder when files differ: what, where the local versions are, how to resolve. */
const report = feelLines(
  '"girofle sync report (" + stamp + " UTC)"',
  '""',
  '"folder: " + steps.move_fresh.to',
  '"remote: " + remote + " (" + url + "), branch " + current',
  '""',
  '"These files were changed here and on the remote; girofle did NOT overwrite either version:"',
  'string join(for f in conflicts return "  - " + f, "\\n")',
  '""',
  'steps.move_fresh.to + " now holds the remote version (a fresh clone)."',
  '"Your version of every file is in the backup: " + steps.backup.to',
  '"The previous working folder was moved, untouched, to " + steps.move_local.to',
  '(if count(added) > 0 then "Files only you had were added to the remote: " + string join(added, ", ") else "No file was missing on the remote.")',
  '""',
  '"To resolve: for each file above, compare the backup version with the one in " + steps.move_fresh.to + ","',
  '"merge by hand there, then run girofle:sync again (it commits and pushes)."',
  '"Nothing was deleted: remove the backup and the moved folder yourself once you are done."',
  '""',
);

/** The reconciliation: backup, fresh clone, swap, copy what the remote lacks, report what differs. */
const reconcile = sequence(
  // files the local side changed since it forked from the remote: only those can conflict
  task(
    'local_changes',
    'git.changed',
    { repo: '=folder', base: '="refs/remotes/" + remote + "/" + current' },
    // null when the remote branch was never fetched: then every differing file counts as a conflict
    { title: 'list the files changed locally since the fork point', outputs: { changed: '=output.files' } },
  ),
  task(
    'backup',
    'fs.copy',
    { from: '=folder', to: '=folder + ".backup-" + stamp' },
    { title: 'copy the working folder aside (backup)' },
  ),
  task(
    'identity_read',
    'git.read-config',
    { repo: '=folder', keys: { name: 'user.name', email: 'user.email' } },
    { title: 'read the identity', outputs: { user_name: '=output.values.name', user_email: '=output.values.email' } },
  ),
  decide(
    'identity',
    [
      {
        when: 'user_name != null and user_email != null and user_name != "" and user_email != ""',
        label: 'identity set',
        then: task(
          'clone_as_user',
          'git.clone',
          {
            url: '=url',
            dir: '=folder + ".incoming-" + stamp',
            branch: '=current',
            user: { name: '=user_name', email: '=user_email' },
          },
          { title: 'clone the remote afresh (with the same identity)' },
        ),
      },
    ],
    task(
      'clone',
      'git.clone',
      { url: '=url', dir: '=folder + ".incoming-" + stamp', branch: '=current' },
      { title: 'clone the remote afresh' },
    ),
  ),
  task(
    'move_local',
    'fs.move',
    { from: '=folder', to: '=folder + ".local-" + stamp' },
    { title: 'move the working folder aside' },
  ),
  task(
    'move_fresh',
    'fs.move',
    { from: '=folder + ".incoming-" + stamp', to: '=folder' },
    { title: 'put the fresh clone in its place' },
  ),
  task(
    'compare',
    'git.diff-trees',
    { left: '=steps.backup.to', right: '=folder' },
    {
      title: 'compare the backup with the fresh clone',
      outputs: {
        added: '=output.onlyLeft',
        conflicts:
          '=if changed = null then output.differing else flatten(for f in output.differing return if list contains(changed, f) then [f] else [])',
      },
    },
  ),
  decide(
    'missing',
    [
      {
        when: 'count(added) > 0',
        label: 'some missing',
        then: sequence(
          task(
            'copy_missing',
            'fs.copy-files',
            { from: '=steps.backup.to', to: '=folder', files: '=added' },
            { title: 'copy the files missing on the remote' },
          ),
          task(
            'commit_missing',
            'git.commit',
            {
              repo: '=folder',
              all: true,
              message: '="girofle: add " + string(count(added)) + " file(s) missing on the remote"',
            },
            { title: 'commit them' },
          ),
          task(
            'push_missing',
            'git.push',
            { repo: '=folder', remote: '=remote', branch: '=current' },
            { title: 'push them' },
          ),
        ),
      },
    ],
    undefined,
    'any file missing on the remote?',
  ),
  decide(
    'differ',
    [
      {
        when: 'count(conflicts) > 0',
        label: 'some changed on both sides',
        then: sequence(
          task(
            'report',
            'fs.write',
            { path: '=folder + ".girofle-report.txt"', content: report },
            { title: 'write the report' },
          ),
          attention(
            'needs_attention',
            '="girofle: " + string(count(conflicts)) + " file(s) differ between " + folder + " and " + remote + " (" + string join(conflicts, ", ") + "): your versions are in " + steps.backup.to + "; see " + steps.report.path',
            {
              outcome: 'needs-attention',
              ahead: '=steps.status.ahead',
              behind: '=steps.status.behind',
              added: '=added',
              differing: '=conflicts',
              backup: '=steps.backup.to',
              report: '=steps.report.path',
            },
          ),
        ),
      },
    ],
    finish(
      'reconciled',
      'reconciled',
      '="girofle: " + folder + " is a fresh clone of " + remote + "; " + string(count(added)) + " file(s) added to the remote; backup in " + steps.backup.to',
      ', added: added, differing: [], backup: steps.backup.to',
    ),
    'any file changed on both sides?',
  ),
);

/** The `girofle:sync` workflow. */
export const girofleSync: Definition = workflow({
  id: 'girofle:sync',
  title: 'Back a versioned folder up to its remote (girofle)',
  description:
    'Commits local changes, fetches, pushes when only local is ahead; when the remote moved, keeps a dated backup, swaps in a fresh clone, ' +
    'pushes the files the remote lacked and reports (needs attention) files changed on both sides. Nothing is ever deleted or overwritten.',
  params: {
    // made absolute when the run starts (from the current directory), so `dir=.` and `dir=notes` name the same folder
    dir: { type: 'string', path: true, description: 'the working folder (a git clone)' },
    remote: {
      type: 'string',
      default: 'origin',
      pattern: '^[A-Za-z0-9_][A-Za-z0-9._/-]*$',
      description: 'remote to back up to',
    },
    branch: {
      type: 'string',
      default: '',
      pattern: '^([A-Za-z0-9_][A-Za-z0-9._/-]*)?$',
      description: 'branch to sync (default: the checked-out one)',
    },
  },
  // the backup, the moved folders and the report are siblings of dir: the run root is its parent folder, wherever the
  // command is run from (file tasks may not write outside of it)
  root: '=dir + "/.."',
  steps: sequence(
    task(
      'prepare',
      'log.info',
      { message: '="girofle: syncing " + dir + " with " + remote' },
      {
        title: 'start',
        outputs: { folder: '=replace(dir, "/+$", "")', stamp: '=replace(substring(string(now()), 1, 19), "[-:]", "")' },
      },
    ),
    task(
      'head',
      'git.status',
      { repo: '=folder', remote: '=remote' },
      {
        title: 'read the checked-out branch',
        outputs: { current: '=output.branch' },
        onError: fail('not_a_clone', '="girofle: " + folder + " is not a git clone: " + error.message'),
      },
    ),
    decide('branch_check', [
      {
        when: 'current = "HEAD"',
        label: 'detached HEAD',
        then: fail(
          'not_on_branch',
          '="girofle: " + folder + " is not on a branch (detached HEAD); check out the branch to sync first"',
        ),
      },
      {
        when: 'branch != "" and branch != current',
        label: 'on another branch',
        then: fail(
          'wrong_branch',
          '="girofle: " + folder + " is on branch " + current + ", not " + branch + "; check out " + branch + " first"',
        ),
      },
    ]),
    task(
      'remote_url',
      'git.read-config',
      { repo: '=folder', keys: { url: '="remote." + remote + ".url"' } },
      { title: 'read the remote URL', outputs: { url: '=output.values.url' } },
    ),
    decide('remote_check', [
      {
        when: 'url = null',
        label: 'no such remote',
        then: fail(
          'no_remote',
          '="girofle: " + folder + " has no remote " + remote + " (no remote." + remote + ".url)"',
        ),
      },
    ]),
    task(
      'save',
      'git.commit',
      { repo: '=folder', all: true, message: '="girofle: save " + string(now())' },
      { title: 'save local changes (commit)' },
    ),
    task(
      'fetch',
      'git.fetch',
      { repo: '=folder', remote: '=remote' },
      {
        title: 'fetch the remote',
        onError: fail(
          'unreachable',
          '="girofle: cannot reach remote " + remote + " (" + url + "): " + error.message + "\\nnothing was moved; your changes are committed in " + folder',
        ),
      },
    ),
    task(
      'status',
      'git.status',
      { repo: '=folder', remote: '=remote', branch: '=current' },
      { title: 'compare with the remote (ahead/behind)' },
    ),
    decide(
      'what',
      [
        {
          when: 'steps.status.ahead = 0 and steps.status.behind = 0',
          label: 'in sync',
          then: finish('clean', 'clean', '="girofle: " + folder + " and " + remote + " are in sync"'),
        },
        {
          when: 'steps.status.behind = 0',
          label: 'only ahead',
          then: sequence(
            task(
              'push',
              'git.push',
              { repo: '=folder', remote: '=remote', branch: '=current' },
              { title: 'push local commits' },
            ),
            finish('pushed', 'pushed', '="girofle: pushed " + string(steps.status.ahead) + " commit(s) to " + remote'),
          ),
        },
      ],
      reconcile,
      'in sync, ahead, or behind?',
    ),
  ),
  output: '=result',
});
