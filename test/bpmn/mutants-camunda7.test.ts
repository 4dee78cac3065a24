// Camunda 7 dialect details the broader tests leave open: which attributes and extensions export writes (and leaves out),
// how plain Camunda files are read (call mappings, retry cycles, conditions, timers) and the exact refusals.
import { describe, it, expect } from 'vitest';
import { call, retry, task, sequence, wait, workflow, DefinitionError, type Definition } from '../../engine/index.js';
import { exportBpmn } from '../../bpmn/export.js';
import { importBpmn, NotExecutableError } from '../../bpmn/import.js';
import { createModdle, type ModdleElement } from '../../bpmn/moddle.js';
import { camunda7Dialect } from '../../bpmn/dialects/camunda7.js';

const NS =
  'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

/** A plain Camunda 7 file: start -> `element` (id `t`) -> end. */
const plainFile = (element: string): string => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" />
    ${element}
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>`;

/** A plain Camunda 7 file with a gateway whose flow `Flow_c` carries `condition` (a conditionExpression element). */
const gatewayFile = (condition: string): string => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:exclusiveGateway id="g" default="Flow_d" />
    <bpmn:endEvent id="yes" />
    <bpmn:endEvent id="no" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g" />
    <bpmn:sequenceFlow id="Flow_c" sourceRef="g" targetRef="yes">${condition}</bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_d" sourceRef="g" targetRef="no" />
  </bpmn:process>
</bpmn:definitions>`;

/** A plain Camunda 7 file whose task `t` has a timer boundary event with the timeDuration `body`. */
const timerFile = (body: string): string =>
  plainFile(`<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="exec.run" />
    <bpmn:boundaryEvent id="b" attachedToRef="t">
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">${body}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="late" />
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="late" />`);

const condition = (body: string, language?: string): string =>
  `<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"${language ? ` language="${language}"` : ''}>${body}</bpmn:conditionExpression>`;

async function rejection(xml: string): Promise<NotExecutableError> {
  const err = await importBpmn(xml).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotExecutableError);
  return err as NotExecutableError;
}

function thrown(fn: () => unknown): DefinitionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DefinitionError);
    return e as DefinitionError;
  }
  throw new Error('expected a DefinitionError');
}

/** The elements of an exported file by id. */
async function exported(def: Definition): Promise<Record<string, ModdleElement>> {
  const xml = await exportBpmn(def, { dialect: 'camunda7' });
  return (await createModdle(camunda7Dialect.packages).fromXML(xml)).elementsById;
}
const exts = (el: ModdleElement): ModdleElement[] => (el.extensionElements?.values ?? []) as ModdleElement[];
const extTypes = (el: ModdleElement): string[] => exts(el).map((e) => e.$type);
const ext = (el: ModdleElement, type: string) => exts(el).find((e) => e.$type === type);
const props = (el: ModdleElement): Record<string, unknown> =>
  Object.fromEntries(
    ((ext(el, 'camunda:Properties')?.values ?? []) as ModdleElement[]).map((p) => [p.name, JSON.parse(p.value)]),
  );

const states = async (xml: string) => (await importBpmn(xml)).definition.machine.states;

describe('Camunda 7 export of a process', () => {
  it('writes camunda:versionTag only for a versioned workflow, and always a history time to live of 180 days', async () => {
    const plain = workflow({ id: 'plain', steps: task('only', 'fs.touch') });
    const xml = await exportBpmn(plain, { dialect: 'camunda7' });
    expect(xml).not.toContain('versionTag');
    expect(xml).toContain('camunda:historyTimeToLive="180"');
    const versioned = await exported(workflow({ id: 'plain', version: '2.0.1', steps: task('only', 'fs.touch') }));
    expect(versioned.plain.get('camunda:versionTag')).toBe('2.0.1');
    expect(versioned.plain.get('camunda:historyTimeToLive')).toBe('180');
  });
});

