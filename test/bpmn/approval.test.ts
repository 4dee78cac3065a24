// Approvals and message waits in BPMN: an approval (gravity.approval) is a bpmn:UserTask (Camunda 7 camunda:assignee /
// candidateGroups, Zeebe zeebe:userTask + zeebe:assignmentDefinition), a message wait (gravity.message) a
// bpmn:ReceiveTask referring to a root bpmn:Message (Zeebe: zeebe:subscription correlationKey); both round trip in every
// dialect, export lint-clean, and user tasks, receive tasks and message catch events of other modelers run as waits.
import { describe, expect, it } from 'vitest';
import { dialectNames, exportBpmn, importBpmn, NotExecutableError } from '../../bpmn/index.js';
import type { ModdleElement } from '../../bpmn/moddle.js';
import { approval, receive, resumeRun, RunStatus, sequence, startRun, task, workflow } from '../../engine/index.js';
import { lintBpmn } from '../support/bpmnlint.js';
import { normalized } from './normalize.js';
import { elementsOf, engine, extensions, stateOf } from './waits-support.js';

const destroy = workflow({
  id: 'test:destroy-env',
  params: {
    env: { type: 'string' },
    yes: { type: 'boolean', default: false },
    ticket: { type: 'string' },
  },
  steps: sequence(
    task('check', 'test.echo', { value: 'checked' }),
    approval('confirm', '="Destroy " + params.env + "?"', {
      assignee: 'ops',
      candidateGroups: ['admins', 'sre'],
      skip: '=params.yes',
      onReject: task('kept', 'test.echo', { value: 'kept' }),
      timeout: { ms: 3_600_000, then: task('late', 'test.echo', { value: 'late' }) },
    }),
    receive('deployed', 'deploy-done', { key: '=params.ticket' }),
    task('report', 'test.echo', { value: '="report " + params.env' }),
  ),
});

