// task(id, node, input): the input is typed by the node's zod schema. The @ts-expect-error lines are checked by tsc
// (`npm test` typechecks the tests): each must be an error, or the typecheck fails.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTask, sequence, task, workflow } from '../../engine/index.js';

const deploy = defineTask({
  id: 'test.deploy',
  title: 'Deploy',
  input: z.object({
    name: z.string(),
    replicas: z.number().default(1),
    tags: z.array(z.string()).optional(),
    env: z.object({ region: z.string() }).optional(),
  }),
  output: z.object({ ok: z.boolean() }),
  async run() {
    return { ok: true };
  },
});

describe('task() given the task node itself', () => {
  it('emits the node id as src and keeps the input as written, FEEL strings included', () => {
    const def = workflow({
      id: 'test:typed',
      steps: sequence(
        task('a', deploy, { name: 'web', replicas: 2, tags: ['x', '=params.tag'], env: { region: '=params.region' } }),
        task('b', deploy, { name: '=upper case(params.name)' }),
        task('c', deploy, '=steps.a'),
      ),
    });
    expect(def.machine.states.a.invoke).toEqual({
      src: 'test.deploy',
      input: { name: 'web', replicas: 2, tags: ['x', '=params.tag'], env: { region: '=params.region' } },
    });
    expect(def.machine.states.b.invoke).toEqual({ src: 'test.deploy', input: { name: '=upper case(params.name)' } });
    expect(def.machine.states.c.invoke).toEqual({ src: 'test.deploy', input: '=steps.a' });
  });

  it('makes an unknown, mistyped or missing key a TypeScript error (the string form stays unchecked)', () => {
    const wrong = [
      // @ts-expect-error unknown key (a typo of replicas)
      () => task('a', deploy, { name: 'web', replica: 2 }),
      // @ts-expect-error a number where a string is expected
      () => task('a', deploy, { name: 42 }),
      // @ts-expect-error the required name is missing
      () => task('a', deploy, { replicas: 2 }),
      // @ts-expect-error a string that is not a FEEL expression where a number is expected
      () => task('a', deploy, { name: 'web', replicas: 'two' }),
      // @ts-expect-error unknown key in a nested object
      () => task('a', deploy, { name: 'web', env: { region: 'eu', zone: 'b' } }),
    ];
    // at run time the builder does not validate inputs: the run does, for both forms
    expect(wrong.map((make) => make().src)).toEqual(Array(5).fill('test.deploy'));
    expect(task('a', 'test.deploy', { name: 'web', replica: 2 }).input).toEqual({ name: 'web', replica: 2 });
  });
});
