// Static checks of definitions: every problem is found and names the element it is about.
import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import {
  assertValidDefinition,
  checkDefinition,
  createRegistry,
  defineTask,
  DefinitionError,
  decide,
  parallel,
  sequence,
  task,
  wait,
  workflow,
  type Definition,
  type StateConfig,
} from '../../engine/index.js';

const make = (id: string) =>
  defineTask({ id, title: id, input: z.object({}).passthrough(), output: z.object({}), run: async () => ({}) });
const registry = createRegistry(make('git.clone'), make('git.push'), make('exec.run'));

/** A definition whose machine has the given states (initial: the first key). */
const machine = (states: Record<string, StateConfig>, extra: Partial<Definition> = {}): Definition => ({
  id: 'test:check',
  ...extra,
  machine: { initial: Object.keys(states)[0], states: { ...states, done: { type: 'final' } } },
});

describe('checkDefinition', () => {
  it('finds no problem in a definition built with every builder node', () => {
    const def = workflow({
      id: 'test:ok',
      params: { n: { type: 'integer', default: 1 } },
      steps: sequence(
        task('a', 'git.clone', { url: '=params.n' }, { timeout: { ms: 100 }, outputs: { head: '=output.head' } }),
        decide('d', [{ when: 'params.n > 1', then: task('b', 'git.push') }]),
        parallel('p', task('p1', 'exec.run'), sequence(wait('w', 'PT0.01S'), task('p2', 'exec.run'))),
      ),
      output: { n: '=params.n' },
    });
    expect(checkDefinition(def, registry)).toEqual([]);
    expect(() => assertValidDefinition(def, registry)).not.toThrow();
  });

  it.each([
    {
      problem: 'an unknown task id (with suggestion)',
      def: machine({ s1: { invoke: { src: 'git.clon' }, onDone: 'done' } }),
      element: 's1',
      message: /unknown task "git\.clon"; did you mean "git\.clone"/,
    },
    {
      problem: 'an onDone target that is not a sibling (with suggestion)',
      def: machine({ s1: { invoke: { src: 'git.clone' }, onDone: 'dnoe' } }),
      element: 's1',
      message: /onDone target "dnoe" is not a sibling state \(did you mean "done"\?\)/,
    },
    {
      problem: 'a bad onError target',
      def: machine({ s1: { invoke: { src: 'git.clone' }, onDone: 'done', onError: 'handler' } }),
      element: 's1',
      message: /onError target "handler" is not a sibling state/,
    },
    {
      problem: 'a #id target that does not exist',
      def: machine({ s1: { invoke: { src: 'git.clone' }, onDone: '#root.nowhere' } }),
      element: 's1',
      message: /onDone target "#root\.nowhere" does not exist/,
    },
    {
      problem: 'a decision without default branch',
      def: machine({ d: { always: [{ target: 'done', guard: { type: 'expr', params: { expr: 'true' } } }] } }),
      element: 'd',
      message: /a decision needs a default branch/,
    },
    {
      problem: 'a guard that is not an expr guard',
      def: machine({
        d: {
          always: [{ target: 'done', guard: { type: 'js', params: { expr: 'true' } } as never }, { target: 'done' }],
        },
      }),
      element: 'd',
      message: /always\[0\]\.guard must be \{ type: "expr"/,
    },
    {
      problem: 'a guard with a syntax error',
      def: machine({
        d: {
          always: [{ target: 'done', guard: { type: 'expr', params: { expr: 'params.n >' } } }, { target: 'done' }],
        },
      }),
      element: 'd',
      message: /bad expression in always\[0\]\.guard: .*\(expression: params\.n >\)/,
    },
    {
      problem: 'an input expression with a syntax error',
      def: machine({ s1: { invoke: { src: 'git.clone', input: { url: ['ok', '=1 +'] } }, onDone: 'done' } }),
      element: 's1',
      message: /bad expression in input\.url\[1\]: .*\(expression: 1 \+\)/,
    },
    {
      problem: 'a final output expression with a syntax error',
      def: {
        id: 'test:check',
        machine: { initial: 'done', states: { done: { type: 'final', output: { x: '=foo(' } } } },
      } as Definition,
      element: 'done',
      message: /bad expression in output\.x/,
    },
    {
      problem: 'a parallel region without a final state',
      def: machine({
        p: {
          type: 'parallel',
          onDone: 'done',
          states: {
            r1: { initial: 'a', states: { a: { invoke: { src: 'exec.run' }, onDone: 'b' }, b: { type: 'final' } } },
            r2: { initial: 'c', states: { c: { invoke: { src: 'exec.run' }, onDone: 'c' } } },
          },
        },
      }),
      element: 'r2',
      message: /a parallel region must end in a final state/,
    },
    {
      problem: 'a parallel state without onDone',
      def: machine({ p: { type: 'parallel', states: { r1: { initial: 'b', states: { b: { type: 'final' } } } } } }),
      element: 'p',
      message: /a parallel state needs onDone/,
    },
    {
      problem: 'a bad timer delay',
      def: machine({ w: { after: { soon: 'done' } } }),
      element: 'w',
      message: /bad delay in <w>: "soon"; expected milliseconds or an ISO-8601 duration/,
    },
    {
      problem: 'a negative timer delay',
      def: machine({ w: { after: { '-5': 'done' } } }),
      element: 'w',
      message: /bad delay in <w>/,
    },
    {
      problem: 'a timer with a bad target',
      def: machine({ w: { after: { '10': 'later' } } }),
      element: 'w',
      message: /after\[10\] target "later" is not a sibling state/,
    },
    {
      problem: 'a task state without onDone',
      def: machine({ s1: { invoke: { src: 'git.clone' } } }),
      element: 's1',
      message: /a task state needs onDone/,
    },
    {
      problem: 'a retry policy with max 0',
      def: machine({ s1: { invoke: { src: 'git.clone' }, onDone: 'done', meta: { retry: { max: 0 } } } }),
      element: 's1',
      message: /retry\.max must be an integer >= 1, got 0/,
    },
    {
      problem: 'a compound state whose initial is not a child',
      def: machine({ c: { initial: 'nope', states: { a: { type: 'final' } }, onDone: 'done' } }),
      element: 'c',
      message: /initial state "nope" is not one of its states/,
    },
    {
      problem: 'a state that does nothing',
      def: machine({ idle: {} }),
      element: 'idle',
      message: /state does nothing/,
    },
    {
      problem: 'a final state that invokes',
      def: machine({ f: { type: 'final', invoke: { src: 'git.clone' } } }),
      element: 'f',
      message: /a final state cannot invoke/,
    },
    {
      problem: 'an unknown param type',
      def: machine(
        { s1: { invoke: { src: 'git.clone' }, onDone: 'done' } },
        { params: { n: { type: 'float' as never } } },
      ),
      element: 'param n',
      message: /unknown type "float"/,
    },
    {
      problem: 'a bad workflow id',
      def: { ...machine({ s1: { invoke: { src: 'git.clone' }, onDone: 'done' } }), id: 'has space' },
      element: 'definition',
      message: /bad workflow id "has space"/,
    },
  ])('reports $problem on its element', ({ def, element, message }) => {
    // when the definition is checked
    const problems = checkDefinition(def, registry);
    // then a problem names the element with the expected message
    expect(problems).toContainEqual({ element, message: expect.stringMatching(message) });
  });

  it('reports the same step key used in two different compound states', () => {
    // given two sub-processes that both contain a step "build"
    const def = machine({
      c1: {
        initial: 'build',
        onDone: 'c2',
        states: { build: { invoke: { src: 'exec.run' }, onDone: 'end' }, end: { type: 'final' } },
      },
      c2: {
        initial: 'build',
        onDone: 'done',
        states: { build: { invoke: { src: 'exec.run' }, onDone: 'end' }, end: { type: 'final' } },
      },
    });
    // then the duplicate step id is reported on that key, exactly once
    const dup = checkDefinition(def, registry).filter((p) => /duplicate step id/.test(p.message));
    expect(dup).toEqual([{ element: 'build', message: expect.stringMatching(/duplicate step id/) }]);
  });

  it('accepts a bad target inside a compound state only among its own siblings', () => {
    const def = machine({
      c: {
        initial: 'a',
        onDone: 'done',
        states: { a: { invoke: { src: 'exec.run' }, onDone: 'done' }, end: { type: 'final' } },
      },
    });
    expect(checkDefinition(def, registry)).toContainEqual({
      element: 'a',
      message: expect.stringMatching(/onDone target "done" is not a sibling state/),
    });
  });

  it('checks called workflows against the catalog when asked', () => {
    const def = machine({ c: { invoke: { src: 'workflow:child:run' }, onDone: 'done' } });
    expect(checkDefinition(def, registry)).toEqual([]);
    expect(checkDefinition(def, registry, { resolveWorkflow: () => undefined })).toEqual([
      { element: 'c', message: 'called workflow "child:run" is not in the catalog' },
    ]);
  });

  it('reports every problem at once and assertValidDefinition lists them with element ids', () => {
    // given a definition with two independent problems
    const def = machine({ s1: { invoke: { src: 'git.clon' }, onDone: 'nowhere' } });
    // when it is asserted valid
    let error: unknown;
    try {
      assertValidDefinition(def, registry);
    } catch (e) {
      error = e;
    }
    // then one DefinitionError lists both, each with its element in angle brackets
    expect(error).toBeInstanceOf(DefinitionError);
    expect((error as DefinitionError).code).toBe('INVALID_DEFINITION');
    expect((error as DefinitionError).message).toMatch(
      /^workflow test:check is invalid:\n {2}<s1> unknown task "git\.clon".*\n {2}<s1> onDone target "nowhere"/,
    );
    expect(((error as DefinitionError).details as { problems: unknown[] }).problems).toHaveLength(2);
  });

  it('refuses a definition without machine.states', () => {
    expect(checkDefinition({ id: 'test:x' } as Definition, registry)).toEqual([
      { element: 'machine', message: 'missing machine.states' },
    ]);
  });
});

describe('checkDefinition: more problems, each with its exact message', () => {
  it.each([
    {
      problem: 'a non-object definition',
      def: null,
      problems: [{ element: 'definition', message: 'expected an object' }],
    },
    {
      problem: 'a string for a definition',
      def: 'test:x',
      problems: [{ element: 'definition', message: 'expected an object' }],
    },
    {
      problem: 'a missing workflow id',
      def: { machine: { initial: 'done', states: { done: { type: 'final' } } } },
      problems: [{ element: 'definition', message: 'bad workflow id undefined: expected family:verb' }],
    },
    {
      problem: 'a null machine',
      def: { id: 'test:x', machine: null },
      problems: [{ element: 'machine', message: 'missing machine.states' }],
    },
    {
      problem: 'a bad param name and a param without spec',
      def: {
        ...machine({ s1: { invoke: { src: 'git.clone' }, onDone: 'done' } }),
        params: { 'bad name': { type: 'string' }, n: null },
      },
      problems: [
        { element: 'param bad name', message: 'param names are letters, digits, _ and -' },
        {
          element: 'param n',
          message: 'unknown type undefined; expected one of string, number, integer, boolean, array, object, json',
        },
      ],
    },
    {
      problem: 'an initial state that is not a state',
      def: { id: 'test:x', machine: { initial: 'nope', states: { done: { type: 'final' } } } },
      problems: [{ element: 'machine', message: 'initial state "nope" is not one of its states' }],
    },
    {
      problem: 'a bad state key',
      def: machine({ 'bad key': { type: 'final' } }),
      problems: [{ element: 'bad key', message: 'state keys are letters, digits, _ and -' }],
    },
    {
      problem: 'an invoke without a task id',
      def: machine({ s1: { invoke: { src: 42 as never }, onDone: 'done' } }),
      problems: [{ element: 's1', message: 'invoke.src must be a task id' }],
    },
    {
      problem: 'an unknown task with two suggestions',
      def: machine({ s1: { invoke: { src: 'git' }, onDone: 'done' } }),
      problems: [{ element: 's1', message: 'unknown task "git"; did you mean "git.clone", "git.push"?' }],
    },
    {
      problem: 'an unknown task with nothing close',
      def: machine({ s1: { invoke: { src: 'zzzzzzzzzz' }, onDone: 'done' } }),
      problems: [{ element: 's1', message: 'unknown task "zzzzzzzzzz"' }],
    },
    {
      problem: 'a target with nothing close',
      def: machine({ s1: { invoke: { src: 'git.clone' }, onDone: 'zzzzzzzzzz' } }),
      problems: [{ element: 's1', message: 'onDone target "zzzzzzzzzz" is not a sibling state' }],
    },
    {
      problem: 'an output mapping with a syntax error',
      def: machine({
        s1: { invoke: { src: 'git.clone' }, onDone: 'done', meta: { outputs: { head: '=output.head +' } } },
      }),
      problems: [
        { element: 's1', message: 'bad expression in outputs.head: syntax error at 13 (expression: output.head +)' },
      ],
    },
    {
      problem: 'a bad onDone of a compound state',
      def: machine({ c: { initial: 'a', onDone: 'nowhere', states: { a: { type: 'final' } } } }),
      problems: [{ element: 'c', message: 'onDone target "nowhere" is not a sibling state' }],
    },
    {
      problem: 'a bad target of a later decision branch',
      def: machine({
        d: { always: [{ target: 'done', guard: { type: 'expr', params: { expr: 'true' } } }, { target: 'nowhere' }] },
      }),
      problems: [{ element: 'd', message: 'always[1] target "nowhere" is not a sibling state' }],
    },
    {
      problem: 'a guard whose expression is not a string',
      def: machine({
        d: { always: [{ target: 'done', guard: { type: 'expr', params: { expr: 5 } } as never }, { target: 'done' }] },
      }),
      problems: [{ element: 'd', message: 'always[0].guard must be { type: "expr", params: { expr } }' }],
    },
    {
      problem: 'a guard without params',
      def: machine({ d: { always: [{ target: 'done', guard: { type: 'expr' } } as never, { target: 'done' }] } }),
      problems: [{ element: 'd', message: 'always[0].guard must be { type: "expr", params: { expr } }' }],
    },
    {
      problem: 'a timer expression with a syntax error',
      def: machine({ w: { after: { '=params.delay *': 'done' } } }),
      problems: [{ element: 'w', message: 'bad expression in after: syntax error at 14 (expression: params.delay *)' }],
    },
    {
      problem: 'an event with a bad target',
      def: machine({ waiting: { on: { approve: 'nowhere' } } }),
      problems: [{ element: 'waiting', message: 'on.approve target "nowhere" is not a sibling state' }],
    },
  ])('reports $problem', ({ def, problems }) => {
    expect(checkDefinition(def as Definition, registry)).toEqual(problems);
  });

  it.each([
    {
      name: 'ids of nested families',
      def: { ...machine({ s1: { invoke: { src: 'git.clone' }, onDone: 'done' } }), id: 'gitlab:mr:create' },
    },
    {
      name: 'a single attempt',
      def: machine({ s1: { invoke: { src: 'git.clone' }, onDone: 'done', meta: { retry: { max: 1 } } } }),
    },
    {
      name: '#id targets of nested states',
      def: machine({
        c: {
          initial: 'a',
          onDone: 'done',
          states: {
            a: { invoke: { src: 'exec.run' }, onDone: '#root.c.end', onError: '#root.done' },
            end: { type: 'final' },
          },
        },
      }),
    },
  ])('accepts $name', ({ def }) => {
    expect(checkDefinition(def, registry)).toEqual([]);
  });

  it('names a definition without id "(no id)" when asserting it', () => {
    expect(() => assertValidDefinition(null as never, registry)).toThrow(
      'workflow (no id) is invalid:\n  <definition> expected an object',
    );
  });
});
