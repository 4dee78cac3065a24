// The compiled machine's edges (engine/compile.ts): the error a failing end below the top level stands for, the
// machine cache; and a call step's child run (engine/call.ts) when it exists already, is cancelled, or was let go of.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  call,
  CancelledError,
  cleanup,
  compile,
  createMemoryStore,
  defineTask,
  DetachedError,
  fail,
  parallel,
  RETHROW,
  resumeRun,
  sequence,
  startRun,
  task,
  workflow,
  type Definition,
  type RunRecord,
  type Store,
} from '../../engine/index.js';
import { echoTask, engineWith, failTask, gateTask, journalOf } from './support.js';

const recordOf = async (store: Store, id: string) => (await store.get<RunRecord>(`runs/${id}`))?.value;

/** Throws a CancelledError of its own (a task that gave up), not because its run was cancelled. */
const givesUp = defineTask({
  id: 'test.givesup',
  title: 'Gives up',
  input: z.object({}),
  output: z.object({}),
  run: async () => {
    throw new CancelledError('gave up waiting');
  },
});

describe('a failing end below the top level', () => {
  /** Runs `branch` in parallel with a step that succeeds; the run's result. */
  async function inParallel(branch: Parameters<typeof parallel>[1]) {
    const { engine } = engineWith([echoTask().task, failTask().task, givesUp]);
    return startRun(
      engine,
      workflow({ id: 'test:nestedfail', steps: parallel('p', branch, task('other', 'test.echo', { value: 1 })) }),
      { params: {} },
    );
  }

  it('fails the run with its message when no error was handled before it', async () => {
    const result = await inParallel(sequence(task('a', 'test.echo', { value: 1 }), fail('stop', 'left refused')));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'TASK_FAILED', message: 'left refused', details: { element: 'stop' } });
  });

  it('fails the run with its own message, not the handled error, when it does not re-throw', async () => {
    const result = await inParallel(
      task('risky', 'test.fail', { message: 'disk full' }, { onError: fail('stop', '="gave up: " + error.message') }),
    );
    expect(result.error).toMatchObject({
      code: 'TASK_FAILED',
      message: 'gave up: disk full',
      details: { element: 'stop' },
    });
  });

  it('re-throws the handled error as it is, code included', async () => {
    const result = await inParallel(task('try', 'test.givesup', {}, { onError: fail('again', RETHROW) }));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'CANCELLED', message: 'gave up waiting', step: 'try' });
  });

  it.each([
    { name: 'fail: true', fail: true as const },
    { name: 'a fail without a message', fail: {} },
  ])('fails with "run ended in <end>" at an end given $name, even after a handled error', async ({ fail }) => {
    const def: Definition = {
      id: 'test:nestedbare',
      machine: {
        initial: 'p',
        states: {
          p: {
            type: 'parallel',
            onDone: 'done',
            states: {
              left: {
                initial: 'risky',
                states: {
                  risky: {
                    invoke: { src: 'test.fail', input: { message: 'disk full' } },
                    onDone: 'ok',
                    onError: 'stop',
                  },
                  ok: { type: 'final' },
                  stop: { type: 'final', meta: { fail } },
                },
              },
              right: { initial: 'fin', states: { fin: { type: 'final' } } },
            },
          },
          done: { type: 'final' },
        },
      },
    };
    const { engine } = engineWith([failTask().task]);
    const result = await startRun(engine, def, { params: {} });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'TASK_FAILED', message: 'run ended in <stop>' });
  });

  it('fails the run with the error of the body, not one a cleanup step handled, through nested cleanups', async () => {
    const { engine } = engineWith([echoTask().task, failTask().task]);
    const def = workflow({
      id: 'test:nestedcleanup',
      steps: cleanup(
        'outer',
        cleanup(
          'inner',
          task('risky', 'test.fail', { message: 'disk full' }),
          task('undo', 'test.fail', { message: 'cannot undo' }, { onError: 'continue' }),
        ),
        task('tidy', 'test.echo', { value: 'tidied' }),
      ),
    });
    const result = await startRun(engine, def, { params: {} });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'TASK_FAILED', message: 'disk full', step: 'risky' });
  });

  it('fails the run when a step of a parallel branch fails unhandled (a branch does not catch it)', async () => {
    const result = await inParallel(
      sequence(task('a', 'test.fail', { message: 'branch broke' }), task('b', 'test.echo', { value: 2 })),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ message: 'branch broke', step: 'a' });
  });
});

