// The shared command runner of the task domains (tasks/support/): results, failures that quote the output, timeouts, cancel, git's environment.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, ErrorCode, exec, GravityError } from '../../../engine/index.js';
import { execCommand, runCommand } from '../../../tasks/support/command.js';
import { formatCommand, lastLines, quoteArg } from '../../../tasks/support/format.js';
import { git, GIT_ENV } from '../../../tasks/support/git.js';
import { tempDir } from '../../support/git-fixtures.js';
import { rejection } from '../context.js';

const ctx = () => ({ exec, signal: new AbortController().signal });

let dir: string;
beforeAll(() => {
  dir = tempDir('gravity-command-');
});

describe('formatCommand, quoteArg and lastLines', () => {
  it('quote only the arguments a shell user would have to quote', () => {
    expect(quoteArg('plain-arg_1.txt')).toBe('plain-arg_1.txt');
    expect(quoteArg('')).toBe("''");
    expect(quoteArg("it's here")).toBe(`'it'\\''s here'`);
    expect(formatCommand('git', ['commit', '-m', 'a message'])).toBe("git commit -m 'a message'");
  });

  it('keep the last non-empty lines', () => {
    expect(lastLines('a\n\nb\r\nc\n  \nd\n', 3)).toBe('b\nc\nd');
    expect(lastLines('')).toBe('');
  });
});

describe('execCommand and runCommand', () => {
  it('return what the command printed', async () => {
    expect(
      await runCommand(ctx(), 'sh', ['-c', 'printf "%s" "$PWD:$GREETING"'], { cwd: dir, env: { GREETING: 'hi' } }),
    ).toBe(`${dir}:hi`);
    expect(await runCommand(ctx(), 'cat', [], { input: 'from stdin' })).toBe('from stdin');
  });

  it('fail on a non-zero exit with the command, the folder, the code and the end of the output', async () => {
    const err = await rejection(runCommand(ctx(), 'sh', ['-c', 'echo out; echo err >&2; exit 3'], { cwd: dir }));
    expect(err.code).toBe(ErrorCode.TaskFailed);
    expect(err.message).toBe(`sh -c 'echo out; echo err >&2; exit 3' in ${dir} exited with code 3:\nout\nerr`);
    expect(err.details).toMatchObject({ command: 'sh', exitCode: 3, stdout: 'out\n', stderr: 'err\n', cwd: dir });
    const quiet = await rejection(runCommand(ctx(), 'sh', ['-c', 'exit 4']));
    expect(quiet.message).toBe(`sh -c 'exit 4' exited with code 4`);
  });

  it('return a non-zero exit as a result with allowFail', async () => {
    const r = await execCommand(ctx(), 'sh', ['-c', 'exit 5'], { allowFail: true });
    expect(r.exitCode).toBe(5);
  });

  it('kill a command that outlives its timeout, and say so', async () => {
    const err = await rejection(execCommand(ctx(), 'sleep', ['5'], { timeoutMs: 200, allowFail: true }));
    expect(err.message).toBe('sleep 5 timed out after 200 ms');
  });

  it('start nothing once the task is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await execCommand({ exec, signal: controller.signal }, 'git', ['status']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as GravityError).message).toBe('cancelled: git status');
  });
});

describe('git', () => {
  it('refuses a stdout longer than the caller accepts rather than return it cut', async () => {
    const err = await rejection(
      runCommand(ctx(), 'sh', ['-c', 'head -c 5000 /dev/zero | tr "\\0" y; echo; echo tail >&2'], {
        maxStdoutBytes: 4096,
      }),
    );
    expect(err.message).toMatch(/printed 5001 bytes, more than the 4096 a command's output may have here$/);
    expect(err.details).toMatchObject({ stdoutBytes: 5001, maxStdoutBytes: 4096, stderr: 'tail\n' });
    expect(await runCommand(ctx(), 'sh', ['-c', 'head -c 4096 /dev/zero'], { maxStdoutBytes: 4096 })).toHaveLength(
      4096,
    );
  });

  it('runs git with its environment: no prompt, no editor, English messages', async () => {
    expect(GIT_ENV).toEqual({ GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', GIT_MERGE_AUTOEDIT: 'no', LC_ALL: 'C' });
    await git(ctx(), dir, ['init', '-q', '-b', 'main', 'repo']);
    expect((await git(ctx(), join(dir, 'repo'), ['var', 'GIT_EDITOR'])).stdout.trim()).toBe('true');
    const err = await rejection(git(ctx(), join(dir, 'repo'), ['rev-parse', '--verify', 'nope']));
    expect(err.message).toMatch(
      new RegExp(
        `^git rev-parse --verify nope in ${join(dir, 'repo')} exited with code 128:\\nfatal: Needed a single revision$`,
      ),
    );
    expect(
      (await git(ctx(), join(dir, 'repo'), ['rev-parse', '--verify', '-q', 'nope'], { allowFail: true })).exitCode,
    ).toBe(1);
  });
});
