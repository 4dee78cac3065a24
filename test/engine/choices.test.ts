// Choice lists: providers registered beside the tasks, a param's `choices` checked against them (when the registry
// knows its lists), kept through every BPMN dialect; and the params helpers the terminal's questions rely on.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exportBpmn, importBpmn } from '../../bpmn/index.js';
import { dialectNames } from '../../bpmn/dialects/index.js';
import {
  checkDefinition,
  createRegistry as registryOf,
  defineChoices,
  defineTask,
  paramsToAsk,
  resolveParam,
  resolveParams,
  task,
  TaskRegistry,
  workflow,
  type Definition,
} from '../../engine/index.js';
import { createDefaultRegistry } from '../../tasks/index.js';
import { catalog } from '../../workflows/index.js';

const say = defineTask({
  id: 'test.say',
  title: 'say',
  input: z.object({ message: z.string() }),
  output: z.object({}),
  run: async () => ({}),
});
const createRegistry = () => registryOf(say);

const colours = defineChoices({
  id: 'test.colours',
  description: 'some colours',
  list: async () => [{ value: 'red' }, { value: 'blue', label: 'the sky' }],
});
const shades = defineChoices({
  id: 'test.shades',
  description: 'shades of the colour chosen before',
  list: async ({ params }) => [{ value: `light-${String(params.colour)}` }],
});

const picking = (choices: unknown): Definition =>
  workflow({
    id: 'test:pick',
    params: {
      colour: { type: 'string', choices: choices as string, description: 'a colour' },
      size: { type: 'integer', default: 1 },
      note: { type: 'string', required: false },
    },
    steps: task('say', 'test.say', { message: '=colour' }),
  });

describe('choice list providers', () => {
  it('are defined with a dotted lower-case id, like a task', () => {
    expect(() => defineChoices({ id: 'Colours', description: '', list: async () => [] })).toThrow(
      'choice list id "Colours" must be dotted lower-case words',
    );
  });

  it('are registered once each beside the tasks, listed by id, and found by id with a "did you mean"', async () => {
    const r = new TaskRegistry().registerChoices(shades, colours);
    expect(r.knowsChoices).toBe(true);
    expect(r.listChoices().map((p) => p.id)).toEqual(['test.colours', 'test.shades']);
    expect(r.hasChoices('test.colours')).toBe(true);
    expect(
      await r
        .choices('test.shades')
        .list({ store: undefined as never, params: { colour: 'red' }, signal: new AbortController().signal }),
    ).toEqual([{ value: 'light-red' }]);
    expect(() => r.choices('test.colour')).toThrow('unknown choice list "test.colour"; did you mean "test.colours"?');
    expect(() => r.registerChoices(colours)).toThrow('choice list "test.colours" is already registered');
  });

  it('hold the GitLab lists in the default registry', () => {
    expect(
      createDefaultRegistry()
        .listChoices()
        .map((p) => p.id),
    ).toEqual(['gitlab.backups', 'gitlab.instances', 'gitlab.instances-or-all']);
  });
});

describe("a param's choices", () => {
  const known = createRegistry().registerChoices(colours, shades);

  it('must name a registered provider when the registry knows its lists: the param and the closest id named', () => {
    expect(checkDefinition(picking('test.colours'), known)).toEqual([]);
    expect(checkDefinition(picking('test.colour'), known)).toEqual([
      {
        element: 'param colour',
        message: 'param "colour": unknown choice list "test.colour"; did you mean "test.colours"?',
      },
    ]);
    expect(checkDefinition(picking('nothing.like-it'), known)[0].message).toBe(
      'param "colour": unknown choice list "nothing.like-it" (registered: test.colours, test.shades)',
    );
    expect(checkDefinition(picking(''), known)[0].message).toBe('choices must be the id of a choice list, got ""');
    expect(checkDefinition(picking(3), known)[0].message).toBe('choices must be the id of a choice list, got 3');
  });

  it('is left unchecked by a registry never given its lists (a test registry, the BPMN conformance one)', () => {
    expect(checkDefinition(picking('test.colour'), createRegistry())).toEqual([]);
    // given none explicitly: it knows there are none
    expect(checkDefinition(picking('test.colours'), createRegistry().registerChoices())[0].message).toBe(
      'param "colour": unknown choice list "test.colours" (registered: none)',
    );
  });

  it("names a provider in every catalog workflow that declares one (gitlab:restore's instance and backup)", () => {
    const registry = createDefaultRegistry();
    const declared = catalog.flatMap((d) =>
      Object.entries(d.params ?? {}).flatMap(([name, p]) => (p.choices ? [`${d.id} ${name} ${p.choices}`] : [])),
    );
    expect(declared).toEqual(
      expect.arrayContaining([
        'gitlab:restore instance gitlab.instances',
        'gitlab:restore backup gitlab.backups',
        'gitlab:backup instance gitlab.instances-or-all',
        'gitlab:backup-remote instance gitlab.instances',
        'gitlab:decommission instance gitlab.instances',
      ]),
    );
    for (const line of declared) expect(registry.hasChoices(line.split(' ')[2]), line).toBe(true);
  });

  it.each(dialectNames)('survives an export to BPMN and back in the %s dialect', async (dialect) => {
    const def = picking('test.colours');
    const { definition } = await importBpmn(await exportBpmn(def, { dialect }), { dialect });
    expect(definition.params?.colour).toEqual({ type: 'string', choices: 'test.colours', description: 'a colour' });
  });
});

describe('the params helpers of the terminal', () => {
  const def = picking('test.colours');

  it('name what to ask: required without default, or with a choice list, in declaration order, unless given', () => {
    const withDefault: Definition = {
      ...def,
      params: { ...def.params, size: { ...def.params!.size, choices: 'test.colours' }, other: { type: 'string' } },
    };
    expect(paramsToAsk(def, {})).toEqual(['colour']);
    expect(paramsToAsk(withDefault, {})).toEqual(['colour', 'size', 'other']);
    expect(paramsToAsk(withDefault, { colour: 'red', other: 'x' })).toEqual(['size']);
  });

  it('resolve one value as --param does, and the given ones alone with partial', () => {
    expect(resolveParam(def, 'size', '3')).toBe(3);
    expect(() => resolveParam(def, 'size', 'x')).toThrow('param size: expected an integer, got "x"');
    expect(resolveParams(def, { size: '2' }, { partial: true })).toEqual({ size: 2 });
    expect(() => resolveParams(def, { size: '2' })).toThrow('missing param "colour" for test:pick: a colour');
    expect(() => resolveParams(def, { colr: 'red' }, { partial: true })).toThrow('unknown param "colr"');
  });
});
