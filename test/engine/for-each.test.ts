// For-each: a task or call run once per item of a list, in order or a few at a time, each item a step of its own
// (journaled, never run again after a crash once finished), the outputs a list in item order.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  call,
  checkDefinition,
  createJsonStore,
  createRegistry,
  decide,
  defineTask,
  forEach,
  listSteps,
  resumeRun,
  rollbackRun,
  sequence,
  startRun,
  task,
  TaskError,
  workflow,
  type EngineOptions,
  type RunRecord,
} from '../../engine/index.js';
import { echoTask, engineWith, journalOf, processDied, taskTrail, tempJsonStore, undoableTask } from './support.js';

let tmp: Awaited<ReturnType<typeof tempJsonStore>>;
beforeEach(async () => {
  tmp = await tempJsonStore();
});
afterEach(async () => {
  await tmp.cleanup();
});

/** Waits `ms` then returns its label; counts how many run at once, and which labels ran. Fails when it holds "bad". */
function workTask() {
  let running = 0;
  const state = { most: 0, ran: [] as string[], aborted: [] as string[] };
  const t = defineTask({
    id: 'test.work',
    title: 'Work',
    input: z.object({ label: z.string(), ms: z.number().default(5) }),
    output: z.object({ label: z.string() }),
    idempotent: true,
    async run({ input, signal }) {
      running++;
      state.most = Math.max(state.most, running);
      state.ran.push(input.label);
      try {
        await sleep(input.ms, undefined, { signal });
      } catch (e) {
        state.aborted.push(input.label);
        throw e;
      } finally {
        running--;
      }
      if (input.label.includes('bad')) throw new TaskError(`${input.label} went wrong`);
      return { label: input.label };
    },
  });
  return { task: t, state };
}

const over = (items: unknown, o: Parameters<typeof forEach>[3] = {}, ms: string | number = 5) =>
  workflow({
    id: 'test:each',
    params: { items: { type: 'array' } },
    steps: sequence(
      forEach('each', '=items', task('work', 'test.work', { label: '=string(index) + "-" + item', ms }), o),
      task('after', 'test.echo', { value: '=steps.each' }),
    ),
    output: '=steps.after.value',
  });

