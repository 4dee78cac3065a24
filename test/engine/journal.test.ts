// The journal read back: one summary per step execution (summarizeSteps) and the steps a crash left open (openSteps).
import { describe, expect, it } from 'vitest';
import { openSteps, summarizeSteps, type JournalEntry } from '../../engine/index.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const err = { name: 'TaskError', code: 'TASK_FAILED', message: 'disk full' };

describe('summarizeSteps', () => {
  it('folds started/finished/failed/cancelled entries into one summary per execution, ignoring run entries', () => {
    const journal: JournalEntry[] = [
      { type: 'run.started', at: at(0), message: 'wf' },
      { type: 'task.started', at: at(1), step: 'ok', task: 't.ok', attempt: 1, input: { a: 1 } },
      { type: 'task.finished', at: at(3), step: 'ok', task: 't.ok', attempt: 1, output: { sum: 2 } },
      { type: 'task.started', at: at(4), step: 'bad', task: 't.bad', attempt: 1 },
      { type: 'task.failed', at: at(6), step: 'bad', task: 't.bad', attempt: 1, error: err },
      { type: 'task.started', at: at(7), step: 'stop', task: 't.stop', attempt: 1 },
      { type: 'task.cancelled', at: at(8), step: 'stop', task: 't.stop', attempt: 1 },
      { type: 'run.cancelled', at: at(9), message: 'cancelled' },
    ];
    expect(summarizeSteps(journal)).toStrictEqual([
      {
        id: 'ok',
        task: 't.ok',
        status: 'succeeded',
        attempts: 1,
        startedAt: at(1),
        finishedAt: at(3),
        durationMs: 2000,
        output: { sum: 2 },
      },
      {
        id: 'bad',
        task: 't.bad',
        status: 'failed',
        attempts: 1,
        startedAt: at(4),
        finishedAt: at(6),
        durationMs: 2000,
        error: err,
      },
      {
        id: 'stop',
        task: 't.stop',
        status: 'cancelled',
        attempts: 1,
        startedAt: at(7),
        finishedAt: at(8),
        durationMs: 1000,
      },
    ]);
  });

  it('falls back to task "?" and attempt 1 when a start entry does not say, and counts retries without an attempt', () => {
    const journal: JournalEntry[] = [
      { type: 'task.started', at: at(1), step: 'a' },
      { type: 'task.retrying', at: at(2), step: 'a' },
      { type: 'task.retrying', at: at(3), step: 'a', attempt: 5 },
      { type: 'task.retrying', at: at(4), step: 'a' },
      // a retry of a step that is not open (its start was not journaled) is ignored
      { type: 'task.retrying', at: at(4), step: 'ghost', attempt: 2 },
    ];
    expect(summarizeSteps(journal, false)).toStrictEqual([
      { id: 'a', task: '?', status: 'running', attempts: 6, startedAt: at(1) },
    ]);
  });

  it('keeps one summary when an open step is started again (re-run after a crash), taking the new attempt', () => {
    const journal: JournalEntry[] = [
      { type: 'task.started', at: at(1), step: 's', task: 't', attempt: 2, child: 'r.s' },
      { type: 'task.started', at: at(5), step: 's', task: 't', attempt: 1 },
      { type: 'task.started', at: at(6), step: 's', task: 't' },
      { type: 'task.finished', at: at(7), step: 's', task: 't', attempt: 1, output: 'x' },
    ];
    expect(summarizeSteps(journal)).toStrictEqual([
      {
        id: 's',
        task: 't',
        status: 'succeeded',
        attempts: 2,
        startedAt: at(1),
        child: 'r.s',
        finishedAt: at(7),
        durationMs: 6000,
        output: 'x',
      },
    ]);
  });

  it('shows steps left open as interrupted once the run is over, and as running while it runs', () => {
    const journal: JournalEntry[] = [{ type: 'task.started', at: at(1), step: 'slow', task: 't', attempt: 1 }];
    expect(summarizeSteps(journal).map((s) => s.status)).toEqual(['interrupted']);
    expect(summarizeSteps(journal, true).map((s) => s.status)).toEqual(['interrupted']);
    expect(summarizeSteps(journal, false).map((s) => s.status)).toEqual(['running']);
  });

  it('marks the newest succeeded execution of a step as compensated', () => {
    // a step run three times in a loop: succeeded, succeeded, failed; one compensation undoes the newest succeeded one
    const journal: JournalEntry[] = [
      { type: 'task.started', at: at(1), step: 'mk', task: 't', attempt: 1 },
      { type: 'task.finished', at: at(2), step: 'mk', task: 't', attempt: 1, output: 1 },
      { type: 'task.started', at: at(3), step: 'mk', task: 't', attempt: 1 },
      { type: 'task.finished', at: at(4), step: 'mk', task: 't', attempt: 1, output: 2 },
      { type: 'task.started', at: at(5), step: 'mk', task: 't', attempt: 1 },
      { type: 'task.failed', at: at(6), step: 'mk', task: 't', attempt: 1, error: err },
      { type: 'task.compensated', at: at(7), step: 'mk', task: 't', finishedAt: at(4) },
    ];
    expect(summarizeSteps(journal).map((s) => [s.output ?? s.error?.message, s.status])).toEqual([
      [1, 'succeeded'],
      [2, 'compensated'],
      ['disk full', 'failed'],
    ]);
  });
});