describe('Camunda 7 export of a task', () => {
  /** A workflow of one task that merges its output, as Camunda 7 does for a task without output parameters. */
  const merging = (t: ReturnType<typeof task>): Definition => {
    const def = workflow({ id: 'w', steps: t });
    for (const s of Object.values(def.machine.states)) if (s.invoke) s.meta = { ...s.meta, mergeOutput: true };
    return def;
  };

  it('leaves a task without retry synchronous, and without inputs, outputs or properties bare', async () => {
    const def = merging(task('bare', 'fs.touch'));
    expect(await exportBpmn(def, { dialect: 'camunda7' })).not.toContain('asyncBefore');
    const byId = await exported(def);
    expect(byId.bare.get('camunda:type')).toBe('external');
    expect(byId.bare.get('camunda:topic')).toBe('fs.touch');
    expect(extTypes(byId.bare)).toEqual([]);
  });

  it('writes a single attempt as an async task without a failedJobRetryTimeCycle', async () => {
    const byId = await exported(merging(retry(task('once', 'fs.touch'), { max: 1 })));
    expect(byId.once.get('camunda:asyncBefore')).toBe(true);
    expect(extTypes(byId.once)).toEqual(['camunda:Properties']);
    expect(props(byId.once)).toEqual({ 'gravity.retry': { max: 1 } });
  });

  it('writes the input of a task as input parameters, with no camunda:in and no gravity.feel when JUEL keeps every spelling', async () => {
    const byId = await exported(merging(task('t', 'exec.run', { cmd: 'ls', dir: '=params.dir' })));
    expect(extTypes(byId.t)).toEqual(['camunda:InputOutput']);
    const io = ext(byId.t, 'camunda:InputOutput')!;
    expect((io.inputParameters as ModdleElement[]).map((p) => [p.name, p.value])).toEqual([
      ['cmd', 'ls'],
      ['dir', '${params.dir}'],
    ]);
    expect(io.outputParameters ?? []).toEqual([]);
  });

  it('records the FEEL spelling of an output JUEL cannot keep, and reads it back as written', async () => {
    const def = workflow({
      id: 'w',
      steps: task('t', 'exec.run', undefined, { outputs: { where: '="origin/" + output.branch' } }),
    });
    const byId = await exported(def);
    const io = ext(byId.t, 'camunda:InputOutput')!;
    expect((io.outputParameters as ModdleElement[]).map((p) => [p.name, p.value])).toEqual([
      ['where', 'origin/${output.branch}'],
    ]);
    expect(props(byId.t)).toEqual({ 'gravity.feel': [[['outputs', 'where'], '="origin/" + output.branch']] });
    const back = (await importBpmn(await exportBpmn(def, { dialect: 'camunda7' }))).definition.machine.states.t;
    expect(back.meta?.outputs).toEqual({ where: '="origin/" + output.branch' });
  });
});

