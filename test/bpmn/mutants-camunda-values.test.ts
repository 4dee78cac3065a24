// Camunda 7 parameter values in detail: literals and expressions read from bodies, lists, maps and scripts, and the
// FEEL spellings kept in gravity.feel across a round trip.
import { describe, it, expect } from 'vitest';
import { DefinitionError, task, workflow } from '../../engine/index.js';
import { exportBpmn } from '../../bpmn/export.js';
import { importBpmn } from '../../bpmn/import.js';
import { createModdle, type ModdleElement } from '../../bpmn/moddle.js';
import { dialectNamed } from '../../bpmn/dialects/index.js';
import { decodeOutput, decodeText, decodeValue, encodeText } from '../../bpmn/dialects/camunda-values.js';

const moddle = createModdle(dialectNamed('camunda7').packages);

/** A Camunda 7 file: start -> external task <t> -> end, with the given extension elements on the task. */
function camundaFile(taskExtensions: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="t" camunda:type="external" camunda:topic="exec.run"><bpmn:extensionElements>${taskExtensions}</bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" /><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>`;
}

function thrown(f: () => unknown): DefinitionError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DefinitionError);
    return e as DefinitionError;
  }
  throw new Error('expected an error');
}

/** The gravity.<x> properties of an element, JSON-decoded, by name. */
function gravityProps(el: ModdleElement): Record<string, unknown> {
  const bag = ((el.extensionElements?.values ?? []) as ModdleElement[]).find((e) => e.$type === 'camunda:Properties');
  return Object.fromEntries(((bag?.values ?? []) as ModdleElement[]).map((p) => [p.name, JSON.parse(p.value)]));
}

describe('writing Camunda 7 values', () => {
  it('refuses a value that is no template (undefined), naming the element', () => {
    // when
    const err = thrown(() => encodeText(undefined, 'Task_1'));
    // then
    expect(err.message).toBe('<Task_1>: cannot write undefined as a Camunda value');
    expect(err.details).toEqual({ element: 'Task_1' });
  });

  it('refuses a bigint by name, not with a TypeError of JSON.stringify', () => {
    const err = thrown(() => encodeText(10n, 'Task_1'));
    expect(err).toBeInstanceOf(DefinitionError);
    expect(err.message).toBe('<Task_1>: cannot write 10n (a bigint) as a Camunda value');
  });

  it('refuses to export a task input holding undefined, naming the task', async () => {
    // given
    const def = workflow({ id: 'test:undef', steps: task('t', 'exec.run', { a: undefined }) });
    // when
    const err = await exportBpmn(def, { dialect: 'camunda7' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // then
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as Error).message).toBe('<t>: cannot write undefined as a Camunda value');
  });
});

describe('reading Camunda 7 bodies', () => {
  it.each([
    ['a not of a number', '${!5}', '=not(5)'],
    ['a negated variable', '${-x}', '=-x'],
    ['a negated number', '${-(3)}', -3],
    ['a quoted string starting with =', "${'=x'}", '="=x"'],
    ['a missing body', undefined, null],
  ])('reads %s', (_what, body, expected) => {
    expect(decodeText(body, 'Task_1')).toEqual(expected);
  });

  it('reads plain text as it is, however long (it is no expression, so no expression limit applies)', () => {
    const long = 'x'.repeat(20_000);
    expect(decodeText(long, 'Task_1')).toBe(long);
    expect(decodeOutput(long, 'Task_1')).toBe(long);
  });

  it.each([
    ['a quoted string', "${'abc'}", 'abc'],
    ['a quoted string starting with =', "${'=x'}", '="=x"'],
    ['a number', '${2}', '=2'],
    ['padded text', '  ok \n', 'ok'],
    ['a missing body', undefined, ''],
  ])('reads %s as an output mapping', (_what, body, expected) => {
    expect(decodeOutput(body, 'Task_1')).toBe(expected);
  });
});

