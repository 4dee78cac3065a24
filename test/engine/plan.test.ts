// Plans (describe and --dry-run): every state in document order with its kind, depth and notes; with params, inputs
// resolved as far as params allow and each task's own plan lines.
import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import {
  attention,
  call,
  createRegistry,
  decide,
  defineTask,
  fail,
  parallel,
  planDefinition,
  startRun,
  retry,
  sequence,
  task,
  wait,
  workflow,
  type Definition,
} from '../../engine/index.js';
import { addTask, echoTask, engineWith } from './support.js';

/** A task with its own plan(): what --dry-run shows for it. */
const mkdirTask = defineTask({
  id: 'test.mkdir',
  title: 'Make a folder',
  input: z.object({ path: z.string() }),
  output: z.object({}),
  plan: (input) => [`mkdir -p ${input.path}`],
  run: async () => ({}),
});

const registry = createRegistry(mkdirTask, echoTask().task, addTask);

/** Every builder node: retries, timeouts, error paths, a decision, a parallel with a timer, a call and a failing end. */
const def = workflow({
  id: 'test:plan',
  params: { dir: { type: 'string' }, n: { type: 'number', default: 1 } },
  steps: sequence(
    retry(
      task(
        'make',
        'test.mkdir',
        { path: '=params.dir + "/out"' },
        { title: 'Make dir', timeoutMs: 500, onError: 'continue' },
      ),
      { max: 3 },
    ),
    task('slow', 'test.echo', { value: 1 }, { timeout: { ms: 50 } }),
    decide(
      'pick',
      [{ when: 'params.n > 1', then: task('many', 'test.echo', { value: 'many' }) }],
      fail('stop', 'n too small'),
      'Pick',
    ),
    parallel(
      'fork',
      task('left', 'test.echo', { value: 'l' }),
      sequence(wait('pause', 'PT1S'), task('right', 'test.add', { a: '=params.n', b: '=steps.left.value' })),
    ),
    call('sub', 'child:run', { n: '=params.n', from: '=steps.make.path' }),
  ),
});

