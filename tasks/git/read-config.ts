// Reads git config values of a repository as a task node (identity, a remote's URL...), each under a name of the workflow's choice.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { git } from '../support/git.js';
import { configKey, gitLine, repoDir, requireRepo } from './support.js';

/** A name a FEEL path can reach (`steps.<id>.values.<name>`). */
const VALUE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Input of `git.read-config`: `keys` maps a name of the workflow's choice to a config key, e.g.
 * `{ name: "user.name", url: "remote.origin.url" }`.
 */
export const gitReadConfigInput = z.strictObject({
  repo: z.string().min(1).describe('A repository (absolute, or relative to the run root).'),
  keys: z
    .record(z.string(), configKey)
    .superRefine((keys, c) => {
      if (Object.keys(keys).length === 0) c.addIssue({ code: 'custom', message: 'name at least one key to read' });
      for (const name of Object.keys(keys).filter((n) => !VALUE_NAME.test(n)))
        c.addIssue({
          code: 'custom',
          path: [name],
          message: `"${name}" is not a name a FEEL path can reach: use letters, digits and _, not a digit first (e.g. "email")`,
        });
    })
    .describe(
      'The keys to read, under names of the workflow\'s choice (letters, digits and _), e.g. `{ name: "user.name", url: "remote.origin.url" }`.',
    ),
});

/** Output of `git.read-config`: the absolute repo dir and each name's value, null when the key is not set. */
export const gitReadConfigOutput = z.object({
  repo: z.string().describe('The absolute repo dir.'),
  values: z.record(z.string(), z.string().nullable()).describe("Each name's value; null when the key is not set."),
});

/**
 * Reads each key as git resolves it for this repository (its own config, then the user's and the system's, includes
 * followed): the value a git command run there would use. Reads only.
 */
export const gitReadConfig = defineTask({
  id: 'git.read-config',
  title: 'Read git config values',
  description: 'git config --get <key> for each key; a key that is not set reads as null. Reads only.',
  input: gitReadConfigInput,
  output: gitReadConfigOutput,
  idempotent: true,
  plan: (i) =>
    Object.entries(i.keys)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, key]) => `${gitLine(i.repo, ['config', '--get', key])} (as ${name})`),
  async run(ctx) {
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.read-config');
    const values: Record<string, string | null> = {};
    for (const [name, key] of Object.entries(ctx.input.keys).sort(([a], [b]) => a.localeCompare(b))) {
      const r = await git(ctx, repo, ['config', '--get', key], { allowFail: true });
      // 1: the key is not set; anything else (a broken config file, a bad key) is an error of its own
      if (r.exitCode === 1) values[name] = null;
      else if (r.exitCode === 0) values[name] = r.stdout.replace(/\n$/, '');
      else
        throw new TaskError(
          `git.read-config: git config --get ${key} failed in ${repo} (exit ${r.exitCode}): ${r.stderr.trim()}`,
          { repo, key, exitCode: r.exitCode },
        );
    }
    const unset = Object.keys(values).filter((n) => values[n] === null);
    ctx.log.info(
      `config of ${repo}: read ${Object.keys(values).length} key(s)${unset.length ? `, not set: ${unset.join(', ')}` : ''}`,
    );
    return { repo, values };
  },
});