describe('openSteps', () => {
  it('lists the steps started and never finished or failed, with the processes they spawned', () => {
    const journal: JournalEntry[] = [
      { type: 'run.started', at: at(0) },
      { type: 'task.started', at: at(1), step: 'done', task: 't.done', idempotent: true },
      { type: 'task.finished', at: at(2), step: 'done', task: 't.done' },
      { type: 'task.started', at: at(1), step: 'bad', task: 't.bad', idempotent: true },
      { type: 'task.failed', at: at(2), step: 'bad', task: 't.bad', error: err },
      { type: 'task.started', at: at(3), step: 'sh', task: 'exec.run', idempotent: false, supervised: true },
      { type: 'task.process', at: at(4), step: 'sh', task: 'exec.run', pid: 4242, command: ['sleep', '30'] },
      { type: 'task.process', at: at(4), step: 'sh', task: 'exec.run', pid: 4343 },
      // a process entry without a pid, or for a step that is not open, adds nothing
      { type: 'task.process', at: at(4), step: 'sh', task: 'exec.run', command: ['nothing'] },
      { type: 'task.process', at: at(4), step: 'done', task: 't.done', pid: 99, command: ['late'] },
      { type: 'task.started', at: at(5), step: 'quiet', idempotent: true },
      { type: 'task.started', at: at(6), step: 'cut', task: 't.cut' },
      { type: 'task.cancelled', at: at(7), step: 'cut', task: 't.cut' },
      // cancelled, then retried: the retry's attempt is interrupted, not cancelled
      { type: 'task.started', at: at(8), step: 'again', task: 't.again', supervised: true },
      { type: 'task.cancelled', at: at(9), step: 'again', task: 't.again' },
      { type: 'task.retrying', at: at(10), step: 'again', task: 't.again', attempt: 2 },
    ];
    const open = (step: string, task: string, o: object = {}) => ({
      step,
      task,
      idempotent: false,
      supervised: false,
      cancelled: false,
      pids: [],
      commands: [],
      ...o,
    });
    expect(openSteps(journal)).toStrictEqual([
      open('sh', 'exec.run', { supervised: true, pids: [4242, 4343], commands: [['sleep', '30'], []] }),
      open('quiet', '?', { idempotent: true }),
      // cancelled is not finished: its effect is unknown, and it is not idempotent unless its start said so
      open('cut', 't.cut', { cancelled: true }),
      open('again', 't.again', { supervised: true }),
    ]);
  });

  it('only counts the processes of the current execution of a step started again', () => {
    const journal: JournalEntry[] = [
      { type: 'task.started', at: at(1), step: 'sh', task: 'exec.run', idempotent: true },
      { type: 'task.process', at: at(2), step: 'sh', task: 'exec.run', pid: 1, command: ['a'] },
      { type: 'task.started', at: at(3), step: 'sh', task: 'exec.run', idempotent: true },
      { type: 'task.process', at: at(4), step: 'sh', task: 'exec.run', pid: 2, command: ['b'] },
    ];
    expect(openSteps(journal)).toStrictEqual([
      {
        step: 'sh',
        task: 'exec.run',
        idempotent: true,
        supervised: false,
        cancelled: false,
        pids: [2],
        commands: [['b']],
      },
    ]);
  });
});
