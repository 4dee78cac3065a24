// For-each steps in BPMN: a multi-instance task or call activity (isSequential when one item runs at a time), its list
// in each engine's terms (Camunda 7 camunda:collection / elementVariable, Zeebe zeebe:loopCharacteristics), round trips
// in every dialect, and multi-instance activities written by other modelers run once per item.
import { describe, expect, it } from 'vitest';
import { dialectNames, exportBpmn, importBpmn } from '../../bpmn/index.js';
import {
  call,
  createMemoryStore,
  decide,
  forEach,
  sequence,
  startRun,
  task,
  workflow,
  type Definition,
} from '../../engine/index.js';
import { createDefaultRegistry } from '../../tasks/index.js';
import { lintBpmn } from '../support/bpmnlint.js';
import { measureDiagram } from '../support/diagram.js';
import { normalized } from './normalize.js';

const parallelEach = workflow({
  id: 'test:each-parallel',
  params: { names: { type: 'array' } },
  steps: forEach('greet', '=names', task('hello', 'log.info', { message: '="hi " + item' }), {
    concurrency: 3,
    onFailure: 'all',
    index: 'i',
    title: 'Greet everyone',
  }),
  output: '=steps.greet',
});
const literalEach = workflow({
  id: 'test:each-literal',
  steps: forEach('greet', ['ann', 'bob'], task('hello', 'log.info', { message: '=who' }), { as: 'who' }),
});
const sequenceEach = workflow({
  id: 'test:each-sequence',
  params: { names: { type: 'array' } },
  steps: sequence(
    forEach(
      'greet',
      '=names',
      sequence(
        task('hello', 'log.info', { message: '="hi " + item' }),
        decide('long', [{ when: 'string length(item) > 3', then: task('shout', 'log.info', { message: '=item' }) }]),
      ),
      { concurrency: 2, title: 'Greet each', onError: 'continue' },
    ),
    task('summary', 'log.info', { message: '=string(count(steps.greet))' }),
  ),
});
const callEach = workflow({
  id: 'test:each-call',
  params: { hosts: { type: 'array' } },
  steps: forEach('check', '=hosts', call('doctor', 'host:doctor', { quiet: true })),
});

const run = async (def: Definition, params: Record<string, unknown>) =>
  startRun({ store: createMemoryStore(), registry: createDefaultRegistry(), persist: false }, def, { params });

describe.each(dialectNames)('for-each in the %s dialect', (dialect) => {
  it.each([parallelEach, literalEach, callEach, sequenceEach].map((d) => [d.id, d] as const))(
    '%s: a multi-instance activity, lint-clean, that imports back to the same for-each',
    async (_id, def: Definition) => {
      const xml = await exportBpmn(def, { dialect });
      const sequential = (Object.values(def.machine.states)[0].meta?.each?.concurrency ?? 1) === 1;
      expect(xml).toMatch(
        sequential
          ? /<bpmn:multiInstanceLoopCharacteristics isSequential="true"/
          : /<bpmn:multiInstanceLoopCharacteristics(?! isSequential="true")[ >/]/,
      );
      expect((await lintBpmn(xml, dialect)).filter((p) => p.category !== 'info')).toEqual([]);
      expect((await measureDiagram(xml))[0].crossings).toEqual([]);
      const back = (await importBpmn(xml, { dialect })).definition;
      // (the gravity dialect drops a call's empty input: the same call)
      if (def !== callEach || dialect !== 'gravity') expect(normalized(back)).toEqual(normalized(def));
      expect(Object.values(back.machine.states)[0].meta?.each).toEqual(Object.values(def.machine.states)[0].meta?.each);
      // and it runs
      if (def === sequenceEach) expect((await run(back, { names: ['ann', 'bobby'] })).status).toBe('succeeded');
      expect(await exportBpmn(back, { dialect })).toBe(xml);
    },
  );
});

describe('for-each in each engine’s terms', () => {
  it('writes Camunda 7’s collection and element variable, and a literal list as the loop cardinality', async () => {
    const xml = await exportBpmn(parallelEach, { dialect: 'camunda7' });
    expect(xml).toMatch(
      /<bpmn:multiInstanceLoopCharacteristics camunda:collection="\$\{names\}" camunda:elementVariable="item" \/>/,
    );
    expect(xml).toContain(
      'name="gravity.each" value="{&#34;concurrency&#34;:3,&#34;onFailure&#34;:&#34;all&#34;,&#34;index&#34;:&#34;i&#34;}"',
    );
    const lit = await exportBpmn(literalEach, { dialect: 'camunda7' });
    expect(lit).toMatch(
      /camunda:elementVariable="who">\s*<bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">2<\/bpmn:loopCardinality>/,
    );
  });

  it('writes Zeebe’s loop characteristics, a literal list as a FEEL list', async () => {
    expect(await exportBpmn(parallelEach, { dialect: 'zeebe' })).toMatch(
      /<zeebe:loopCharacteristics inputCollection="=names" inputElement="item" \/>/,
    );
    expect(await exportBpmn(literalEach, { dialect: 'zeebe' })).toMatch(
      /<zeebe:loopCharacteristics inputCollection="=\[&#34;ann&#34;, &#34;bob&#34;\]" inputElement="who" \/>/,
    );
  });

  it('refuses a list Camunda 7 cannot say in JUEL, naming the step', async () => {
    const def = workflow({
      id: 'test:each-feel',
      params: { n: { type: 'integer' } },
      steps: forEach('count', '=for i in 1..n return i', task('c', 'log.info', { message: 'x' })),
    });
    await expect(exportBpmn(def, { dialect: 'camunda7' })).rejects.toThrow(
      'cannot export <count> to camunda7: its list =for i in 1..n return i has no JUEL form (camunda:collection)',
    );
    expect(await exportBpmn(def, { dialect: 'zeebe' })).toContain('inputCollection="=for i in 1..n return i"');
  });
});

