// Runs one command as a task node: argument array, streamed output, whole process group killed on timeout or cancel.
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, ErrorCode, OUTPUT_TAIL_BYTES, TaskError, type ExecResult } from '../../engine/index.js';
import { formatCommand, lastLines, quoteArg } from '../support/format.js';

/** Input of `exec.run`. */
export const execRunInput = z
  .strictObject({
    command: z.string().min(1).describe('The program to run (looked up in PATH); never a shell string.'),
    args: z.array(z.string()).default([]).describe('Its arguments, one element each (no shell quoting).'),
    cwd: z.string().optional().describe('The folder the command runs in.'),
    env: z.record(z.string(), z.string()).optional().describe('Environment variables set for the command.'),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Kill the whole process group after this many milliseconds (the step then fails).'),
    idempotent: z.boolean().optional().describe('Declares the command safe to run again after a crash.'),
    supervised: z
      .boolean()
      .optional()
      .describe(
        'Run the command under the step supervisor (default true): it outlives the engine, and a resume after a crash or a SIGHUP adopts its end or re-attaches to it. `false` saves a few milliseconds per step for short commands.',
      ),
    input: z.string().optional().describe("Text written to the command's stdin."),
    allowedExitCodes: z.array(z.number().int()).optional().describe('Exit codes besides 0 that count as success.'),
  })
  // what `gravity tasks` and the README say of its idempotence and supervision, which depend on the input
  .meta({ idempotent: 'only with `idempotent: true`', supervised: 'unless `supervised: false`' });

/**
 * Output of `exec.run`. A stream longer than OUTPUT_TAIL_BYTES (64 KiB) keeps only its end in `stdout` / `stderr`,
 * with `<stream>Truncated: true`, its size in `<stream>Bytes` and, when the run has a files folder, the file holding
 * all of it in `<stream>File`; those fields are absent when the stream was kept whole.
 */
export const execRunOutput = z.object({
  exitCode: z.number().int().describe("The command's exit code."),
  stdout: z.string().describe('What it printed on stdout: all of it, or its last 64 KiB when it printed more.'),
  stderr: z.string().describe('What it printed on stderr: all of it, or its last 64 KiB when it printed more.'),
  stdoutTruncated: z.literal(true).optional().describe('Present when stdout was cut to its last 64 KiB.'),
  stdoutBytes: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('The whole size of stdout, in bytes, when it was cut.'),
  stdoutFile: z
    .string()
    .optional()
    .describe('The file holding the whole of stdout, when it was cut and the run has a files folder.'),
  stderrTruncated: z.literal(true).optional().describe('Present when stderr was cut to its last 64 KiB.'),
  stderrBytes: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('The whole size of stderr, in bytes, when it was cut.'),
  stderrFile: z
    .string()
    .optional()
    .describe('The file holding the whole of stderr, when it was cut and the run has a files folder.'),
});

type ExecRunOutput = z.infer<typeof execRunOutput>;

/** The step output of a finished command: its streams, and for a truncated one its size and where it is whole. */
function outputOf(r: ExecResult): ExecRunOutput {
  const o: ExecRunOutput = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  if (r.stdoutTruncated)
    Object.assign(
      o,
      { stdoutTruncated: true, stdoutBytes: r.stdoutBytes },
      r.stdoutFile && { stdoutFile: r.stdoutFile },
    );
  if (r.stderrTruncated)
    Object.assign(
      o,
      { stderrTruncated: true, stderrBytes: r.stderrBytes },
      r.stderrFile && { stderrFile: r.stderrFile },
    );
  return o;
}

/** What a failure says of truncated output: its size and where the whole is (or that it was not kept). */
function truncationNote(r: ExecResult): string {
  const notes = (['stdout', 'stderr'] as const).flatMap((s) => {
    if (!r[`${s}Truncated`]) return [];
    const file = r[`${s}File`];
    return [
      `${s} was truncated to its last ${OUTPUT_TAIL_BYTES} of ${r[`${s}Bytes`]} bytes; ${file ? `full log: ${file}` : 'the rest was not kept'}`,
    ];
  });
  return notes.length ? `\n(${notes.join('; ')})` : '';
}

/** How many characters of each output line a failure message quotes at most (one huge line would swamp it). */
const QUOTED_LINE_CHARS = 500;

/** `text` with each line longer than QUOTED_LINE_CHARS cut to its end, after an ellipsis. */
function clip(text: string): string {
  return text
    .split('\n')
    .map((l) => (l.length > QUOTED_LINE_CHARS ? `…${l.slice(-QUOTED_LINE_CHARS)}` : l))
    .join('\n');
}

/** A file name for a step's output: its id (attempt after the first appended), safe as one path segment. */
function logName(stepId: string, attempt: number): string {
  const safe = stepId.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_');
  return attempt > 1 ? `${safe}.attempt-${attempt}` : safe;
}

/** Runs a command (never through a shell) and fails on a non-zero exit code. */
export const execRun = defineTask({
  id: 'exec.run',
  title: 'Run a command',
  description:
    'Runs a command with an argument array (never through a shell) under the step supervisor: it outlives the CLI, and resume adopts its end or re-attaches to it (`supervised: false` saves that cost, about 1 ms, for short commands). A non-zero exit fails, with the exit code and the end of stderr (of stdout when stderr is empty) and where a truncated output is whole. A stream over 64 KiB keeps its last 64 KiB, with `stdoutTruncated: true`, `stdoutBytes` (its size) and `stdoutFile` (the whole of it, in `<data dir>/files/<run>/steps/<step>/attempt-<n>/c1/stdout`; likewise for stderr). The whole process group is killed on cancel or timeout.',
  input: execRunInput,
  output: execRunOutput,
  idempotent: (input) => input.idempotent === true,
  supervised: (input) => input.supervised !== false,
  plan: (i) => {
    const line = formatCommand(i.command, i.args);
    return [i.cwd ? `(cd ${quoteArg(i.cwd)} && ${line})` : line];
  },
  async run(ctx) {
    const { command, args, cwd, env, timeoutMs, input, allowedExitCodes = [] } = ctx.input;
    const shown = formatCommand(command, args);
    const base = ctx.filesDir ? join(ctx.filesDir, logName(ctx.stepId, ctx.attempt)) : undefined;
    const r = await ctx.exec(command, args, {
      cwd,
      env,
      timeoutMs,
      input,
      signal: ctx.signal,
      onStdout: (c) => ctx.log.stream('stdout', c),
      onStderr: (c) => ctx.log.stream('stderr', c),
      tailBytes: OUTPUT_TAIL_BYTES,
      ...(base ? { outputFiles: { stdout: `${base}.stdout`, stderr: `${base}.stderr` } } : {}),
    });
    const details = { command, args, ...outputOf(r) };
    if (r.timedOut) {
      throw new TaskError(
        `${shown} timed out after ${timeoutMs} ms (process group killed)${truncationNote(r)}`,
        { ...details, timeoutMs },
        ErrorCode.Timeout,
      );
    }
    if (r.exitCode !== 0 && !allowedExitCodes.includes(r.exitCode)) {
      // the end of stderr; of stdout when stderr is empty
      const tail = clip(lastLines(r.stderr) || lastLines(r.stdout));
      const how = r.signal ? `was killed by ${r.signal} (exit code ${r.exitCode})` : `exited with code ${r.exitCode}`;
      throw new TaskError(`${shown} ${how}${tail ? `:\n${tail}` : ''}${truncationNote(r)}`, details);
    }
    return outputOf(r);
  },
});
