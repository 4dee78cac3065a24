// Reminders in BPMN: a reminder is a non-interrupting timer boundary event (a timeDuration, or a timeCycle R<n>/<dur>
// when it fires more than once) whose path, drawn beside its task, ends in an end event of its own; it round trips in
// every dialect, exports lint-clean, and other modelers' non-interrupting timers import as reminders that run.
import { describe, expect, it } from 'vitest';
import { dialectNames, exportBpmn, importBpmn, NotExecutableError } from '../../bpmn/index.js';
import { receive, reminder, resumeRun, RunStatus, sequence, startRun, task, workflow } from '../../engine/index.js';
import { lintBpmn } from '../support/bpmnlint.js';
import { normalized } from './normalize.js';
import { elementsOf, engine, stateOf } from './waits-support.js';

const request = workflow({
  id: 'test:request-document',
  steps: sequence(
    task('ask', 'test.echo', { value: 'asked' }),
    receive('wait_doc', 'document', {
      key: 'doc-1',
      reminders: [
        reminder('daily', 'P1D', task('nudge', 'test.echo', { value: 'nudged' }), { times: 6, title: 'Every day' }),
        reminder(
          'once',
          1500,
          sequence(task('tell', 'test.echo', { value: 'told' }), task('log', 'test.echo', { value: 'logged' })),
        ),
      ],
      timeout: { ms: 7 * 86_400_000, then: task('call', 'test.echo', { value: 'called' }) },
    }),
    task('thanks', 'test.echo', { value: 'thanks' }),
  ),
});

describe.each(dialectNames)('reminders in the %s dialect', (dialect) => {
  it('export non-interrupting timer boundaries with their side paths, lint-clean, that import back to the same definition', async () => {
    const xml = await exportBpmn(request, { dialect });
    const els = await elementsOf(xml, dialect);
    // the reminder is a non-interrupting boundary named by its title, its timer a cycle when it fires more than once
    expect(els.daily).toMatchObject({ $type: 'bpmn:BoundaryEvent', cancelActivity: false, name: 'Every day' });
    expect(els.daily.attachedToRef).toBe(els.wait_doc);
    expect(els.daily.eventDefinitions[0].timeCycle.body).toBe('R6/PT24H');
    expect(els.once).toMatchObject({ cancelActivity: false, name: 'Reminder' });
    expect(els.once.eventDefinitions[0].timeDuration.body).toBe('PT1.5S');
    // the interrupting timer stays interrupting
    expect(els.wait_doc_timer.cancelActivity).toBe(true);
    // the side path is drawn in the process: boundary -> its steps -> an end event of its own
    expect(els.daily.outgoing.map((f: { targetRef: { id: string } }) => f.targetRef.id)).toEqual(['nudge']);
    expect(els.nudge.outgoing[0].targetRef).toMatchObject({ $type: 'bpmn:EndEvent', id: 'daily_end' });
    expect(els.tell.outgoing[0].targetRef.id).toBe('log');
    const problems = (await lintBpmn(xml, dialect)).filter((p) => p.category !== 'info');
    expect(problems).toEqual([]);
    const back = (await importBpmn(xml, { dialect })).definition;
    expect(normalized(back)).toEqual(normalized(request));
    expect(stateOf(back, 'wait_doc').meta?.reminders?.map((r) => [r.id, r.times ?? 1, r.meta?.title])).toEqual([
      ['daily', 6, 'Every day'],
      ['once', 1, undefined],
    ]);
    expect(await exportBpmn(back, { dialect })).toBe(xml);
  });

  it('runs the round-tripped definition: the reminder fires while the run waits, then the message ends it', async () => {
    const back = (await importBpmn(await exportBpmn(request, { dialect }), { dialect })).definition;
    const { engine: e, calls } = await engine();
    const r = await startRun(e, back, { params: {} });
    expect(r.status).toBe(RunStatus.Waiting);
    const until = Date.parse(r.waiting![0].until!);
    await new Promise((res) => setTimeout(res, Math.max(0, until - Date.now()) + 20));
    const again = await resumeRun(e, r.runId);
    expect(again.status).toBe(RunStatus.Waiting);
    expect(calls).toEqual(['asked', 'told', 'logged']);
    const done = await resumeRun(e, r.runId, { answer: { kind: 'message', name: 'document', key: 'doc-1' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['asked', 'told', 'logged', 'thanks']);
  });
});

const file = (boundary: string, path: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="work"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="remind" cancelActivity="false" attachedToRef="work">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition>${boundary}</bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:serviceTask id="mail"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:serviceTask>
    ${path}
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="mail" />
  </bpmn:process>
</bpmn:definitions>`;

describe('non-interrupting timers of other modelers', () => {
  const mappings = { work: 'test.echo', mail: 'test.echo' };
  it('refuses a reminder path that leads into the main path, naming the element', async () => {
    const xml = file(
      '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1M</bpmn:timeDuration>',
      '<bpmn:sequenceFlow id="f4" sourceRef="mail" targetRef="end" />',
    );
    const err = await importBpmn(xml, { mappings }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotExecutableError);
    expect((err as NotExecutableError).problems).toEqual([
      expect.objectContaining({ element: 'remind', message: expect.stringContaining('leads into <end>') }),
    ]);
  });

  it.each([
    ['R3/PT2H', 3, String(2 * 3_600_000)],
    ['R/PT10M', 0, String(600_000)],
  ])('reads the cycle %s as %i firings, %s ms apart', async (cycle, times, after) => {
    const xml = file(
      `<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">${cycle}</bpmn:timeCycle>`,
      '<bpmn:endEvent id="sent"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent><bpmn:sequenceFlow id="f4" sourceRef="mail" targetRef="sent" />',
    );
    const { definition } = await importBpmn(xml, { mappings });
    expect(definition.machine.states.work.meta?.reminders).toEqual([
      expect.objectContaining({ id: 'remind', after, ...(times !== 1 ? { times } : {}), initial: 'mail' }),
    ]);
  });

  it('refuses a cycle that is not R<n>/<duration>', async () => {
    const xml = file(
      '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">0 0 9 * * ?</bpmn:timeCycle>',
      '<bpmn:endEvent id="sent"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent><bpmn:sequenceFlow id="f4" sourceRef="mail" targetRef="sent" />',
    );
    const err = await importBpmn(xml, { mappings }).catch((e: unknown) => e);
    expect((err as NotExecutableError).problems).toEqual([
      expect.objectContaining({ element: 'remind', message: expect.stringContaining('write R<n>/<duration>') }),
    ]);
  });
});
