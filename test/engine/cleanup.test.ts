// cleanup(): steps that run after a body whatever happened (success, failure, cancel), persisted and resumed like any step.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkDefinition,
  cleanup,
  createJsonStore,
  decide,
  createRegistry,
  DefinitionError,
  fail,
  parallel,
  planDefinition,
  resumeRun,
  sequence,
  startRun,
  task,
  wait,
  workflow,
  type Definition,
  type EngineOptions,
  type RunRecord,
} from '../../engine/index.js';
import {
  echoTask,
  engineWith,
  failTask,
  gateTask,
  journalOf,
  taskTrail,
  tempJsonStore,
  processDied,
} from './support.js';

let tmp: Awaited<ReturnType<typeof tempJsonStore>>;
beforeEach(async () => {
  tmp = await tempJsonStore();
});
afterEach(async () => {
  await tmp.cleanup();
});

/** before -> cleanup <backup> { body } then restart -> after. */
function backup(
  body: Parameters<typeof cleanup>[1],
  restart = task('restart', 'test.echo', { value: 'restarted' }),
): Definition {
  return workflow({
    id: 'test:cleanup',
    steps: sequence(
      task('before', 'test.echo', { value: 'before' }),
      cleanup('backup', body, restart),
      task('after', 'test.echo', { value: 'after' }),
    ),
    output: '=steps.after.value',
  });
}

