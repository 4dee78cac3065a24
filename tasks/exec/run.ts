// Runs one command as a task node: argument array, streamed output, whole process group killed on timeout or cancel.
import { z } from 'zod';
import { defineTask, ErrorCode, TaskError } from '../../engine/index.js';
import { formatCommand, lastLines, quoteArg } from '../support/format.js';

/** Input of `exec.run`. */
export const execRunInput = z.object({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  timeoutMs: z.number().int().positive().optional(),
  /** Declares the command safe to run again after a crash. */
  idempotent: z.boolean().optional(),
  /** Text written to the command's stdin. */
  input: z.string().optional(),
  /** Exit codes besides 0 that count as success. */
  allowedExitCodes: z.array(z.number().int()).optional(),
});

/** Output of `exec.run`. */
export const execRunOutput = z.object({
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
});

/** Runs a command (never through a shell) and fails on a non-zero exit code. */
export const execRun = defineTask({
  id: 'exec.run',
  title: 'Run a command',
  description:
    'Runs a command with an argument array; fails with the exit code and the end of stderr on a non-zero exit.',
  input: execRunInput,
  output: execRunOutput,
  idempotent: (input) => input.idempotent === true,
  plan: (i) => {
    const line = formatCommand(i.command, i.args);
    return [i.cwd ? `(cd ${quoteArg(i.cwd)} && ${line})` : line];
  },
  async run(ctx) {
    const { command, args, cwd, env, timeoutMs, input, allowedExitCodes = [] } = ctx.input;
    const shown = formatCommand(command, args);
    const r = await ctx.exec(command, args, {
      cwd,
      env,
      timeoutMs,
      input,
      signal: ctx.signal,
      onStdout: (c) => ctx.log.stream('stdout', c),
      onStderr: (c) => ctx.log.stream('stderr', c),
    });
    const details = { command, args, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    if (r.timedOut) {
      throw new TaskError(
        `${shown} timed out after ${timeoutMs} ms (process group killed)`,
        { ...details, timeoutMs },
        ErrorCode.Timeout,
      );
    }
    if (r.exitCode !== 0 && !allowedExitCodes.includes(r.exitCode)) {
      const tail = lastLines(r.stderr);
      const how = r.signal ? `was killed by ${r.signal} (exit code ${r.exitCode})` : `exited with code ${r.exitCode}`;
      throw new TaskError(`${shown} ${how}${tail ? `:\n${tail}` : ''}`, details);
    }
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  },
});
