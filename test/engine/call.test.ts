// Sub-workflow calls: child run ids, attention ends of children, child errors, and resume of a parent whose child
// was interrupted, cancelled or had already finished.
import { describe, expect, it, vi } from 'vitest';
import {
  attention,
  call,
  createMemoryStore,
  decide,
  fail,
  resumeRun,
  rollbackRun,
  sequence,
  startRun,
  task,
  workflow,
  type Definition,
  type JournalEntry,
  type RunRecord,
  type Store,
} from '../../engine/index.js';
import { addTask, echoTask, engineWith, gateTask, journalOf, taskTrail, processDied } from './support.js';

const catalog =
  (...defs: Definition[]) =>
  (id: string) =>
    defs.find((d) => d.id === id);
const recordOf = async (store: Store, id: string) => (await store.get<RunRecord>(`runs/${id}`))?.value;

describe('call steps', () => {
  it('fails the step, naming it, when the engine has no catalog to find the called workflow', async () => {
    const { engine } = engineWith([]);
    const result = await startRun(engine, workflow({ id: 'parent:lost', steps: call('sub', 'child:lost') }), {
      params: {},
      runId: 'p-lost',
    });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'step <sub> calls workflow "child:lost", which is not in the catalog',
      details: { step: 'sub' },
    });
    expect(await recordOf(engine.store, 'p-lost.sub')).toBeUndefined();
  });

  it('gives each execution of a call step in a loop its own child run: <run>.<step>, then -2, -3', async () => {
    // given a child that refuses n = 1 and echoes other values, called in a loop for n = 1, 2, 3 (its failure handled)
    const echo = echoTask();
    const child = workflow({
      id: 'child:n',
      params: { n: { type: 'number' } },
      steps: decide(
        'one',
        [{ when: 'n = 1', then: fail('refuse', 'one is refused') }],
        task('show', 'test.echo', { value: '=n' }),
      ),
      output: '=steps.show.value',
    });
    const parent: Definition = {
      id: 'parent:loop',
      params: { n: { type: 'number' } },
      machine: {
        initial: 'sub',
        states: {
          sub: { invoke: { src: 'workflow:child:n', input: { n: '=n' } }, onDone: 'inc', onError: 'inc' },
          inc: {
            invoke: { src: 'test.add', input: { a: '=n', b: 1 } },
            meta: { outputs: { n: '=output.sum' } },
            onDone: 'check',
          },
          check: {
            always: [{ target: 'sub', guard: { type: 'expr', params: { expr: 'n < 4' } } }, { target: 'done' }],
          },
          done: { type: 'final' },
        },
      },
    };
    const { engine } = engineWith([addTask, echo.task], { resolveWorkflow: catalog(child) });
    // when the parent runs from n = 1
    const result = await startRun(engine, parent, { params: { n: 1 }, runId: 'p-loop' });
    // then three child runs were made, each with its own id and params, and the later ones really ran
    expect(result.status).toBe('succeeded');
    expect(echo.calls).toEqual([2, 3]);
    expect(result.steps.filter((s) => s.id === 'sub').map((s) => [s.child, s.status])).toEqual([
      ['p-loop.sub', 'failed'],
      ['p-loop.sub-2', 'succeeded'],
      ['p-loop.sub-3', 'succeeded'],
    ]);
    expect(await recordOf(engine.store, 'p-loop.sub')).toMatchObject({
      status: 'failed',
      params: { n: 1 },
      parent: 'p-loop',
    });
    expect(await recordOf(engine.store, 'p-loop.sub-2')).toMatchObject({
      status: 'succeeded',
      params: { n: 2 },
      output: 2,
    });
    expect(await recordOf(engine.store, 'p-loop.sub-3')).toMatchObject({
      status: 'succeeded',
      params: { n: 3 },
      output: 3,
    });
  });

  it('records the called workflow as the source of the child run', async () => {
    const child = workflow({ id: 'child:one', steps: task('a', 'test.echo', { value: 1 }) });
    const { engine } = engineWith([echoTask().task], { resolveWorkflow: catalog(child) });
    await startRun(engine, workflow({ id: 'parent:src', steps: call('sub', 'child:one') }), {
      params: {},
      runId: 'p-src',
    });
    expect((await recordOf(engine.store, 'p-src.sub'))?.source).toEqual({ kind: 'catalog', ref: 'child:one' });
  });

  it.each([
    { out: { left: 2 }, label: 'l', seen: { left: 2, attention: 'check l' } },
    { out: 'x', label: 'x', seen: { value: 'x', attention: 'check x' } },
    { out: 0, label: 'zero', seen: { value: 0, attention: 'check zero' } },
    { out: undefined, label: 'none', seen: { attention: 'check none' } },
  ])(
    'hands a child that ends in attention() to the next step as its output ($label), and carries on',
    async ({ out, label, seen }) => {
      // given a child whose end asks for attention (with that output), called by a parent that reads the step's output
      const echo = echoTask();
      const child = workflow({
        id: 'child:review',
        params: { label: { type: 'string' } },
        steps: sequence(task('look', 'test.echo', { value: 1 }), attention('review', '="check " + label', out)),
      });
      const { engine } = engineWith([echo.task], { resolveWorkflow: catalog(child) });
      const parent = workflow({
        id: 'parent:review',
        steps: sequence(call('sub', 'child:review', { label }), task('after', 'test.echo', { value: '=steps.sub' })),
      });
      // when the parent runs
      const result = await startRun(engine, parent, { params: {}, runId: 'p-review' });
      // then the child needs attention, and the parent went on with the child's output plus its attention message
      expect((await recordOf(engine.store, 'p-review.sub'))?.status).toBe('needs-attention');
      expect(result.status).toBe('succeeded');
      expect(echo.calls.at(-1)).toEqual(seen);
      expect(result.steps.find((s) => s.id === 'sub')).toMatchObject({ status: 'succeeded' });
      expect(result.steps.find((s) => s.id === 'sub')?.output).toStrictEqual(seen);
    },
  );

  it('fails the step with the child error code, message and child run id', async () => {
    // given a child whose step gets an invalid input (a VALIDATION error)
    const child = workflow({ id: 'child:bad', steps: task('add', 'test.add', { a: 1, b: '="two"' }) });
    const { engine } = engineWith([addTask], { resolveWorkflow: catalog(child) });
    const result = await startRun(engine, workflow({ id: 'parent:bad', steps: call('sub', 'child:bad') }), {
      params: {},
      runId: 'p-bad',
    });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ step: 'sub', code: 'VALIDATION', details: { child: 'p-bad.sub' } });
    expect(result.error?.message).toMatch(
      /^called workflow child:bad failed: input of <add> \(test\.add\) is invalid: b: /,
    );
  });
});

