// Creates one bare remote of a galaxy: init, initial content and branches pushed from a seed clone, then hooks.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TaskError } from '../../engine/index.js';
import { isStrictlyInside } from '../support/paths.js';
import { filePathProblem, SERVER_HOOKS, type GalaxyBuildInput } from './support-schema.js';
import { GALAXY_IDENTITY, type Git } from './support.js';

type RemoteSpec = GalaxyBuildInput['remotes'][string];

// Writes `files` into the work tree `dir`, refusing any path that would leave it.
async function writeFiles(dir: string, files: Record<string, string>, where: string): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = resolve(dir, path);
    const why = filePathProblem(path) ?? (isStrictlyInside(dir, target) ? undefined : 'it leaves the repo');
    if (why) throw new TaskError(`file path "${path}" of ${where} is not allowed: ${why}`, { path });
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/** Hook text as installed: a `#!/bin/sh` line is added when the script has no shebang. */
export function hookText(script: string): string {
  return script.startsWith('#!') ? script : `#!/bin/sh\n${script}`;
}

/**
 * Creates `<root>/remotes/<name>.git`: a bare repo on `defaultBranch` whose first commit (by "galaxy") holds `files`,
 * one branch per `branches` entry (its files committed on top of the default branch), `http.receivepack` on,
 * and the hooks installed last so they do not judge the seed push. Returns the bare repo's folder.
 */
export async function seedRemote(
  git: Git,
  root: string,
  name: string,
  spec: RemoteSpec,
  defaultBranch: string,
): Promise<string> {
  const bare = join(root, 'remotes', `${name}.git`);
  const seed = join(root, 'seed', name);
  await git(['init', '--quiet', '--bare', '-b', defaultBranch, bare]);
  await git(['config', 'http.receivepack', 'true'], bare);
  await git(['init', '--quiet', '-b', defaultBranch, seed]);
  await writeFiles(seed, spec.files ?? {}, `remote "${name}"`);
  await git(['add', '-A'], seed);
  await git(
    [
      ...GALAXY_IDENTITY,
      'commit',
      '--quiet',
      '--allow-empty',
      '--no-verify',
      '-m',
      `galaxy: initial content of ${name}`,
    ],
    seed,
  );
  for (const [branch, files] of Object.entries(spec.branches ?? {})) {
    if (branch === defaultBranch) {
      await git(['checkout', '--quiet', defaultBranch], seed);
    } else {
      await git(['checkout', '--quiet', '-b', branch, defaultBranch], seed);
    }
    await writeFiles(seed, files, `branch "${branch}" of remote "${name}"`);
    await git(['add', '-A'], seed);
    await git(
      [
        ...GALAXY_IDENTITY,
        'commit',
        '--quiet',
        '--allow-empty',
        '--no-verify',
        '-m',
        `galaxy: branch ${branch} of ${name}`,
      ],
      seed,
    );
  }
  await git(['push', '--quiet', '--no-verify', bare, 'refs/heads/*:refs/heads/*'], seed);
  await rm(seed, { recursive: true, force: true });
  for (const [hook, script] of Object.entries(spec.hooks ?? {})) {
    if (!(SERVER_HOOKS as readonly string[]).includes(hook))
      throw new TaskError(`hook "${hook}" of remote "${name}" is not a server hook`, { hook });
    const path = join(bare, 'hooks', hook);
    await writeFile(path, hookText(script), { mode: 0o755 });
    await chmod(path, 0o755);
  }
  return bare;
}