describe.each(dialectNames)('approvals and message waits in the %s dialect', (dialect) => {
  it('export a user task and a receive task with their boundaries, lint-clean, that import back to the same definition', async () => {
    // given a workflow with an approval (assignee, groups, skip, a reject path, a timeout) and a keyed message wait
    // when it is exported
    const xml = await exportBpmn(destroy, { dialect });
    const els = await elementsOf(xml, dialect);
    // then the approval is a user task and the message wait a receive task, named as steps are, with their boundaries
    expect(els.confirm).toMatchObject({ $type: 'bpmn:UserTask', name: 'Confirm' });
    expect(els.deployed).toMatchObject({ $type: 'bpmn:ReceiveTask', name: 'Deployed' });
    expect(els.confirm_error).toMatchObject({ $type: 'bpmn:BoundaryEvent', attachedToRef: els.confirm });
    expect(els.confirm_timer).toMatchObject({ $type: 'bpmn:BoundaryEvent', attachedToRef: els.confirm });
    expect(els.confirm_error.eventDefinitions[0].$type).toBe('bpmn:ErrorEventDefinition');
    expect(els.confirm_timer.eventDefinitions[0].timeDuration.body).toBe('PT1H');
    // and the receive task refers to a root message named after the message waited for
    const message = els.deployed.messageRef as ModdleElement;
    expect(message).toMatchObject({ $type: 'bpmn:Message', name: 'deploy-done' });
    expect(message.$parent?.$type).toBe('bpmn:Definitions');
    // and bpmnlint (recommended + camunda-compat for the dialect's engine) finds nothing (Zeebe's user task names an
    // external form, gravity approve|reject, which camunda-compat's user-task-definition rule asks for)
    const problems = (await lintBpmn(xml, dialect)).filter((p) => p.category !== 'info');
    expect(problems).toEqual([]);
    if (dialect === 'zeebe') expect(xml).toContain('<zeebe:formDefinition externalReference="gravity:approve" />');
    // when it is imported again, it is the same definition, and a second round trip writes the same file
    const back = (await importBpmn(xml, { dialect })).definition;
    expect(normalized(back)).toEqual(normalized(destroy));
    expect(stateOf(back, 'confirm').invoke).toEqual(stateOf(destroy, 'confirm').invoke);
    expect(stateOf(back, 'deployed').invoke).toEqual(stateOf(destroy, 'deployed').invoke);
    expect(await exportBpmn(back, { dialect })).toBe(xml);
  });

  it('runs the round-tripped definition: the approval is skipped by =params.yes, the message wait parks until its keyed message', async () => {
    const back = (await importBpmn(await exportBpmn(destroy, { dialect }), { dialect })).definition;
    const { engine: e, calls } = await engine();
    const r = await startRun(e, back, { params: { env: 'e1', yes: true, ticket: 'T-7' } });
    expect(r.status).toBe(RunStatus.Waiting);
    expect(r.waiting).toEqual([
      expect.objectContaining({ step: 'deployed', kind: 'message', message: 'deploy-done', key: 'T-7' }),
    ]);
    const done = await resumeRun(e, r.runId, { answer: { kind: 'message', name: 'deploy-done', key: 'T-7' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['checked', 'report e1']);
  });

  it('writes one root message per name, shared by the receive tasks waiting for it', async () => {
    const def = workflow({
      id: 'test:twice',
      steps: sequence(
        receive('first', 'go', { key: 42 }),
        receive('second', 'go', { key: 42 }),
        receive('third', 'stop'),
      ),
    });
    const xml = await exportBpmn(def, { dialect });
    const els = await elementsOf(xml, dialect);
    const messages = Object.values(els).filter((e) => e.$type === 'bpmn:Message');
    expect(messages.map((m) => m.name).sort()).toEqual(['go', 'stop']);
    expect(els.first.messageRef).toBe(els.second.messageRef);
    expect(normalized((await importBpmn(xml, { dialect })).definition)).toEqual(normalized(def));
  });
});

describe('what each dialect writes', () => {
  it('gravity: the task, all its inputs but the message name in gravity:task, the name on the bpmn:Message', async () => {
    const els = await elementsOf(await exportBpmn(destroy, { dialect: 'gravity' }), 'gravity');
    const [approvalTask] = extensions(els.confirm, 'gravity:Task');
    expect(approvalTask.type).toBe('gravity.approval');
    expect(Object.fromEntries(approvalTask.inputs.map((i: ModdleElement) => [i.name, JSON.parse(i.value)]))).toEqual({
      message: '="Destroy " + params.env + "?"',
      assignee: 'ops',
      candidateGroups: ['admins', 'sre'],
      skip: '=params.yes',
    });
    const [messageTask] = extensions(els.deployed, 'gravity:Task');
    expect(messageTask.type).toBe('gravity.message');
    expect(messageTask.inputs.map((i: ModdleElement) => [i.name, i.value])).toEqual([['key', '"=params.ticket"']]);
  });

  it('camunda7: camunda:assignee and comma-separated camunda:candidateGroups; message, skip and the key as input parameters', async () => {
    const xml = await exportBpmn(destroy, { dialect: 'camunda7' });
    const els = await elementsOf(xml, 'camunda7');
    expect(els.confirm.get('camunda:assignee')).toBe('ops');
    expect(els.confirm.get('camunda:candidateGroups')).toBe('admins,sre');
    // no external task topic: Camunda 7 creates a task for a person
    expect(els.confirm.get('camunda:topic')).toBeUndefined();
    const params = (el: ModdleElement) =>
      Object.fromEntries(
        extensions(el, 'camunda:InputOutput')[0].inputParameters.map((p: ModdleElement) => [p.name, p.value]),
      );
    expect(params(els.confirm)).toEqual({ message: 'Destroy ${params.env}?', skip: '${params.yes}' });
    // Camunda 7 correlates a message by API, with no key in the model: the key stays an input parameter
    expect(params(els.deployed)).toEqual({ key: '${params.ticket}' });
    expect(extensions(els.deployed.messageRef, 'camunda:Properties')).toEqual([]);
  });

  it('zeebe: a Camunda user task with zeebe:assignmentDefinition; the key as the message subscription correlationKey', async () => {
    const els = await elementsOf(await exportBpmn(destroy, { dialect: 'zeebe' }), 'zeebe');
    expect(extensions(els.confirm, 'zeebe:UserTask')).toHaveLength(1);
    expect(extensions(els.confirm, 'zeebe:TaskDefinition')).toEqual([]);
    expect(extensions(els.confirm, 'zeebe:AssignmentDefinition')[0]).toMatchObject({
      assignee: 'ops',
      candidateGroups: 'admins,sre',
    });
    const inputs = extensions(els.confirm, 'zeebe:IoMapping')[0].inputParameters.map((p: ModdleElement) => [
      p.target,
      p.source,
    ]);
    expect(inputs).toEqual([
      ['message', '="Destroy " + params.env + "?"'],
      ['skip', '=params.yes'],
    ]);
    expect(extensions(els.deployed, 'zeebe:TaskDefinition')).toEqual([]);
    expect(extensions(els.deployed, 'zeebe:IoMapping')).toEqual([]);
    expect(extensions(els.deployed.messageRef, 'zeebe:Subscription')[0].correlationKey).toBe('=params.ticket');
  });

  it('zeebe: assignments given as FEEL stay FEEL, and a literal key becomes a FEEL literal, both round trip', async () => {
    const def = workflow({
      id: 'test:feel-assign',
      params: { owner: { type: 'string' }, groups: { type: 'array' } },
      steps: sequence(
        approval('ok', 'Go?', { assignee: '=params.owner', candidateGroups: '=params.groups' as unknown as string[] }),
        approval('ok2', 'Sure?', { candidateGroups: ['a,b', 'c'] }),
        receive('r', 'm', { key: 'T-1' }),
      ),
    });
    const xml = await exportBpmn(def, { dialect: 'zeebe' });
    const els = await elementsOf(xml, 'zeebe');
    expect(extensions(els.ok, 'zeebe:AssignmentDefinition')[0]).toMatchObject({
      assignee: '=params.owner',
      candidateGroups: '=params.groups',
    });
    // a group name holding a comma cannot be written comma-separated: a FEEL list
    expect(extensions(els.ok2, 'zeebe:AssignmentDefinition')[0].candidateGroups).toBe('=["a,b", "c"]');
    expect(extensions(els.r.messageRef, 'zeebe:Subscription')[0].correlationKey).toBe('="T-1"');
    expect(normalized((await importBpmn(xml)).definition)).toEqual(normalized(def));
  });

  it('zeebe: two message waits of one name with different keys are refused (one correlation key per message)', async () => {
    const def = workflow({
      id: 'test:two-keys',
      steps: sequence(receive('a', 'go', { key: '=params.x' }), receive('b', 'go', { key: '=params.y' })),
    });
    await expect(exportBpmn(def, { dialect: 'zeebe' })).rejects.toThrow(
      /cannot export <b> to Zeebe: message "go" is already correlated by =params\.x/,
    );
  });

  it('camunda7: an assignee JUEL can say is written as JUEL and read back as FEEL', async () => {
    const def = workflow({
      id: 'test:juel-assign',
      params: { owner: { type: 'string' } },
      steps: approval('ok', 'Go?', { assignee: '=params.owner' }),
    });
    const xml = await exportBpmn(def, { dialect: 'camunda7' });
    expect((await elementsOf(xml, 'camunda7')).ok.get('camunda:assignee')).toBe('${params.owner}');
    expect(normalized((await importBpmn(xml)).definition)).toEqual(normalized(def));
  });
});

const camundaFile = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_release" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="Message_1" name="deployed" />
  <bpmn:process id="release" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="build" name="Build" camunda:type="external" camunda:topic="test.echo">
      <bpmn:extensionElements>
        <camunda:inputOutput><camunda:inputParameter name="value">built</camunda:inputParameter></camunda:inputOutput>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:userTask id="approve_release" name="Approve the release" camunda:assignee="ops" camunda:candidateGroups="admins, sre" />
    <bpmn:receiveTask id="wait_deploy" messageRef="Message_1">
      <bpmn:extensionElements>
        <camunda:inputOutput><camunda:inputParameter name="key">\${ticket}</camunda:inputParameter></camunda:inputOutput>
      </bpmn:extensionElements>
    </bpmn:receiveTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="build" />
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="approve_release" />
    <bpmn:sequenceFlow id="f3" sourceRef="approve_release" targetRef="wait_deploy" />
    <bpmn:sequenceFlow id="f4" sourceRef="wait_deploy" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;

const zeebeFile = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Defs_z" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="Message_2" name="ticket-closed">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=ticket" /></bpmn:extensionElements>
  </bpmn:message>
  <bpmn:process id="rollout" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="sign_off">
      <bpmn:extensionElements>
        <zeebe:userTask />
        <zeebe:assignmentDefinition assignee="=owner" candidateGroups="=[&quot;release&quot;]" />
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="closed" name="Ticket closed">
      <bpmn:messageEventDefinition id="MessageEventDefinition_1" messageRef="Message_2" />
    </bpmn:intermediateCatchEvent>
    <bpmn:serviceTask id="ship" name="Ship">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="test.echo" />
        <zeebe:ioMapping><zeebe:input source="=&quot;shipped &quot; + owner" target="value" /></zeebe:ioMapping>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign_off" />
    <bpmn:sequenceFlow id="f2" sourceRef="sign_off" targetRef="closed" />
    <bpmn:sequenceFlow id="f3" sourceRef="closed" targetRef="ship" />
    <bpmn:sequenceFlow id="f4" sourceRef="ship" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;

describe('user tasks, receive tasks and message catch events of other modelers', () => {
  it('Camunda 7: a user task is an approval (its name the message, assignee and groups kept), a receive task a message wait', async () => {
    const { definition, dialect } = await importBpmn(camundaFile);
    expect(dialect).toBe('camunda7');
    expect(stateOf(definition, 'approve_release')).toMatchObject({
      invoke: {
        src: 'gravity.approval',
        input: { message: 'Approve the release', assignee: 'ops', candidateGroups: ['admins', 'sre'] },
      },
      meta: { title: 'Approve the release' },
    });
    expect(stateOf(definition, 'wait_deploy').invoke).toEqual({
      src: 'gravity.message',
      input: { name: 'deployed', key: '=ticket' },
    });
  });

  it('Camunda 7: the imported run parks at the user task and goes on when approved, then waits for its message', async () => {
    const { definition } = await importBpmn(camundaFile);
    const { engine: e, calls } = await engine();
    const r = await startRun(e, definition, { params: { ticket: 'R-1' } });
    expect(r.status).toBe(RunStatus.Waiting);
    expect(r.waiting).toEqual([
      expect.objectContaining({
        step: 'approve_release',
        kind: 'approval',
        message: 'Approve the release',
        assignee: 'ops',
        candidateGroups: ['admins', 'sre'],
      }),
    ]);
    expect(calls).toEqual(['built']);
    const approved = await resumeRun(e, r.runId, { answer: { kind: 'approve' } });
    expect(approved.status).toBe(RunStatus.Waiting);
    expect(approved.steps.find((s) => s.id === 'approve_release')?.output).toMatchObject({ approved: true });
    expect(approved.waiting).toEqual([
      expect.objectContaining({ step: 'wait_deploy', kind: 'message', message: 'deployed', key: 'R-1' }),
    ]);
    const done = await resumeRun(e, r.runId, { answer: { kind: 'message', name: 'deployed', key: 'R-1' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['built']);
  });

  it('Zeebe: a user task with FEEL assignments and a message catch event run as an approval and a message wait', async () => {
    const { definition, dialect } = await importBpmn(zeebeFile);
    expect(dialect).toBe('zeebe');
    // an unnamed user task asks with its id in words
    expect(stateOf(definition, 'sign_off').invoke).toEqual({
      src: 'gravity.approval',
      input: { message: 'Sign off', assignee: '=owner', candidateGroups: ['release'] },
    });
    expect(stateOf(definition, 'closed').invoke).toEqual({
      src: 'gravity.message',
      input: { name: 'ticket-closed', key: '=ticket' },
    });
    const { engine: e, calls } = await engine();
    const r = await startRun(e, definition, { params: { owner: 'ann', ticket: 'Z-9' } });
    expect(r.status).toBe(RunStatus.Waiting);
    expect(r.waiting).toEqual([
      expect.objectContaining({ step: 'sign_off', kind: 'approval', message: 'Sign off', assignee: 'ann' }),
    ]);
    const approved = await resumeRun(e, r.runId, { answer: { kind: 'approve' } });
    expect(approved.status).toBe(RunStatus.Waiting);
    expect(approved.waiting).toEqual([
      expect.objectContaining({ step: 'closed', message: 'ticket-closed', key: 'Z-9' }),
    ]);
    const done = await resumeRun(e, r.runId, { answer: { kind: 'message', name: 'ticket-closed', key: 'Z-9' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['shipped ann']);
  });

  it('Zeebe: the form an export writes is read back silently; a form of another tool is reported as ignored', async () => {
    const exported = await exportBpmn(destroy, { dialect: 'zeebe' });
    expect((await importBpmn(exported, { dialect: 'zeebe' })).warnings).toEqual([]);
    const other = exported.replace('externalReference="gravity:approve"', 'formId="invoice-form"');
    expect(other).not.toBe(exported);
    expect((await importBpmn(other, { dialect: 'zeebe' })).warnings).toEqual([
      expect.objectContaining({
        element: 'confirm',
        message: 'zeebe:FormDefinition is ignored: gravity does not run it',
      }),
    ]);
  });

  it('a message catch event exports back as a receive task of the same message, and imports to the same definition', async () => {
    const { definition } = await importBpmn(zeebeFile);
    const xml = await exportBpmn(definition, { dialect: 'zeebe' });
    const els = await elementsOf(xml, 'zeebe');
    expect(els.closed).toMatchObject({ $type: 'bpmn:ReceiveTask', name: 'Ticket closed' });
    expect(els.closed.messageRef.name).toBe('ticket-closed');
    expect(normalized((await importBpmn(xml)).definition)).toEqual(normalized(definition));
  });

  it('a --map of a user task (by id or by type) still wins over the approval', async () => {
    const byId = (await importBpmn(camundaFile, { mappings: { approve_release: 'test.echo' } })).definition;
    expect(stateOf(byId, 'approve_release').invoke).toEqual({ src: 'test.echo', input: {} });
    const byType = (await importBpmn(camundaFile, { mappings: { 'bpmn:UserTask': 'test.echo' } })).definition;
    expect(stateOf(byType, 'approve_release').invoke).toEqual({ src: 'test.echo', input: {} });
    // a receive task too
    const receiveMapped = (await importBpmn(camundaFile, { mappings: { 'bpmn:ReceiveTask': 'test.echo' } })).definition;
    expect(stateOf(receiveMapped, 'wait_deploy').invoke).toEqual({ src: 'test.echo', input: {} });
  });

  const refused = async (xml: string) => {
    const err = await importBpmn(xml).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotExecutableError);
    return (err as NotExecutableError).problems;
  };

  it('reads a receive task or a message catch event that names no message as a wait for a message named by its id, warning', async () => {
    const xml = camundaFile
      .replace(' messageRef="Message_1"', '')
      .replace(
        '<bpmn:endEvent id="end" />',
        '<bpmn:intermediateCatchEvent id="c"><bpmn:messageEventDefinition /></bpmn:intermediateCatchEvent><bpmn:endEvent id="end" />',
      )
      .replace('targetRef="end" />', 'targetRef="c" /><bpmn:sequenceFlow id="f5" sourceRef="c" targetRef="end" />');
    const { definition, warnings } = await importBpmn(xml);
    expect(stateOf(definition, 'wait_deploy').invoke).toEqual({
      src: 'gravity.message',
      input: { name: 'wait_deploy', key: '=ticket' },
    });
    expect(stateOf(definition, 'c').invoke).toEqual({ src: 'gravity.message', input: { name: 'c' } });
    expect(warnings.filter((w) => /waits for message/.test(w.message))).toEqual([
      expect.objectContaining({
        element: 'wait_deploy',
        message: expect.stringMatching(/^waits for message "wait_deploy": the task names no message/),
      }),
      expect.objectContaining({
        element: 'c',
        message: expect.stringMatching(/^waits for message "c": the event names no message/),
      }),
    ]);
  });

  it('still refuses an event-based gateway that is not one message and at most one timer, and a reminder whose path leads back into the process', async () => {
    // the gateway leads to the message wait and to a task: not a race of events
    const gateway = zeebeFile.replace(
      '<bpmn:sequenceFlow id="f2" sourceRef="sign_off" targetRef="closed" />',
      '<bpmn:eventBasedGateway id="pick" /><bpmn:sequenceFlow id="f2" sourceRef="sign_off" targetRef="pick" /><bpmn:sequenceFlow id="f2b" sourceRef="pick" targetRef="closed" /><bpmn:sequenceFlow id="f2c" sourceRef="pick" targetRef="ship" />',
    );
    expect(await refused(gateway)).toContainEqual(
      expect.objectContaining({
        element: 'pick',
        type: 'bpmn:EventBasedGateway',
        message: expect.stringMatching(
          /runs here between one message wait \(a receive task or message catch event\) and at most one timer/,
        ),
      }),
    );
    const timer = camundaFile.replace(
      '<bpmn:endEvent id="end" />',
      '<bpmn:boundaryEvent id="remind" attachedToRef="approve_release" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="end" /><bpmn:sequenceFlow id="f9" sourceRef="remind" targetRef="end" />',
    );
    expect(await refused(timer)).toEqual([
      expect.objectContaining({
        element: 'remind',
        message: expect.stringMatching(
          /^the path of this non-interrupting timer leads into <end>, which the process reaches/,
        ),
      }),
    ]);
  });
});
