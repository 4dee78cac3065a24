// Sends in BPMN: a send (gravity.send) is a bpmn:SendTask referring to a root bpmn:Message (Camunda 7: an external task
// of topic gravity.send, Zeebe: a job of type gravity.send, gravity: its gravity:task), its key, data and signal the
// task's inputs; it round trips in every dialect and exports lint-clean. Send tasks, message and signal throw events
// and message and signal end events of other modelers import as sends and deliver to the waiting runs of the store.
import { describe, expect, it } from 'vitest';
import { dialectNames, exportBpmn, importBpmn, NotExecutableError } from '../../bpmn/index.js';
import type { ModdleElement } from '../../bpmn/moddle.js';
import { loadRun, receive, RunStatus, send, sequence, startRun, task, workflow } from '../../engine/index.js';
import { lintBpmn } from '../support/bpmnlint.js';
import { normalized } from './normalize.js';
import { elementsOf, engine, extensions, stateOf } from './waits-support.js';

/** Tells the run waiting for its ticket that the deploy is done (what it carries computed), then everyone. */
const notify = workflow({
  id: 'test:notify',
  params: { ticket: { type: 'string' } },
  steps: sequence(
    task('build', 'test.echo', { value: 'built' }),
    send('tell', 'deploy-done', {
      key: '=params.ticket',
      data: { url: '="http://deploy/" + params.ticket', attempt: 1 },
      onError: task('lost', 'test.echo', { value: 'lost' }),
    }),
    send('everyone', 'released', { signal: true, title: 'Tell everyone' }),
  ),
  output: '=steps.tell.delivered',
});

/** Waits for the deploy of its ticket, then reports what the message carried. */
const waiter = workflow({
  id: 'test:waiter',
  params: { ticket: { type: 'string' } },
  steps: sequence(
    receive('deployed', 'deploy-done', { key: '=params.ticket' }),
    task('report', 'test.echo', { value: '="got " + string(steps.deployed.data.url)' }),
  ),
});

/** Waits for the release signal. */
const listener = workflow({
  id: 'test:listener',
  params: { n: { type: 'string' } },
  steps: sequence(receive('heard', 'released'), task('after', 'test.echo', { value: '="heard " + params.n' })),
});

