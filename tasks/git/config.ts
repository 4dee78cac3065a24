// Sets local git config values of a repository as a task node (user identity, receive settings, hooks path...).
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { git } from '../support/git.js';
import { configKey, gitLine, repoDir, requireRepo } from './support.js';

/** Input of `git.config`: values written with `git config <key> <value>` into the repo's own config. */
export const gitConfigInput = z.strictObject({
  repo: z.string().min(1).describe('A repository (absolute, or relative to the run root).'),
  values: z
    .record(configKey, z.string())
    .describe('The values to set, by key (`section.name` or `section.subsection.name`).'),
});

/** Output of `git.config`: the absolute repo dir. */
export const gitConfigOutput = z.object({
  repo: z.string().describe('The absolute repo dir.'),
});

/** The `git config` argument lists for the values, in a stable order. */
function configArgs(values: Record<string, string>): string[][] {
  return Object.keys(values)
    .sort()
    .map((key) => ['config', '--local', key, values[key]]);
}

/**
 * Writes each value into the repository's local config. Setting the same values again changes nothing,
 * so the node is idempotent.
 */
export const gitConfig = defineTask({
  id: 'git.config',
  title: 'Set git config values',
  description: 'git config --local <key> <value> for each value, in key order.',
  input: gitConfigInput,
  output: gitConfigOutput,
  idempotent: true,
  plan: (i) => configArgs(i.values).map((args) => gitLine(i.repo, args)),
  async run(ctx) {
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.config');
    const changed: string[] = [];
    const unchanged: string[] = [];
    for (const args of configArgs(ctx.input.values)) {
      const [, , key, value] = args;
      // A key git already holds with this value is left alone: re-running writes nothing.
      const current = await git(ctx, repo, ['config', '--local', '--get', key], { allowFail: true });
      if (current.exitCode === 0 && current.stdout.replace(/\n$/, '') === value) {
        unchanged.push(key);
        continue;
      }
      await git(ctx, repo, args);
      changed.push(key);
    }
    ctx.log.info(
      `config of ${repo}: set ${changed.join(', ') || 'nothing'}${unchanged.length ? `; unchanged ${unchanged.join(', ')}` : ''}`,
    );
    return { repo };
  },
});
