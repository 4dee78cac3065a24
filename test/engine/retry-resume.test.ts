// Retries count across resumes: a retry limit of 3 means 3 attempts in all, however many times the run was resumed.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createRegistry,
  defineTask,
  interruptedAttempt,
  resumeRun,
  startRun,
  task,
  TaskError,
  workflow,
  type JournalEntry,
} from '../../engine/index.js';
import { engineWith, journalOf, processDied } from './support.js';

/** A task whose calls fail, hang (the process "dies" there) or succeed, by call number; it records the attempts. */
function scripted(script: Array<'fail' | 'hang' | 'ok'>) {
  const attempts: number[] = [];
  const t = defineTask({
    id: 'test.scripted',
    title: 'Scripted',
    input: z.object({}),
    output: z.object({ attempt: z.number() }),
    idempotent: true,
    async run({ attempt }) {
      attempts.push(attempt);
      const what = script[attempts.length - 1] ?? 'fail';
      if (what === 'hang') return new Promise<never>(() => undefined);
      if (what === 'fail') throw new TaskError(`attempt ${attempt} failed`);
      return { attempt };
    },
  });
  return { task: t, attempts };
}

const def = workflow({
  id: 'test:retry-resume',
  steps: task('flaky', 'test.scripted', {}, { retry: { max: 3, backoffMs: 1 } }),
});

/** Starts the run, lets it reach its second attempt where it hangs, then "kills" its process. */
async function diedAtAttempt2() {
  const first = scripted(['fail', 'hang']);
  const { engine } = engineWith([first.task]);
  void startRun(engine, def, { params: {}, runId: 'r-retry' }).catch(() => undefined);
  await expect.poll(() => first.attempts).toEqual([1, 2]);
  await processDied(engine.store);
  return { engine, first };
}

describe('retries across resumes', () => {
  it('goes on at the interrupted attempt: a limit of 3 is 3 attempts in all', async () => {
    // given a run whose step failed once, then died during attempt 2
    const { engine, first } = await diedAtAttempt2();
    // when it is resumed with a task that keeps failing
    const second = scripted(['fail', 'fail', 'fail', 'fail']);
    const result = await resumeRun({ ...engine, registry: createRegistry(second.task) }, 'r-retry');
    // then attempt 2 is made again, then attempt 3, and the step fails there: 3 attempts, not 1 + 3
    expect(result.status).toBe('failed');
    expect(first.attempts).toEqual([1, 2]);
    expect(second.attempts).toEqual([2, 3]);
    const trail = (await journalOf(engine.store, 'r-retry'))
      .filter((e) => e.step === 'flaky')
      .map((e) => `${e.type}:${e.attempt}`);
    expect(trail).toEqual(['task.started:1', 'task.retrying:2', 'task.started:2', 'task.retrying:3', 'task.failed:3']);
  });

  it('succeeds within the limit after a resume', async () => {
    const { engine } = await diedAtAttempt2();
    const second = scripted(['fail', 'ok']);
    const result = await resumeRun({ ...engine, registry: createRegistry(second.task) }, 'r-retry');
    expect(result.status).toBe('succeeded');
    expect(second.attempts).toEqual([2, 3]);
    const end = (await journalOf(engine.store, 'r-retry')).find((e) => e.type === 'task.finished');
    expect(end).toMatchObject({ step: 'flaky', attempt: 3, output: { attempt: 3 } });
  });

  it('reads the interrupted attempt from the journal: the last one since the step last ended', () => {
    const e = (type: JournalEntry['type'], attempt?: number, step = 's'): JournalEntry =>
      ({ type, at: '', step, attempt }) as JournalEntry;
    expect(interruptedAttempt([], 's')).toBe(0);
    expect(interruptedAttempt([e('task.started', 1)], 's')).toBe(1);
    expect(interruptedAttempt([e('task.started', 1), e('task.retrying', 2), e('task.retrying', 3)], 's')).toBe(3);
    expect(interruptedAttempt([e('task.started', 1), e('task.finished', 1)], 's')).toBe(0);
    expect(interruptedAttempt([e('task.started', 1), e('task.failed', 1), e('task.started', 1)], 's')).toBe(1);
    // a cancel does not end the step: resumed, it goes on at the same attempt
    expect(interruptedAttempt([e('task.started', 1), e('task.retrying', 2), e('task.cancelled', 2)], 's')).toBe(2);
    expect(interruptedAttempt([e('task.started', 2, 'other')], 's')).toBe(0);
    // an entry without an attempt number is the first attempt
    expect(interruptedAttempt([e('task.started')], 's')).toBe(1);
  });
});
