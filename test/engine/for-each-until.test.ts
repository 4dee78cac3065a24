// For-each with a completion condition (`until`, BPMN's multi-instance completionCondition): evaluated after each item
// that finishes; once it holds no further item starts, the running ones are cancelled, the step succeeds with the outputs
// of the finished items (null for the others), and a resume neither runs a finished item again nor starts a new one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  checkDefinition,
  createJsonStore,
  createRegistry,
  defineTask,
  forEach,
  openSteps,
  planDefinition,
  resumeRun,
  sequence,
  startRun,
  task,
  TaskError,
  workflow,
  type RunRecord,
} from '../../engine/index.js';
import { echoTask, engineWith, journalOf, processDied, taskTrail, tempJsonStore } from './support.js';

let tmp: Awaited<ReturnType<typeof tempJsonStore>>;
beforeEach(async () => {
  tmp = await tempJsonStore();
});
afterEach(async () => {
  await tmp.cleanup();
});

/**
 * Returns its label after `ms` (or at once for 0); a label holding "slow" waits for its signal, one holding "bad"
 * fails. Records the labels it ran and those whose signal aborted. Not idempotent unless told.
 */
function workTask(o: { idempotent?: boolean } = {}) {
  const state = { ran: [] as string[], aborted: [] as string[] };
  const t = defineTask({
    id: 'test.work',
    title: 'Work',
    input: z.object({ label: z.string(), ms: z.number().default(0) }),
    output: z.object({ label: z.string() }),
    idempotent: o.idempotent ?? false,
    async run({ input, signal }) {
      state.ran.push(input.label);
      try {
        if (input.label.includes('slow')) await sleep(60_000, undefined, { signal });
        else if (input.ms) await sleep(input.ms, undefined, { signal });
      } catch (e) {
        state.aborted.push(input.label);
        throw e;
      }
      if (input.label.includes('bad')) throw new TaskError(`${input.label} went wrong`);
      return { label: input.label };
    },
  });
  return { task: t, state };
}

const over = (until: string, o: Parameters<typeof forEach>[3] = {}) =>
  workflow({
    id: 'test:each-until',
    params: { items: { type: 'array' } },
    steps: sequence(
      forEach('each', '=items', task('work', 'test.work', { label: '=item' }), { until, ...o }),
      task('after', 'test.echo', { value: '=steps.each' }),
    ),
    output: '=steps.after.value',
  });