describe('Camunda 7 export of a call activity', () => {
  const calls = () =>
    workflow({
      id: 'w',
      steps: sequence(
        call('merged', 'doctor', { host: '=params.host' }),
        call('kept', 'host:doctor'),
        call('plain', 'doctor'),
      ),
    });
  const withMerge = () => {
    const def = calls();
    def.machine.states.merged.meta = { ...def.machine.states.merged.meta, mergeOutput: true };
    return def;
  };

  it('passes its inputs as local variables through <camunda:in variables="all" local="true"/>', async () => {
    const byId = await exported(withMerge());
    expect(byId.merged.calledElement).toBe('doctor');
    expect(byId.merged.get('camunda:type')).toBeUndefined();
    const mapping = ext(byId.merged, 'camunda:In')!;
    expect(mapping).toBeDefined();
    expect(mapping.variables).toBe('all');
    expect(mapping.local).toBe(true);
    expect(
      (ext(byId.merged, 'camunda:InputOutput')!.inputParameters as ModdleElement[]).map((p) => [p.name, p.value]),
    ).toEqual([['host', '${params.host}']]);
  });

  it('merges the child output through <camunda:out variables="all"/> alone, without a gravity.mergeOutput property', async () => {
    const byId = await exported(withMerge());
    expect(extTypes(byId.merged)).toEqual(['camunda:InputOutput', 'camunda:In', 'camunda:Out']);
    expect(ext(byId.merged, 'camunda:Out')!.variables).toBe('all');
  });

  it('writes a call without input or merge with no extension at all, and names the workflow only when its id is not a process id', async () => {
    const byId = await exported(withMerge());
    expect(byId.plain.calledElement).toBe('doctor');
    expect(extTypes(byId.plain)).toEqual([]);
    expect(byId.kept.calledElement).toBe('host_doctor');
    expect(extTypes(byId.kept)).toEqual(['camunda:Properties']);
    expect(props(byId.kept)).toEqual({ 'gravity.call': 'host:doctor' });
  });

  it('does not give a task with inputs a camunda:in mapping', async () => {
    const byId = await exported(workflow({ id: 'w', steps: task('t', 'exec.run', { cmd: 'ls' }) }));
    expect(ext(byId.t, 'camunda:In')).toBeUndefined();
  });

  it('reads the calls back as they were', async () => {
    const def = withMerge();
    const back = (await importBpmn(await exportBpmn(def, { dialect: 'camunda7' }))).definition.machine.states;
    expect(back.merged.invoke).toEqual({ src: 'workflow:doctor', input: { host: '=params.host' } });
    expect(back.merged.meta?.mergeOutput).toBe(true);
    expect(back.kept.invoke).toEqual({ src: 'workflow:host:doctor', input: {} });
    expect(back.plain.invoke).toEqual({ src: 'workflow:doctor', input: {} });
    expect(back.plain.meta?.mergeOutput).toBeUndefined();
  });
});

describe('Camunda 7 import of a plain call activity', () => {
  const callFile = (mappings: string, attrs = 'calledElement="host_doctor"') =>
    plainFile(
      `<bpmn:callActivity id="t" ${attrs}><bpmn:extensionElements>${mappings}</bpmn:extensionElements></bpmn:callActivity>`,
    );

  it('calls the workflow named by calledElement', async () => {
    const s = await states(callFile(''));
    expect(s.t.invoke).toEqual({ src: 'workflow:host_doctor', input: {} });
    expect(s.t.meta?.mergeOutput).toBeUndefined();
  });

  it('refuses a call activity without calledElement', async () => {
    const err = await rejection(callFile('', ''));
    expect(err.problems).toEqual([
      { element: 't', type: 'bpmn:CallActivity', message: '<t> has no calledElement: which workflow does it call?' },
    ]);
  });

  it('reads camunda:in source and sourceExpression mappings as the input, and ignores camunda:out and variables="all"', async () => {
    const s = await states(
      callFile(
        '<camunda:in source="repo" target="url" />' +
          '<camunda:in sourceExpression="v${n}" target="label" />' +
          '<camunda:in variables="all" />' +
          '<camunda:out source="result" target="res" />',
      ),
    );
    expect(s.t.invoke).toEqual({
      src: 'workflow:host_doctor',
      input: { url: '=repo', label: '="v" + string(n)' },
    });
  });

  it('adds camunda:in mappings to the input parameters of the call', async () => {
    const s = await states(
      callFile(
        '<camunda:inputOutput><camunda:inputParameter name="dir">/srv</camunda:inputParameter></camunda:inputOutput>' +
          '<camunda:in sourceExpression="${1}" target="depth" />',
      ),
    );
    expect(s.t.invoke!.input).toEqual({ dir: '/srv', depth: 1 });
  });

  it('merges the child output only for <camunda:out variables="all"/>', async () => {
    expect((await states(callFile('<camunda:out variables="all" />'))).t.meta?.mergeOutput).toBe(true);
    expect((await states(callFile('<camunda:out source="a" target="b" />'))).t.meta?.mergeOutput).toBeUndefined();
  });
});

