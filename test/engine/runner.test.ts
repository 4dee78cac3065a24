// Running definitions: order, data flow, decisions, concurrency, errors, retries, timeouts, cancellation, timers, calls.
import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import {
  resumeRun,
  call,
  decide,
  defineTask,
  fail,
  parallel,
  retry,
  sequence,
  startRun,
  task,
  wait,
  workflow,
  type Definition,
  type JournalEntry,
  type RunEvent,
} from '../../engine/index.js';
import {
  addTask,
  echoTask,
  engineWith,
  failTask,
  flakyTask,
  gateTask,
  journalOf,
  sleepTask,
  taskTrail,
} from './support.js';

const started = (events: RunEvent[]) =>
  events.filter((e) => e.type === 'task.started').map((e) => (e as JournalEntry).step);

describe('startRun', () => {
  it('runs steps one after the other in definition order', async () => {
    // given three echo steps
    const { task: echo, calls } = echoTask();
    const { engine, events } = engineWith([echo]);
    const def = workflow({
      id: 'test:seq',
      steps: sequence(
        task('one', 'test.echo', { value: 1 }),
        task('two', 'test.echo', { value: 2 }),
        task('three', 'test.echo', { value: 3 }),
      ),
    });
    // when the run executes
    const result = await startRun(engine, def, { params: {} });
    // then it succeeds, each step ran once, in order, and each finished before the next started
    expect(result.status).toBe('succeeded');
    expect(calls).toEqual([1, 2, 3]);
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['one', 'succeeded'],
      ['two', 'succeeded'],
      ['three', 'succeeded'],
    ]);
    expect(taskTrail(events as JournalEntry[])).toEqual([
      'task.started:one',
      'task.finished:one',
      'task.started:two',
      'task.finished:two',
      'task.started:three',
      'task.finished:three',
    ]);
    expect(events.at(0)?.type).toBe('run.started');
    expect(events.at(-1)?.type).toBe('run.finished');
  });

  it('makes step outputs, params and output mappings available to later steps', async () => {
    // given a step whose input reads an earlier step's output, a param and a mapped variable
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([addTask, echo]);
    const def = workflow({
      id: 'test:data',
      params: { base: { type: 'number' } },
      steps: sequence(
        task('sum', 'test.add', { a: '=params.base', b: 2 }, { outputs: { doubled: '=output.sum * 2' } }),
        task('show', 'test.echo', { value: { sum: '=steps.sum.sum', doubled: '=doubled', base: '=base' } }),
      ),
      output: { total: '=steps.sum.sum', shown: '=steps.show.value.doubled' },
    });
    // when it runs with base=40
    const result = await startRun(engine, def, { params: { base: 40 } });
    // then the later step saw 42, the mapped variable and the param, and the run output is evaluated
    expect(calls).toEqual([{ sum: 42, doubled: 84, base: 40 }]);
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual({ total: 42, shown: 84 });
  });

  it.each([
    { n: 20, branch: 'big' },
    { n: 7, branch: 'mid' },
    { n: 1, branch: 'small' },
  ])('takes the $branch branch of a decision when n = $n', async ({ n, branch }) => {
    // given a decision with two FEEL guards and a default
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({
      id: 'test:decide',
      params: { n: { type: 'integer' } },
      steps: sequence(
        decide(
          'size',
          [
            { when: 'n > 10', then: task('big', 'test.echo', { value: 'big' }) },
            { when: 'params.n > 5', then: task('mid', 'test.echo', { value: 'mid' }) },
          ],
          task('small', 'test.echo', { value: 'small' }),
        ),
        task('after', 'test.echo', { value: 'after' }),
      ),
    });
    // when the run executes
    const result = await startRun(engine, def, { params: { n } });
    // then exactly that branch ran, then the join step
    expect(result.status).toBe('succeeded');
    expect(calls).toEqual([branch, 'after']);
  });

  it('fails the run naming the decision when a guard does not yield a boolean', async () => {
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({
      id: 'test:badguard',
      steps: sequence(
        decide('d', [{ when: 'params.name', then: task('x', 'test.echo', { value: 1 }) }]),
        task('y', 'test.echo', { value: 2 }),
      ),
    });
    const result = await startRun(engine, def, { params: { name: 'web' } });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/<d>.*expected a boolean/);
    expect(calls).toEqual([]);
  });

  it('runs parallel regions concurrently and joins before the next step', async () => {
    // given two branches that each sleep 150 ms, then a join step
    const { task: nap } = sleepTask();
    const { task: echo, calls } = echoTask();
    const { engine, events } = engineWith([nap, echo]);
    const def = workflow({
      id: 'test:par',
      steps: sequence(
        parallel(
          'fork',
          task('left', 'test.sleep', { ms: 150, label: 'L' }),
          task('right', 'test.sleep', { ms: 150, label: 'R' }),
        ),
        task('join', 'test.echo', { value: ['=steps.left.label', '=steps.right.label'] }),
      ),
    });
    // when it runs
    const t0 = performance.now();
    const result = await startRun(engine, def, { params: {} });
    const elapsed = performance.now() - t0;
    // then both branches started before either finished, the join saw both outputs, and it took well under 300 ms
    expect(result.status).toBe('succeeded');
    const trail = taskTrail(events as JournalEntry[]);
    const at = (x: string) => trail.indexOf(x);
    expect(Math.max(at('task.started:left'), at('task.started:right'))).toBeLessThan(
      Math.min(at('task.finished:left'), at('task.finished:right')),
    );
    expect(at('task.started:join')).toBeGreaterThan(Math.max(at('task.finished:left'), at('task.finished:right')));
    expect(calls).toEqual([['L', 'R']]);
    expect(elapsed).toBeLessThan(295); // one after the other would take at least 300 ms
  });

  it('takes the onError path with the error visible in scope', async () => {
    // given a failing step with an error handler that echoes the error
    const { task: boom } = failTask();
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([boom, echo]);
    const def = workflow({
      id: 'test:onerror',
      steps: sequence(
        task(
          'risky',
          'test.fail',
          { message: 'disk full' },
          {
            onError: task('handle', 'test.echo', {
              value: { step: '=error.step', message: '=error.message', code: '=error.code' },
            }),
          },
        ),
        task('next', 'test.echo', { value: 'next' }),
      ),
    });
    // when it runs
    const result = await startRun(engine, def, { params: {} });
    // then the handler saw the error, the run carried on and succeeded
    expect(result.status).toBe('succeeded');
    expect(calls).toEqual([{ step: 'risky', message: 'disk full', code: 'TASK_FAILED' }, 'next']);
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['risky', 'failed'],
      ['handle', 'succeeded'],
      ['next', 'succeeded'],
    ]);
  });

  it('fails the run with the failing step when no handler exists', async () => {
    // given a failing step followed by another
    const { task: boom } = failTask();
    const { task: echo, calls } = echoTask();
    const { engine, events } = engineWith([boom, echo]);
    const def = workflow({
      id: 'test:unhandled',
      steps: sequence(
        task('ok', 'test.echo', { value: 1 }),
        task('bad', 'test.fail', { message: 'nope' }),
        task('never', 'test.echo', { value: 2 }),
      ),
    });
    // when it runs
    const result = await startRun(engine, def, { params: {} });
    // then the run failed at <bad> with its error and the next step never ran
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ step: 'bad', code: 'TASK_FAILED', message: 'nope' });
    expect(calls).toEqual([1]);
    expect(events.at(-1)).toMatchObject({ type: 'run.failed' });
  });

  it('retries a failing task with exponential backoff', async () => {
    // given a task that fails twice then succeeds, with 3 attempts and a 20 ms backoff doubling
    const { task: flaky, attempts } = flakyTask(2);
    const { engine, events } = engineWith([flaky]);
    const def = workflow({
      id: 'test:retry',
      steps: retry(task('shaky', 'test.flaky', {}), { max: 3, backoffMs: 20, factor: 2 }),
    });
    // when it runs
    const t0 = performance.now();
    const result = await startRun(engine, def, { params: {} });
    // then it succeeded on attempt 3 after two growing delays
    expect(result.status).toBe('succeeded');
    expect(attempts).toEqual([1, 2, 3]);
    expect(result.steps[0]).toMatchObject({ id: 'shaky', status: 'succeeded', attempts: 3 });
    const retries = (await journalOf(engine.store, result.runId)).filter((e) => e.type === 'task.retrying');
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual([
      [2, 20],
      [3, 40],
    ]);
    expect(retries[0].error?.message).toBe('failure 1');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
    expect(events.filter((e) => e.type === 'task.retrying')).toHaveLength(2);
  });

  it('fails after the last attempt when retries run out', async () => {
    const { task: flaky, attempts } = flakyTask(5);
    const { engine } = engineWith([flaky]);
    const def = workflow({
      id: 'test:retry2',
      steps: retry(task('shaky', 'test.flaky', {}), { max: 2, backoffMs: 1 }),
    });
    const result = await startRun(engine, def, { params: {} });
    expect(result.status).toBe('failed');
    expect(attempts).toEqual([1, 2]);
    expect(result.error).toMatchObject({ step: 'shaky', message: 'failure 2' });
  });

  it('times a step out after meta.timeoutMs with a TIMEOUT error and aborts its signal', async () => {
    // given a step sleeping 5 s with a 40 ms budget
    const { task: nap, seen } = sleepTask();
    const { engine } = engineWith([nap]);
    const def = workflow({
      id: 'test:timeout',
      steps: task('slow', 'test.sleep', { ms: 5000, label: 's' }, { timeoutMs: 40 }),
    });
    // when it runs
    const t0 = performance.now();
    const result = await startRun(engine, def, { params: {} });
    // then it failed quickly with TIMEOUT naming the step, and the task saw its signal aborted
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'TIMEOUT', step: 'slow', message: 'step <slow> timed out after 40 ms' });
    expect(seen).toEqual([{ label: 's', aborted: true }]);
  });

  it('cancels a run through its AbortSignal', async () => {
    // given a run whose second step blocks
    const { task: echo, calls } = echoTask();
    const gate = gateTask();
    const { engine, events } = engineWith([echo, gate.task]);
    const def = workflow({
      id: 'test:cancel',
      steps: sequence(
        task('s1', 'test.echo', { value: 1 }),
        task('s2', 'test.gate', {}),
        task('s3', 'test.echo', { value: 3 }),
      ),
    });
    const ac = new AbortController();
    // when the signal aborts while s2 runs
    const running = startRun(engine, def, { params: {}, signal: ac.signal });
    await gate.started();
    ac.abort();
    const result = await running;
    // then the run is cancelled, s2 saw its signal abort, and s3 never ran
    expect(result.status).toBe('cancelled');
    expect(gate.sawAbort()).toBe(true);
    expect(calls).toEqual([1]);
    expect(taskTrail(events as JournalEntry[])).toContain('task.cancelled:s2');
    expect(events.at(-1)?.type).toBe('run.cancelled');
  });

  it('leaves a run cancelled before it started resumable, without running anything', async () => {
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([echo]);
    const ac = new AbortController();
    ac.abort();
    const r = await startRun(engine, workflow({ id: 'test:pre', steps: task('a', 'test.echo', { value: 1 }) }), {
      params: {},
      signal: ac.signal,
      runId: 'r-pre',
    });
    expect(r.status).toBe('cancelled');
    expect(calls).toEqual([]);
    expect((await resumeRun(engine, 'r-pre')).status).toBe('succeeded');
    expect(calls).toEqual([1]);
  });

  it('fails with a validation error naming the step and the field of a bad input', async () => {
    // given a step whose input gets a string where a number is required, from an expression (a literal is refused by
    // validation before the run starts)
    const { engine } = engineWith([addTask]);
    const def = workflow({ id: 'test:input', steps: task('adding', 'test.add', { a: 1, b: '="two"' }) });
    // when it runs
    const result = await startRun(engine, def, { params: {} });
    // then it fails with VALIDATION naming <adding> and field b
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('VALIDATION');
    expect(result.error?.step).toBe('adding');
    expect(result.error?.message).toMatch(/input of <adding> \(test\.add\) is invalid: b: /);
  });

  it('fails with an expression error naming the step when an input expression cannot be evaluated', async () => {
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({ id: 'test:inexpr', steps: task('reader', 'test.echo', { value: '=steps.nothing.here' }) });
    const result = await startRun(engine, def, { params: {} });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'EXPRESSION', step: 'reader' });
    expect(result.error?.message).toMatch(/<reader\.value>/);
    expect(calls).toEqual([]);
  });

  it('fails with a validation error when a task returns output outside its schema', async () => {
    const liar = defineTask({
      id: 'test.liar',
      title: 'Liar',
      input: z.object({}),
      output: z.object({ n: z.number() }),
      run: async () => ({ n: 'x' }) as never,
    });
    const { engine } = engineWith([liar]);
    const result = await startRun(engine, workflow({ id: 'test:out', steps: task('lie', 'test.liar', {}) }), {
      params: {},
    });
    expect(result.error).toMatchObject({
      code: 'VALIDATION',
      step: 'lie',
      message: expect.stringMatching(/output of <lie> \(test\.liar\) is invalid: n: /),
    });
  });

  it('delays the next step by a wait timer', async () => {
    // given a 60 ms wait between two steps
    const { task: echo, calls } = echoTask();
    const { engine, events } = engineWith([echo]);
    const def = workflow({
      id: 'test:wait',
      steps: sequence(
        task('a', 'test.echo', { value: 'a' }),
        wait('pause', 60),
        task('b', 'test.echo', { value: 'b' }),
      ),
    });
    // when it runs
    const result = await startRun(engine, def, { params: {} });
    // then b started at least ~60 ms after a finished
    expect(result.status).toBe('succeeded');
    expect(calls).toEqual(['a', 'b']);
    const aDone = Date.parse(
      (events.find((e) => e.type === 'task.finished' && (e as JournalEntry).step === 'a') as JournalEntry).at,
    );
    const bStart = Date.parse(
      (events.find((e) => e.type === 'task.started' && (e as JournalEntry).step === 'b') as JournalEntry).at,
    );
    expect(bStart - aDone).toBeGreaterThanOrEqual(55);
  });

  it('evaluates a FEEL delay of a wait timer from params', async () => {
    const { task: echo } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({
      id: 'test:waitexpr',
      params: { delay: { type: 'number' } },
      steps: sequence(wait('pause', '=params.delay'), task('b', 'test.echo', { value: 'b' })),
    });
    const t0 = performance.now();
    const result = await startRun(engine, def, { params: { delay: 50 } });
    expect(result.status).toBe('succeeded');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
  });

  it('cancels a task when its interrupting timer fires and takes the timer path', async () => {
    // given a 5 s task with a 40 ms interrupting timer leading to a fallback step
    const { task: nap, seen } = sleepTask();
    const { task: echo, calls } = echoTask();
    const { engine, events } = engineWith([nap, echo]);
    const def = workflow({
      id: 'test:boundary',
      steps: sequence(
        task(
          'slow',
          'test.sleep',
          { ms: 5000, label: 'slow' },
          { timeout: { ms: 40, then: task('fallback', 'test.echo', { value: 'late' }) } },
        ),
        task('next', 'test.echo', { value: 'next' }),
      ),
    });
    // when it runs
    const t0 = performance.now();
    const result = await startRun(engine, def, { params: {} });
    // then the slow task was aborted, the fallback and the next step ran, and the run succeeded fast
    expect(result.status).toBe('succeeded');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(seen).toEqual([{ label: 'slow', aborted: true }]);
    expect(calls).toEqual(['late', 'next']);
    expect(taskTrail(events as JournalEntry[])).toEqual([
      'task.started:slow',
      'task.cancelled:slow',
      'task.started:fallback',
      'task.finished:fallback',
      'task.started:next',
      'task.finished:next',
    ]);
  });

  it('returns the output of a called sub-workflow and persists the child run as <runId>.<step>', async () => {
    // given a child workflow that adds two params, and a parent that calls it and reads its output
    const { task: echo, calls } = echoTask();
    const child: Definition = workflow({
      id: 'child:add',
      params: { a: { type: 'number' }, b: { type: 'number', default: 1 } },
      steps: task('add', 'test.add', { a: '=a', b: '=b' }),
      output: { sum: '=steps.add.sum' },
    });
    const { engine } = engineWith([addTask, echo], {
      resolveWorkflow: (id) => (id === 'child:add' ? child : undefined),
    });
    const parent = workflow({
      id: 'parent:run',
      steps: sequence(call('sub', 'child:add', { a: 41 }), task('show', 'test.echo', { value: '=steps.sub.sum' })),
    });
    // when the parent runs
    const result = await startRun(engine, parent, { params: {}, runId: 'parent-1' });
    // then the child's output landed in steps.sub, and the child run is stored with its parent
    expect(result.status).toBe('succeeded');
    expect(calls).toEqual([42]);
    expect(result.steps[0]).toMatchObject({
      id: 'sub',
      task: 'workflow:child:add',
      status: 'succeeded',
      child: 'parent-1.sub',
      output: { sum: 42 },
    });
    const childRun = await engine.store.get<{ status: string; parent: string; output: unknown; params: unknown }>(
      'runs/parent-1.sub',
    );
    expect(childRun?.value).toMatchObject({
      status: 'succeeded',
      parent: 'parent-1',
      output: { sum: 42 },
      params: { a: 41, b: 1 },
    });
    expect((await journalOf(engine.store, 'parent-1.sub')).map((e) => e.type)).toEqual([
      'run.started',
      'task.started',
      'task.finished',
      'run.finished',
    ]);
  });

  it('fails the call step when the child run fails', async () => {
    const { task: boom } = failTask();
    const child = workflow({ id: 'child:fail', steps: task('bad', 'test.fail', { message: 'child broke' }) });
    const { engine } = engineWith([boom], { resolveWorkflow: (id) => (id === 'child:fail' ? child : undefined) });
    const result = await startRun(engine, workflow({ id: 'parent:fail', steps: call('sub', 'child:fail') }), {
      params: {},
      runId: 'p-2',
    });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      step: 'sub',
      code: 'TASK_FAILED',
      message: expect.stringMatching(/called workflow child:fail failed: child broke/),
    });
    expect((await engine.store.get<{ status: string }>('runs/p-2.sub'))?.value.status).toBe('failed');
  });

  it('fails the call step, naming it, when the child refuses its params', async () => {
    // given a child with a declared param a, called with an unknown param
    const child = workflow({
      id: 'child:add',
      params: { a: { type: 'number' } },
      steps: task('add', 'test.add', { a: '=a', b: 1 }),
    });
    const { engine, events } = engineWith([addTask], {
      resolveWorkflow: (id) => (id === 'child:add' ? child : undefined),
    });
    // when the parent runs
    const result = await startRun(
      engine,
      workflow({ id: 'parent:badparams', steps: call('sub', 'child:add', { wrong: 1 }) }),
      { params: {} },
    );
    // then the step failed (not left interrupted) with the param error, and the run error names it
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      step: 'sub',
      code: 'BAD_INPUT',
      message: expect.stringMatching(/unknown param "wrong" for child:add/),
    });
    expect(result.steps).toMatchObject([{ id: 'sub', status: 'failed' }]);
    expect(taskTrail(events as JournalEntry[])).toEqual(['task.started:sub', 'task.failed:sub']);
  });

  it('fails the run with the message of a fail() end, evaluated when it is FEEL', async () => {
    // given a decision that ends in fail() when the param is bad
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({
      id: 'test:failend',
      steps: sequence(
        decide('check', [{ when: 'params.env = "prod"', then: fail('refuse', '="refusing to touch " + params.env') }]),
        task('work', 'test.echo', { value: 1 }),
      ),
    });
    // when it runs with env=prod
    const result = await startRun(engine, def, { params: { env: 'prod' } });
    // then the run failed with that message and nothing ran
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'TASK_FAILED',
      message: 'refusing to touch prod',
      details: { element: 'refuse' },
    });
    expect(calls).toEqual([]);
    // and with env=dev it carries on
    expect((await startRun(engine, def, { params: { env: 'dev' } })).status).toBe('succeeded');
  });

  it('fails the run when a parallel branch ends in fail(), stopping the other branch', async () => {
    // given a first step, then a parallel whose first branch decides to fail and whose second sleeps 5 s
    const { task: echo, calls } = echoTask();
    const { task: nap, seen } = sleepTask();
    const { engine } = engineWith([echo, nap]);
    const def = workflow({
      id: 'test:parfailend',
      steps: sequence(
        task('first', 'test.echo', { value: 'first' }),
        parallel(
          'p',
          sequence(
            task('nap', 'test.sleep', { ms: 20, label: 'nap' }),
            decide('d', [
              { when: 'steps.nap.label = "nap"', then: fail('stop', '="branch refused after " + steps.first.value') },
            ]),
          ),
          task('slow', 'test.sleep', { ms: 5000, label: 'slow' }),
        ),
        task('after', 'test.echo', { value: 'after' }),
      ),
    });
    // when it runs
    const t0 = performance.now();
    const result = await startRun(engine, def, { params: {} });
    // then the run failed with the fail() message, the other branch was stopped and the step after never ran
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'TASK_FAILED',
      message: 'branch refused after first',
      details: { element: 'stop' },
    });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(seen).toEqual([
      { label: 'nap', aborted: false },
      { label: 'slow', aborted: true },
    ]);
    expect(calls).toEqual(['first']);
  });

  it('stops a running parallel branch when a decision in the other branch cannot be evaluated', async () => {
    // given a branch whose decision guard is not a boolean, next to a branch sleeping 5 s
    const { task: nap, seen } = sleepTask();
    const { engine, events } = engineWith([nap]);
    const def = workflow({
      id: 'test:parguard',
      steps: parallel(
        'p',
        sequence(
          task('nap', 'test.sleep', { ms: 20, label: 'nap' }),
          decide('d', [{ when: 'steps.nap.label', then: task('never', 'test.sleep', { ms: 1, label: 'never' }) }]),
        ),
        task('slow', 'test.sleep', { ms: 5000, label: 'slow' }),
      ),
    });
    // when it runs
    const t0 = performance.now();
    const result = await startRun(engine, def, { params: {} });
    // then the run fails at once with the expression error, and the sleeping task was aborted and journaled as cancelled
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'EXPRESSION',
      message: expect.stringMatching(/<d>.*expected a boolean/),
    });
    expect(seen).toEqual([
      { label: 'nap', aborted: false },
      { label: 'slow', aborted: true },
    ]);
    expect(taskTrail(events as JournalEntry[])).toContain('task.cancelled:slow');
  });

  it('fails the run when its output template cannot be evaluated', async () => {
    const { task: echo } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({
      id: 'test:badout',
      steps: task('a', 'test.echo', { value: 1 }),
      output: { x: '=steps.a.nothing' },
    });
    const result = await startRun(engine, def, { params: {} });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('EXPRESSION');
  });

  it('refuses an invalid definition before creating a run', async () => {
    const { engine } = engineWith([]);
    await expect(
      startRun(engine, workflow({ id: 'test:bad', steps: task('a', 'test.nope') }), { params: {} }),
    ).rejects.toMatchObject({ code: 'INVALID_DEFINITION' });
    expect(await engine.store.list('runs/')).toEqual([]);
  });

  it('streams task log lines as events', async () => {
    const chatty = defineTask({
      id: 'test.chatty',
      title: 'Chatty',
      input: z.object({}),
      output: z.object({}),
      run: async ({ log }) => (log.info('hello', { n: 1 }), log.stream('stdout', 'out'), {}),
    });
    const { engine, events } = engineWith([chatty]);
    await startRun(engine, workflow({ id: 'test:log', steps: task('talk', 'test.chatty', {}) }), { params: {} });
    expect(
      events
        .filter((e) => e.type === 'task.log')
        .map((e) => [(e as { level: string }).level, (e as { text: string }).text]),
    ).toEqual([
      ['info', 'hello {"n":1}'],
      ['stdout', 'out'],
    ]);
  });

  it('lists started steps in the order they ran', async () => {
    const { task: echo } = echoTask();
    const { engine, events } = engineWith([echo]);
    await startRun(
      engine,
      workflow({
        id: 'test:order',
        steps: sequence(task('z', 'test.echo', { value: 1 }), task('a', 'test.echo', { value: 2 })),
      }),
      { params: {} },
    );
    expect(started(events)).toEqual(['z', 'a']);
  });

  it('fails fast when one parallel branch fails, aborting the other', async () => {
    // given a branch that fails after 30 ms and one that would sleep 5 s
    const { task: nap, seen } = sleepTask();
    const boom = failTask();
    const { engine } = engineWith([nap, boom.task]);
    const def = workflow({
      id: 'test:parfail',
      steps: parallel(
        'fork',
        sequence(
          task('nap', 'test.sleep', { ms: 30, label: 'nap' }),
          task('bad', 'test.fail', { message: 'left broke' }),
        ),
        task('slow', 'test.sleep', { ms: 5000, label: 'slow' }),
      ),
    });
    // when it runs
    const t0 = performance.now();
    const result = await startRun(engine, def, { params: {} });
    // then the run failed with the branch's error, quickly, and the sleeping branch saw its signal abort
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ step: 'bad', message: 'left broke' });
    // (the two branches start in no promised order)
    expect(seen).toHaveLength(2);
    expect(seen).toEqual(
      expect.arrayContaining([
        { label: 'nap', aborted: false },
        { label: 'slow', aborted: true },
      ]),
    );
  });

  it('carries on after a failure with onError: continue', async () => {
    const boom = failTask();
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([boom.task, echo]);
    const def = workflow({
      id: 'test:continue',
      steps: sequence(
        task('bad', 'test.fail', {}, { onError: 'continue' }),
        task('next', 'test.echo', { value: '=error.step' }),
      ),
    });
    const result = await startRun(engine, def, { params: {} });
    expect(result.status).toBe('succeeded');
    expect(calls).toEqual(['bad']);
  });

  it('retries a step that times out, each attempt with its own budget', async () => {
    const { task: nap, seen } = sleepTask();
    const { engine, events } = engineWith([nap]);
    const def = workflow({
      id: 'test:timeoutretry',
      steps: retry(task('slow', 'test.sleep', { ms: 5000, label: 's' }, { timeoutMs: 20 }), { max: 2, backoffMs: 1 }),
    });
    const result = await startRun(engine, def, { params: {} });
    expect(result.error).toMatchObject({ code: 'TIMEOUT', step: 'slow' });
    expect(seen).toHaveLength(2);
    expect(events.filter((e) => e.type === 'task.retrying')).toHaveLength(1);
  });

  it('cancels during a retry backoff without another attempt', async () => {
    const { task: flaky, attempts } = flakyTask(5);
    const { engine } = engineWith([flaky]);
    const def = workflow({
      id: 'test:cancelbackoff',
      steps: retry(task('shaky', 'test.flaky', {}), { max: 5, backoffMs: 5000 }),
    });
    const ac = new AbortController();
    const running = startRun(engine, def, { params: {}, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    const t0 = performance.now();
    const result = await running;
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(result.status).toBe('cancelled');
    expect(attempts).toEqual([1]);
  });

  it('merges every output field into the variables with meta.mergeOutput', async () => {
    const { task: echo, calls } = echoTask();
    const { engine } = engineWith([addTask, echo]);
    const def: Definition = {
      id: 'test:merge',
      machine: {
        initial: 'add',
        states: {
          add: { invoke: { src: 'test.add', input: { a: 1, b: 2 } }, onDone: 'show', meta: { mergeOutput: true } },
          show: { invoke: { src: 'test.echo', input: { value: '=sum' } }, onDone: 'done' },
          done: { type: 'final' },
        },
      },
    };
    expect((await startRun(engine, def, { params: {} })).status).toBe('succeeded');
    expect(calls).toEqual([3]);
  });

  it('gives a task the run scope, its run id, step id and attempt', async () => {
    const seen: unknown[] = [];
    const spy = defineTask({
      id: 'test.spy',
      title: 'Spy',
      input: z.object({}),
      output: z.object({}),
      run: async (ctx) => (
        seen.push({
          steps: ctx.scope.steps,
          p: (ctx.scope.params as { p: number }).p,
          runId: ctx.runId,
          stepId: ctx.stepId,
          attempt: ctx.attempt,
          dryRun: ctx.dryRun,
        }),
        {}
      ),
    });
    const { task: echo } = echoTask();
    const { engine } = engineWith([spy, echo]);
    await startRun(
      engine,
      workflow({
        id: 'test:ctx',
        steps: sequence(task('first', 'test.echo', { value: 1 }), task('look', 'test.spy', {})),
      }),
      { params: { p: 5 }, runId: 'r-ctx' },
    );
    expect(seen).toEqual([
      { steps: { first: { value: 1 } }, p: 5, runId: 'r-ctx', stepId: 'look', attempt: 1, dryRun: false },
    ]);
  });

  it('cancels a called child run with the parent', async () => {
    // given a parent whose call step's child blocks in a gate
    const gate = gateTask({ idempotent: true });
    const child = workflow({ id: 'child:gate', steps: task('wait', 'test.gate', {}) });
    const { engine } = engineWith([gate.task], { resolveWorkflow: (id) => (id === 'child:gate' ? child : undefined) });
    const ac = new AbortController();
    const running = startRun(engine, workflow({ id: 'parent:gate', steps: call('sub', 'child:gate') }), {
      params: {},
      runId: 'p-c',
      signal: ac.signal,
    });
    await gate.started();
    // when the parent is cancelled
    ac.abort();
    const result = await running;
    // then parent and child are both cancelled
    expect(result.status).toBe('cancelled');
    expect(gate.sawAbort()).toBe(true);
    expect((await engine.store.get<{ status: string }>('runs/p-c.sub'))?.value.status).toBe('cancelled');
  });
});
