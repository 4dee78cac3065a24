// A step printing megabytes: its record and journal keep the last 64 KiB with the byte count, the whole goes to a file
// in the run's folder, and the CLI never holds it in memory.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sequence, task, workflow } from '../../engine/index.js';
import { BIN, sandbox } from '../support/cli.js';

const TAIL = 64 * 1024;

/** A workflow whose one step `print` runs `script` through `sh -c`. */
const printing = (script: string) =>
  workflow({
    id: 'test:print',
    steps: sequence(task('print', 'exec.run', { command: 'sh', args: ['-c', script] })),
  });

/** Prints `n` bytes of `x` to stdout. */
const xs = (n: number) => `head -c ${n} /dev/zero | tr '\\0' x`;

/**
 * Runs `gravity run <file> --json` and returns the run id with the CLI process's peak resident memory (VmHWM, read
 * by a preloaded hook as the process exits). A young generation of 1 MB makes V8 collect the chunks it streamed as it
 * goes: the peak then tells memory held from garbage not yet collected.
 */
async function runMeasured(sb: ReturnType<typeof sandbox>, file: string): Promise<{ runId: string; peakKb: number }> {
  const hook = join(sb.base, 'hwm.cjs');
  const out = join(sb.base, `hwm-${Date.now()}-${Math.random()}`);
  writeFileSync(
    hook,
    `process.on('exit', () => { const fs = require('fs'); const m = /VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8')); fs.writeFileSync(${JSON.stringify(out)}, m ? m[1] : '0'); });\n`,
  );
  const child = spawn(process.execPath, ['--max-semi-space-size=1', '-r', hook, BIN, 'run', file, '--json'], {
    cwd: sb.base,
    env: { ...process.env, GRAVITY_HOME: sb.dataDir, CI: 'true', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r = await sb.collect(child);
  expect(r.code, r.stderr).toBe(0);
  return { runId: JSON.parse(r.stdout).runId, peakKb: Number(readFileSync(out, 'utf8')) };
}

describe('a step with big output', () => {
  it('keeps the last 64 KiB and the byte count in the journal and the record, the whole in the run folder, and never all of it in memory', async () => {
    const sb = sandbox();
    const small = await runMeasured(sb, sb.writeDefinition('small', printing(xs(1000))));
    const big = await runMeasured(sb, sb.writeDefinition('big', printing(xs(20_000_000))));

    // the journal and the run record stay small
    expect(statSync(join(sb.dataDir, 'logs', 'journal', `${big.runId}.jsonl`)).size).toBeLessThan(1_000_000);
    expect(statSync(join(sb.dataDir, 'kv', 'runs', `${big.runId}.json`)).size).toBeLessThan(1_000_000);
    expect(statSync(join(sb.dataDir, 'logs', 'gravity.log')).size).toBeLessThan(1_000_000);

    // show reports the size, the tail and where the whole is
    const shown = await sb.run('show', big.runId, '--json');
    expect(shown.code).toBe(0);
    const step = JSON.parse(shown.stdout).steps.find((s: { id: string }) => s.id === 'print');
    const file = join(sb.dataDir, 'files', big.runId, 'steps', 'print', 'attempt-1', 'c1', 'stdout');
    expect(step.output).toEqual({
      exitCode: 0,
      stdout: 'x'.repeat(TAIL),
      stderr: '',
      stdoutTruncated: true,
      stdoutBytes: 20_000_000,
      stdoutFile: file,
    });
    // the full log has every byte
    expect(statSync(file).size).toBe(20_000_000);

    // an output that fits is kept whole, as before, with no file
    const fits = JSON.parse((await sb.run('show', small.runId, '--json')).stdout).steps[0].output;
    expect(fits).toEqual({ exitCode: 0, stdout: 'x'.repeat(1000), stderr: '' });

    // holding the 20 MB (as a buffer, then a string, then JSON) would cost several times that
    expect(big.peakKb - small.peakKb).toBeLessThan(8 * 1024);
  });

  it('fails a command with big output quoting its end, saying it was truncated and where the full log is', async () => {
    const sb = sandbox();
    const def = sb.writeDefinition('fail', printing(`${xs(1_000_000)}; echo; echo the last words; exit 3`));
    const r = await sb.run('run', def, '--json');
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout);
    const file = join(sb.dataDir, 'files', result.runId, 'steps', 'print', 'attempt-1', 'c1', 'stdout');
    // the end of the output (stderr is empty), its one huge line cut short
    expect(result.error.message).toMatch(/exited with code 3:\n…x{500}\nthe last words\n\(/);
    expect(result.error.message).toContain(
      `(stdout was truncated to its last ${TAIL} of 1000016 bytes; full log: ${file})`,
    );
    expect(statSync(file).size).toBe(1_000_016);
    expect(readFileSync(file, 'utf8').endsWith('x\nthe last words\n')).toBe(true);
    expect(statSync(join(sb.dataDir, 'logs', 'journal', `${result.runId}.jsonl`)).size).toBeLessThan(1_000_000);
  });
});
