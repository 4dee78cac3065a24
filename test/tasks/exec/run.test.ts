// exec.run against real processes: output, failures, streaming, and whole-group kill on timeout and cancel.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, exec, isAlive, OUTPUT_TAIL_BYTES } from '../../../engine/index.js';
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

  it('keeps the last 64 KiB of a longer output with its size, and the whole in the files folder', async () => {
    const filesDir = join(root, 'files');
    const script = `head -c 100000 /dev/zero | tr '\\0' a; echo; echo end; echo oops >&2`;
    const { ctx, lines } = contextFor(execRun, { command: 'sh', args: ['-c', script] }, { root });
    const out = await execRun.run({ ...ctx, filesDir, stepId: 'big step', attempt: 2 });
    const file = join(filesDir, 'big_step.attempt-2.stdout');
    expect(out).toEqual({
      exitCode: 0,
      stdout: `${'a'.repeat(OUTPUT_TAIL_BYTES - 5)}\nend\n`,
      stderr: 'oops\n',
      stdoutTruncated: true,
      stdoutBytes: 100_005,
      stdoutFile: file,
    });
    expect(statSync(file).size).toBe(100_005);
    // a stream that fits writes no file; the live log gets everything
    expect(existsSync(join(filesDir, 'big_step.attempt-2.stderr'))).toBe(false);
    expect(lines.filter((l) => l.level === 'stdout').reduce((n, l) => n + l.message.length, 0)).toBe(100_005);
  });

  it('keeps only the tail when the run has no files folder', async () => {
    const { ctx } = contextFor(
      execRun,
      { command: 'sh', args: ['-c', `head -c 70000 /dev/zero | tr '\\0' z; exit 2`] },
      { root },
    );
    const err = await rejection(execRun.run(ctx));
    expect(err.message).toMatch(
      /exited with code 2:\n…z{500}\n\(stdout was truncated to its last 65536 of 70000 bytes; the rest was not kept\)$/,
    );
    expect(err.details).toMatchObject({ stdoutTruncated: true, stdoutBytes: 70000 });
    expect((err.details as { stdout: string }).stdout).toHaveLength(OUTPUT_TAIL_BYTES);
  });

  it('never cuts a UTF-8 character in two at the start of the tail', async () => {
    // 'é' is 2 bytes: 40000 of them are 80000 bytes, cut at an odd offset from the end
    const r = await exec(
      'sh',
      ['-c', `printf x; i=0; while [ $i -lt 40 ]; do printf '${'é'.repeat(1000)}'; i=$((i+1)); done`],
      {
        tailBytes: 1001,
      },
    );
    expect(r.stdoutBytes).toBe(80_001);
    expect(r.stdout).toBe('é'.repeat(500));
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
