// Definitions that would exhaust the engine: states nested thousands deep (refused by depth, naming a state, without a
// stack overflow) and eventless cycles (refused by validation; the machine's microstep budget stops any that get by).
import { afterEach, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { z } from 'zod';
import {
  assertValidDefinition,
  bindRuntime,
  checkDefinition,
  cleanup,
  compile,
  createRegistry,
  defineTask,
  DefinitionError,
  sequence,
  startRun,
  task,
  wait,
  workflow,
  type Definition,
  type StateConfig,
} from '../../engine/index.js';
import { nestedDefinitionJson } from '../support/deep.js';
import { engineWith } from './support.js';

const noop = defineTask({
  id: 'test.noop',
  title: 'noop',
  input: z.object({}).passthrough(),
  output: z.object({}),
  run: async () => ({}),
});
const registry = createRegistry(noop);

afterEach(() => {
  delete process.env.GRAVITY_MAX_NESTING;
});

/** A definition whose states nest `depth` levels (the task `s` at level `depth`). */
const nested = (depth: number): Definition => JSON.parse(nestedDefinitionJson(depth));

/** A definition with the given states (initial: the first) and an end `done`. */
const machine = (states: Record<string, StateConfig>): Definition => ({
  id: 'test:loop',
  machine: { initial: Object.keys(states)[0], states: { ...states, done: { type: 'final' } } },
});
const when = (expr: string) => ({ type: 'expr' as const, params: { expr } });

describe('nesting limit', () => {
  it('refuses states nested 10,000 levels deep, naming the depth and the first state past the limit', () => {
    // given a definition nested 10,001 levels deep (g1 .. g10000, the task inside g10000)
    const def = nested(10_000);
    // when it is checked: no stack overflow, one problem
    const problems = checkDefinition(def, registry);
    expect(problems).toEqual([
      {
        element: 'g65',
        message:
          'nested 65 levels deep (states inside states), more than the limit of 64; the definition goes 10001 levels deep; raise GRAVITY_MAX_NESTING',
      },
    ]);
    expect(() => assertValidDefinition(def, registry)).toThrow(DefinitionError);
  });

  it('accepts 64 levels and refuses 65', () => {
    // nested(63): g1..g63 and the task at level 64
    expect(checkDefinition(nested(63), registry)).toEqual([]);
    expect(checkDefinition(nested(64), registry)).toEqual([
      expect.objectContaining({ element: 's', message: expect.stringMatching(/^nested 65 levels deep/) }),
    ]);
  });

  it('raises the limit with GRAVITY_MAX_NESTING', () => {
    process.env.GRAVITY_MAX_NESTING = '100';
    expect(checkDefinition(nested(90), registry)).toEqual([]);
    process.env.GRAVITY_MAX_NESTING = 'deep';
    expect(() => checkDefinition(nested(3), registry)).toThrow(/GRAVITY_MAX_NESTING must be a positive integer/);
  });

  it('refuses an input nested deeper than the limit, naming the step', () => {
    // given a step whose input is an array nested 10,000 levels deep
    const input = JSON.parse(`{"x":${'['.repeat(10_000)}1${']'.repeat(10_000)}}`);
    const def = machine({ s1: { invoke: { src: 'test.noop', input }, onDone: 'done' } });
    // then validation says so instead of overflowing in the expression walk
    expect(checkDefinition(def, registry)).toEqual([
      { element: 's1', message: 'invoke nests more than 64 levels deep; raise GRAVITY_MAX_NESTING' },
    ]);
  });

  it('refuses params nested deeper than the limit', () => {
    const deep = JSON.parse(`${'['.repeat(1_000)}1${']'.repeat(1_000)}`);
    const def = { ...machine({ s1: { invoke: { src: 'test.noop' }, onDone: 'done' } }) };
    def.params = { x: { type: 'json', default: deep } };
    expect(checkDefinition(def, registry)).toEqual([
      { element: 'definition', message: 'params nests more than 64 levels deep; raise GRAVITY_MAX_NESTING' },
    ]);
  });

  it('refuses the run of a deep definition before it starts', async () => {
    const { engine } = engineWith([noop]);
    await expect(startRun(engine, nested(10_000), { params: {} })).rejects.toThrow(/<g65> nested 65 levels deep/);
  });
});

describe('eventless cycles', () => {
  it.each([
    {
      name: 'a decision leading back to itself',
      def: machine({ a: { always: [{ target: 'a' }] } }),
      element: 'a',
      cycle: 'a -> a',
    },
    {
      name: 'two decisions leading into each other, with a way out the guards never take twice',
      def: machine({
        a: { always: [{ target: 'done', guard: when('n > 1') }, { target: 'b' }] },
        b: { always: [{ target: 'a' }] },
      }),
      element: 'a',
      cycle: 'a -> b -> a',
    },
    {
      name: 'a compound state whose end leads back into it',
      def: machine({
        c: { initial: 'd', onDone: 'c', states: { d: { always: [{ target: 'e' }] }, e: { type: 'final' } } },
      }),
      element: 'c',
      cycle: 'c -> d -> e -> c',
    },
    {
      name: 'a decision inside a compound leading to the compound by id',
      def: machine({
        c: { initial: 'd', onDone: 'done', states: { d: { always: [{ target: '#root.c' }] }, e: { type: 'final' } } },
      }),
      element: 'c',
      cycle: 'c -> d -> c',
    },
    {
      name: 'a parallel state whose branches all end at once, leading back to itself',
      def: machine({
        p: {
          type: 'parallel',
          onDone: 'p',
          states: {
            r1: { initial: 'e1', states: { e1: { type: 'final' } } },
            r2: { initial: 'x', states: { x: { always: [{ target: 'e2' }] }, e2: { type: 'final' } } },
          },
        },
      }),
      element: 'p',
      cycle: 'p -> p',
    },
    {
      name: 'a failing end caught by its compound, whose onError leads back into it',
      def: machine({
        c: {
          initial: 'f',
          onDone: 'done',
          onError: 'c',
          states: { f: { type: 'final', meta: { fail: { message: 'no' } } } },
        },
      }),
      element: 'c',
      cycle: 'c -> f -> c',
    },
  ])('refuses $name', ({ def, element, cycle }) => {
    const problems = checkDefinition(def, registry);
    expect(problems).toEqual([{ element, message: expect.stringContaining(`eventless cycle ${cycle}:`) }]);
    expect(problems[0].message).toMatch(/no step and no timer between them/);
  });

  it.each([
    {
      name: 'a loop through a task',
      def: machine({
        try: { invoke: { src: 'test.noop' }, onDone: 'again' },
        again: { always: [{ target: 'try', guard: when('false') }, { target: 'done' }] },
      }),
    },
    {
      name: 'a loop through a timer',
      def: machine({
        w: { after: { 10: 'd' } },
        d: { always: [{ target: 'w', guard: when('false') }, { target: 'done' }] },
      }),
    },
    {
      name: 'a parallel state one of whose branches runs a step, leading back to itself',
      def: machine({
        p: {
          type: 'parallel',
          onDone: 'p',
          states: {
            r1: { initial: 'e1', states: { e1: { type: 'final' } } },
            r2: { initial: 's', states: { s: { invoke: { src: 'test.noop' }, onDone: 'e2' }, e2: { type: 'final' } } },
          },
        },
      }),
    },
    {
      name: 'decisions chained 5,000 long (no recursion on the way)',
      def: machine(
        Object.fromEntries(
          Array.from({ length: 5000 }, (_, i) => [`d${i}`, { always: [{ target: i < 4999 ? `d${i + 1}` : 'done' }] }]),
        ),
      ),
    },
    {
      name: 'a cleanup, its failing copy and a wait',
      def: workflow({
        id: 'test:cleanup',
        steps: sequence(cleanup('c', task('body', 'test.noop'), task('after', 'test.noop')), wait('w', 'PT0.01S')),
      }) as Definition,
    },
  ])('accepts $name', ({ def }) => {
    expect(checkDefinition(def, registry)).toEqual([]);
  });

  it('refuses to start a run of an eventless cycle', async () => {
    const { engine } = engineWith([noop]);
    await expect(startRun(engine, machine({ a: { always: [{ target: 'a' }] } }), { params: {} })).rejects.toThrow(
      /<a> eventless cycle a -> a/,
    );
  });

  it('stops a cycle that got past validation with the microstep budget, instead of spinning forever', () => {
    // given a machine compiled from a cycle without validation (compile trusts its input)
    const actor = createActor(
      compile(machine({ a: { always: [{ target: 'b' }] }, b: { always: [{ target: 'a' }] } })),
      {
        input: { params: {} },
      },
    );
    bindRuntime(actor, { runTask: async () => ({}) });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => errors.push(e) });
    // when it starts: xstate's maxIterations stops it in the same tick
    actor.start();
    expect(actor.getSnapshot().status).toBe('error');
    expect(String(errors[0])).toMatch(/Infinite loop detected: the machine has processed more than 1060 microsteps/);
  });
});
