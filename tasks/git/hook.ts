// Installs a git hook script as a task node: server-side hooks in bare remotes, client-side ones in clones.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { writeFileAtomic } from '../support/files.js';
import { repoDir, requireRepo } from './support.js';

/** The hooks this node installs; any other name is refused. */
export const HOOK_NAMES = ['pre-receive', 'update', 'post-receive', 'pre-commit', 'commit-msg', 'pre-push'] as const;

/** Input of `git.hook`; a script without a `#!` line runs with /bin/sh. */
export const gitHookInput = z.strictObject({
  repo: z.string().min(1).describe('A clone or a bare repository (absolute, or relative to the run root).'),
  hook: z.enum(HOOK_NAMES).describe("The hook's name (pre-commit, pre-receive...)."),
  script: z.string().min(1).describe("The hook's script; one without a `#!` line runs with /bin/sh."),
});

/** Output of `git.hook`: the absolute path of the installed hook. */
export const gitHookOutput = z.object({
  path: z.string().describe('The absolute path of the installed hook.'),
});

/** The file content: the script, with `#!/bin/sh` in front when it has no interpreter line. */
export function hookContent(script: string): string {
  const body = script.endsWith('\n') ? script : `${script}\n`;
  return body.startsWith('#!') ? body : `#!/bin/sh\n${body}`;
}

/** Hooks that run in the repo receiving a push, and those that run in the work tree of a clone. */
const SERVER_HOOKS: ReadonlySet<string> = new Set(['pre-receive', 'update', 'post-receive']);

/** Where the hook goes: `<repo>/hooks/<hook>` in a bare repo, `<repo>/.git/hooks/<hook>` otherwise. */
function hookPath(repo: string, kind: 'bare' | 'work-tree', hook: string): string {
  return kind === 'bare' ? join(repo, 'hooks', hook) : join(repo, '.git', 'hooks', hook);
}

/**
 * Writes the hook script with mode 0755 (atomically: a push never sees half a hook). Writing the same
 * script again changes nothing, so the node is idempotent.
 */
export const gitHook = defineTask({
  id: 'git.hook',
  title: 'Install a git hook',
  description: 'Writes <repo>/hooks/<hook> (bare) or <repo>/.git/hooks/<hook>, mode 0755.',
  input: gitHookInput,
  output: gitHookOutput,
  idempotent: true,
  plan: (i) => [
    `write ${i.hook} hook (${hookContent(i.script).split('\n').length - 1} lines) into ${i.repo}, mode 0755`,
  ],
  async run(ctx) {
    const { hook, script } = ctx.input;
    const repo = repoDir(ctx.root, ctx.input.repo);
    const kind = requireRepo(repo, 'git.hook');
    const path = hookPath(repo, kind, hook);
    if (kind === 'bare' && !SERVER_HOOKS.has(hook)) {
      ctx.log.warn(`${hook} is a client-side hook: it never runs in the bare repository ${repo}`);
    }
    const content = hookContent(script);
    const before = await readFile(path, 'utf8').catch(() => undefined);
    await writeFileAtomic(path, content, 0o755);
    ctx.log.info(
      `${before === undefined ? 'installed' : before === content ? 'kept' : 'replaced'} ${hook} hook ${path}`,
    );
    return { path };
  },
});
