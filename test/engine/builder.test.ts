// The builder emits the gravity subset: plain JSON states with targets, FEEL guards, regions and timers.
import { describe, it, expect } from 'vitest';
import {
  attention,
  call,
  decide,
  DefinitionError,
  fail,
  parallel,
  retry,
  sequence,
  task,
  wait,
  workflow,
  type StateConfig,
} from '../../engine/index.js';

describe('the workflow builder', () => {
  it('chains a sequence of tasks through onDone and ends in a final "done" state', () => {
    // given three tasks in sequence
    const def = workflow({
      id: 'test:seq',
      steps: sequence(task('a', 'x.a', { n: 1 }), task('b', 'x.b'), task('c', 'x.c', '=params.v')),
    });
    // then each task state invokes its task and goes to the next one
    expect(def.machine.initial).toBe('a');
    expect(Object.keys(def.machine.states)).toEqual(['a', 'b', 'c', 'done']);
    expect(def.machine.states.a).toEqual({ invoke: { src: 'x.a', input: { n: 1 } }, onDone: 'b' });
    expect(def.machine.states.b).toEqual({ invoke: { src: 'x.b' }, onDone: 'c' });
    expect(def.machine.states.c).toEqual({ invoke: { src: 'x.c', input: '=params.v' }, onDone: 'done' });
    expect(def.machine.states.done).toEqual({ type: 'final' });
  });

  it('flattens nested sequences', () => {
    const def = workflow({
      id: 'test:nest',
      steps: sequence(sequence(task('a', 'x.a'), task('b', 'x.b')), task('c', 'x.c')),
    });
    expect(def.machine.initial).toBe('a');
    expect(def.machine.states.b.onDone).toBe('c');
  });

  it('puts task options into meta and wires onError to the handler', () => {
    // given a task with every option and an error handler node
    const def = workflow({
      id: 'test:opts',
      steps: sequence(
        task(
          'a',
          'x.a',
          {},
          {
            title: 'A',
            documentation: 'docs',
            timeoutMs: 500,
            outputs: { v: '=output.x' },
            onError: task('handle', 'x.h'),
          },
        ),
        task('b', 'x.b', {}, { onError: 'continue' }),
      ),
    });
    // then the meta holds title, docs, timeout and outputs; onError points at the handler which rejoins the flow
    expect(def.machine.states.a.meta).toEqual({
      title: 'A',
      documentation: 'docs',
      timeoutMs: 500,
      outputs: { v: '=output.x' },
    });
    expect(def.machine.states.a.onError).toBe('handle');
    expect(def.machine.states.handle).toEqual({ invoke: { src: 'x.h' }, onDone: 'b' });
    // and 'continue' carries on to the next step
    expect(def.machine.states.b.onError).toBe('done');
  });

  it('emits a decision as always transitions with FEEL guards and an unguarded default last', () => {
    // given a decision with two guarded branches and an otherwise
    const def = workflow({
      id: 'test:decide',
      steps: sequence(
        decide(
          'pick',
          [
            { when: 'params.n > 10', then: task('big', 'x.big') },
            { when: 'params.n > 5', then: task('mid', 'x.mid') },
          ],
          task('small', 'x.small'),
          'Pick',
        ),
        task('after', 'x.after'),
      ),
    });
    // then the guards are { type: 'expr', params: { expr } } in order, with the default branch last
    expect(def.machine.states.pick).toEqual({
      always: [
        { target: 'big', guard: { type: 'expr', params: { expr: 'params.n > 10' } } },
        { target: 'mid', guard: { type: 'expr', params: { expr: 'params.n > 5' } } },
        { target: 'small' },
      ],
      meta: { title: 'Pick' },
    });
    // and every branch rejoins the step after the decision
    for (const b of ['big', 'mid', 'small']) expect(def.machine.states[b].onDone).toBe('after');
  });

  it('makes a decision without otherwise fall through to the next step', () => {
    const def = workflow({
      id: 'test:decide2',
      steps: sequence(decide('d', [{ when: 'true', then: task('t', 'x.t') }]), task('n', 'x.n')),
    });
    expect(def.machine.states.d.always).toEqual([
      { target: 't', guard: { type: 'expr', params: { expr: 'true' } } },
      { target: 'n' },
    ]);
  });

  it('emits parallel regions that each end in a final state', () => {
    // given a parallel with a single task branch and a sequence branch
    const def = workflow({
      id: 'test:par',
      steps: sequence(
        parallel('fork', task('a', 'x.a'), sequence(task('b1', 'x.b'), task('b2', 'x.b'))),
        task('join', 'x.j'),
      ),
    });
    const fork = def.machine.states.fork;
    // then it is a parallel state whose onDone is the next step
    expect(fork.type).toBe('parallel');
    expect(fork.onDone).toBe('join');
    expect(Object.keys(fork.states!)).toEqual(['fork_1', 'fork_2']);
    // and each region starts at its first step and ends in its own final state
    const r1 = fork.states!.fork_1 as StateConfig;
    const r2 = fork.states!.fork_2 as StateConfig;
    expect(r1).toEqual({
      initial: 'a',
      states: { a: { invoke: { src: 'x.a' }, onDone: 'fork_1_end' }, fork_1_end: { type: 'final' } },
    });
    expect(r2.initial).toBe('b1');
    expect(r2.states!.b1.onDone).toBe('b2');
    expect(r2.states!.b2.onDone).toBe('fork_2_end');
    expect(r2.states!.fork_2_end).toEqual({ type: 'final' });
  });

  it('refuses a parallel with a single branch', () => {
    expect(() => parallel('p', task('a', 'x.a'))).toThrow(/<p> needs at least two branches/);
  });

  it('stores a retry policy in meta without touching other options', () => {
    const def = workflow({
      id: 'test:retry',
      steps: retry(task('a', 'x.a', {}, { timeoutMs: 100 }), { max: 3, backoffMs: 10, factor: 2 }),
    });
    expect(def.machine.states.a.meta).toEqual({ timeoutMs: 100, retry: { max: 3, backoffMs: 10, factor: 2 } });
  });

  it('emits a call as an invoke of workflow:<id> with its params as input', () => {
    const def = workflow({
      id: 'test:call',
      steps: sequence(call('sub', 'child:run', { n: '=params.n' }), call('sub2', 'child:other')),
    });
    expect(def.machine.states.sub).toEqual({
      invoke: { src: 'workflow:child:run', input: { n: '=params.n' } },
      onDone: 'sub2',
    });
    expect(def.machine.states.sub2.invoke).toEqual({ src: 'workflow:child:other', input: {} });
  });

  it.each([
    { delay: 250, key: '250' },
    { delay: 'PT5S', key: 'PT5S' },
    { delay: '=params.delay', key: '=params.delay' },
  ])('emits wait($delay) as a state with only after: { $key: next }', ({ delay, key }) => {
    const def = workflow({ id: 'test:wait', steps: sequence(wait('pause', delay, 'Pause'), task('next', 'x.n')) });
    expect(def.machine.states.pause).toEqual({ after: { [key]: 'next' }, meta: { title: 'Pause' } });
  });

  it('emits an interrupting timer on a task as after: { ms: timeout path }', () => {
    const def = workflow({
      id: 'test:timer',
      steps: sequence(task('slow', 'x.s', {}, { timeout: { ms: 50, then: task('late', 'x.l') } }), task('next', 'x.n')),
    });
    expect(def.machine.states.slow.after).toEqual({ '50': 'late' });
    expect(def.machine.states.slow.onDone).toBe('next');
    expect(def.machine.states.late.onDone).toBe('next');
  });

  it('emits fail() as a final state carrying the failure message', () => {
    const def = workflow({
      id: 'test:fail',
      steps: decide('d', [{ when: 'params.bad', then: fail('stop', 'bad input') }], task('ok', 'x.ok')),
    });
    expect(def.machine.states.stop).toEqual({ type: 'final', meta: { fail: { message: 'bad input' } } });
  });

  it('copies metadata, params and the run output template', () => {
    const def = workflow({
      id: 'test:meta',
      title: 'T',
      description: 'D',
      version: '2',
      params: { n: { type: 'number' } },
      steps: task('a', 'x.a'),
      output: { total: '=steps.a.sum' },
    });
    expect(def).toMatchObject({
      id: 'test:meta',
      title: 'T',
      description: 'D',
      version: '2',
      params: { n: { type: 'number' } },
    });
    expect(def.machine.states.done).toEqual({ type: 'final', output: { total: '=steps.a.sum' } });
  });

  it('produces a JSON-serializable definition', () => {
    // given a definition using every builder node
    const def = workflow({
      id: 'test:all',
      params: { n: { type: 'integer', default: 1 } },
      steps: sequence(
        retry(task('a', 'x.a', { v: '=params.n' }, { onError: fail('f', 'a failed'), timeout: { ms: 10 } }), {
          max: 2,
        }),
        decide('d', [{ when: 'params.n > 1', then: call('c', 'sub:wf') }], wait('w', 'PT1S')),
        parallel('p', task('p1', 'x.p'), task('p2', 'x.p')),
      ),
      output: ['=steps.a', 1],
    });
    // then a JSON round trip is lossless
    expect(JSON.parse(JSON.stringify(def))).toEqual(def);
  });

  it.each([
    { name: 'two tasks', steps: () => sequence(task('a', 'x.a'), task('a', 'x.b')) },
    { name: 'a task and a wait', steps: () => sequence(task('a', 'x.a'), wait('a', 5)) },
    {
      name: 'a decision branch and a later step',
      steps: () => sequence(decide('d', [{ when: 'true', then: task('x', 'x.a') }]), task('x', 'x.b')),
    },
  ])('refuses duplicate step ids ($name)', ({ steps }) => {
    expect(() => workflow({ id: 'test:dup', steps: steps() })).toThrow(/duplicate step id <(a|x)>/);
  });

  it('reserves the step id "done"', () => {
    expect(() => workflow({ id: 'test:done', steps: task('done', 'x.a') })).toThrow(/step id <done> is reserved/);
  });
  it('refuses an empty sequence', () => {
    expect(() => sequence()).toThrow(
      expect.objectContaining({ code: 'INVALID_DEFINITION', message: 'sequence() needs at least one node' }),
    );
  });

  it.each([
    {
      name: 'a duplicate step id',
      make: () => workflow({ id: 'test:dup', steps: sequence(task('a', 'x.a'), task('a', 'x.b')) }),
      message: /^duplicate step id <a>$/,
    },
    {
      name: 'the reserved id done',
      make: () => workflow({ id: 'test:done', steps: task('done', 'x.a') }),
      message: /^step id <done> is reserved/,
    },
    {
      name: 'a parallel of one branch',
      make: () => parallel('p', task('a', 'x.a')),
      message: /^parallel <p> needs at least two branches$/,
    },
    {
      name: 'a string where a step goes',
      make: () => sequence(task('a', 'x.a'), 'x.b' as never),
      message: /^sequence\(\): item 2 is not a step .* got "x.b"$/,
    },
    {
      name: 'undefined in a parallel',
      make: () => parallel('p', task('a', 'x.a'), undefined as never),
      message: /^parallel <p>: item 2 is not a step .* got undefined$/,
    },
    {
      name: 'a decision branch without when',
      make: () => decide('d', [{ then: task('a', 'x.a') } as never]),
      message: /^decide <d>: branch 1 needs a FEEL condition in "when"$/,
    },
    {
      name: 'a decision branch without then',
      make: () => decide('d', [{ when: 'true' } as never]),
      message: /^decide <d>: item 1 is not a step/,
    },
    {
      name: 'a task without a task',
      make: () => task('a', undefined as never),
      message: /^step <a>: expected a task id or a task node, got undefined$/,
    },
    {
      name: 'a task without an id',
      make: () => task('', 'x.a'),
      message: /^task\(\): the step id must be a non-empty string, got ""$/,
    },
  ])("throws the engine's coded error for $name, not a TypeError", ({ make, message }) => {
    let thrown: unknown;
    try {
      make();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DefinitionError);
    expect(thrown).toMatchObject({ code: 'INVALID_DEFINITION', message: expect.stringMatching(message) });
  });

  it('wires onError { goto } to a step emitted elsewhere, without emitting anything for it', () => {
    // given a step whose failure jumps to a shared clean-up step later in the sequence
    const def = workflow({
      id: 'test:goto',
      steps: sequence(task('a', 'x.a', {}, { onError: { goto: 'cleanup' } }), task('b', 'x.b'), task('cleanup', 'x.c')),
    });
    // then its onError names that step and the states are just the three steps and the end
    expect(def.machine.states.a).toEqual({ invoke: { src: 'x.a', input: {} }, onDone: 'b', onError: 'cleanup' });
    expect(Object.keys(def.machine.states)).toEqual(['a', 'b', 'cleanup', 'done']);
  });

  it('titles a parallel node given a title', () => {
    const def = workflow({
      id: 'test:ptitle',
      steps: { ...parallel('fork', task('a', 'x.a'), task('b', 'x.b')), title: 'Both at once' },
    });
    expect(def.machine.states.fork.meta).toEqual({ title: 'Both at once' });
  });

  it('leaves out every option that is not given, so that the definition survives a JSON round trip exactly', () => {
    // given a minimal workflow: no title, description, version, params or output; a task without input; an attention end without output
    const def = workflow({ id: 'test:min', steps: sequence(task('a', 'x.a'), attention('look', 'check it')) });
    // then no key holds undefined: what is stored (JSON) is what was built
    expect(JSON.parse(JSON.stringify(def))).toStrictEqual(def);
    expect(def).toStrictEqual({
      id: 'test:min',
      machine: {
        initial: 'a',
        states: {
          a: { invoke: { src: 'x.a' }, onDone: 'look' },
          look: { type: 'final', meta: { attention: { message: 'check it' } } },
          done: { type: 'final' },
        },
      },
    });
  });
});
