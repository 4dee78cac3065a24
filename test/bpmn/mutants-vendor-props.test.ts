// gravity.<x> properties of Camunda 7 and Zeebe files: which are written, which are read, and retry time cycles.
import { describe, it, expect } from 'vitest';
import { call, DefinitionError, task, workflow, type Definition } from '../../engine/index.js';
import { exportBpmn } from '../../bpmn/export.js';
import { importBpmn, NotExecutableError } from '../../bpmn/import.js';
import { createModdle, type ModdleElement } from '../../bpmn/moddle.js';
import { dialectNamed } from '../../bpmn/dialects/index.js';
import { parseRetryCycle } from '../../bpmn/dialects/vendor-props.js';

const DIALECTS = ['camunda7', 'zeebe'] as const;
const BAG = { camunda7: 'camunda:Properties', zeebe: 'zeebe:Properties' } as const;

/** A Camunda 7 file: start -> external task <t> -> end, with the given extension elements on the process and the task. */
function camundaFile(o: { process?: string; task?: string } = {}): string {
  const { process = '', task = '' } = o;
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:extensionElements>${process}</bpmn:extensionElements>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="t" camunda:type="external" camunda:topic="exec.run"><bpmn:extensionElements>${task}</bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" /><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>`;
}
const props = (items: Record<string, string>) =>
  `<camunda:properties>${Object.entries(items)
    .map(([name, value]) => `<camunda:property name="${name}" value="${value.replace(/"/g, '&#34;')}" />`)
    .join('')}</camunda:properties>`;

async function parse(xml: string, dialect: string): Promise<Record<string, ModdleElement>> {
  return (await createModdle(dialectNamed(dialect).packages).fromXML(xml)).elementsById;
}
const exts = (el: ModdleElement) => (el.extensionElements?.values ?? []) as ModdleElement[];
/** The gravity.<x> properties of an element, JSON-decoded, by name. */
function gravityProps(el: ModdleElement, dialect: (typeof DIALECTS)[number]): Record<string, unknown> {
  const bag = exts(el).find((e) => e.$type === BAG[dialect]);
  const items = (bag?.[dialect === 'camunda7' ? 'values' : 'properties'] ?? []) as ModdleElement[];
  return Object.fromEntries(items.map((p) => [p.name, JSON.parse(p.value)]));
}
async function importError(xml: string): Promise<unknown> {
  return importBpmn(xml).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe.each(DIALECTS)('gravity properties in the %s dialect', (dialect) => {
  it('writes no property bag on a task that needs no gravity property', async () => {
    // given a plain task: no retry, no timeout, no extra meta, a map input, an output mapping (so no merge)
    const def = workflow({
      id: 'test:plain',
      steps: task('t', 'exec.run', { cmd: 'ls' }, { outputs: { code: '=output.code' } }),
    });
    // when
    const byId = await parse(await exportBpmn(def, { dialect }), dialect);
    // then
    expect(exts(byId.t).map((e) => e.$type)).not.toContain(BAG[dialect]);
  });

  it('keeps an empty map input as gravity.input, and reads it back', async () => {
    // given
    const def = workflow({ id: 'test:empty-input', steps: task('t', 'exec.run', {}) });
    // when
    const xml = await exportBpmn(def, { dialect });
    // then
    expect(gravityProps((await parse(xml, dialect)).t, dialect)).toMatchObject({ 'gravity.input': {} });
    expect((await importBpmn(xml)).definition.machine.states.t.invoke).toEqual({ src: 'exec.run', input: {} });
  });

  it('writes no gravity.input for a call without input (an empty map, what a call passes by default)', async () => {
    // when
    const xml = await exportBpmn(workflow({ id: 'test:call', steps: call('c', 'host:doctor') }), { dialect });
    // then
    expect(gravityProps((await parse(xml, dialect)).c, dialect)).not.toHaveProperty('gravity.input');
    expect((await importBpmn(xml)).definition.machine.states.c.invoke).toEqual({
      src: 'workflow:host:doctor',
      input: {},
    });
  });

  it.each([
    ['a number', 5],
    ['an empty list', []],
    ['a list', [1, 'a']],
    ['an expression', '=params.all'],
  ])('keeps %s as the input of a call as gravity.input, and reads it back', async (_what, input) => {
    // given
    const def = workflow({ id: 'test:call-input', steps: call('c', 'host:doctor') });
    def.machine.states.c.invoke!.input = input;
    // when
    const xml = await exportBpmn(def, { dialect });
    // then
    expect(gravityProps((await parse(xml, dialect)).c, dialect)['gravity.input']).toEqual(input);
    expect((await importBpmn(xml)).definition.machine.states.c.invoke).toEqual({ src: 'workflow:host:doctor', input });
  });

  it('writes a null call input as gravity.input null', async () => {
    // given
    const def = workflow({ id: 'test:call-null', steps: call('c', 'host:doctor') });
    def.machine.states.c.invoke!.input = null;
    // when
    const xml = await exportBpmn(def, { dialect });
    // then
    expect(gravityProps((await parse(xml, dialect)).c, dialect)).toMatchObject({ 'gravity.input': null });
  });

  it('writes the workflow meta without its bpmn bookkeeping after an import', async () => {
    // given a workflow with meta, imported once (so that its meta also holds `bpmn`)
    const def: Definition = { ...workflow({ id: 'test:meta', steps: task('t', 'exec.run') }), meta: { team: 'ops' } };
    const imported = (await importBpmn(await exportBpmn(def, { dialect }))).definition;
    expect(imported.meta).toHaveProperty('bpmn');
    // when
    const xml = await exportBpmn(imported, { dialect });
    // then
    expect(gravityProps((await parse(xml, dialect)).test_meta, dialect)['gravity.meta']).toEqual({ team: 'ops' });
  });
});

describe('reading gravity properties of a Camunda 7 file', () => {
  it('leaves properties that are not gravity.<x> alone, JSON or not', async () => {
    // given
    const xml = camundaFile({
      task: props({ owner: 'ops team', 'gravity.timeoutMs': '5000' }),
      process: props({ 'x-team': 'ops' }),
    });
    // when
    const { definition } = await importBpmn(xml);
    // then
    expect(definition.machine.states.t.meta).toMatchObject({ timeoutMs: 5000 });
    expect(definition.machine.states.t.meta).not.toHaveProperty('owner');
  });

  it('reads gravity.<x> only from camunda:properties, not from form property values', async () => {
    // given a camunda:formProperty whose value is named like a gravity property
    const xml = camundaFile({
      task: '<camunda:formProperty id="f"><camunda:value id="v" name="gravity.timeoutMs" /></camunda:formProperty>',
    });
    // when
    const { definition, warnings } = await importBpmn(xml);
    // then
    expect(definition.machine.states.t.meta?.timeoutMs).toBeUndefined();
    expect(warnings.map((w) => w.message)).toEqual(['camunda:FormProperty is ignored: gravity does not run it']);
  });

  it('refuses a gravity property that is not JSON, naming the element and the property', async () => {
    // when
    const err = await importError(camundaFile({ process: props({ 'gravity.params': '{n: 1}' }) }));
    // then
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).message).toMatch(/^<p>: property gravity.params is not valid JSON: /);
    expect((err as DefinitionError).details).toEqual({ element: 'p' });
  });

  it('refuses a gravity property without a value as JSON that ends too soon', async () => {
    // when
    const err = await importError(
      camundaFile({ task: '<camunda:properties><camunda:property name="gravity.retry" /></camunda:properties>' }),
    );
    // then
    expect(err).toBeInstanceOf(NotExecutableError);
    const [problem] = (err as NotExecutableError).problems;
    expect(problem.element).toBe('t');
    expect(problem.message).toBe('<t>: property gravity.retry is not valid JSON: Unexpected end of JSON input');
  });

  it('takes the workflow id, params and meta from properties of the right type only', async () => {
    // given
    const xml = camundaFile({
      process: props({ 'gravity.id': '5', 'gravity.params': '"n"', 'gravity.meta': '"ops"' }),
    });
    // when
    const { definition } = await importBpmn(xml);
    // then
    expect(definition.id).toBe('bpmn:p');
    expect(definition.params).toBeUndefined();
    expect(Object.keys(definition.meta ?? {})).toEqual(['bpmn']);
  });

  it('takes the workflow id, params and meta from properties', async () => {
    // given
    const xml = camundaFile({
      process: props({
        'gravity.id': '"app:deploy"',
        'gravity.params': '{"n":{"type":"integer"}}',
        'gravity.meta': '{"team":"ops"}',
      }),
    });
    // when
    const { definition } = await importBpmn(xml);
    // then
    expect(definition.id).toBe('app:deploy');
    expect(definition.params).toEqual({ n: { type: 'integer' } });
    expect(definition.meta).toMatchObject({ team: 'ops' });
  });
});

describe('retry time cycles', () => {
  it.each([
    ['a repetition padded with blanks', '  R3/PT10S \n', { max: 4, backoffMs: 10_000, factor: 1 }],
    ['a repetition of more than nine', 'R10/PT5S', { max: 11, backoffMs: 5000, factor: 1 }],
    ['a single interval', 'PT5S', { max: 2, backoffMs: 5000, factor: 1 }],
    ['a list with spaces after the commas', 'PT1S, PT2S, PT4S', { max: 4, backoffMs: 1000, factor: 2 }],
    ['a list starting with a zero interval', 'PT0S,PT1S', { max: 3, backoffMs: 0, factor: 1 }],
  ])('reads %s', (_what, cycle, policy) => {
    expect(parseRetryCycle(cycle, 'Task_1')).toEqual(policy);
  });

  it.each([
    ['text before the repetition', 'xR3/PT10S'],
    ['text after the repetition', 'R3/PT10S PT5S'],
  ])('refuses a cycle with %s, naming the element', (_what, cycle) => {
    expect(() => parseRetryCycle(cycle, 'Task_1')).toThrow(DefinitionError);
    expect(() => parseRetryCycle(cycle, 'Task_1')).toThrow(/<Task_1>/);
  });

  it('imports a Camunda 7 task with a failedJobRetryTimeCycle of one interval as two attempts', async () => {
    // when
    const { definition } = await importBpmn(
      camundaFile({ task: '<camunda:failedJobRetryTimeCycle>PT30S</camunda:failedJobRetryTimeCycle>' }),
    );
    // then
    expect(definition.machine.states.t.meta?.retry).toEqual({ max: 2, backoffMs: 30_000, factor: 1 });
  });
});
