// Running git from any task domain (git, assert, galaxy): the shared command runner with git's environment.
import type { ExecResult } from '../../engine/index.js';
import { execCommand, type CommandContext } from './command.js';

/** Environment of every git command: never prompt, never open an editor, English messages to parse. */
export const GIT_ENV: Readonly<Record<string, string>> = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_EDITOR: 'true',
  GIT_MERGE_AUTOEDIT: 'no',
  LC_ALL: 'C',
};

/** Options of one git command. */
export interface GitOptions {
  /** Return a non-zero exit as a result instead of throwing. */
  allowFail?: boolean;
  /** Text written to git's stdin. */
  input?: string;
  /** Kill git after this many ms (a timeout throws). Default: no limit. */
  timeoutMs?: number;
}

/** Runs `git <args>` in `cwd` (the current folder when undefined); a non-zero exit throws a TaskError with the end of its output, unless allowFail. */
export async function git(
  ctx: CommandContext,
  cwd: string | undefined,
  args: string[],
  o: GitOptions = {},
): Promise<ExecResult> {
  return execCommand(ctx, 'git', args, { ...o, cwd, env: { ...GIT_ENV } });
}
