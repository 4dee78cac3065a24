// compile(): the xstate machine a definition becomes, driven directly (events, meta) and through runs (targets,
// variables, timers, failing ends).
import { describe, it, expect } from 'vitest';
import { createActor } from 'xstate';
import {
  bindRuntime,
  compile,
  fail,
  sequence,
  startRun,
  task,
  wait,
  workflow,
  type Definition,
  type Runtime,
} from '../../engine/index.js';
import { echoTask, engineWith, journalOf } from './support.js';

const noTasks: Runtime = { runTask: async () => ({}) };

describe('compile', () => {
  it('moves on the events a state waits for, to string or object targets, and keeps state meta', () => {
    // given a state waiting for an approve or a reject event
    const def: Definition = {
      id: 'test:events',
      machine: {
        initial: 'waiting',
        states: {
          waiting: {
            on: { approve: 'approved', reject: { target: 'rejected' } },
            meta: { title: 'Wait for approval' },
          },
          approved: { type: 'final' },
          rejected: { type: 'final' },
        },
      },
    };
    const start = () => {
      const actor = createActor(compile(def), { input: { params: {} } });
      bindRuntime(actor, noTasks);
      return actor.start();
    };
    // when the machine starts, it waits there, with the state's meta
    const a = start();
    expect(a.getSnapshot().value).toBe('waiting');
    expect(a.getSnapshot().getMeta()).toEqual({ 'root.waiting': { title: 'Wait for approval' } });
    // and each event leads to its target
    a.send({ type: 'approve' });
    expect([a.getSnapshot().value, a.getSnapshot().status]).toEqual(['approved', 'done']);
    const b = start();
    b.send({ type: 'reject' });
    expect([b.getSnapshot().value, b.getSnapshot().status]).toEqual(['rejected', 'done']);
  });

  it('compiles a definition once, recompiles a replaced machine, and keeps concurrent runs of it apart', async () => {
    // given one definition object
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({
      id: 'test:shared',
      params: { who: { type: 'string' } },
      steps: sequence(
        task('a', 'test.echo', { value: '="a:" + who' }),
        task('b', 'test.echo', { value: '="b:" + who' }),
      ),
    });
    // then compiling it twice gives the same machine, and a definition whose machine was replaced gets its own
    expect(compile(def)).toBe(compile(def));
    const copy = { ...def, machine: structuredClone(def.machine) };
    expect(compile(copy)).not.toBe(compile(def));
    // when two engines run it at once (each run binds its own runtime to the shared machine)
    const other = engineWith([echo]).engine;
    const [x, y] = await Promise.all([
      startRun(engine, def, { params: { who: 'x' } }),
      startRun(other, def, { params: { who: 'y' } }),
    ]);
    // then each run ran its own steps with its own params, journaled in its own store
    expect([x.status, y.status]).toEqual(['succeeded', 'succeeded']);
    expect([...calls].sort()).toEqual(['a:x', 'a:y', 'b:x', 'b:y']);
    expect(x.steps.map((s) => s.id)).toEqual(['a', 'b']);
    expect(await engine.store.list('runs/')).toHaveLength(1);
    expect(await other.store.list('runs/')).toHaveLength(1);
  });

  it('refuses to run a step of an actor that has no runtime bound, naming the step', async () => {
    const def = workflow({ id: 'test:unbound', steps: task('only', 'test.echo', { value: 'v' }) });
    const actor = createActor(compile(def), { input: { params: {} } });
    const failed = new Promise((resolve) => actor.subscribe({ error: resolve, complete: () => resolve(null) }));
    actor.start();
    expect(String(await failed)).toMatch(/step <only> started by an actor with no runtime bound/);
  });

  it('follows object targets of onDone', async () => {
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([echo]);
    const def: Definition = {
      id: 'test:targets',
      machine: {
        initial: 'a',
        states: {
          a: { invoke: { src: 'test.echo', input: { value: 'a' } }, onDone: { target: 'b', meta: { note: 'then b' } } },
          b: { invoke: { src: 'test.echo', input: { value: 'b' } }, onDone: 'done' },
          done: { type: 'final' },
        },
      },
    };
    const result = await startRun(engine, def, { params: {} });
    expect(result.status).toBe('succeeded');
    expect(calls).toEqual(['a', 'b']);
  });

  it('keeps step outputs out of the variables unless the step merges them', async () => {
    // given a param "value" and a step whose output has a field "value" too
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({
      id: 'test:vars',
      params: { value: { type: 'string' } },
      steps: sequence(task('a', 'test.echo', { value: 'from a' }), task('b', 'test.echo', { value: '=value' })),
    });
    // when it runs
    await startRun(engine, def, { params: { value: 'param' } });
    // then the later step still sees the param
    expect(calls).toEqual(['from a', 'param']);
  });

  it('runs a wait timer given as an ISO-8601 duration', async () => {
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({
      id: 'test:iso',
      steps: sequence(wait('pause', 'PT0.001S'), task('b', 'test.echo', { value: 'b' })),
    });
    const result = await startRun(engine, def, { params: {} });
    expect(result.status).toBe('succeeded');
    expect(calls).toEqual(['b']);
  });

  it('fails the run, naming the timer, when a FEEL delay evaluates to something that is not a delay', async () => {
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({
      id: 'test:baddelay',
      params: { delay: { type: 'string' } },
      steps: sequence(wait('pause', '=params.delay'), task('b', 'test.echo', { value: 'b' })),
    });
    const result = await startRun(engine, def, { params: { delay: 'soon' } });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe(
      'bad delay in <pause>: "soon"; expected milliseconds or an ISO-8601 duration such as PT30S',
    );
    expect(calls).toEqual([]);
  });

  it('ends a run at a top-level fail() end, journaling the failure with its message', async () => {
    // given a step then a failing end whose message is FEEL over the step's output
    const { task: echo } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({
      id: 'test:failend',
      steps: sequence(task('a', 'test.echo', { value: 1 }), fail('stop', '="stopped after " + string(steps.a.value)')),
    });
    // when it runs
    const result = await startRun(engine, def, { params: {} });
    // then the run failed with that message, and the journal's last entry says so
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'TASK_FAILED',
      message: 'stopped after 1',
      details: { element: 'stop' },
    });
    const last = (await journalOf(engine.store, result.runId)).at(-1);
    expect(last).toMatchObject({ type: 'run.failed', message: 'stopped after 1' });
  });
});