describe('forEach', () => {
  it('runs the body once per item, in order, with the item and its index, and collects the outputs in item order', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task], { store: tmp.store });
    const r = await startRun(engine, over(null), { params: { items: ['a', 'b', 'c'] }, runId: 'r-seq' });
    expect(r.status).toBe('succeeded');
    expect(work.state.ran).toEqual(['0-a', '1-b', '2-c']);
    expect(work.state.most).toBe(1);
    expect(r.output).toEqual([{ label: '0-a' }, { label: '1-b' }, { label: '2-c' }]);
    // each item is a step of the journal
    expect(taskTrail(await journalOf(tmp.store, 'r-seq'))).toEqual([
      'task.started:each',
      'task.started:each:0',
      'task.finished:each:0',
      'task.started:each:1',
      'task.finished:each:1',
      'task.started:each:2',
      'task.finished:each:2',
      'task.finished:each',
      'task.started:after',
      'task.finished:after',
    ]);
  });

  it('runs at most `concurrency` items at once, and keeps the outputs in item order when they finish out of order', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task]);
    const def = over(null, { concurrency: 3 }, '=if index = 0 then 60 else 5');
    const r = await startRun(engine, def, { params: { items: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] } });
    expect(r.status).toBe('succeeded');
    expect(work.state.most).toBe(3);
    // item 0 was the slowest: others finished before it, the list is still in item order
    expect(work.state.ran.indexOf('0-a')).toBe(0);
    expect((r.output as Array<{ label: string }>).map((o) => o.label)).toEqual([
      '0-a',
      '1-b',
      '2-c',
      '3-d',
      '4-e',
      '5-f',
      '6-g',
    ]);
  });

  it('gives an empty list for no item', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task]);
    const r = await startRun(engine, over(null, { concurrency: 4 }), { params: { items: [] } });
    expect(r.status).toBe('succeeded');
    expect(r.output).toEqual([]);
    expect(work.state.ran).toEqual([]);
  });

  it('stops at the first failure by default: no further item starts, the error names the item', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task]);
    const r = await startRun(engine, over(null), { params: { items: ['a', 'bad', 'c', 'd'] } });
    expect(r.status).toBe('failed');
    expect(work.state.ran).toEqual(['0-a', '1-bad']);
    expect(r.error?.message).toBe('for-each <each>: 1 of 4 items failed (2 not started): [1] bad: 1-bad went wrong');
  });

  it('with onFailure "all", runs every item, then fails naming every failed one', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task]);
    const r = await startRun(engine, over(null, { onFailure: 'all', concurrency: 2 }), {
      params: { items: ['bad1', 'b', 'bad2', 'd'] },
    });
    expect(r.status).toBe('failed');
    expect([...work.state.ran].sort()).toEqual(['0-bad1', '1-b', '2-bad2', '3-d']);
    expect(r.error?.message).toBe(
      'for-each <each>: 2 of 4 items failed: [0] bad1: 0-bad1 went wrong; [2] bad2: 2-bad2 went wrong',
    );
    expect(r.error?.details?.failed).toEqual([
      { index: 0, step: 'each:0', message: '0-bad1 went wrong' },
      { index: 2, step: 'each:2', message: '2-bad2 went wrong' },
    ]);
  });

  it('lets the for-each onError take its failure like any step', async () => {
    const work = workTask();
    const echo = echoTask();
    const { engine } = engineWith([work.task, echo.task]);
    const def = workflow({
      id: 'test:each-onerror',
      params: { items: { type: 'array' } },
      steps: sequence(
        forEach('each', '=items', task('w', 'test.work', { label: '=item' }), {
          onError: task('recover', 'test.echo', { value: '=error.message' }),
        }),
      ),
    });
    const r = await startRun(engine, def, { params: { items: ['bad'] } });
    expect(r.status).toBe('succeeded');
    expect(echo.calls).toEqual(['for-each <each>: 1 of 1 items failed: [0] bad: bad went wrong']);
  });

  it('fails with the step named when the items are not a list, or an item input cannot be evaluated', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task]);
    const notList = await startRun(engine, over(null), { params: { items: 'abc' } });
    expect(notList.status).toBe('failed');
    expect(notList.error?.message).toBe('for-each <each>: =items must give a list, it gave string');
    const def = workflow({
      id: 'test:each-input',
      steps: forEach('each', [1, 2], task('w', 'test.work', { label: '=item.name' })),
    });
    const bad = await startRun(engine, def, { params: {} });
    expect(bad.status).toBe('failed');
    expect(bad.error?.message).toMatch(/^for-each <each>: 1 of 2 items failed \(1 not started\): \[0\] 1: /);
  });

  it('gives the task the item in its scope (a task that evaluates FEEL itself sees it)', async () => {
    const { engine } = engineWith([]);
    const def = workflow({
      id: 'test:each-scope',
      steps: forEach('each', ['x', 'y'], task('check', 'assert.expr', { expr: 'item != "y" and index < 1' })),
    });
    const { createDefaultRegistry } = await import('../../tasks/index.js');
    const r = await startRun({ ...engine, registry: createDefaultRegistry() }, def, { params: {} });
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(/\[1\] y: assertion failed in <each:1>/);
  });

  it('stops every running item on cancel: each is aborted and journaled cancelled, the run is cancelled', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task, echoTask().task], { store: tmp.store });
    const ac = new AbortController();
    const running = startRun(engine, over(null, { concurrency: 3 }, 10_000), {
      params: { items: ['a', 'b', 'c', 'd'] },
      runId: 'r-cancel',
      signal: ac.signal,
    });
    for (let i = 0; i < 500 && work.state.ran.length < 3; i++) await sleep(5);
    expect(work.state.ran.length).toBe(3);
    ac.abort();
    const r = await running;
    expect(r.status).toBe('cancelled');
    expect([...work.state.aborted].sort()).toEqual(['0-a', '1-b', '2-c']);
    const trail = taskTrail(await journalOf(tmp.store, 'r-cancel'));
    expect(trail.filter((t) => t.startsWith('task.cancelled')).sort()).toEqual([
      'task.cancelled:each',
      'task.cancelled:each:0',
      'task.cancelled:each:1',
      'task.cancelled:each:2',
    ]);
    expect(trail).not.toContain('task.started:each:3');
  });

  it.each([true, false])(
    'after a crash, never runs a finished item again; the interrupted one follows the idempotent rule (idempotent: %s)',
    async (idempotent) => {
      // given a run whose process dies while item 2 of 4 runs (its task never settles)
      const calls: string[] = [];
      let hang = true;
      let started2: () => void = () => undefined;
      const at2 = new Promise<void>((r) => (started2 = r));
      const counted = defineTask({
        id: 'test.count',
        title: 'Count',
        input: z.object({ label: z.string() }),
        output: z.object({ label: z.string() }),
        idempotent,
        async run({ input }) {
          calls.push(input.label);
          if (input.label === 'c' && hang) {
            started2();
            return new Promise<never>(() => undefined);
          }
          return { label: input.label };
        },
      });
      const def = workflow({
        id: 'test:each-crash',
        params: { items: { type: 'array' } },
        steps: forEach('each', '=items', task('w', 'test.count', { label: '=item' })),
        output: '=steps.each',
      });
      const runId = 'r-crash';
      const first: EngineOptions = { store: tmp.store, registry: createRegistry(counted) };
      void startRun(first, def, { params: { items: ['a', 'b', 'c', 'd'] }, runId }).catch(() => undefined);
      await at2;
      expect(calls).toEqual(['a', 'b', 'c']);
      const rec = (await tmp.store.get<RunRecord>(`runs/${runId}`))!;
      await tmp.store.put(`runs/${runId}`, { ...rec.value, pid: 999_999 });
      await processDied(tmp.store);
      // when another process resumes it
      hang = false;
      calls.length = 0;
      const store2 = await createJsonStore(tmp.dir);
      const r = await resumeRun({ store: store2, registry: createRegistry(counted) }, runId);
      if (idempotent) {
        // then a and b (finished) never run again; c runs again (idempotent), then d
        expect(r.status).toBe('succeeded');
        expect(calls).toEqual(['c', 'd']);
        expect(r.output).toEqual([{ label: 'a' }, { label: 'b' }, { label: 'c' }, { label: 'd' }]);
      } else {
        // then the interrupted item waits for a person, nothing runs
        expect(r.status).toBe('needs-attention');
        expect(r.attention?.steps).toEqual(['each:2']);
        expect(calls).toEqual([]);
      }
      await store2.close();
    },
  );

  it('calls a workflow once per item (a whole sub-sequence as the body), each a child run', async () => {
    const echo = echoTask();
    const child = workflow({
      id: 'test:child',
      params: { name: { type: 'string' } },
      steps: sequence(
        task('one', 'test.echo', { value: '="hi " + name' }),
        task('two', 'test.echo', { value: '=name' }),
      ),
      output: '=steps.one.value',
    });
    const { engine } = engineWith([echo.task], {
      store: tmp.store,
      resolveWorkflow: (id) => (id === 'test:child' ? child : undefined),
    });
    const def = workflow({
      id: 'test:each-call',
      steps: forEach('greet', ['ann', 'bob'], call('hello', 'test:child', { name: '=item' })),
      output: '=steps.greet',
    });
    const r = await startRun(engine, def, { params: {}, runId: 'r-call' });
    expect(r.status).toBe('succeeded');
    expect(r.output).toEqual(['hi ann', 'hi bob']);
    expect(echo.calls).toEqual(['hi ann', 'ann', 'hi bob', 'bob']);
    expect((await tmp.store.get<RunRecord>('runs/r-call.greet:1'))?.value.status).toBe('succeeded');
  });
});