describe('cleanup()', () => {
  it('runs its steps after a body that succeeds, then carries on', async () => {
    // given a body of one step and a cleanup step
    const echo = echoTask();
    const { engine } = engineWith([echo.task], { store: tmp.store });
    // when the run goes
    const result = await startRun(engine, backup(task('dump', 'test.echo', { value: 'dumped' })), {
      params: {},
      runId: 'r-ok',
    });
    // then the body, the cleanup and the next step ran once each, in order, and the failure copy never ran
    expect(result.status).toBe('succeeded');
    expect(result.output).toBe('after');
    expect(echo.calls).toEqual(['before', 'dumped', 'restarted', 'after']);
    expect(taskTrail(await journalOf(tmp.store, 'r-ok')).filter((e) => e.startsWith('task.finished'))).toEqual([
      'task.finished:before',
      'task.finished:dump',
      'task.finished:restart',
      'task.finished:after',
    ]);
  });

  it('runs its steps after a body that fails, then fails the run with the body error', async () => {
    // given a body whose second step fails
    const echo = echoTask();
    const boom = failTask();
    const { engine } = engineWith([echo.task, boom.task], { store: tmp.store });
    const def = backup(
      sequence(task('stop', 'test.echo', { value: 'stopped' }), task('dump', 'test.fail', { message: 'disk full' })),
    );
    // when the run goes
    const result = await startRun(engine, def, { params: {}, runId: 'r-fail' });
    // then the cleanup copy ran after the failure, the next step never ran, and the run failed with the body's error
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ message: 'disk full', step: 'dump' });
    expect(echo.calls).toEqual(['before', 'stopped', 'restarted']);
    expect(taskTrail(await journalOf(tmp.store, 'r-fail'))).toEqual([
      'task.started:before',
      'task.finished:before',
      'task.started:stop',
      'task.finished:stop',
      'task.started:dump',
      'task.failed:dump',
      'task.started:restart_failed',
      'task.finished:restart_failed',
    ]);
  });

  it('copies cleanup steps of every kind for the failure path: ids, titles, handlers, timeouts and gotos renamed', async () => {
    // given cleanup steps made of a decision (with an otherwise), a task with a handler node, a task with a timeout
    // and a goto to another cleanup step, a wait, a parallel, and a goto that leaves the steps
    const echo = echoTask();
    const boom = failTask();
    const { engine } = engineWith([echo.task, boom.task], { store: tmp.store });
    const steps = sequence(
      decide(
        'pick',
        [{ when: 'false', then: task('never', 'test.echo', { value: 'never' }) }],
        task(
          't1',
          'test.fail',
          { message: 'inner' },
          { title: 'First', onError: task('h', 'test.echo', { value: 'h' }) },
        ),
      ),
      task(
        't2',
        'test.fail',
        { message: 'again' },
        { timeout: { ms: 60_000, then: task('late', 'test.echo', { value: 'late' }) }, onError: { goto: 't4' } },
      ),
      task('t3', 'test.echo', { value: 'skipped' }),
      task('t4', 'test.echo', { value: 't4' }, { onError: { goto: 'outside' } }),
      wait('breath', 1),
      parallel('both', task('p1', 'test.echo', { value: 'p1' }), task('p2', 'test.echo', { value: 'p2' })),
    );
    const def = workflow({
      id: 'test:cleanup-kinds',
      steps: sequence(
        cleanup('c', task('body', 'test.fail', { message: 'boom' }), steps),
        task('outside', 'test.echo', { value: 'outside' }),
      ),
    });
    // then every state of the steps has its failure copy, with the copy's title saying so
    const states = def.machine.states;
    for (const id of ['pick', 'never', 't1', 'h', 't2', 'late', 't3', 't4', 'breath', 'both'])
      expect(Object.keys(states), id).toEqual(expect.arrayContaining([id, `${id}_failed`]));
    expect(states.t1_failed.meta?.title).toBe('First (after a failure)');
    expect(states.t1.meta?.title).toBe('First');
    // gotos to the steps' own ids lead to the copies; a goto elsewhere is kept
    expect(states.t2_failed.onError).toBe('t4_failed');
    expect(states.t2.onError).toBe('t4');
    expect(states.t4_failed.onError).toBe('outside');
    expect(JSON.stringify(states.both_failed)).toMatch(/"p1_failed".*"p2_failed"/);
    // when the body fails, the copies run (the handler of t1 too, t2's goto skipping t3) and the run fails with the
    // body's error, not with those the steps handled
    const result = await startRun(engine, def, { params: {}, runId: 'r-kinds' });
    expect(result).toMatchObject({ status: 'failed', error: { message: 'boom', step: 'body' } });
    expect(echo.calls).toEqual(['h', 't4', expect.any(String), expect.any(String)]);
    expect([...echo.calls.slice(2, 4)].sort()).toEqual(['p1', 'p2']);
    expect(taskTrail(await journalOf(tmp.store, 'r-kinds'))).toContain('task.started:h_failed');
    expect(taskTrail(await journalOf(tmp.store, 'r-kinds'))).not.toContain('task.started:t3_failed');
  });

  // found while covering the builder's copies (mutation run of engine-lang): the failure path used to end with the last
  // error in the context, so an error a cleanup step handled replaced the body's
  it('fails the run with the body error even when a cleanup step failed and was handled', async () => {
    const echo = echoTask();
    const boom = failTask();
    const { engine } = engineWith([echo.task, boom.task], { store: tmp.store });
    const def = backup(
      task('dump', 'test.fail', { message: 'disk full' }),
      task('restart', 'test.fail', { message: 'restart failed' }, { onError: 'continue' }),
    );
    const result = await startRun(engine, def, { params: {}, runId: 'r-handled' });
    expect(result).toMatchObject({ status: 'failed', error: { message: 'disk full' } });
  });

  it('refuses a cleanup in the steps of another (its failure copy would be copied), naming it', () => {
    const inner = cleanup('inner', task('i1', 'test.echo', {}), task('i2', 'test.echo', {}));
    for (const steps of [
      inner,
      sequence(task('a', 'test.echo', {}), inner),
      decide('d', [{ when: 'true', then: inner }]),
    ]) {
      const build = () => cleanup('outer', task('b', 'test.echo', {}), steps);
      expect(build).toThrow(DefinitionError);
      expect(build).toThrow(
        'cleanup <inner> cannot sit in the steps of cleanup <outer>: the failure copy of those steps would copy its own failure copy; nest it in the body of <outer>, or after it',
      );
    }
  });

  it('runs its steps after a fail() end inside the body, and fails the run with its message', async () => {
    // given a body that ends in fail()
    const echo = echoTask();
    const { engine } = engineWith([echo.task], { store: tmp.store });
    // when the run goes
    const result = await startRun(
      engine,
      backup(sequence(task('dump', 'test.echo', { value: 'dumped' }), fail('refuse', 'backup refused'))),
      { params: {} },
    );
    // then the cleanup ran and the run failed with the fail() message
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('backup refused');
    expect(echo.calls).toEqual(['before', 'dumped', 'restarted']);
  });

  it('on a cancel mid-body, aborts the body step, runs the cleanup, ends cancelled and refuses resume', async () => {
    // given a run whose body step blocks
    const echo = echoTask();
    const gate = gateTask({ idempotent: true });
    const { engine, events } = engineWith([echo.task, gate.task], { store: tmp.store });
    const ac = new AbortController();
    const running = startRun(engine, backup(task('dump', 'test.gate', {})), {
      params: {},
      runId: 'r-cancel',
      signal: ac.signal,
    });
    await gate.started();
    // when the run is cancelled (Ctrl-C)
    ac.abort();
    const result = await running;
    // then the body step saw its signal abort and was journaled cancelled, the cleanup ran, the run ended cancelled
    expect(gate.sawAbort()).toBe(true);
    expect(result.status).toBe('cancelled');
    expect(echo.calls).toEqual(['before', 'restarted']);
    expect(taskTrail(await journalOf(tmp.store, 'r-cancel')).slice(2)).toEqual([
      'task.started:dump',
      'task.cancelled:dump',
      'task.started:restart_failed',
      'task.finished:restart_failed',
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run.cancelled', message: expect.stringMatching(/cleanup ran/) });
    const record = (await tmp.store.get<RunRecord>('runs/r-cancel'))!.value;
    expect(record).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    // and resume is refused with a reason, running nothing
    await expect(resumeRun(engine, 'r-cancel')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: 'run r-cancel ended: its cleanup ran after the cancel; start a new run',
    });
    expect(gate.calls()).toBe(1);
  });

  it('on a cancel while the cleanup steps run, stops as an ordinary cancel, resumable at the cleanup step', async () => {
    // given a run whose cleanup step blocks
    const echo = echoTask();
    const gate = gateTask({ idempotent: true });
    const { engine } = engineWith([echo.task, gate.task], { store: tmp.store });
    const ac = new AbortController();
    const def = backup(task('dump', 'test.echo', { value: 'dumped' }), task('restart', 'test.gate', {}));
    const running = startRun(engine, def, { params: {}, runId: 'r-late', signal: ac.signal });
    await gate.started();
    // when the run is cancelled then resumed
    ac.abort();
    expect((await running).status).toBe('cancelled');
    gate.rearm();
    gate.release();
    const resumed = await resumeRun(engine, 'r-late');
    // then the cleanup step ran again on resume (not its failure copy) and the run carried on to its end
    expect(resumed.status).toBe('succeeded');
    expect(gate.calls()).toBe(2);
    expect(echo.calls).toEqual(['before', 'dumped', 'after']);
  });

  it('fails the run with the cleanup error when a cleanup step fails', async () => {
    // given a body that succeeds and a cleanup step that fails
    const echo = echoTask();
    const boom = failTask();
    const { engine } = engineWith([echo.task, boom.task], { store: tmp.store });
    // when the run goes
    const result = await startRun(
      engine,
      backup(
        task('dump', 'test.echo', { value: 'dumped' }),
        task('restart', 'test.fail', { message: 'cannot restart' }),
      ),
      { params: {} },
    );
    // then the run failed at the cleanup step, with its error, and did not carry on
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ message: 'cannot restart', step: 'restart' });
    expect(echo.calls).toEqual(['before', 'dumped']);
  });

  it('resumes a crash mid-body: the body step runs again, then the cleanup runs once', async () => {
    // given a run whose body step never settles (the process "dies" there), its record left to a dead pid
    const echo1 = echoTask();
    const gate1 = gateTask({ idempotent: true, hangFirst: true });
    const { engine: first } = engineWith([echo1.task, gate1.task], { store: tmp.store });
    void startRun(first, backup(task('dump', 'test.gate', {})), { params: {}, runId: 'r-crash' }).catch(
      () => undefined,
    );
    await gate1.started();
    await new Promise((r) => setTimeout(r, 20));
    const rec = (await tmp.store.get<RunRecord>('runs/r-crash'))!;
    await tmp.store.put('runs/r-crash', { ...rec.value, pid: 999_999 });
    await processDied(tmp.store);
    // when a new process resumes it
    const store2 = await createJsonStore(tmp.dir);
    const echo2 = echoTask();
    const gate2 = gateTask({ idempotent: true });
    gate2.release();
    const second: EngineOptions = { store: store2, registry: createRegistry(echo2.task, gate2.task) };
    const result = await resumeRun(second, 'r-crash');
    // then the body step ran again, the cleanup ran once (no crash ran it before) and the run finished
    expect(result.status).toBe('succeeded');
    expect(gate2.calls()).toBe(1);
    expect(echo1.calls).toEqual(['before']);
    expect(echo2.calls).toEqual(['restarted', 'after']);
    await store2.close();
  });

  it('nests inside another cleanup body: a failure runs the inner cleanup, then the outer one, then fails the run', async () => {
    // given cleanup <outer> whose body holds cleanup <inner> around a failing step
    const echo = echoTask();
    const boom = failTask();
    const { engine } = engineWith([echo.task, boom.task], { store: tmp.store });
    const def = workflow({
      id: 'test:nested-cleanup',
      steps: cleanup(
        'outer',
        sequence(
          cleanup(
            'inner',
            task('work', 'test.fail', { message: 'inner boom' }),
            task('undo_inner', 'test.echo', { value: 'inner' }),
          ),
          task('more', 'test.echo', { value: 'more' }),
        ),
        task('undo_outer', 'test.echo', { value: 'outer' }),
      ),
    });
    // when the run goes
    const result = await startRun(engine, def, { params: {}, runId: 'r-nested' });
    // then both cleanups ran, innermost first, the rest of the outer body did not, and the run failed with the first error
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ message: 'inner boom', step: 'work' });
    expect(echo.calls).toEqual(['inner', 'outer']);
    expect(taskTrail(await journalOf(tmp.store, 'r-nested')).filter((e) => e.startsWith('task.finished'))).toEqual([
      'task.finished:undo_inner_failed',
      'task.finished:undo_outer_failed',
    ]);
  });

  it('nests inside another cleanup body: a cancel runs the inner cleanup, then the outer one, and ends cancelled', async () => {
    // given nested cleanups around a blocking step
    const echo = echoTask();
    const gate = gateTask({ idempotent: true });
    const { engine } = engineWith([echo.task, gate.task], { store: tmp.store });
    const def = workflow({
      id: 'test:nested-cancel',
      steps: cleanup(
        'outer',
        cleanup('inner', task('work', 'test.gate', {}), task('undo_inner', 'test.echo', { value: 'inner' })),
        task('undo_outer', 'test.echo', { value: 'outer' }),
      ),
    });
    const ac = new AbortController();
    const running = startRun(engine, def, { params: {}, signal: ac.signal });
    await gate.started();
    // when the run is cancelled
    ac.abort();
    // then both cleanups ran, innermost first, and the run ended cancelled
    expect((await running).status).toBe('cancelled');
    expect(echo.calls).toEqual(['inner', 'outer']);
  });

  it('refuses a cleanup inside a parallel branch, naming both (builder and validation)', () => {
    // given a cleanup as one branch of a parallel
    const branch = cleanup('inner', task('a', 'test.echo', { value: 1 }), task('undo', 'test.echo', { value: 2 }));
    // when the workflow is built, then the builder refuses it with a coded error that says what to do
    expect(() =>
      workflow({ id: 'test:par', steps: parallel('fan', branch, task('b', 'test.echo', { value: 3 })) }),
    ).toThrow(DefinitionError);
    expect(() =>
      workflow({ id: 'test:par', steps: parallel('fan', branch, task('b', 'test.echo', { value: 3 })) }),
    ).toThrow(/cleanup <inner> is inside parallel <fan>.*inside the cleanup's body/);
    // and a definition written by hand (or imported) is refused by validation
    const ok = workflow({
      id: 'test:par',
      steps: parallel('fan', task('a', 'test.echo', { value: 1 }), task('b', 'test.echo', { value: 3 })),
    });
    const region = ok.machine.states.fan.states!.fan_1.states!;
    region.box = {
      initial: 'a',
      states: { a: region.a, box_end: { type: 'final' } },
      onDone: 'fan_1_end',
      onError: 'fan_1_end',
      on: { 'gravity.cancel': 'fan_1_end' },
    };
    delete region.a;
    ok.machine.states.fan.states!.fan_1.initial = 'box';
    (region.box.states!.a as { onDone: string }).onDone = 'box_end';
    const problems = checkDefinition(ok, createRegistry(echoTask().task));
    expect(problems).toEqual([
      { element: 'box', message: expect.stringMatching(/cannot sit inside a parallel branch/) },
    ]);
  });

  it('allows a parallel inside its body: a failing branch cancels the other, then the cleanup runs', async () => {
    // given a body of two branches, one failing and one blocking
    const echo = echoTask();
    const boom = failTask();
    const gate = gateTask({ idempotent: true });
    const { engine } = engineWith([echo.task, boom.task, gate.task], { store: tmp.store });
    const def = backup(
      parallel(
        'fan',
        task('slow', 'test.gate', {}),
        sequence(
          task('wait_slow', 'test.echo', { value: 'x' }),
          task('broken', 'test.fail', { message: 'branch boom' }),
        ),
      ),
    );
    // when the run goes
    const result = await startRun(engine, def, { params: {} });
    // then the blocking branch was aborted, the cleanup ran, and the run failed with the branch's error
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('branch boom');
    expect(gate.sawAbort()).toBe(true);
    expect(echo.calls).toEqual(['before', 'x', 'restarted']);
  });

  it('keeps step ids unique: ids clashing across levels, or with the generated ones, are refused by the builder', () => {
    // given a body step and a cleanup step with the same id, then a body step named like the body's end
    const same = () =>
      workflow({ id: 'test:dup', steps: cleanup('c', task('x', 'test.echo', {}), task('x', 'test.echo', {})) });
    const end = () =>
      workflow({ id: 'test:dup', steps: cleanup('c', task('c_end', 'test.echo', {}), task('y', 'test.echo', {})) });
    // when built, then both are refused with coded errors naming the id
    expect(same).toThrow(expect.objectContaining({ code: 'INVALID_DEFINITION', message: 'duplicate step id <x>' }));
    expect(end).toThrow(
      expect.objectContaining({ code: 'INVALID_DEFINITION', message: expect.stringContaining('<c_end> is reserved') }),
    );
    expect(() => cleanup('c', task('x', 'test.echo', {}), 'restart' as never)).toThrow(
      /cleanup <c>: item 2 is not a step/,
    );
  });

  it('shows in a plan as a block with its error and cancel paths, then the cleanup steps and their failure copy', () => {
    // given a workflow with a cleanup
    const def = backup(task('dump', 'test.echo', { value: 'dumped' }));
    // when planned
    const plan = planDefinition(def, createRegistry(echoTask().task), {});
    // then the block, its body, its cleanup and the failure path are listed readably
    expect(plan.map((i) => [i.id, i.kind, i.depth])).toEqual([
      ['before', 'task', 0],
      ['backup', 'cleanup', 0],
      ['dump', 'task', 1],
      ['restart', 'task', 0],
      ['restart_failed', 'task', 0],
      ['backup_rethrow', 'fail', 0],
      ['after', 'task', 0],
      ['done', 'end', 0],
    ]);
    expect(plan.find((i) => i.id === 'backup')!.notes).toEqual([
      'then -> restart',
      'on error or cancel -> restart_failed (the cleanup, then the run fails)',
    ]);
    expect(plan.find((i) => i.id === 'backup_rethrow')!.notes).toEqual([
      'fails the run with the error it handles (=error.message)',
    ]);
  });
});