describe('Camunda 7 import of a service task', () => {
  it.each([
    ['camunda:class="org.acme.Deploy"', 'a Java delegate (camunda:class)'],
    ['camunda:delegateExpression="${deployer}"', 'a Java delegate (camunda:delegateExpression)'],
    ['camunda:expression="${deployer.run()}"', 'a Java delegate (camunda:expression)'],
    ['camunda:type="connector"', 'camunda:type="connector" without a camunda:topic'],
    ['camunda:type="external"', 'camunda:type="external" without a camunda:topic'],
    ['camunda:topic="exec.run"', 'no implementation'],
    ['', 'no implementation'],
  ])('refuses a service task with %s, saying it has %s', async (attrs, what) => {
    const err = await rejection(plainFile(`<bpmn:serviceTask id="t" ${attrs} />`));
    expect(err.problems).toEqual([
      {
        element: 't',
        type: 'bpmn:ServiceTask',
        message: `<t> has ${what}: gravity runs external tasks (camunda:type="external" camunda:topic="<task id>")`,
      },
    ]);
  });

  it('names the element in the errors of the codec', () => {
    const el = createModdle(camunda7Dialect.packages).create('bpmn:ServiceTask', { id: 'Task_9' });
    const err = thrown(() => camunda7Dialect.readTask(el, { extensions: () => [] }, 'Task_9'));
    expect(err.details).toEqual({ element: 'Task_9' });
    const callActivity = createModdle(camunda7Dialect.packages).create('bpmn:CallActivity', { id: 'Call_9' });
    const refusal = thrown(() => camunda7Dialect.readTask(callActivity, { extensions: () => [] }, 'Call_9'));
    expect(refusal.message).toBe('<Call_9> has no calledElement: which workflow does it call?');
    expect(refusal.details).toEqual({ element: 'Call_9' });
  });

  const retryFile = (extras: string) =>
    plainFile(
      `<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="exec.run" camunda:asyncBefore="true"><bpmn:extensionElements>${extras}</bpmn:extensionElements></bpmn:serviceTask>`,
    );

  it('reads a failedJobRetryTimeCycle as the retry policy', async () => {
    const s = await states(retryFile('<camunda:failedJobRetryTimeCycle>R3/PT10S</camunda:failedJobRetryTimeCycle>'));
    expect(s.t.meta?.retry).toEqual({ max: 4, backoffMs: 10_000, factor: 1 });
  });

  it('prefers an exact gravity.retry property to the time cycle', async () => {
    const s = await states(
      retryFile(
        '<camunda:properties><camunda:property name="gravity.retry" value="{&quot;max&quot;:2,&quot;backoffMs&quot;:7}" /></camunda:properties>' +
          '<camunda:failedJobRetryTimeCycle>R3/PT10S</camunda:failedJobRetryTimeCycle>',
      ),
    );
    expect(s.t.meta?.retry).toEqual({ max: 2, backoffMs: 7 });
  });
});