describe('compile', () => {
  it('compiles a definition once, and again when its machine was replaced', () => {
    const def = workflow({ id: 'test:cache', steps: task('a', 'test.echo', { value: 1 }) });
    const first = compile(def);
    expect(compile(def)).toBe(first);
    def.machine = workflow({ id: 'test:cache', steps: task('b', 'test.echo', { value: 2 }) }).machine;
    const second = compile(def);
    expect(second).not.toBe(first);
    expect(second.config.initial).toBe('b');
  });
});

describe('a call step', () => {
  const child = workflow({
    id: 'child:echo',
    params: { value: { type: 'string' } },
    steps: task('say', 'test.echo', { value: '=value' }),
    output: '=steps.say.value',
  });
  const parent = workflow({
    id: 'parent:echo',
    params: { value: { type: 'string' } },
    steps: call('sub', 'child:echo', { value: '=value' }),
    output: '=steps.sub',
  });

  it('with persist: false, runs its child afresh without looking for one in the store', async () => {
    // given a store holding the runs of a first, persisted, run p (its child p.sub succeeded with "old")
    const store = createMemoryStore();
    const echo = echoTask();
    const resolveWorkflow = (id: string) => (id === 'child:echo' ? child : undefined);
    const persisted = engineWith([echo.task], { store, resolveWorkflow });
    expect((await startRun(persisted.engine, parent, { params: { value: 'old' }, runId: 'p' })).output).toBe('old');
    // when a run with the same id runs without persisting
    const memory = engineWith([echo.task], { store, resolveWorkflow, persist: false });
    const result = await startRun(memory.engine, parent, { params: { value: 'new' }, runId: 'p' });
    // then its child ran again, with its own input
    expect(result).toMatchObject({ status: 'succeeded', output: 'new' });
    expect(echo.calls).toEqual(['old', 'new']);
  });

  it('starts a new execution of the step (journaled) when it is resumed after a cancel', async () => {
    const gate = gateTask({ idempotent: true });
    const gated = workflow({ id: 'child:gate', steps: task('g', 'test.gate', {}), output: '=steps.g.value' });
    const { engine } = engineWith([gate.task], { resolveWorkflow: (id) => (id === 'child:gate' ? gated : undefined) });
    const ac = new AbortController();
    const running = startRun(engine, workflow({ id: 'parent:gate', steps: call('sub', 'child:gate') }), {
      params: {},
      runId: 'pc',
      signal: ac.signal,
    });
    await gate.started();
    ac.abort();
    expect((await running).status).toBe('cancelled');
    gate.release();
    expect((await resumeRun(engine, 'pc')).status).toBe('succeeded');
    const sub = (await journalOf(engine.store, 'pc')).filter((e) => e.step === 'sub').map((e) => e.type);
    expect(sub).toEqual(['task.started', 'task.cancelled', 'task.started', 'task.finished']);
  });

  it('resumes a child run that was let go of with its parent, and leaves the step open meanwhile', async () => {
    const gate = gateTask({ idempotent: true });
    const gated = workflow({ id: 'child:gate', steps: task('g', 'test.gate', {}), output: '=steps.g.value' });
    const { engine } = engineWith([gate.task], { resolveWorkflow: (id) => (id === 'child:gate' ? gated : undefined) });
    const ac = new AbortController();
    const running = startRun(engine, workflow({ id: 'parent:gate', steps: call('sub', 'child:gate') }), {
      params: {},
      runId: 'pd',
      signal: ac.signal,
    });
    await gate.started();
    ac.abort(new DetachedError());
    expect((await running).status).toBe('detached');
    expect((await recordOf(engine.store, 'pd.sub'))?.status).toBe('detached');
    // the call step is neither cancelled nor failed: open, for a resume to go on with its child
    expect((await journalOf(engine.store, 'pd')).filter((e) => e.step === 'sub').map((e) => e.type)).toEqual([
      'task.started',
    ]);
    // when the parent is resumed, then its child is resumed too, and both finish
    gate.release();
    const result = await resumeRun(engine, 'pd');
    expect(result).toMatchObject({ status: 'succeeded' });
    expect((await recordOf(engine.store, 'pd.sub'))?.status).toBe('succeeded');
    expect(gate.calls()).toBe(2);
  });
});
