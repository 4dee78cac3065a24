// The definition helpers: canonical JSON and hashing, transition targets, and the steps of a workflow in document order.
import { describe, it, expect } from 'vitest';
import {
  calleeOf,
  callSrc,
  canonicalJson,
  definitionHash,
  listSteps,
  parallel,
  sequence,
  stateKind,
  targetOf,
  task,
  call,
  workflow,
  type Definition,
  type StateConfig,
} from '../../engine/index.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order and drops undefined fields', () => {
    expect(canonicalJson({ b: [{ y: 1, x: 2 }, 3, ['z', 'a']], a: { d: undefined, c: null } })).toBe(
      '{"a":{"c":null},"b":[{"x":2,"y":1},3,["z","a"]]}',
    );
  });

  it('hashes definitions that differ only in key order alike, and different definitions apart', () => {
    const a: Definition = {
      id: 'test:h',
      machine: {
        initial: 's',
        states: { s: { invoke: { src: 'x.y', input: { p: 1, q: [1, 2] } }, onDone: 'done' }, done: { type: 'final' } },
      },
    };
    const b: Definition = {
      machine: {
        states: { done: { type: 'final' }, s: { onDone: 'done', invoke: { input: { q: [1, 2], p: 1 }, src: 'x.y' } } },
        initial: 's',
      },
      id: 'test:h',
    };
    const c: Definition = {
      ...a,
      machine: {
        ...a.machine,
        states: { ...a.machine.states, s: { invoke: { src: 'x.y', input: { p: 1, q: [2, 1] } }, onDone: 'done' } },
      },
    };
    expect(definitionHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(definitionHash(b)).toBe(definitionHash(a));
    expect(definitionHash(c)).not.toBe(definitionHash(a));
  });
});

describe('targetOf', () => {
  it.each([
    { t: undefined, key: undefined },
    { t: 'next', key: 'next' },
    { t: { target: '#root.x', meta: { note: 1 } }, key: '#root.x' },
  ])('gives $key for $t', ({ t, key }) => {
    expect(targetOf(t)).toBe(key);
  });
});

describe('listSteps', () => {
  it('lists every invoking state in document order, with its path, task and whether it runs in a parallel region', () => {
    // given tasks at the top level, in parallel regions (one nested in a sequence) and a call
    const def = workflow({
      id: 'test:steps',
      steps: sequence(
        task('first', 'x.a'),
        parallel('fork', task('left', 'x.b'), sequence(task('r1', 'x.c'), task('r2', 'x.d'))),
        call('sub', 'child:run'),
      ),
    });
    // when its steps are listed
    const steps = listSteps(def);
    // then decisions, regions and ends are skipped and each step knows where it is
    expect(steps.map(({ id, path, src, parallel: inParallel }) => ({ id, path, src, parallel: inParallel }))).toEqual([
      { id: 'first', path: ['first'], src: 'x.a', parallel: false },
      { id: 'left', path: ['fork', 'fork_1', 'left'], src: 'x.b', parallel: true },
      { id: 'r1', path: ['fork', 'fork_2', 'r1'], src: 'x.c', parallel: true },
      { id: 'r2', path: ['fork', 'fork_2', 'r2'], src: 'x.d', parallel: true },
      { id: 'sub', path: ['sub'], src: 'workflow:child:run', parallel: false },
    ]);
    expect(steps[0].state).toBe(def.machine.states.first);
  });

  it('finds steps inside compound states, not marking them parallel', () => {
    const def: Definition = {
      id: 'test:compound',
      machine: {
        initial: 'c',
        states: {
          c: {
            initial: 'inner',
            onDone: 'done',
            states: { inner: { invoke: { src: 'x.a' }, onDone: 'end' }, end: { type: 'final' } },
          },
          done: { type: 'final' },
        },
      },
    };
    expect(listSteps(def).map((s) => [s.id, s.path, s.parallel])).toEqual([['inner', ['c', 'inner'], false]]);
  });
});

describe('the kind of a state', () => {
  it.each([
    [{ type: 'final' }, 'end'],
    [{ type: 'final', meta: { fail: true } }, 'fail'],
    [{ type: 'final', meta: { fail: { message: 'no' } } }, 'fail'],
    [{ type: 'final', meta: { attention: { message: 'look' } } }, 'attention'],
    [{ invoke: { src: 'exec.run' }, onDone: 'x' }, 'task'],
    [{ invoke: { src: 'workflow:host:doctor' }, onDone: 'x' }, 'call'],
    [{ invoke: { src: 'exec.run' }, after: { 100: 'x' }, onDone: 'x' }, 'task'],
    [{ always: [{ target: 'x' }] }, 'decision'],
    [{ type: 'parallel', states: {}, onDone: 'x' }, 'parallel'],
    [{ after: { 100: 'x' } }, 'wait'],
    [{ on: { go: 'x' } }, 'event'],
    [{ initial: 'a', states: { a: { type: 'final' } } }, 'compound'],
    [{}, 'empty'],
  ] as const)('of %j is %s', (state, kind) => {
    expect(stateKind(state as StateConfig)).toBe(kind);
  });

  it('names the called workflow of a call step, and nothing for a task id', () => {
    expect(calleeOf('workflow:girofle:sync')).toBe('girofle:sync');
    expect(calleeOf(callSrc('host:doctor'))).toBe('host:doctor');
    expect(calleeOf('exec.run')).toBeUndefined();
    expect(calleeOf('my.workflow:x')).toBeUndefined();
    expect(call('c', 'a:b').src).toBe(callSrc('a:b'));
  });
});