describe('forEach until', () => {
  it('one at a time: once the condition holds no further item starts, and the others give null', async () => {
    const work = workTask();
    const echo = echoTask();
    const { engine } = engineWith([work.task, echo.task], { store: tmp.store });
    const r = await startRun(engine, over('=nrOfCompletedInstances >= 2'), {
      params: { items: ['a', 'b', 'c', 'd'] },
      runId: 'r-seq',
    });
    expect(r.status).toBe('succeeded');
    expect(work.state.ran).toEqual(['a', 'b']);
    // the next step sees the list in item order, null for the items that never ran
    expect(r.output).toEqual([{ label: 'a' }, { label: 'b' }, null, null]);
    expect(taskTrail(await journalOf(tmp.store, 'r-seq'))).toEqual([
      'task.started:each',
      'task.started:each:0',
      'task.finished:each:0',
      'task.started:each:1',
      'task.finished:each:1',
      'task.finished:each',
      'task.started:after',
      'task.finished:after',
    ]);
  });

  it('runs every item when the condition never holds', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task]);
    const r = await startRun(engine, over('=nrOfCompletedInstances > 10'), { params: { items: ['a', 'b', 'c'] } });
    expect(r.status).toBe('succeeded');
    expect(work.state.ran).toEqual(['a', 'b', 'c']);
    expect(r.output).toEqual([{ label: 'a' }, { label: 'b' }, { label: 'c' }]);
  });

  it('several at a time: the items still running are cancelled (journaled after the for-each ended), none starts after', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task], { store: tmp.store });
    // a finishes at once while slow1 and slow2 run; d and e never start
    const r = await startRun(engine, over('=item = "a"', { concurrency: 3 }), {
      params: { items: ['slow1', 'a', 'slow2', 'd', 'e'] },
      runId: 'r-par',
    });
    expect(r.status).toBe('succeeded');
    expect([...work.state.ran].sort()).toEqual(['a', 'slow1', 'slow2']);
    expect([...work.state.aborted].sort()).toEqual(['slow1', 'slow2']);
    expect(r.output).toEqual([null, { label: 'a' }, null, null, null]);
    const trail = taskTrail(await journalOf(tmp.store, 'r-par'));
    // the for-each's end comes first: a crash after it never runs the stopped items again
    const end = trail.indexOf('task.finished:each');
    expect(end).toBeGreaterThan(trail.indexOf('task.finished:each:1'));
    expect(trail.indexOf('task.cancelled:each:0')).toBeGreaterThan(end);
    expect(trail.indexOf('task.cancelled:each:2')).toBeGreaterThan(end);
    expect(trail.filter((t) => /:each:[34]$/.test(t))).toEqual([]);
    expect(trail).not.toContain('task.cancelled:each');
    // the stopped items are over: nothing is left open for a resume to decide about
    expect(openSteps(await journalOf(tmp.store, 'r-par'))).toEqual([]);
    const record = (await tmp.store.get<RunRecord>('runs/r-par'))!.value;
    expect(record.status).toBe('succeeded');
  });

  it("sees Camunda's and Zeebe's counts, loopCounter, the item and its index, and the outputs so far", async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task]);
    // true only after the second item, with every name as Camunda 7 and Zeebe give it
    const until = [
      '=nrOfInstances = 4 and numberOfInstances = 4',
      'nrOfCompletedInstances = 2 and numberOfCompletedInstances = 2',
      'nrOfActiveInstances = 0 and numberOfActiveInstances = 0',
      'loopCounter = 1 and i = 1 and doc = "b"',
      'outputs[1].label = "a" and outputs[2].label = "b" and outputs[3] = null',
    ].join(' and ');
    const def = workflow({
      id: 'test:each-names',
      params: { items: { type: 'array' } },
      steps: forEach('each', '=items', task('work', 'test.work', { label: '=doc' }), { as: 'doc', index: 'i', until }),
      output: '=steps.each',
    });
    const r = await startRun(engine, def, { params: { items: ['a', 'b', 'c', 'd'] } });
    expect(r.status).toBe('succeeded');
    expect(work.state.ran).toEqual(['a', 'b']);
    expect(r.output).toEqual([{ label: 'a' }, { label: 'b' }, null, null]);
  });

  it('counts the items still running in nrOfActiveInstances', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task]);
    // a ends while slow runs: one active; b ends later than a, when slow still runs
    const r = await startRun(
      engine,
      over('=nrOfActiveInstances = 1 and nrOfCompletedInstances = 1', { concurrency: 2 }),
      {
        params: { items: ['slow', 'a', 'b'] },
      },
    );
    expect(r.status).toBe('succeeded');
    expect(work.state.ran).toEqual(['slow', 'a']);
    expect(r.output).toEqual([null, { label: 'a' }, null]);
  });

  it('fails the step when the condition cannot be evaluated or is no boolean; no further item starts', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task]);
    const unknown = await startRun(engine, over('=missing > 1'), { params: { items: ['a', 'b'] } });
    expect(unknown.status).toBe('failed');
    expect(unknown.error?.message).toMatch(/<each>.*missing/);
    expect(work.state.ran).toEqual(['a']);
    work.state.ran.length = 0;
    const notBoolean = await startRun(engine, over('=nrOfCompletedInstances'), { params: { items: ['a', 'b'] } });
    expect(notBoolean.status).toBe('failed');
    expect(notBoolean.error?.message).toMatch(/expected a boolean, got 1/);
    expect(work.state.ran).toEqual(['a']);
  });

  it('a failed item is a failure, whatever the condition says afterwards (onFailure "all")', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task]);
    const r = await startRun(engine, over('=nrOfCompletedInstances >= 1', { onFailure: 'all' }), {
      params: { items: ['bad', 'b', 'c'] },
    });
    expect(r.status).toBe('failed');
    expect(work.state.ran).toEqual(['bad', 'b']);
    expect(r.error?.message).toBe('for-each <each>: 1 of 3 items failed (1 not started): [0] bad: bad went wrong');
  });

  it('over a sub-sequence: no child run starts once the condition holds', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task], { store: tmp.store });
    const def = workflow({
      id: 'test:each-seq-until',
      params: { items: { type: 'array' } },
      steps: forEach('each', '=items', sequence(task('one', 'test.work', { label: '=item' })), {
        until: '=outputs[1].one.label = "a"',
      }),
      output: '=steps.each',
    });
    const r = await startRun(engine, def, { params: { items: ['a', 'b'] }, runId: 'r-sub' });
    expect(r.status).toBe('succeeded');
    expect(r.output).toEqual([{ one: { label: 'a' } }, null]);
    expect((await tmp.store.get<RunRecord>('runs/r-sub.each:0'))?.value.status).toBe('succeeded');
    expect(await tmp.store.get('runs/r-sub.each:1')).toBeUndefined();
  });

  it('after a crash once the condition held: the for-each is not run again, a stopped item needs nobody', async () => {
    // given a run whose process dies in the step after a for-each whose condition held while a non-idempotent item ran
    const work = workTask();
    let hang = true;
    let atAfter: () => void = () => undefined;
    const reachedAfter = new Promise<void>((r) => (atAfter = r));
    const after = defineTask({
      id: 'test.echo',
      title: 'Echo, hanging once',
      input: z.object({ value: z.unknown() }),
      output: z.object({ value: z.unknown() }),
      idempotent: true,
      async run({ input }) {
        if (hang) {
          atAfter();
          return new Promise<never>(() => undefined);
        }
        return { value: input.value };
      },
    });
    const def = over('=nrOfCompletedInstances >= 1', { concurrency: 2 });
    void startRun({ store: tmp.store, registry: createRegistry(work.task, after) }, def, {
      params: { items: ['slow', 'a', 'c'] },
      runId: 'r-crash',
    }).catch(() => undefined);
    await reachedAfter;
    expect(work.state.ran).toEqual(['slow', 'a']);
    await processDied(tmp.store);
    // when another process resumes it
    hang = false;
    work.state.ran.length = 0;
    const store2 = await createJsonStore(tmp.dir);
    const r = await resumeRun({ store: store2, registry: createRegistry(work.task, after) }, 'r-crash');
    // then no item runs again and none starts; the stopped non-idempotent item is over, not interrupted
    expect(r.status).toBe('succeeded');
    expect(work.state.ran).toEqual([]);
    expect(r.output).toEqual([null, { label: 'a' }, null]);
    await store2.close();
  });

  it('after a crash before the condition held: finished items are replayed, the condition holds again, no new item starts', async () => {
    const calls: string[] = [];
    let hang = true;
    let atC: () => void = () => undefined;
    const reachedC = new Promise<void>((r) => (atC = r));
    const counted = defineTask({
      id: 'test.work',
      title: 'Count',
      input: z.object({ label: z.string() }),
      output: z.object({ label: z.string() }),
      idempotent: true,
      async run({ input }) {
        calls.push(input.label);
        if (input.label === 'c' && hang) {
          atC();
          return new Promise<never>(() => undefined);
        }
        return { label: input.label };
      },
    });
    const def = over('=nrOfCompletedInstances >= 3');
    void startRun({ store: tmp.store, registry: createRegistry(counted, echoTask().task) }, def, {
      params: { items: ['a', 'b', 'c', 'd'] },
      runId: 'r-crash2',
    }).catch(() => undefined);
    await reachedC;
    await processDied(tmp.store);
    hang = false;
    calls.length = 0;
    const store2 = await createJsonStore(tmp.dir);
    const r = await resumeRun({ store: store2, registry: createRegistry(counted, echoTask().task) }, 'r-crash2');
    expect(r.status).toBe('succeeded');
    // a and b are not run again, c (interrupted, idempotent) is, and d never starts
    expect(calls).toEqual(['c']);
    expect(r.output).toEqual([{ label: 'a' }, { label: 'b' }, { label: 'c' }, null]);
    await store2.close();
  });
});

