// exec.run against real processes: output, failures, streaming, and whole-group kill on timeout and cancel.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, isAlive } from '../../../engine/index.js';
import { execRun } from '../../../tasks/exec/run.js';
import { tempDir } from '../../support/git-fixtures.js';
import { contextFor, rejection, runTask } from '../context.js';

let root: string;
beforeEach(() => {
  root = tempDir('gravity-tasks-');
});

/** True when `pid` is gone or only a zombie waiting to be reaped. */
function isGone(pid: number): boolean {
  if (!isAlive(pid)) return true;
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

const GROUP = ['-c', 'sleep 30 & echo $! > pidfile; wait'];

describe('exec.run', () => {
  it('returns the exit code, stdout and stderr of a successful command', async () => {
    const out = await runTask(execRun, { command: 'sh', args: ['-c', 'echo hello; echo warn >&2'] }, { root });
    expect(out).toEqual({ exitCode: 0, stdout: 'hello\n', stderr: 'warn\n' });
  });

  it('passes stdin, cwd and env to the command', async () => {
    const out = await runTask(
      execRun,
      { command: 'sh', args: ['-c', 'cat; pwd; echo $GRAVITY_X'], input: 'in\n', cwd: root, env: { GRAVITY_X: 'x1' } },
      { root },
    );
    expect(out.stdout).toBe(`in\n${root}\nx1\n`);
  });

  it('fails on a non-zero exit with the command, the exit code and the end of stderr', async () => {
    const { ctx } = contextFor(
      execRun,
      { command: 'sh', args: ['-c', 'echo first >&2; echo boom >&2; exit 3'] },
      { root },
    );
    const err = await rejection(execRun.run(ctx));
    expect(err.code).toBe(ErrorCode.TaskFailed);
    expect(err.message).toMatch(/^sh -c .* exited with code 3:\nfirst\nboom$/);
    expect(err.details).toMatchObject({ exitCode: 3, stdout: '', stderr: 'first\nboom\n' });
  });

  it('accepts an exit code listed in allowedExitCodes', async () => {
    const out = await runTask(execRun, { command: 'sh', args: ['-c', 'exit 1'], allowedExitCodes: [1] }, { root });
    expect(out.exitCode).toBe(1);
  });

  it('streams stdout and stderr to the log as they arrive', async () => {
    const { ctx, lines } = contextFor(
      execRun,
      { command: 'sh', args: ['-c', 'echo out-line; echo err-line >&2'] },
      { root },
    );
    await execRun.run(ctx);
    expect(
      lines
        .filter((l) => l.level === 'stdout')
        .map((l) => l.message)
        .join(''),
    ).toBe('out-line\n');
    expect(
      lines
        .filter((l) => l.level === 'stderr')
        .map((l) => l.message)
        .join(''),
    ).toBe('err-line\n');
  });

  it('reports a command that does not exist as exit code 127', async () => {
    const { ctx } = contextFor(execRun, { command: 'gravity-no-such-command-xyz' }, { root });
    await expect(execRun.run(ctx)).rejects.toThrow(/gravity-no-such-command-xyz exited with code 127/);
  });

  it('kills the whole process group when the command times out', async () => {
    const { ctx } = contextFor(execRun, { command: 'sh', args: GROUP, cwd: root, timeoutMs: 300 }, { root });
    const err = await rejection(execRun.run(ctx));
    expect(err.code).toBe(ErrorCode.Timeout);
    expect(err.message).toMatch(/timed out after 300 ms \(process group killed\)/);
    const grandchild = Number(await readFile(join(root, 'pidfile'), 'utf8'));
    expect(grandchild).toBeGreaterThan(0);
    expect(await waitFor(() => isGone(grandchild))).toBe(true);
  });

  it('kills the whole process group when the step is cancelled', async () => {
    const { ctx, controller } = contextFor(execRun, { command: 'sh', args: GROUP, cwd: root }, { root });
    const running = rejection(execRun.run(ctx));
    const pidfile = join(root, 'pidfile');
    expect(await waitFor(async () => (await readFile(pidfile, 'utf8').catch(() => '')).trim() !== '')).toBe(true);
    const grandchild = Number(await readFile(pidfile, 'utf8'));
    controller.abort();
    const err = await running;
    expect(err.code).toBe(ErrorCode.Cancelled);
    expect(await waitFor(() => isGone(grandchild))).toBe(true);
  });

  it('plans the command line quoted for humans', () => {
    const input = execRun.input.parse({ command: 'echo', args: ['hello world', "it's", '--flag=1'], cwd: '/tmp/a b' });
    expect(execRun.plan(input)).toEqual([`(cd '/tmp/a b' && echo 'hello world' 'it'\\''s' --flag=1)`]);
  });

  it.each([
    [{ command: 'ls' }, false],
    [{ command: 'ls', idempotent: true }, true],
  ])('decides idempotency from the input (%j -> %s)', (raw, expected) => {
    expect(execRun.isIdempotent(execRun.input.parse(raw))).toBe(expected);
  });
});