describe('resuming a parent run at a call step', () => {
  it('resumes the child run that was running when the process died, without starting the step again', async () => {
    // given a parent whose process "died" while its child's idempotent step ran (that first call never settles)
    const store = createMemoryStore();
    const gate1 = gateTask({ idempotent: true, hangFirst: true });
    const child = workflow({
      id: 'child:gate',
      steps: task('work', 'test.gate', { value: 'from-child' }),
      output: '=steps.work.value',
    });
    const parent = workflow({
      id: 'parent:gate',
      steps: sequence(call('sub', 'child:gate'), task('after', 'test.echo', { value: '=steps.sub' })),
    });
    const { engine: first } = engineWith([gate1.task, echoTask().task], { store, resolveWorkflow: catalog(child) });
    void startRun(first, parent, { params: {}, runId: 'p-crash' });
    await gate1.started();
    await vi.waitFor(async () =>
      expect((await journalOf(store, 'p-crash.sub')).map((e) => e.type)).toContain('task.started'),
    );
    expect((await recordOf(store, 'p-crash.sub'))?.status).toBe('running');
    await processDied(store);
    // when another engine (persist: true, the default, said explicitly) resumes the parent
    const gate2 = gateTask({ idempotent: true });
    gate2.release();
    const echo2 = echoTask();
    const { engine: second } = engineWith([gate2.task, echo2.task], {
      store,
      resolveWorkflow: catalog(child),
      persist: true,
    });
    const result = await resumeRun(second, 'p-crash');
    // then the same child run was resumed and finished, and the parent's step was not journaled as started twice
    expect(result.status).toBe('succeeded');
    expect(echo2.calls).toEqual(['from-child']);
    expect(gate2.calls()).toBe(1);
    expect((await journalOf(store, 'p-crash.sub')).map((e) => e.type)).toContain('run.resumed');
    expect(taskTrail(await journalOf(store, 'p-crash'))).toEqual([
      'task.started:sub',
      'task.finished:sub',
      'task.started:after',
      'task.finished:after',
    ]);
    expect(result.steps.map((s) => [s.id, s.status, s.output])).toEqual([
      ['sub', 'succeeded', 'from-child'],
      ['after', 'succeeded', { value: 'from-child' }],
    ]);
  });

  it('shows the call step of a cancelled parent succeeded once its resumed child run finishes', async () => {
    // given a parent cancelled while its child blocked
    const gate = gateTask({ idempotent: true });
    const echo = echoTask();
    const child = workflow({
      id: 'child:gate',
      steps: task('work', 'test.gate', { value: 'from-child' }),
      output: '=steps.work.value',
    });
    const { engine } = engineWith([gate.task, echo.task], { resolveWorkflow: catalog(child) });
    const parent = workflow({
      id: 'parent:gate',
      steps: sequence(call('sub', 'child:gate'), task('after', 'test.echo', { value: '=steps.sub' })),
    });
    const ac = new AbortController();
    const running = startRun(engine, parent, { params: {}, runId: 'p-cancel', signal: ac.signal });
    await gate.started();
    ac.abort();
    expect((await running).steps).toMatchObject([{ id: 'sub', status: 'cancelled', child: 'p-cancel.sub' }]);
    expect((await journalOf(engine.store, 'p-cancel')).find((e) => e.type === 'task.cancelled')).toMatchObject({
      step: 'sub',
      task: 'workflow:child:gate',
      child: 'p-cancel.sub',
      attempt: 1,
    });
    // when it is resumed
    gate.release();
    const result = await resumeRun(engine, 'p-cancel');
    // then the step's new execution is journaled from its start, and the summary shows it succeeded with the child's output
    expect(result.status).toBe('succeeded');
    expect(taskTrail(await journalOf(engine.store, 'p-cancel'))).toEqual([
      'task.started:sub',
      'task.cancelled:sub',
      'task.started:sub',
      'task.finished:sub',
      'task.started:after',
      'task.finished:after',
    ]);
    expect(result.steps.map((s) => [s.id, s.status, s.output])).toEqual([
      ['sub', 'cancelled', undefined],
      ['sub', 'succeeded', 'from-child'],
      ['after', 'succeeded', { value: 'from-child' }],
    ]);
  });

  /** A parent run whose process dies right after its child run finished, before the parent journaled the step's end. */
  async function diedAfterChild() {
    const store = createMemoryStore();
    const dead = { value: false };
    const dying = Object.create(store) as Store;
    const parentKeys = ['runs/p-torn', 'snapshots/p-torn', 'journal/p-torn'];
    dying.put = (key, value, options) =>
      dead.value && parentKeys.includes(key) ? new Promise<never>(() => undefined) : store.put(key, value, options);
    dying.append = async (key, record) => {
      if (dead.value && parentKeys.includes(key)) return new Promise<never>(() => undefined);
      await store.append(key, record);
      if (key === 'journal/p-torn.sub' && (record as JournalEntry).type === 'run.finished') dead.value = true;
    };
    const echo1 = echoTask();
    const child = workflow({
      id: 'child:once',
      steps: task('work', 'test.echo', { value: 'made' }),
      output: '=steps.work.value',
    });
    const parent = workflow({
      id: 'parent:torn',
      steps: sequence(call('sub', 'child:once'), task('after', 'test.echo', { value: '=steps.sub' })),
    });
    const { engine: first } = engineWith([echo1.task], { store: dying, resolveWorkflow: catalog(child) });
    void startRun(first, parent, { params: {}, runId: 'p-torn' });
    await vi.waitFor(async () => expect((await recordOf(store, 'p-torn.sub'))?.status).toBe('succeeded'));
    expect(echo1.calls).toEqual(['made']);
    await processDied(store);
    const echo2 = echoTask();
    const { engine: second } = engineWith([echo2.task], { store, resolveWorkflow: catalog(child) });
    return { store, echo2, second };
  }

  it('takes the output of a child run that finished before the parent died, without running the child again', async () => {
    const { store, echo2, second } = await diedAfterChild();
    const result = await resumeRun(second, 'p-torn');
    expect(result.status).toBe('succeeded');
    expect(echo2.calls).toEqual(['made']);
    expect(taskTrail(await journalOf(store, 'p-torn'))).toEqual([
      'task.started:sub',
      'task.finished:sub',
      'task.started:after',
      'task.finished:after',
    ]);
    expect(await journalOf(store, 'p-torn.sub')).not.toContainEqual(expect.objectContaining({ type: 'run.resumed' }));
  });

  it('fails the step when the child run it finds was rolled back meanwhile', async () => {
    const { echo2, second } = await diedAfterChild();
    await rollbackRun(second, 'p-torn.sub');
    const result = await resumeRun(second, 'p-torn');
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      step: 'sub',
      code: 'TASK_FAILED',
      message: 'called workflow child:once failed: rolled-back',
      details: { child: 'p-torn.sub' },
    });
    expect(echo2.calls).toEqual([]);
  });
});