const file = (body: string, ns = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ${ns} id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    ${body}
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>`;
const CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"';
const ZEEBE = 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"';

describe('multi-instance activities from other modelers', () => {
  it('runs a Camunda 7 multi-instance external task once per item of its collection, in parallel', async () => {
    const xml = file(
      `<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="log.info">
        <bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="message">\${doc}</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>
        <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
        <bpmn:multiInstanceLoopCharacteristics camunda:collection="docs" camunda:elementVariable="doc" />
      </bpmn:serviceTask>`,
      CAMUNDA,
    );
    const { definition } = await importBpmn(xml, { dialect: 'camunda7' });
    expect(definition.machine.states.t.meta?.each).toEqual({ items: '=docs', as: 'doc', concurrency: 64 });
    const r = await run(definition, { docs: ['a', 'b', 'c'] });
    expect(r.status).toBe('succeeded');
    expect(r.steps.map((s) => s.id).filter((id) => id.startsWith('t:'))).toEqual(['t:0', 't:1', 't:2']);
  });

  it('runs a Zeebe multi-instance job once per item of its input collection, in order', async () => {
    const xml = file(
      `<bpmn:serviceTask id="t">
        <bpmn:extensionElements><zeebe:taskDefinition type="log.info" /><zeebe:ioMapping><zeebe:input source="=document" target="message" /></zeebe:ioMapping></bpmn:extensionElements>
        <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
        <bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=documents" inputElement="document" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
      </bpmn:serviceTask>`,
      ZEEBE,
    );
    const { definition } = await importBpmn(xml, { dialect: 'zeebe' });
    expect(definition.machine.states.t.meta?.each).toEqual({ items: '=documents', as: 'document' });
    const r = await run(definition, { documents: ['x', 'y'] });
    expect(r.status).toBe('succeeded');
    expect(r.steps.filter((s) => s.id.startsWith('t:')).map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
  });

  it.each([
    [
      'a multi-instance with neither a list nor a count',
      `<bpmn:multiInstanceLoopCharacteristics />`,
      /<t> \(bpmn:ServiceTask\): a multi-instance activity runs once per item of a list: give it one \(camunda:collection, zeebe:loopCharacteristics inputCollection, or a loopCardinality\)/,
    ],
    [
      'a completion condition that is no expression',
      `<bpmn:multiInstanceLoopCharacteristics camunda:collection="docs"><bpmn:completionCondition xsi:type="bpmn:tFormalExpression">enough</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>`,
      /<t> \(bpmn:ServiceTask\): <t>: condition "enough" is not an expression \(write it as \$\{\.\.\.\}\)/,
    ],
    [
      'a standard loop',
      `<bpmn:standardLoopCharacteristics />`,
      /<t> \(bpmn:ServiceTask\): standard loops \(loop until a condition\) are not supported/,
    ],
  ])('refuses %s, naming the element', async (_what, loop, message) => {
    const xml = file(
      `<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="log.info"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>${loop}</bpmn:serviceTask>`,
      CAMUNDA,
    );
    await expect(importBpmn(xml, { dialect: 'camunda7' })).rejects.toThrow(message);
  });

  it('runs a Zeebe multi-instance sub-process once per item, each a child run of its steps', async () => {
    const xml = file(
      `<bpmn:subProcess id="t"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
        <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=documents" inputElement="document" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
        <bpmn:startEvent id="is"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
        <bpmn:serviceTask id="log"><bpmn:extensionElements><zeebe:taskDefinition type="log.info" /><zeebe:ioMapping><zeebe:input source="=document" target="message" /></zeebe:ioMapping></bpmn:extensionElements><bpmn:incoming>g1</bpmn:incoming><bpmn:outgoing>g2</bpmn:outgoing></bpmn:serviceTask>
        <bpmn:endEvent id="ie"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>
        <bpmn:sequenceFlow id="g1" sourceRef="is" targetRef="log" /><bpmn:sequenceFlow id="g2" sourceRef="log" targetRef="ie" />
      </bpmn:subProcess>`,
      ZEEBE,
    );
    const { definition } = await importBpmn(xml, { dialect: 'zeebe' });
    expect(definition.machine.states.t.meta?.each).toEqual({ items: '=documents', as: 'document', concurrency: 64 });
    const r = await run(definition, { documents: ['x', 'y', 'z'] });
    expect(r.status).toBe('succeeded');
    expect(r.steps.filter((s) => s.id.startsWith('t:')).map((s) => s.id)).toEqual(['t:0', 't:1', 't:2']);
  });
});