describe('planDefinition', () => {
  it('describes every state in document order, without lines when no params are given', () => {
    // when the definition is described (gravity describe)
    const items = planDefinition(def, registry);
    // then each state appears once with its kind, depth and notes; the regions' own ends are left out
    expect(items).toStrictEqual([
      {
        id: 'make',
        kind: 'task',
        depth: 0,
        title: 'Make dir',
        task: 'test.mkdir',
        lines: [],
        notes: ['retry up to 3 attempts', 'timeout 500 ms', 'on error -> slow'],
      },
      {
        id: 'slow',
        kind: 'task',
        depth: 0,
        title: undefined,
        task: 'test.echo',
        lines: [],
        notes: ['after 50 -> pick (cancels the step)'],
      },
      {
        id: 'pick',
        kind: 'decision',
        depth: 0,
        title: 'Pick',
        lines: [],
        notes: ['if params.n > 1 -> many', 'else -> stop'],
      },
      { id: 'many', kind: 'task', depth: 0, title: undefined, task: 'test.echo', lines: [], notes: [] },
      { id: 'stop', kind: 'fail', depth: 0, title: undefined, lines: [], notes: ['n too small'] },
      { id: 'fork', kind: 'parallel', depth: 0, title: undefined, lines: [], notes: ['2 branches run concurrently'] },
      { id: 'fork_1', kind: 'branch', depth: 1, title: undefined, lines: [], notes: [] },
      { id: 'left', kind: 'task', depth: 2, title: undefined, task: 'test.echo', lines: [], notes: [] },
      { id: 'fork_2', kind: 'branch', depth: 1, title: undefined, lines: [], notes: [] },
      { id: 'pause', kind: 'wait', depth: 2, title: undefined, lines: [], notes: ['wait PT1S -> right'] },
      { id: 'right', kind: 'task', depth: 2, title: undefined, task: 'test.add', lines: [], notes: [] },
      { id: 'sub', kind: 'call', depth: 0, title: undefined, task: 'workflow:child:run', lines: [], notes: [] },
      { id: 'done', kind: 'end', depth: 0, title: undefined, lines: [], notes: [] },
    ]);
  });

  it('resolves inputs from params and shows what each task would do (dry run)', () => {
    // when the plan is made with params
    const items = planDefinition(def, registry, { dir: '/srv/app', n: 2 });
    const byId = Object.fromEntries(items.map((i) => [i.id, i]));
    // then a task with a plan() shows it for the resolved input
    expect(byId.make.lines).toEqual(['mkdir -p /srv/app/out']);
    // a task without plan() shows its id and input
    expect(byId.slow.lines).toEqual(['test.echo {"value":1}']);
    expect(byId.left.lines).toEqual(['test.echo {"value":"l"}']);
    // an input over step outputs keeps those expressions visible; when it does not fit the task's schema, the raw input is shown
    expect(byId.right.lines).toEqual(['test.add {"a":2,"b":"⟨steps.left.value⟩"}']);
    // a call shows the workflow and its params, resolved where possible
    expect(byId.sub.lines).toEqual(['run workflow child:run with {"n":2,"from":"⟨steps.make.path⟩"}']);
    // the decision names the branch these params take
    expect(byId.pick.notes).toEqual(['if params.n > 1 -> many', 'else -> stop', 'with these params: takes many']);
    // states that do nothing themselves still have no lines
    expect(byId.fork.lines).toEqual([]);
    expect(byId.pause.lines).toEqual([]);
  });

  it('resolves params by name, under params and under vars, as a run does', () => {
    const d = workflow({
      id: 'test:scope',
      steps: sequence(
        task('a', 'test.mkdir', { path: '=dir' }),
        task('b', 'test.mkdir', { path: '=params.dir' }),
        task('c', 'test.mkdir', { path: '=vars.dir' }),
      ),
    });
    const items = planDefinition(d, registry, { dir: 'x' });
    expect(items.slice(0, 3).map((i) => i.lines)).toEqual([['mkdir -p x'], ['mkdir -p x'], ['mkdir -p x']]);
  });

  it('resolves nested inputs field by field, keeping unresolvable fields as ⟨expr⟩', () => {
    // given an input with nested objects and arrays mixing literals, params and step outputs
    const d = workflow({
      id: 'test:nested',
      steps: task('show', 'test.echo', {
        value: { name: '=params.name', from: '=steps.a.out', list: ['=params.name', 'lit', { n: 1 }], flag: true },
      }),
    });
    // when planned with params
    const [show] = planDefinition(d, registry, { name: 'web' });
    // then every field that params decide is resolved, the others stay visible
    expect(show.lines).toEqual([
      'test.echo {"value":{"name":"web","from":"⟨steps.a.out⟩","list":["web","lit",{"n":1}],"flag":true}}',
    ]);
  });

  it.each([
    { n: 2, taken: 'many' },
    { n: 1, taken: 'stop' },
  ])('names the branch a decision takes with n=$n: $taken', ({ n, taken }) => {
    const pick = planDefinition(def, registry, { dir: 'd', n }).find((i) => i.id === 'pick')!;
    expect(pick.notes.at(-1)).toBe(`with these params: takes ${taken}`);
  });

  it('takes the first guard that holds, in order', () => {
    const d = workflow({
      id: 'test:order',
      steps: decide(
        'd',
        [
          { when: 'params.n > 10', then: task('big', 'test.echo') },
          { when: 'params.n > 5', then: task('mid', 'test.echo') },
        ],
        task('small', 'test.echo'),
      ),
    });
    const notesWith = (n: number) => planDefinition(d, registry, { n })[0].notes;
    expect(notesWith(7)).toEqual([
      'if params.n > 10 -> big',
      'if params.n > 5 -> mid',
      'else -> small',
      'with these params: takes mid',
    ]);
    expect(notesWith(20).at(-1)).toBe('with these params: takes big');
    expect(notesWith(1).at(-1)).toBe('with these params: takes small');
  });

  it('claims no branch when a guard before the default depends on a step output, even one FEEL would read as null', async () => {
    // given a decision whose first guard reads a step output that a plan cannot know (null = 1 is false in FEEL)
    const { task: echo } = echoTask();
    const d = workflow({
      id: 'test:undecided',
      steps: sequence(
        task('check', 'test.echo', { value: 1 }),
        decide(
          'd',
          [{ when: 'steps.check.value = 1', then: task('yes', 'test.echo', { value: 'y' }) }],
          task('no', 'test.echo', { value: 'n' }),
        ),
      ),
    });
    // when planned with params
    const decision = planDefinition(d, registry, {}).find((i) => i.id === 'd')!;
    // then the branches are listed but none is claimed (not the default either: the run takes "yes")
    expect(decision.notes).toEqual(['if steps.check.value = 1 -> yes', 'else -> no']);
    const { engine } = engineWith([echo]);
    const result = await startRun(engine, d, { params: {} });
    expect(result.steps.map((s) => s.id)).toEqual(['check', 'yes']);
  });

  it('keeps an input expression over a step output visible even where FEEL would go on with null', () => {
    const d = workflow({
      id: 'test:guess',
      steps: task('a', 'test.echo', { value: '=if steps.prev.ok = true then "deploy" else "skip"' }),
    });
    const [a] = planDefinition(d, registry, {});
    expect(a.lines).toEqual(['test.echo {"value":"⟨if steps.prev.ok = true then \\"deploy\\" else \\"skip\\"⟩"}']);
  });

  it('names no branch without params', () => {
    const pick = planDefinition(def, registry).find((i) => i.id === 'pick')!;
    expect(pick.notes).toEqual(['if params.n > 1 -> many', 'else -> stop']);
  });

  it('notes no retry for a single attempt and the target of an object onError', () => {
    const d: Definition = {
      id: 'test:notes',
      machine: {
        initial: 'a',
        states: {
          a: {
            invoke: { src: 'test.echo', input: { value: 1 } },
            onDone: 'done',
            onError: { target: 'oops' },
            meta: { retry: { max: 1 } },
          },
          oops: { type: 'final', meta: { fail: true } },
          done: { type: 'final' },
        },
      },
    };
    const items = planDefinition(d, registry);
    expect(items).toStrictEqual([
      { id: 'a', kind: 'task', depth: 0, title: undefined, task: 'test.echo', lines: [], notes: ['on error -> oops'] },
      { id: 'oops', kind: 'fail', depth: 0, title: undefined, lines: [], notes: [] },
      { id: 'done', kind: 'end', depth: 0, title: undefined, lines: [], notes: [] },
    ]);
  });

  it('shows a compound state with its children one level deeper, ends included', () => {
    // given a top-level compound (sub-process) state with a task, a failing end and a normal end inside
    const d: Definition = {
      id: 'test:compound',
      machine: {
        initial: 'sub',
        states: {
          sub: {
            initial: 'inner',
            onDone: 'done',
            meta: { title: 'Sub-process' },
            states: {
              inner: { invoke: { src: 'test.echo', input: { value: 1 } }, onDone: 'innerEnd', onError: 'broken' },
              broken: { type: 'final', meta: { fail: { message: 'inner failed' } } },
              innerEnd: { type: 'final' },
            },
          },
          done: { type: 'final' },
        },
      },
    };
    // when it is described
    const items = planDefinition(d, registry);
    // then the compound is a "state" and its ends are listed (unlike the ends of parallel regions)
    expect(items.map((i) => [i.id, i.kind, i.depth, i.title, i.notes])).toEqual([
      ['sub', 'state', 0, 'Sub-process', []],
      ['inner', 'task', 1, undefined, ['on error -> broken']],
      ['broken', 'fail', 1, undefined, ['inner failed']],
      ['innerEnd', 'end', 1, undefined, []],
      ['done', 'end', 0, undefined, []],
    ]);
    expect(items.every((i) => i.lines.length === 0)).toBe(true);
  });

  it('marks states nested in a parallel region as belonging to it', () => {
    // given a parallel region holding a compound state (with its own end) and an attention end at the top level
    const d: Definition = {
      id: 'test:regions',
      machine: {
        initial: 'p',
        states: {
          p: {
            type: 'parallel',
            onDone: 'check',
            states: {
              r1: {
                initial: 'c',
                states: {
                  c: {
                    initial: 'x',
                    onDone: 'r1_end',
                    states: { x: { invoke: { src: 'test.echo' }, onDone: 'x_end' }, x_end: { type: 'final' } },
                  },
                  r1_end: { type: 'final' },
                },
              },
              r2: {
                initial: 'y',
                states: { y: { invoke: { src: 'test.echo' }, onDone: 'r2_end' }, r2_end: { type: 'final' } },
              },
              r3: { initial: 'r3_end', states: { r3_end: { type: 'final' } } },
            },
          },
          check: { type: 'final', meta: { attention: { message: 'look' } } },
        },
      },
    };
    const items = planDefinition(d, registry);
    expect(items.map((i) => [i.id, i.kind, i.depth])).toEqual([
      ['p', 'parallel', 0],
      ['r1', 'branch', 1],
      ['c', 'branch', 2],
      ['x', 'task', 3],
      ['r2', 'branch', 1],
      ['y', 'task', 2],
      ['r3', 'branch', 1],
      ['check', 'end', 0],
    ]);
    expect(items[0].notes).toEqual(['3 branches run concurrently']);
  });

  it('describes the attention end of the builder as an end', () => {
    const d = workflow({
      id: 'test:att',
      steps: sequence(task('a', 'test.echo', { value: 1 }), attention('look', 'check it')),
    });
    expect(planDefinition(d, registry).map((i) => [i.id, i.kind])).toEqual([
      ['a', 'task'],
      ['look', 'end'],
      ['done', 'end'],
    ]);
  });

  it('plans a task the registry does not know without lines instead of throwing', () => {
    const d = workflow({ id: 'test:unknown', steps: task('a', 'other.task', { v: '=params.v' }) });
    const [a] = planDefinition(d, registry, { v: 1 });
    expect(a).toStrictEqual({
      id: 'a',
      kind: 'task',
      depth: 0,
      title: undefined,
      task: 'other.task',
      lines: [],
      notes: [],
    });
  });
});