describe('forEach over a sub-sequence', () => {
  const body = () =>
    sequence(
      task('first', 'test.work', { label: '=prefix + item' }),
      decide('long', [
        { when: 'string length(item) > 2', then: task('extra', 'test.work', { label: '="x-" + item' }) },
      ]),
    );
  const def = (o: Parameters<typeof forEach>[3] = {}) =>
    workflow({
      id: 'test:each-seq',
      params: { items: { type: 'array' }, prefix: { type: 'string' } },
      steps: forEach('each', '=items', body(), o),
      output: '=steps.each',
    });

  it('is one step of the run (its body runs in child runs): the progress display lists it, not its body', () => {
    expect(listSteps(def()).map((x) => [x.id, x.src])).toEqual([['each', 'for-each']]);
  });

  it('runs the body once per item as a child run, with the params, the item and its index; each output maps step ids to outputs', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task], { store: tmp.store });
    const r = await startRun(engine, def({ concurrency: 2 }), {
      params: { items: ['ab', 'abc'], prefix: 'p-' },
      runId: 'r-seq',
    });
    expect(r.status).toBe('succeeded');
    expect(r.output).toEqual([{ first: { label: 'p-ab' } }, { first: { label: 'p-abc' }, extra: { label: 'x-abc' } }]);
    // each item is a child run of its own, named after the item's step
    const child = (await tmp.store.get<RunRecord>('runs/r-seq.each:1'))?.value;
    expect(child?.status).toBe('succeeded');
    expect(child?.parent).toBe('r-seq');
    expect(taskTrail(await journalOf(tmp.store, 'r-seq.each:1'))).toEqual([
      'task.started:first',
      'task.finished:first',
      'task.started:extra',
      'task.finished:extra',
    ]);
  });

  it('names every failed item, and stops the others on cancel', async () => {
    const work = workTask();
    const { engine } = engineWith([work.task], { store: tmp.store });
    const failed = await startRun(engine, def({ onFailure: 'all' }), { params: { items: ['bad', 'ok'], prefix: '' } });
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(
      /^for-each <each>: 1 of 2 items failed: \[0\] bad: called workflow test:each-seq:each failed: bad went wrong$/,
    );
    const ac = new AbortController();
    const slow = workflow({
      id: 'test:each-slow',
      params: { items: { type: 'array' } },
      steps: forEach('each', '=items', sequence(task('nap', 'test.work', { label: '=item', ms: 10_000 })), {
        concurrency: 2,
      }),
    });
    const running = startRun(engine, slow, {
      params: { items: ['a', 'b', 'c'] },
      runId: 'r-seq-cancel',
      signal: ac.signal,
    });
    for (let i = 0; i < 500 && work.state.ran.filter((l) => l === 'a' || l === 'b').length < 2; i++) await sleep(5);
    ac.abort();
    const r = await running;
    expect(r.status).toBe('cancelled');
    expect([...work.state.aborted].sort()).toEqual(['a', 'b']);
    expect((await tmp.store.get<RunRecord>('runs/r-seq-cancel.each:0'))?.value.status).toBe('cancelled');
    expect(await tmp.store.get('runs/r-seq-cancel.each:2')).toBeUndefined();
  });

  it('after a crash, never runs a finished item again, and resumes the interrupted child run', async () => {
    const calls: string[] = [];
    let hang = true;
    let started: () => void = () => undefined;
    const atB = new Promise<void>((r) => (started = r));
    const counted = defineTask({
      id: 'test.count',
      title: 'Count',
      input: z.object({ label: z.string() }),
      output: z.object({ label: z.string() }),
      idempotent: true,
      async run({ input }) {
        calls.push(input.label);
        if (input.label === 'b2' && hang) {
          started();
          return new Promise<never>(() => undefined);
        }
        return { label: input.label };
      },
    });
    const crashing = workflow({
      id: 'test:each-seq-crash',
      params: { items: { type: 'array' } },
      steps: forEach(
        'each',
        '=items',
        sequence(
          task('one', 'test.count', { label: '=item + "1"' }),
          task('two', 'test.count', { label: '=item + "2"' }),
        ),
      ),
      output: '=steps.each',
    });
    void startRun({ store: tmp.store, registry: createRegistry(counted) }, crashing, {
      params: { items: ['a', 'b', 'c'] },
      runId: 'r-seq-crash',
    }).catch(() => undefined);
    await atB;
    expect(calls).toEqual(['a1', 'a2', 'b1', 'b2']);
    await processDied(tmp.store);
    hang = false;
    calls.length = 0;
    const store2 = await createJsonStore(tmp.dir);
    const r = await resumeRun({ store: store2, registry: createRegistry(counted) }, 'r-seq-crash');
    // item a (a finished child run) never runs again; in b, one (finished) is not run again, two is; then c
    expect(r.status).toBe('succeeded');
    expect(calls).toEqual(['b2', 'c1', 'c2']);
    expect((r.output as Array<Record<string, { label: string }>>).map((o) => o.two.label)).toEqual(['a2', 'b2', 'c2']);
    await store2.close();
  });
});

