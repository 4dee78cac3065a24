// Strict everywhere: a misspelt key in a task input, a definition, a state, its meta or a param spec is an error naming
// the step, the key and the closest valid key, never silently dropped (a `"timeoutMS": 10` once ran a 1 s command to
// success, its timeout ignored).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  checkDefinition,
  createMemoryStore,
  createRegistry,
  defineTask,
  sequence,
  startRun,
  task,
  workflow,
  type Definition,
} from '../../engine/index.js';
import { describeIssue, knownKeysAt, looseObjects, unknownKeys } from '../../engine/schema-keys.js';
import { createDefaultRegistry } from '../../tasks/index.js';

const input = z.strictObject({
  command: z.string(),
  timeoutMs: z.number().optional(),
  user: z.strictObject({ name: z.string(), email: z.string() }).optional(),
  files: z.array(z.strictObject({ path: z.string(), mode: z.number().default(0o644) })).default([]),
  env: z.record(z.string(), z.string()).optional(),
  either: z.union([z.strictObject({ a: z.string() }), z.strictObject({ b: z.string() })]).optional(),
});

describe('the keys a schema knows', () => {
  it('knows the keys at each place, through optional, default, arrays and unions', () => {
    expect(knownKeysAt(input, [])).toEqual(['command', 'either', 'env', 'files', 'timeoutMs', 'user']);
    expect(knownKeysAt(input, ['user'])).toEqual(['email', 'name']);
    expect(knownKeysAt(input, ['files', 3])).toEqual(['mode', 'path']);
    expect(knownKeysAt(input, ['either'])).toEqual(['a', 'b']);
    // a record's values are not objects with known keys, and nothing is known below a string
    expect(knownKeysAt(input, ['env'])).toEqual([]);
    expect(knownKeysAt(input, ['command', 'x'])).toEqual([]);
  });

  it('finds the unknown keys written in an input, with their place and the closest known key', () => {
    const found = unknownKeys(input, {
      command: 'sleep',
      timeoutMS: 10,
      user: { name: 'a', emial: 'x' },
      files: [{ path: 'a' }, { path: 'b', mdoe: 1 }],
      env: { ANY_NAME: 'is fine in a record' },
      either: { c: '1' },
    }).map(({ path, key, near }) => ({ path, key, near }));
    expect(found).toEqual(
      expect.arrayContaining([
        { path: [], key: 'timeoutMS', near: 'timeoutMs' },
        { path: ['user'], key: 'emial', near: 'email' },
        { path: ['files', 1], key: 'mdoe', near: 'mode' },
        { path: ['either'], key: 'c', near: 'a' },
      ]),
    );
    expect(found).toHaveLength(4);
    // an expression is only known when the step runs: nothing to check in it now
    expect(unknownKeys(input, { command: '=params.cmd', user: '=params.user' })).toEqual([]);
  });

  it('says what zod calls an unrecognized key in words, with the closest key or the known ones', () => {
    const r = input.safeParse({ command: 'x', timeoutMS: 1, user: { name: 'a', email: 'b', zzzzzz: 1 } });
    expect(r.success).toBe(false);
    const said = r.error!.issues.map((i) => describeIssue(input, i));
    expect(said).toContain('unknown key "timeoutMS"; did you mean "timeoutMs"?');
    expect(said).toContain('unknown key "zzzzzz" in user (known: email, name)');
    // other issues keep zod's words, at their place
    const bad = input.safeParse({ command: 3 });
    expect(describeIssue(input, bad.error!.issues[0])).toMatch(/^command: /);
  });

  it('names every object of a schema that would drop an unknown key silently', () => {
    const loose = z.object({
      a: z.object({ b: z.string() }),
      list: z.array(z.object({ c: z.string() })).optional(),
      open: z.looseObject({}),
      strict: z.strictObject({ d: z.object({}) }),
    });
    expect(looseObjects(loose)).toEqual(['input', 'input.a', 'input.list[]', 'input.strict.d']);
  });

  it('every task node of the registry refuses unknown keys, at every depth of its input', () => {
    const loose = createDefaultRegistry()
      .list()
      .flatMap((t) => looseObjects(t.input).map((p) => `${t.id}: ${p}`));
    expect(loose).toEqual([]);
  });
});

const sleepy = defineTask({
  id: 'test.sleep',
  title: 'sleep',
  input: z.strictObject({ ms: z.number(), timeoutMs: z.number().optional(), user: input.shape.user }),
  output: z.object({}),
  run: async () => ({}),
});
const registry = createRegistry(sleepy);