describe('reading Camunda 7 lists, maps and scripts', () => {
  const param = (definition: ModdleElement) => moddle.create('camunda:InputParameter', { name: 'x', definition });

  it('reads a map entry without a key under the empty key', () => {
    // given
    const map = moddle.create('camunda:Map', {
      entries: [
        moddle.create('camunda:Entry', { value: 'v' }),
        moddle.create('camunda:Entry', { key: 'k', value: '${1}' }),
      ],
    });
    // then
    expect(decodeValue(param(map), 'Task_1')).toEqual({ '': 'v', k: 1 });
  });

  it.each([
    ['a FEEL script', '  =a + 1 \n', '=a + 1'],
    ['a FEEL script without =', 'a + 1', '=a + 1'],
    ['an empty FEEL script', undefined, '='],
  ])('reads %s as an expression', (_what, value, expected) => {
    const script = moddle.create('camunda:Script', { scriptFormat: 'FEEL', ...(value !== undefined ? { value } : {}) });
    expect(decodeValue(param(script), 'Task_1')).toBe(expected);
  });

  it('refuses a script without a language, naming the element', () => {
    // when
    const err = thrown(() => decodeValue(param(moddle.create('camunda:Script', { value: 'x' })), 'Task_1'));
    // then
    expect(err.message).toBe(
      '<Task_1>: untyped script parameters are not supported (gravity never runs scripts; FEEL scripts and ${...} are read)',
    );
    expect(err.details).toEqual({ element: 'Task_1' });
  });

  it('refuses a value of another kind inside a list, naming the element and the kind', () => {
    // given a list holding a camunda:entry
    const list = moddle.create('camunda:List', { items: [moddle.create('camunda:Entry', { key: 'k', value: 'v' })] });
    // when
    const err = thrown(() => decodeValue(param(list), 'Task_1'));
    // then
    expect(err.message).toBe(
      '<Task_1>: camunda:Entry parameter values are not supported (text, ${...}, camunda:list and camunda:map are)',
    );
    expect(err.details).toEqual({ element: 'Task_1' });
  });

  it('imports an input parameter without a body as null, and a FEEL script parameter as an expression', async () => {
    // when
    const { definition } = await importBpmn(
      camundaFile(`<camunda:inputOutput>
        <camunda:inputParameter name="none" />
        <camunda:inputParameter name="sum"><camunda:script scriptFormat="feel"> =a + 1 </camunda:script></camunda:inputParameter>
      </camunda:inputOutput>`),
    );
    // then
    expect(definition.machine.states.t.invoke?.input).toEqual({ none: null, sum: '=a + 1' });
  });
});

describe('FEEL spellings kept across a Camunda 7 round trip', () => {
  it('keeps the spelling of an expression inside a list input', async () => {
    // given
    const def = workflow({ id: 'test:list', steps: task('t', 'exec.run', { args: ['a', '="a/" + b'] }) });
    // when
    const xml = await exportBpmn(def, { dialect: 'camunda7' });
    // then: the path names the list item by its index
    const byId = (await moddle.fromXML(xml)).elementsById;
    expect(gravityProps(byId.t)['gravity.feel']).toEqual([[['input', 'args', 1], '="a/" + b']]);
    expect((await importBpmn(xml)).definition.machine.states.t.invoke?.input).toEqual({ args: ['a', '="a/" + b'] });
  });

  it('keeps an input expression that JUEL writes as a literal', async () => {
    // given: `=1` is written ${1}, which reads back as the number 1
    const def = workflow({ id: 'test:lit', steps: task('t', 'exec.run', { n: '=1' }) });
    // when
    const xml = await exportBpmn(def, { dialect: 'camunda7' });
    // then
    const byId = (await moddle.fromXML(xml)).elementsById;
    expect(gravityProps(byId.t)['gravity.feel']).toEqual([[['input', 'n'], '=1']]);
    expect((await importBpmn(xml)).definition.machine.states.t.invoke?.input).toEqual({ n: '=1' });
  });

  it('keeps no spelling for an output expression that reads back as written', async () => {
    // given: an output mapping `=1` is written ${1}, which an output reads back as `=1`
    const def = workflow({ id: 'test:out', steps: task('t', 'exec.run', { a: 'x' }, { outputs: { one: '=1' } }) });
    // when
    const xml = await exportBpmn(def, { dialect: 'camunda7' });
    // then
    const byId = (await moddle.fromXML(xml)).elementsById;
    expect(gravityProps(byId.t)).not.toHaveProperty('gravity.feel');
    expect((await importBpmn(xml)).definition.machine.states.t.meta?.outputs).toEqual({ one: '=1' });
  });

  const inputs = `<camunda:inputOutput>
    <camunda:inputParameter name="a">text</camunda:inputParameter>
    <camunda:inputParameter name="none" />
    <camunda:inputParameter name="x">\${x}</camunda:inputParameter>
  </camunda:inputOutput>`;
  const feelProperty = (entries: unknown) =>
    `<camunda:properties><camunda:property name="gravity.feel" value="${JSON.stringify(entries).replace(/"/g, '&#34;')}" /></camunda:properties>`;

  it.each([
    ['an entry that is not a pair', ['junk']],
    ['a path that is not a list', [[5, '=x']]],
    ['an empty path', [[[], '=x']]],
    ['an entry without its spelling', [[['input', 'x']]]],
    ['a spelling that is not a string', [[['input', 'x'], { a: 1 }]]],
    ['a path through a missing value', [[['input', 'missing', 'deep', 'x'], '=x']]],
    ['a path through null', [[['input', 'none', 'deep', 'x'], '=x']]],
    ['a path into a string', [[['input', 'a', '0'], 't']]],
    ["a path through a string's prototype", [[['input', 'a', 'constructor', 'prototype', 'length'], '=0']]],
  ])('ignores %s in gravity.feel', async (_what, entries) => {
    // when
    const { definition } = await importBpmn(camundaFile(feelProperty(entries) + inputs));
    // then
    expect(definition.machine.states.t.invoke?.input).toEqual({ a: 'text', none: null, x: '=x' });
  });

  it('puts back a kept spelling where the file still holds what export wrote', async () => {
    // when
    const { definition } = await importBpmn(camundaFile(feelProperty([[['input', 'x'], '=(x)']]) + inputs));
    // then
    expect(definition.machine.states.t.invoke?.input).toEqual({ a: 'text', none: null, x: '=(x)' });
  });
});