describe('forEach until in definitions', () => {
  const registry = createRegistry(workTask().task);
  const problems = (each: unknown) =>
    checkDefinition(
      {
        id: 'test:bad-until',
        machine: {
          initial: 'e',
          states: {
            e: { invoke: { src: 'test.work', input: { label: 'x' } }, onDone: 'done', meta: { each } as never },
            done: { type: 'final' },
          },
        },
      },
      registry,
    ).map((p) => p.message);

  it('is a FEEL condition starting with "=", checked like any expression', () => {
    expect(problems({ items: '=xs', until: '=nrOfCompletedInstances >= 1' })).toEqual([]);
    for (const until of ['nrOfCompletedInstances >= 1', '=', 3])
      expect(problems({ items: '=xs', until })).toEqual([
        'meta.each.until must be a FEEL condition starting with "=" (e.g. "=nrOfCompletedInstances >= 2"): once it holds, no further item starts',
      ]);
    expect(problems({ items: '=xs', until: '=(a >' })).toEqual([
      expect.stringMatching(/^bad expression in meta\.each\.until: /),
    ]);
  });

  it('is a forEach option, kept in meta.each and shown by a dry run', () => {
    const def = over('=nrOfCompletedInstances >= 2', { concurrency: 2 });
    expect(def.machine.states.each.meta?.each).toEqual({
      items: '=items',
      concurrency: 2,
      until: '=nrOfCompletedInstances >= 2',
    });
    const sub = forEach('e', '=xs', sequence(task('a', 'test.work', {})), { until: '=true' });
    expect(sub.each.until).toBe('=true');
    const [item] = planDefinition(def, createRegistry(workTask().task, echoTask().task), { items: ['a'] });
    expect(item.notes).toEqual([
      'for each item of =items (2 at a time; stops at the first failure; done once =nrOfCompletedInstances >= 2 holds)',
    ]);
  });
});