describe.each(dialectNames)('sends in the %s dialect', (dialect) => {
  it('export a send task referring to a root message, with its error boundary, lint-clean, that imports back to the same definition', async () => {
    // given a workflow with a keyed message send carrying data (with an error path) and a signal send
    // when it is exported
    const xml = await exportBpmn(notify, { dialect });
    const els = await elementsOf(xml, dialect);
    // then each send is a send task, named as steps are, the first with its error boundary
    expect(els.tell).toMatchObject({ $type: 'bpmn:SendTask', name: 'Tell' });
    expect(els.everyone).toMatchObject({ $type: 'bpmn:SendTask', name: 'Tell everyone' });
    expect(els.tell_error).toMatchObject({ $type: 'bpmn:BoundaryEvent', attachedToRef: els.tell });
    expect(els.tell_error.eventDefinitions[0].$type).toBe('bpmn:ErrorEventDefinition');
    // and refers to a root message named after what it sends (a signal too: its `signal` input says it is one)
    expect(els.tell.messageRef).toMatchObject({ $type: 'bpmn:Message', name: 'deploy-done' });
    expect(els.tell.messageRef.$parent?.$type).toBe('bpmn:Definitions');
    expect(els.everyone.messageRef).toMatchObject({ $type: 'bpmn:Message', name: 'released' });
    // and bpmnlint (recommended + camunda-compat for the dialect's engine) finds nothing
    const problems = (await lintBpmn(xml, dialect)).filter((p) => p.category !== 'info');
    expect(problems).toEqual([]);
    // when it is imported again, it is the same definition, and a second round trip writes the same file
    const back = (await importBpmn(xml, { dialect })).definition;
    expect(normalized(back)).toEqual(normalized(notify));
    expect(stateOf(back, 'tell').invoke).toEqual(stateOf(notify, 'tell').invoke);
    expect(stateOf(back, 'everyone').invoke).toEqual({
      src: 'gravity.send',
      input: { name: 'released', signal: true },
    });
    expect(await exportBpmn(back, { dialect })).toBe(xml);
  });

  it('runs the round-tripped definition: the message reaches the run waiting for its key, the signal every listener', async () => {
    // given a run waiting for ticket T-1, one waiting for T-2, and two listeners of the release signal, in one store
    const back = (await importBpmn(await exportBpmn(notify, { dialect }), { dialect })).definition;
    const { engine: e, calls } = await engine();
    const mine = await startRun(e, waiter, { params: { ticket: 'T-1' } });
    const other = await startRun(e, waiter, { params: { ticket: 'T-2' } });
    const l1 = await startRun(e, listener, { params: { n: 'one' } });
    const l2 = await startRun(e, listener, { params: { n: 'two' } });
    expect([mine, other, l1, l2].map((r) => r.status)).toEqual(Array(4).fill(RunStatus.Waiting));
    // when the imported sender runs for T-1
    const r = await startRun(e, back, { params: { ticket: 'T-1' } });
    // then the message went to the run waiting for T-1, which went on with its data; T-2 still waits
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(r.output).toEqual([{ runId: mine.runId, step: 'deployed', status: 'succeeded' }]);
    expect((await loadRun(e, other.runId)).status).toBe(RunStatus.Waiting);
    // and the signal reached both listeners
    expect((await loadRun(e, l1.runId)).status).toBe(RunStatus.Succeeded);
    expect((await loadRun(e, l2.runId)).status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['built', 'got http://deploy/T-1', 'heard one', 'heard two']);
  });

  it('writes one root message per name, shared by the send tasks and the receive tasks of that name', async () => {
    const def = workflow({
      id: 'test:ping-pong',
      steps: sequence(send('ping', 'ping'), receive('pong', 'ping'), send('again', 'ping', { key: 7 })),
    });
    const xml = await exportBpmn(def, { dialect });
    const els = await elementsOf(xml, dialect);
    const messages = Object.values(els).filter((e) => e.$type === 'bpmn:Message');
    expect(messages.map((m) => m.name)).toEqual(['ping']);
    expect(els.ping.messageRef).toBe(els.pong.messageRef);
    expect(els.again.messageRef).toBe(els.pong.messageRef);
    expect(normalized((await importBpmn(xml, { dialect })).definition)).toEqual(normalized(def));
  });
});

describe('what each dialect writes for a send', () => {
  it('gravity: its gravity:task of type gravity.send with every input but the name, which is the message', async () => {
    const els = await elementsOf(await exportBpmn(notify, { dialect: 'gravity' }), 'gravity');
    const [t] = extensions(els.tell, 'gravity:Task');
    expect(t.type).toBe('gravity.send');
    expect(Object.fromEntries(t.inputs.map((i: ModdleElement) => [i.name, JSON.parse(i.value)]))).toEqual({
      key: '=params.ticket',
      data: { url: '="http://deploy/" + params.ticket', attempt: 1 },
    });
    const [signal] = extensions(els.everyone, 'gravity:Task');
    expect(signal.inputs.map((i: ModdleElement) => [i.name, i.value])).toEqual([['signal', 'true']]);
  });

  it('camunda7: an external task of topic gravity.send; key, data and signal as input parameters', async () => {
    const els = await elementsOf(await exportBpmn(notify, { dialect: 'camunda7' }), 'camunda7');
    expect(els.tell.get('camunda:type')).toBe('external');
    expect(els.tell.get('camunda:topic')).toBe('gravity.send');
    const params = (el: ModdleElement) =>
      Object.fromEntries(
        extensions(el, 'camunda:InputOutput')[0].inputParameters.map((p: ModdleElement) => [p.name, p]),
      );
    const tell = params(els.tell);
    expect(Object.keys(tell)).toEqual(['key', 'data']);
    expect(tell.key.value).toBe('${params.ticket}');
    // the data is a camunda:map of its entries (FEEL as JUEL)
    expect(tell.data.definition.$type).toBe('camunda:Map');
    expect(Object.fromEntries(tell.data.definition.entries.map((e: ModdleElement) => [e.key, e.value]))).toMatchObject({
      url: 'http://deploy/${params.ticket}',
    });
    expect(Object.keys(params(els.everyone))).toEqual(['signal']);
    // the message carries no correlation of its own (Camunda 7 correlates by API)
    expect(extensions(els.tell.messageRef, 'camunda:Properties')).toEqual([]);
  });

  it('zeebe: a job of type gravity.send; key, data and signal as input mappings, no subscription on the message', async () => {
    const els = await elementsOf(await exportBpmn(notify, { dialect: 'zeebe' }), 'zeebe');
    expect(extensions(els.tell, 'zeebe:TaskDefinition')[0]).toMatchObject({ type: 'gravity.send', retries: '1' });
    const inputs = (el: ModdleElement) =>
      extensions(el, 'zeebe:IoMapping')[0].inputParameters.map((p: ModdleElement) => [p.target, p.source]);
    expect(inputs(els.tell)).toEqual([
      ['key', '=params.ticket'],
      ['data', '={url: "http://deploy/" + params.ticket, attempt: 1}'],
    ]);
    expect(inputs(els.everyone)).toEqual([['signal', '=true']]);
    // a subscription says how a catching element correlates: a send's key is its input
    expect(extensions(els.tell.messageRef, 'zeebe:Subscription')).toEqual([]);
  });
});

