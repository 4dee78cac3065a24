// Message boundaries in BPMN: a step's `on: { 'message:<name>': target }` is an interrupting message boundary event
// named after its message (Zeebe: the message's subscription carries the correlation key); it round trips in every
// dialect, exports lint-clean, and other modelers' interrupting message boundaries import as message boundaries.
import { describe, expect, it } from 'vitest';
import { dialectNames, exportBpmn, importBpmn } from '../../bpmn/index.js';
import { sequence, task, workflow } from '../../engine/index.js';
import { lintBpmn } from '../support/bpmnlint.js';
import { normalized } from './normalize.js';
import { elementsOf, extensions, stateOf } from './waits-support.js';

const backup = workflow({
  id: 'test:backup-abortable',
  params: { ticket: { type: 'string' } },
  steps: sequence(
    task(
      'copy',
      'test.echo',
      { value: 'copying' },
      {
        onMessage: { 'abort-backup': task('cleanup', 'test.echo', { value: 'cleaned' }) },
        messageKeys: { 'abort-backup': '=ticket' },
      },
    ),
    task('report', 'test.echo', { value: 'done' }),
  ),
});

describe.each(dialectNames)('message boundaries in the %s dialect', (dialect) => {
  it('export an interrupting message boundary, lint-clean, that imports back to the same definition', async () => {
    const xml = await exportBpmn(backup, { dialect });
    const els = await elementsOf(xml, dialect);
    const b = Object.values(els).find((e) => e.$type === 'bpmn:BoundaryEvent' && e.attachedToRef === els.copy)!;
    expect(b).toMatchObject({ cancelActivity: true, name: 'abort-backup' });
    expect(b.eventDefinitions[0].$type).toBe('bpmn:MessageEventDefinition');
    expect(b.eventDefinitions[0].messageRef).toMatchObject({ $type: 'bpmn:Message', name: 'abort-backup' });
    expect(b.outgoing[0].targetRef.id).toBe('cleanup');
    if (dialect === 'zeebe')
      expect(extensions(b.eventDefinitions[0].messageRef, 'zeebe:Subscription')[0]).toMatchObject({
        correlationKey: '=ticket',
      });
    const problems = (await lintBpmn(xml, dialect)).filter((p) => p.category !== 'info');
    expect(problems).toEqual([]);
    const back = (await importBpmn(xml, { dialect })).definition;
    expect(normalized(back)).toEqual(normalized(backup));
    expect(stateOf(back, 'copy').on).toEqual({ 'message:abort-backup': 'cleanup' });
    expect(stateOf(back, 'copy').meta?.messageKeys).toEqual({ 'abort-backup': '=ticket' });
    expect(await exportBpmn(back, { dialect })).toBe(xml);
  });
});

describe('message boundaries of other modelers', () => {
  const zeebe = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:message id="m1" name="cancel-order"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements></bpmn:message>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="ship"><bpmn:extensionElements><zeebe:taskDefinition type="test.echo" /></bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:boundaryEvent id="cancelled" attachedToRef="ship"><bpmn:outgoing>f3</bpmn:outgoing><bpmn:messageEventDefinition messageRef="m1" /></bpmn:boundaryEvent>
    <bpmn:endEvent id="shipped"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="stopped"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ship" />
    <bpmn:sequenceFlow id="f2" sourceRef="ship" targetRef="shipped" />
    <bpmn:sequenceFlow id="f3" sourceRef="cancelled" targetRef="stopped" />
  </bpmn:process>
</bpmn:definitions>`;

  it('reads an interrupting message boundary with its Zeebe correlation key, keeping the boundary id', async () => {
    const { definition } = await importBpmn(zeebe, { dialect: 'zeebe' });
    const ship = definition.machine.states.ship;
    expect(ship.on).toEqual({ 'message:cancel-order': 'stopped' });
    expect(ship.meta?.messageKeys).toEqual({ 'cancel-order': '=orderId' });
    // exported again, the boundary keeps its id and its flow
    const xml = await exportBpmn(definition, { dialect: 'zeebe' });
    const els = await elementsOf(xml, 'zeebe');
    expect(els.cancelled).toMatchObject({ $type: 'bpmn:BoundaryEvent', attachedToRef: els.ship });
    expect(els.f3).toMatchObject({ sourceRef: els.cancelled, targetRef: els.stopped });
  });

  it('reads a boundary whose message has no name as listening for the boundary id, with a warning', async () => {
    const xml = zeebe.replace('name="cancel-order"', '');
    const { definition, warnings } = await importBpmn(xml, { dialect: 'zeebe' });
    expect(definition.machine.states.ship.on).toEqual({ 'message:cancelled': 'stopped' });
    expect(warnings).toContainEqual(
      expect.objectContaining({ element: 'cancelled', message: expect.stringContaining('"cancelled" (its id)') }),
    );
  });
});