describe('forEach definitions', () => {
  it('refuses a body with its own onError, timeout or outputs, and an unknown option naming the closest', () => {
    const body = task('w', 'test.work', { label: 'x' }, { onError: 'continue' });
    expect(() => forEach('e', '=xs', body)).toThrow(
      /forEach <e>: the body's "onError" is not supported; give it to forEach/,
    );
    expect(() => forEach('e', '=xs', task('w', 'test.work', {}), { concurency: 2 } as never)).toThrow(
      /forEach <e>: unknown option "concurency"; did you mean "concurrency"\?/,
    );
    expect(() => forEach('e', '=xs', 'nope' as never)).toThrow(/forEach <e>/);
    expect(() => forEach('e', '=xs', sequence(task('a', 'x', {})), { retry: { max: 2 } })).toThrow(
      /forEach <e>: "retry" applies to a task: give it to the body's steps/,
    );
  });

  it('validates meta.each: items, names, concurrency, failure policy, unknown keys', () => {
    const registry = createRegistry(workTask().task);
    const bad = (each: unknown) =>
      checkDefinition(
        {
          id: 'test:bad-each',
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
    expect(bad({ items: 'xs' })).toEqual([
      'meta.each.items must be a FEEL expression starting with "=" (e.g. "=instances") or a list',
    ]);
    expect(bad({ items: '=xs', concurrency: 0 })).toEqual(['meta.each.concurrency must be an integer from 1 to 64']);
    expect(bad({ items: '=xs', concurrency: 65 })).toEqual(['meta.each.concurrency must be an integer from 1 to 64']);
    expect(bad({ items: '=xs', as: 'i', index: 'i' })).toEqual(['meta.each.as and meta.each.index must differ']);
    expect(bad({ items: '=xs', as: '1x' })).toEqual([
      'meta.each.as must be a name (letters, digits, _; not starting with a digit)',
    ]);
    expect(bad({ items: '=xs', onFailure: 'continue' })).toEqual(['meta.each.onFailure must be "stop" or "all"']);
    expect(bad({ items: '=xs', concurency: 2 })).toEqual([
      'unknown key "concurency" in meta.each; did you mean "concurrency"?',
    ]);
    expect(bad({ items: ['a'], concurrency: 64, onFailure: 'all', as: 'name', index: 'i' })).toEqual([]);
  });
});

describe('forEach elsewhere', () => {
  it('is rolled back item by item, newest first; the for-each itself undoes nothing', async () => {
    const undone: string[] = [];
    const { engine } = engineWith([undoableTask(undone)]);
    const def = workflow({
      id: 'test:each-rollback',
      steps: forEach('make', ['a', 'b', 'c'], task('mk', 'test.undoable', { name: '=item' })),
    });
    expect((await startRun(engine, def, { params: {}, runId: 'r-each-rb' })).status).toBe('succeeded');
    const report = await rollbackRun(engine, 'r-each-rb');
    expect(undone).toEqual(['c:c', 'b:b', 'a:a']);
    expect(report.compensated).toEqual(['make:2', 'make:1', 'make:0']);
    expect(report.skipped).toEqual([]);
    expect(report.status).toBe('rolled-back');
  });

  const def = workflow({
    id: 'test:each-plan',
    params: { names: { type: 'array' } },
    steps: forEach('greet', '=names', task('hello', 'log.info', { message: '="hello " + item' }), { concurrency: 2 }),
  });

  it('is planned item by item by a dry run', async () => {
    const { planDefinition } = await import('../../engine/index.js');
    const { createDefaultRegistry } = await import('../../tasks/index.js');
    const [item] = planDefinition(def, createDefaultRegistry(), { names: ['ann', 'bob'] });
    expect(item.id).toBe('greet');
    expect(item.notes).toEqual(['for each item of =names (2 at a time; stops at the first failure)']);
    expect(item.lines.join('\n')).toMatch(/hello ann[\s\S]*hello bob/);
  });
});