describe('a definition with a misspelt key', () => {
  it('is refused by validation, naming the step, the key and the closest valid key, at every level', () => {
    const def = {
      id: 'test:typos',
      titel: 'x',
      params: { n: { type: 'integer', defualt: 1 } },
      machine: {
        initial: 's',
        states: {
          s: {
            invoke: { src: 'test.sleep', input: { ms: 1, timeoutMS: 10, user: { name: 'a', email: 'b', mail: 'c' } } },
            onDone: 'done',
            meta: { timeoutMS: 10, retry: { max: 2, backof: 1 } },
            idempotant: true,
          },
          done: { type: 'final' },
        },
      },
    } as unknown as Definition;
    expect(checkDefinition(def, registry)).toEqual([
      { element: 'definition', message: 'unknown key "titel" in the definition; did you mean "title"?' },
      { element: 'param n', message: 'unknown key "defualt" in param "n"; did you mean "default"?' },
      {
        element: 's',
        message:
          'unknown key "idempotant" in the state (known: type, initial, states, invoke, onDone, onError, always, after, on, output, description, meta)',
      },
      { element: 's', message: 'unknown key "timeoutMS" in meta; did you mean "timeoutMs"?' },
      { element: 's', message: 'unknown key "backof" in meta.retry; did you mean "backoffMs"?' },
      { element: 's', message: 'unknown key "timeoutMS" in the input of test.sleep; did you mean "timeoutMs"?' },
      { element: 's', message: 'unknown key "mail" in the input at user of test.sleep; did you mean "email"?' },
    ]);
  });

  it('fails the step at run time, naming the step, the key and the closest, when an expression built the object', async () => {
    // given an input object that only exists when the step runs (so validation could not see its keys)
    const def = workflow({
      id: 'test:late',
      params: { user: { type: 'object' } },
      steps: sequence(task('s', 'test.sleep', { ms: 1, user: '=params.user' })),
    });
    expect(checkDefinition(def, registry)).toEqual([]);
    const engine = { store: createMemoryStore(), registry };
    const r = await startRun(engine, def, { params: { user: { name: 'a', email: 'b', emial: 'c' } } });
    expect(r.status).toBe('failed');
    expect(r.error?.message).toBe(
      'input of <s> (test.sleep) is invalid: unknown key "emial" in user; did you mean "email"?',
    );
  });
});

describe('builder options are strict', () => {
  it('refuses a task option it does not know, naming the step, the option and the closest', () => {
    expect(() => task('a', 'exec.run', {}, { timeoutMS: 5 } as never)).toThrow(
      'step <a>: unknown option "timeoutMS"; did you mean "timeoutMs"? (options: title, documentation, retry, timeoutMs, outputs, onError, timeout, each, reminders, onMessage, messageKeys)',
    );
    expect(() => task('a', 'exec.run', {}, { titel: 'x' } as never)).toThrow(
      /unknown option "titel"; did you mean "title"\?/,
    );
  });
});

describe('validate agrees with run on task inputs', () => {
  const adder = defineTask({
    id: 'test.add',
    title: 'add',
    input: z.strictObject({ a: z.number(), b: z.number(), label: z.string().optional() }),
    output: z.object({}),
    run: async () => ({}),
  });
  const adding = (input: unknown) =>
    checkDefinition(workflow({ id: 'test:add', steps: task('s', 'test.add', input) }), createRegistry(adder));

  it('refuses what the step would refuse, as far as the literals tell: a missing key, a literal of the wrong type', () => {
    expect(adding({ a: 1 })).toEqual([
      { element: 's', message: 'input of test.add is invalid: b: Invalid input: expected number, received undefined' },
    ]);
    expect(adding({ a: 1, b: 'two' })).toEqual([
      { element: 's', message: 'input of test.add is invalid: b: Invalid input: expected number, received string' },
    ]);
  });

  it('leaves what expressions give to the run: a value, an object, or the whole input', () => {
    expect(adding({ a: 1, b: '=params.b' })).toEqual([]);
    expect(adding('={a: 1, b: 2}')).toEqual([]);
    // a literal beside an expression is still checked
    expect(adding({ a: 'one', b: '=params.b' })).toEqual([
      { element: 's', message: 'input of test.add is invalid: a: Invalid input: expected number, received string' },
    ]);
  });
});