/** A Camunda 7 process: a build, then `thrower` (an element whose flows are f2 in, f3 out), then the end. */
const camundaFile = (
  thrower: string,
  roots = '<bpmn:message id="Message_1" name="deploy-done" />',
) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_ship" targetNamespace="http://bpmn.io/schema/bpmn">
  ${roots}
  <bpmn:process id="ship" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="build" name="Build" camunda:type="external" camunda:topic="test.echo">
      <bpmn:extensionElements>
        <camunda:inputOutput><camunda:inputParameter name="value">built</camunda:inputParameter></camunda:inputOutput>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    ${thrower}
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="build" />
  </bpmn:process>
</bpmn:definitions>`;

const messageThrow = camundaFile(`<bpmn:intermediateThrowEvent id="announce" name="Announce the deploy">
      <bpmn:extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="key">\${ticket}</camunda:inputParameter>
          <camunda:inputParameter name="url">http://deploy/\${ticket}</camunda:inputParameter>
        </camunda:inputOutput>
      </bpmn:extensionElements>
      <bpmn:messageEventDefinition id="Def_1" messageRef="Message_1" />
    </bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="announce" />
    <bpmn:sequenceFlow id="f3" sourceRef="announce" targetRef="end" />`);

const refused = async (xml: string) => {
  const err = await importBpmn(xml).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NotExecutableError);
  return (err as NotExecutableError).problems;
};

describe('send tasks, throw events and end events of other modelers', () => {
  it('Camunda 7: a message intermediate throw event is a send of its message; its other inputs are the data', async () => {
    const { definition, warnings } = await importBpmn(messageThrow);
    expect(warnings).toEqual([]);
    expect(stateOf(definition, 'announce')).toEqual({
      invoke: {
        src: 'gravity.send',
        input: { name: 'deploy-done', key: '=ticket', data: { url: '="http://deploy/" + string(ticket)' } },
      },
      onDone: 'end',
      // as for any Camunda 7 task without output parameters, its output is merged into the variables
      meta: { title: 'Announce the deploy', mergeOutput: true },
    });
  });

  it('Camunda 7: the imported sender delivers to the run of the same store waiting for its key, which goes on', async () => {
    // given a run waiting for deploy-done with ticket R-1, in the store the sender runs in
    const { definition } = await importBpmn(messageThrow);
    const { engine: e, calls } = await engine();
    const waiting = await startRun(e, waiter, { params: { ticket: 'R-1' } });
    expect(waiting.status).toBe(RunStatus.Waiting);
    // when the imported process runs for R-1
    const sender = await startRun(e, definition, { params: { ticket: 'R-1' } });
    // then it succeeds, its send step says whom it delivered to, and the waiting run went on with the data
    expect(sender.status).toBe(RunStatus.Succeeded);
    expect(sender.steps.find((s) => s.id === 'announce')?.output).toEqual({
      delivered: [{ runId: waiting.runId, step: 'deployed', status: 'succeeded' }],
    });
    expect((await loadRun(e, waiting.runId)).status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['built', 'got http://deploy/R-1']);
  });

  it('a message end event is a send followed by a plain end (warned), and runs', async () => {
    const xml = camundaFile(`<bpmn:endEvent id="done" name="Deploy done">
      <bpmn:extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="key">\${ticket}</camunda:inputParameter>
          <camunda:inputParameter name="url">http://end</camunda:inputParameter>
        </camunda:inputOutput>
      </bpmn:extensionElements>
      <bpmn:messageEventDefinition id="Def_1" messageRef="Message_1" />
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="done" />`);
    const { definition, warnings } = await importBpmn(xml);
    expect(stateOf(definition, 'done')).toMatchObject({
      invoke: { src: 'gravity.send', input: { name: 'deploy-done', key: '=ticket', data: { url: 'http://end' } } },
      onDone: 'done_end',
      meta: { title: 'Deploy done' },
    });
    expect(stateOf(definition, 'done_end')).toEqual({ type: 'final' });
    expect(warnings).toEqual([
      expect.objectContaining({
        element: 'done',
        type: 'bpmn:EndEvent',
        message: expect.stringMatching(
          /^a message end event: it sends, then the run ends \(<done_end>\); export writes a send task followed by a plain end event$/,
        ),
      }),
    ]);
    const { engine: e, calls } = await engine();
    const waiting = await startRun(e, waiter, { params: { ticket: 'E-1' } });
    const sender = await startRun(e, definition, { params: { ticket: 'E-1' } });
    expect(sender.status).toBe(RunStatus.Succeeded);
    expect((await loadRun(e, waiting.runId)).status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['built', 'got http://end']);
    // exported, the end is a send task and a plain end event, which import to the same definition
    const back = await exportBpmn(definition, { dialect: 'camunda7' });
    const els = await elementsOf(back, 'camunda7');
    expect(els.done.$type).toBe('bpmn:SendTask');
    expect(els.done_end.$type).toBe('bpmn:EndEvent');
    expect(els.done_end.eventDefinitions ?? []).toEqual([]);
    expect((await lintBpmn(back, 'camunda7')).filter((p) => p.category !== 'info')).toEqual([]);
    expect(normalized((await importBpmn(back)).definition)).toEqual(normalized(definition));
  });

  it('a signal end event is a send of the signal to every waiting run, and runs', async () => {
    const xml = camundaFile(
      `<bpmn:endEvent id="released"><bpmn:signalEventDefinition id="Def_1" signalRef="Signal_1" /></bpmn:endEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="released" />`,
      '<bpmn:signal id="Signal_1" name="released" />',
    );
    const { definition } = await importBpmn(xml);
    expect(stateOf(definition, 'released').invoke).toEqual({
      src: 'gravity.send',
      input: { name: 'released', signal: true },
    });
    const { engine: e, calls } = await engine();
    const l1 = await startRun(e, listener, { params: { n: 'one' } });
    const l2 = await startRun(e, listener, { params: { n: 'two' } });
    const sender = await startRun(e, definition, { params: {} });
    expect(sender.status).toBe(RunStatus.Succeeded);
    expect(sender.steps.find((s) => s.id === 'released')?.output).toEqual({
      delivered: [
        { runId: l1.runId, step: 'heard', status: 'succeeded' },
        { runId: l2.runId, step: 'heard', status: 'succeeded' },
      ],
    });
    expect(calls).toEqual(['built', 'heard one', 'heard two']);
  });

  it('the end a message end event gets steps aside from an element that has its key', async () => {
    const xml = camundaFile(`<bpmn:task id="done_end" name="Already here" />
    <bpmn:endEvent id="done"><bpmn:messageEventDefinition id="Def_1" messageRef="Message_1" /></bpmn:endEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="done_end" />
    <bpmn:sequenceFlow id="f3" sourceRef="done_end" targetRef="done" />`);
    const { definition } = await importBpmn(xml, { mappings: { 'bpmn:Task': 'test.echo' } });
    expect(stateOf(definition, 'done').onDone).toBe('done_end_2');
    expect(stateOf(definition, 'done_end_2')).toEqual({ type: 'final' });
    expect(stateOf(definition, 'done_end').invoke?.src).toBe('test.echo');
    // and the export has both
    const els = await elementsOf(await exportBpmn(definition), 'gravity');
    expect(els.done_end.$type).toBe('bpmn:ServiceTask');
    expect(els.done_end_2.$type).toBe('bpmn:EndEvent');
  });

  it('Zeebe and plain BPMN: a send task of a message, a signal throw event of a signal', async () => {
    const zeebe = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Defs_z" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="Message_2" name="ticket-closed" />
  <bpmn:signal id="Signal_2" name="all-clear" />
  <bpmn:process id="close" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sendTask id="tell" messageRef="Message_2">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="gravity.send" />
        <zeebe:ioMapping><zeebe:input source="=ticket" target="key" /></zeebe:ioMapping>
      </bpmn:extensionElements>
    </bpmn:sendTask>
    <bpmn:intermediateThrowEvent id="clear"><bpmn:signalEventDefinition signalRef="Signal_2" /></bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tell" />
    <bpmn:sequenceFlow id="f2" sourceRef="tell" targetRef="clear" />
    <bpmn:sequenceFlow id="f3" sourceRef="clear" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;
    const { definition, dialect } = await importBpmn(zeebe);
    expect(dialect).toBe('zeebe');
    expect(stateOf(definition, 'tell').invoke).toEqual({
      src: 'gravity.send',
      input: { name: 'ticket-closed', key: '=ticket' },
    });
    expect(stateOf(definition, 'clear').invoke).toEqual({
      src: 'gravity.send',
      input: { name: 'all-clear', signal: true },
    });
    // the same without any vendor extension (read as Camunda 7, and in the gravity dialect): the element says it all
    const plain = zeebe
      .replace(/<bpmn:extensionElements>[\s\S]*?<\/bpmn:extensionElements>/, '')
      .replace(' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"', '');
    for (const d of dialectNames) {
      const states = (await importBpmn(plain, { dialect: d })).definition.machine.states;
      expect(states.tell.invoke, d).toEqual({ src: 'gravity.send', input: { name: 'ticket-closed' } });
      expect(states.clear.invoke, d).toEqual({ src: 'gravity.send', input: { name: 'all-clear', signal: true } });
    }
  });

  it('a send task whose external topic names another task node runs that node (as Camunda 7 runs it)', async () => {
    const xml = camundaFile(`<bpmn:sendTask id="mail" name="Mail" camunda:type="external" camunda:topic="test.echo">
      <bpmn:extensionElements>
        <camunda:inputOutput><camunda:inputParameter name="value">mailed</camunda:inputParameter></camunda:inputOutput>
      </bpmn:extensionElements>
    </bpmn:sendTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="mail" />
    <bpmn:sequenceFlow id="f3" sourceRef="mail" targetRef="end" />`);
    const { definition } = await importBpmn(xml);
    expect(stateOf(definition, 'mail').invoke).toEqual({ src: 'test.echo', input: { value: 'mailed' } });
  });

  it('a --map of a send task (by id or by type) still wins over the send', async () => {
    const xml = camundaFile(`<bpmn:sendTask id="tell" messageRef="Message_1" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="tell" />
    <bpmn:sequenceFlow id="f3" sourceRef="tell" targetRef="end" />`);
    expect(stateOf((await importBpmn(xml)).definition, 'tell').invoke).toEqual({
      src: 'gravity.send',
      input: { name: 'deploy-done' },
    });
    const byIdAndByType: Array<Record<string, string>> = [{ tell: 'test.echo' }, { 'bpmn:SendTask': 'test.echo' }];
    for (const mappings of byIdAndByType)
      expect(stateOf((await importBpmn(xml, { mappings })).definition, 'tell').invoke).toEqual({
        src: 'test.echo',
        input: {},
      });
  });

  it('a none intermediate throw event is a milestone: the run goes on through it, and export draws it again', async () => {
    const xml = camundaFile(`<bpmn:intermediateThrowEvent id="built_ok" name="Built" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="built_ok" />
    <bpmn:sequenceFlow id="f3" sourceRef="built_ok" targetRef="end" />`);
    const { definition } = await importBpmn(xml);
    expect(stateOf(definition, 'built_ok')).toMatchObject({ always: [{ target: 'end' }], meta: { title: 'Built' } });
    const { engine: e, calls } = await engine();
    expect((await startRun(e, definition, { params: {} })).status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['built']);
    for (const dialect of dialectNames) {
      const out = await exportBpmn(definition, { dialect });
      const els = await elementsOf(out, dialect);
      expect(els.built_ok).toMatchObject({ $type: 'bpmn:IntermediateThrowEvent', name: 'Built' });
      expect(els.built_ok.eventDefinitions ?? []).toEqual([]);
      expect(
        (await lintBpmn(out, dialect)).filter((p) => p.category !== 'info'),
        dialect,
      ).toEqual([]);
      const back = (await importBpmn(out, { dialect })).definition;
      expect(normalized(back)).toEqual(normalized(definition));
      expect(await exportBpmn(back, { dialect })).toBe(out);
    }
  });

  it('refuses a throw that names no message or signal, or an unnamed one, naming the element', async () => {
    const xml = camundaFile(
      `<bpmn:intermediateThrowEvent id="a"><bpmn:messageEventDefinition /></bpmn:intermediateThrowEvent>
    <bpmn:sendTask id="b" />
    <bpmn:intermediateThrowEvent id="c"><bpmn:messageEventDefinition messageRef="Nameless" /></bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="d"><bpmn:signalEventDefinition /></bpmn:endEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="a" />
    <bpmn:sequenceFlow id="f3" sourceRef="a" targetRef="b" />
    <bpmn:sequenceFlow id="f4" sourceRef="b" targetRef="c" />
    <bpmn:sequenceFlow id="f5" sourceRef="c" targetRef="d" />`,
      '<bpmn:message id="Nameless" />',
    );
    expect(await refused(xml)).toEqual([
      expect.objectContaining({
        element: 'a',
        type: 'bpmn:IntermediateThrowEvent',
        message: '<a> sends a message but names none: give it a messageRef to a bpmn:Message with a name',
      }),
      expect.objectContaining({
        element: 'b',
        type: 'bpmn:SendTask',
        message: expect.stringMatching(
          /^<b> sends a message but names none: .*\(or map it to a task node with --map\)$/,
        ),
      }),
      expect.objectContaining({
        element: 'c',
        message: '<c>: the message it sends (<Nameless>) has no name',
      }),
      expect.objectContaining({
        element: 'd',
        type: 'bpmn:EndEvent',
        message: '<d> sends a signal but names none: give it a signalRef to a bpmn:Signal with a name',
      }),
    ]);
  });

  it('refuses other throw events, and data given twice, with the reason', async () => {
    const escalation =
      camundaFile(`<bpmn:intermediateThrowEvent id="up"><bpmn:escalationEventDefinition /></bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="up" />
    <bpmn:sequenceFlow id="f3" sourceRef="up" targetRef="end" />`);
    expect(await refused(escalation)).toEqual([
      expect.objectContaining({
        element: 'up',
        message:
          'bpmn:EscalationEventDefinition throw events are not supported (message, signal and none throw events are)',
      }),
    ]);
    const twice = messageThrow.replace(
      '<camunda:inputParameter name="key">',
      '<camunda:inputParameter name="data">x</camunda:inputParameter><camunda:inputParameter name="key">',
    );
    expect(await refused(twice)).toEqual([
      expect.objectContaining({
        element: 'announce',
        message: '<announce>: it sends data and also the inputs url: put them in its data',
      }),
    ]);
  });
});

describe('a Camunda 7 send task with a Java delegate', () => {
  it('is refused as any task with one is, naming the delegate (gravity would not run it)', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  <bpmn:message id="m" name="shipped" />
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="send" />
    <bpmn:sendTask id="send" messageRef="m" camunda:class="com.example.Send" />
    <bpmn:sequenceFlow id="f2" sourceRef="send" targetRef="e" /><bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>`;
    await expect(importBpmn(xml)).rejects.toThrow(
      /<send> has a Java delegate \(camunda:class\): gravity runs external tasks/,
    );
  });
});
