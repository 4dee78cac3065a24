// End to end, through the real `gravity` binary: a runaway FEEL expression fails the run with the budget error while
// memory stays bounded, Ctrl-C during a long evaluation cancels the run, and definitions or BPMN files nested thousands
// deep, or looping without a step, are refused as bad input (exit 2) naming an element.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Definition } from '../../engine/index.js';
import { sandbox, waitFor } from '../support/cli.js';
import { nestedDefinitionJson, nestedSubProcessesXml } from '../support/deep.js';

afterEach(() => {
  delete process.env.GRAVITY_FEEL_TIMEOUT_MS;
});

/** A definition: `first` logs "start", then `s1` logs `message` (a FEEL expression). */
const twoSteps = (message: string): Definition => ({
  id: 'attack:feel',
  machine: {
    initial: 's0',
    states: {
      s0: { invoke: { src: 'log.info', input: { message: 'start' } }, onDone: 's1' },
      s1: { invoke: { src: 'log.info', input: { message } }, onDone: 'done' },
      done: { type: 'final' },
    },
  },
});

/** Samples a child's peak resident memory (VmHWM, kB) from /proc until it exits; the last sample is its peak. */
function peakRss(child: ChildProcess): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch {
      // exited
    }
  }, 5);
  child.on('exit', () => clearInterval(timer));
  return () => peak;
}

describe.runIf(existsSync('/proc/self/status'))('FEEL budget through the CLI', () => {
  it('fails a run whose input ranges over thirty million numbers, with the budget error, in bounded memory', async () => {
    // given a step input that would build a list of 30,000,000 numbers (~220 MB/s, unstoppable but by SIGKILL, before)
    const sb = sandbox();
    const file = sb.writeDefinition('range', twoSteps('=string(count(for i in 1..30000000 return i))'));
    // when it runs through the real CLI
    const child = sb.spawn(['run', file]);
    const peak = peakRss(child);
    const r = await sb.collect(child);
    // then the run fails (exit 1) naming the step, the expression and the limit
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain(
      '<s1.message>: FEEL expression "string(count(for i in 1..30000000 return i))" exceeds the evaluation budget (range [1..30000000] of 30000000 items > 100000; raise GRAVITY_FEEL_MAX_ITEMS)',
    );
    expect(sb.record(sb.runIds()[0]).status).toBe('failed');
    // and the process never held the list: its peak stays that of a CLI run (the list alone would be gigabytes)
    expect(peak()).toBeGreaterThan(0);
    expect(peak()).toBeLessThan(400 * 1024);
  });

  it('cancels the run when Ctrl-C comes during a long evaluation, once the evaluation is stopped by its budget', async () => {
    // given a step input whose regular expression backtracks for hours, and a 3 s time budget
    process.env.GRAVITY_FEEL_TIMEOUT_MS = '3000';
    const sb = sandbox();
    const file = sb.writeDefinition(
      'redos',
      twoSteps('=if matches("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "^(a+)+$") then "x" else "y"'),
    );
    const child = sb.spawn(['run', file]);
    const done = sb.collect(child);
    // when SIGINT comes once the first step is over (s1's input is being evaluated)
    const runId = await waitFor(() => sb.runIds()[0]);
    await waitFor(() => sb.journal(runId).some((e) => e.type === 'task.finished' && e.step === 's0'));
    child.kill('SIGINT');
    const r = await done;
    // then the run is cancelled, as during a step, and can be resumed
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stdout).toMatch(/cancelled — resume with: gravity resume/);
    expect(sb.record(runId).status).toBe('cancelled');
  });
});

describe('nesting and cycles through the CLI', () => {
  it('refuses a definition nested 10,000 levels deep (run and describe: exit 2, the depth and a state named)', async () => {
    const sb = sandbox();
    const file = join(sb.base, 'deep.json');
    writeFileSync(file, nestedDefinitionJson(10_000, 'log.info'));
    for (const cmd of ['run', 'describe']) {
      const r = await sb.run(cmd, file);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        '<g65> nested 65 levels deep (states inside states), more than the limit of 64; the definition goes 10001 levels deep; raise GRAVITY_MAX_NESTING',
      );
      expect(r.stderr).not.toMatch(/call stack/);
    }
    expect(sb.runIds()).toEqual([]);
  });

  it('refuses a BPMN file nesting 10,000 sub-processes (validate and run: exit 2, the element named)', async () => {
    const sb = sandbox();
    const file = join(sb.base, 'deep.bpmn');
    writeFileSync(file, nestedSubProcessesXml(10_000));
    const problem =
      'nested 65 levels deep (sub-processes inside sub-processes), more than the limit of 64; the process goes 10000 levels deep; raise GRAVITY_MAX_NESTING';
    const validated = await sb.run('validate', file);
    expect(validated.code, validated.stderr).toBe(2);
    expect(validated.stdout).toContain(`${file}:2: <sp65> (bpmn:SubProcess) ${problem}`);
    const ran = await sb.run('run', file, '--map', 't=log.info');
    expect(ran.code, ran.stderr).toBe(2);
    expect(ran.stderr).toContain(`<sp65> (bpmn:SubProcess): ${problem}`);
    expect(ran.stderr).not.toMatch(/call stack/);
    expect(sb.runIds()).toEqual([]);
  });

  it('refuses an eventless cycle before any step runs (exit 2)', async () => {
    const sb = sandbox();
    const file = sb.writeDefinition('loop', {
      id: 'attack:loop',
      machine: {
        initial: 's0',
        states: {
          s0: { invoke: { src: 'log.info', input: { message: 'side effect' } }, onDone: 'a' },
          a: { always: [{ target: 'b' }] },
          b: { always: [{ target: 'done', guard: { type: 'expr', params: { expr: 'false' } } }, { target: 'a' }] },
          done: { type: 'final' },
        },
      },
    });
    const r = await sb.run('run', file);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/<a> eventless cycle a -> b -> a: /);
    expect(sb.runIds()).toEqual([]);
  });
});