describe('Camunda 7 conditions', () => {
  const guard = async (body: string, language?: string) =>
    (await states(gatewayFile(condition(body, language)))).g.always![0].guard;

  it.each([
    ['a JUEL expression', '${x &gt; 3}', undefined, 'x > 3'],
    ['JUEL declared as such (any case)', '${x &gt; 3}', 'JUEL', 'x > 3'],
    ['JUEL declared in lower case', '${x &gt; 3}', 'juel', 'x > 3'],
    ['padded JUEL, trimmed as Camunda does', '  ${ok}  ', undefined, 'ok'],
    ['FEEL with a leading =', '=a = 1', 'feel', 'a = 1'],
    ['FEEL without =', 'a = 1', 'FEEL', 'a = 1'],
  ])('reads %s', async (_what, body, language, expr) => {
    expect(await guard(body, language)).toEqual({ type: 'expr', params: { expr } });
  });

  it.each([
    ['an empty body', '', undefined, '<Flow_c>: empty condition'],
    ['a blank body', '   ', undefined, '<Flow_c>: empty condition'],
    [
      'a script',
      'x &gt; 1',
      'groovy',
      '<Flow_c>: groovy script conditions are not supported (write a ${...} expression)',
    ],
    ['plain text', 'yes', undefined, '<Flow_c>: condition "yes" is not an expression (write it as ${...})'],
  ])('refuses %s on the flow', async (_what, body, language, message) => {
    const err = await rejection(gatewayFile(condition(body, language)));
    expect(err.problems).toEqual([{ element: 'Flow_c', type: 'bpmn:SequenceFlow', message }]);
  });

  it('refuses a condition expression without a body as empty', async () => {
    const err = await rejection(gatewayFile('<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" />'));
    expect(err.problems[0]).toMatchObject({ element: 'Flow_c', message: '<Flow_c>: empty condition' });
    expect(thrown(() => camunda7Dialect.readCondition({}, 'Flow_c')).message).toBe('<Flow_c>: empty condition');
  });

  it('gives the element and the expression with the refusals of the codec', () => {
    expect(thrown(() => camunda7Dialect.readCondition({ body: ' ' }, 'Flow_1')).details).toEqual({
      element: 'Flow_1',
    });
    expect(
      thrown(() => camunda7Dialect.readCondition({ body: 'x > 1', language: 'groovy' }, 'Flow_1')).details,
    ).toEqual({ element: 'Flow_1', expression: 'x > 1' });
    expect(thrown(() => camunda7Dialect.readCondition({ body: 'yes' }, 'Flow_1')).details).toEqual({
      element: 'Flow_1',
      expression: 'yes',
    });
  });
});

describe('Camunda 7 timers', () => {
  it('reads a duration in milliseconds and a JUEL expression from a plain file', async () => {
    expect((await states(timerFile('1500'))).t.after).toEqual({ 1500: 'late' });
    expect((await states(timerFile('${delay * 2}'))).t.after).toEqual({ '=delay * 2': 'late' });
  });

  it('refuses a duration that is neither ISO-8601, milliseconds nor JUEL, naming the boundary event', async () => {
    const err = await rejection(timerFile('soon'));
    expect(err.problems).toEqual([
      {
        element: 'b',
        type: 'bpmn:BoundaryEvent',
        message: '<b>: timer duration "soon" is neither an ISO-8601 duration nor a ${...} expression',
      },
    ]);
  });

  it.each([
    ['1500', '1500'],
    ['1.25', '1.25'],
    ['0', '0'],
    [' 20 ', '20'],
    ['${d}', '=d'],
    [' ${d + 1} ', '=d + 1'],
  ])('reads the body %j as the delay %j', (body, delay) => {
    expect(camunda7Dialect.readDelay(body, 'Timer_1')).toBe(delay);
  });

  it.each(['soon', 'x15', '15x', '15 minutes', '1.', '.5', '1.5.2', '-3'])('refuses the body %j', (body) => {
    const err = thrown(() => camunda7Dialect.readDelay(body, 'Timer_1'));
    expect(err.message).toBe(
      `<Timer_1>: timer duration "${body}" is neither an ISO-8601 duration nor a \${...} expression`,
    );
    expect(err.details).toEqual({ element: 'Timer_1' });
  });

  it('writes a FEEL delay as JUEL and any other delay as it is', async () => {
    expect(camunda7Dialect.writeDelay('=d * 2', 'Timer_1')).toBe('${d * 2}');
    expect(camunda7Dialect.writeDelay('PT5M', 'Timer_1')).toBe('PT5M');
    expect(camunda7Dialect.writeDelay('1500', 'Timer_1')).toBe('1500');
    const byId = await exported(workflow({ id: 'w', steps: wait('pause', '=params.ms + 1') }));
    expect(byId.pause.eventDefinitions[0].timeDuration.body).toBe('${params.ms + 1}');
  });
});
