// Zeebe dialect details the broader tests leave open: what export leaves out, how job retries, job types, called
// elements, conditions and timers of plain Zeebe files are read, and the exact refusals.
import { describe, it, expect } from 'vitest';
import { call, sequence, task, workflow, DefinitionError, type Definition } from '../../engine/index.js';
import { exportBpmn } from '../../bpmn/export.js';
import { importBpmn, NotExecutableError } from '../../bpmn/import.js';
import { createModdle, type ModdleElement } from '../../bpmn/moddle.js';
import { zeebeDialect } from '../../bpmn/dialects/zeebe.js';

const NS =
  'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

/** A plain Zeebe file: start -> `element` (id `t`) -> end, and `more` elements next to them. */
const plainFile = (element: string, more = ''): string => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" />
    ${element}
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
    ${more}
  </bpmn:process>
</bpmn:definitions>`;

/** A Zeebe service task `t` with the given extension elements. */
const jobFile = (extensions: string, more = ''): string =>
  plainFile(
    `<bpmn:serviceTask id="t"><bpmn:extensionElements>${extensions}</bpmn:extensionElements></bpmn:serviceTask>`,
    more,
  );
const retriesFile = (retries: string): string =>
  jobFile(`<zeebe:taskDefinition type="exec.run" retries="${retries}" />`);
const callFile = (extensions: string): string =>
  plainFile(
    `<bpmn:callActivity id="t"><bpmn:extensionElements>${extensions}</bpmn:extensionElements></bpmn:callActivity>`,
  );

/** A plain Zeebe file with a gateway whose flow `Flow_c` carries `condition` (a conditionExpression element). */
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
const condition = (body: string): string =>
  `<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${body}</bpmn:conditionExpression>`;

/** A Zeebe job `t` with a timer boundary event whose timeDuration is `body`. */
const timerFile = (body: string): string =>
  jobFile(
    '<zeebe:taskDefinition type="exec.run" />',
    `<bpmn:boundaryEvent id="b" attachedToRef="t">
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">${body}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="late" />
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="late" />`,
  );

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

const states = async (xml: string) => (await importBpmn(xml)).definition.machine.states;

async function exported(def: Definition): Promise<Record<string, ModdleElement>> {
  const xml = await exportBpmn(def, { dialect: 'zeebe' });
  return (await createModdle(zeebeDialect.packages).fromXML(xml)).elementsById;
}
const exts = (el: ModdleElement): ModdleElement[] => (el.extensionElements?.values ?? []) as ModdleElement[];
const extTypes = (el: ModdleElement): string[] => exts(el).map((e) => e.$type);
const ext = (el: ModdleElement, type: string) => exts(el).find((e) => e.$type === type);
const props = (el: ModdleElement): Record<string, unknown> =>
  Object.fromEntries(
    ((ext(el, 'zeebe:Properties')?.properties ?? []) as ModdleElement[]).map((p) => [p.name, JSON.parse(p.value)]),
  );

describe('Zeebe export', () => {
  it('writes a zeebe:versionTag only for a versioned workflow', async () => {
    const plain = await exported(workflow({ id: 'w', steps: task('t', 'fs.touch') }));
    expect(ext(plain.w, 'zeebe:VersionTag')).toBeUndefined();
    const versioned = await exported(workflow({ id: 'w', version: '3.1.0', steps: task('t', 'fs.touch') }));
    expect(ext(versioned.w, 'zeebe:VersionTag')!.value).toBe('3.1.0');
  });

  it('writes a task without input or output with a job definition and no io mapping', async () => {
    const def = workflow({ id: 'w', steps: task('t', 'fs.touch') });
    def.machine.states.t.meta = { mergeOutput: true };
    const byId = await exported(def);
    expect(extTypes(byId.t)).toEqual(['zeebe:TaskDefinition']);
    expect(ext(byId.t, 'zeebe:TaskDefinition')).toMatchObject({ type: 'fs.touch', retries: '1' });
  });

  it('lets the output mappings of a task say it does not merge, with no gravity.mergeOutput property', async () => {
    const byId = await exported(
      workflow({ id: 'w', steps: task('t', 'exec.run', undefined, { outputs: { code: '=output.code' } }) }),
    );
    expect(extTypes(byId.t)).toEqual(['zeebe:TaskDefinition', 'zeebe:IoMapping']);
    expect(props(byId.t)).toEqual({});
  });

  it('calls a child without passing all parent variables, and keeps its variables out unless the call merges', async () => {
    const def = workflow({ id: 'w', steps: sequence(call('apart', 'doctor'), call('merged', 'host:doctor')) });
    def.machine.states.merged.meta = { mergeOutput: true };
    const byId = await exported(def);
    expect(ext(byId.apart, 'zeebe:CalledElement')).toMatchObject({
      processId: 'doctor',
      propagateAllParentVariables: false,
      propagateAllChildVariables: false,
    });
    expect(extTypes(byId.apart)).toEqual(['zeebe:CalledElement']);
    const merged = ext(byId.merged, 'zeebe:CalledElement')!;
    expect(merged).toMatchObject({ processId: 'host_doctor', propagateAllParentVariables: false });
    expect(merged.propagateAllChildVariables).not.toBe(false);
    expect(props(byId.merged)).toEqual({ 'gravity.call': 'host:doctor' });
    const xml = await exportBpmn(def, { dialect: 'zeebe' });
    expect(xml).toContain('propagateAllParentVariables="false"');
    const back = (await importBpmn(xml)).definition.machine.states;
    expect(back.apart.invoke).toEqual({ src: 'workflow:doctor', input: {} });
    expect(back.apart.meta?.mergeOutput).toBeUndefined();
    expect(back.merged.invoke).toEqual({ src: 'workflow:host:doctor', input: {} });
    expect(back.merged.meta?.mergeOutput).toBe(true);
  });
});

describe('Zeebe job retries', () => {
  it.each([
    ['', 3],
    ['  ', 3],
    ['5', 5],
    [' 5 ', 5],
    ['10', 10],
    ['1', 1],
    ['0', 1],
  ])('reads retries=%j as %i attempts', async (retries, max) => {
    const s = await states(retriesFile(retries));
    expect(s.t.meta?.retry).toEqual(max > 1 ? { max } : undefined);
    expect(s.t.meta?.mergeOutput).toBe(true);
  });

  it.each(['=retries', 'three', 'x3', '3x', '2.5', '-1'])('refuses retries=%j, naming the task', async (retries) => {
    const err = await rejection(retriesFile(retries));
    expect(err.problems).toEqual([
      {
        element: 't',
        type: 'bpmn:ServiceTask',
        message: `<t>: retries "${retries}" is not a whole number (retries expressions are not supported)`,
      },
    ]);
  });
});

describe('Zeebe tasks and calls gravity cannot run', () => {
  it.each([
    ['no task definition', '', ' has no zeebe:taskDefinition type: which task node should run it?'],
    [
      'a task definition without type',
      '<zeebe:taskDefinition retries="2" />',
      ' has no zeebe:taskDefinition type: which task node should run it?',
    ],
    [
      'a job type expression',
      '<zeebe:taskDefinition type="=jobType" />',
      ': a job type expression (=jobType) is not supported; name the task node',
    ],
  ])('refuses a service task with %s', async (_what, extensions, message) => {
    const err = await rejection(jobFile(extensions));
    expect(err.problems).toEqual([{ element: 't', type: 'bpmn:ServiceTask', message: `<t>${message}` }]);
  });

  it('runs a job type that merely ends with =', async () => {
    expect((await states(jobFile('<zeebe:taskDefinition type="set=" />'))).t.invoke).toEqual({ src: 'set=' });
  });

  it.each([
    ['no called element', '', 'processId'],
    ['a called element without process id', '<zeebe:calledElement />', 'processId'],
    [
      'a process id expression',
      '<zeebe:calledElement processIdExpression="=child" />',
      'processId (processIdExpression is not supported)',
    ],
  ])('refuses a call activity with %s', async (_what, extensions, what) => {
    const err = await rejection(callFile(extensions));
    expect(err.problems).toEqual([
      {
        element: 't',
        type: 'bpmn:CallActivity',
        message: `<t> has no zeebe:calledElement ${what}: which workflow does it call?`,
      },
    ]);
  });

  it('calls the process of a plain called element', async () => {
    const s = await states(callFile('<zeebe:calledElement processId="host_doctor" />'));
    expect(s.t.invoke).toEqual({ src: 'workflow:host_doctor', input: {} });
    expect(s.t.meta?.mergeOutput).toBe(true);
  });

  it('names the element in the errors of the codec', () => {
    const moddle = createModdle(zeebeDialect.packages);
    const r = { extensions: () => [] };
    for (const [type, id] of [
      ['bpmn:ServiceTask', 'Task_9'],
      ['bpmn:CallActivity', 'Call_9'],
    ]) {
      const err = thrown(() => zeebeDialect.readTask(moddle.create(type, { id }), r, id));
      expect(err.details).toEqual({ element: id });
    }
    const expression = moddle.create('bpmn:ServiceTask', { id: 'Task_8' });
    const td = moddle.create('zeebe:TaskDefinition', { type: '=t' });
    expect(thrown(() => zeebeDialect.readTask(expression, { extensions: () => [td] }, 'Task_8')).details).toEqual({
      element: 'Task_8',
    });
    const retries = moddle.create('zeebe:TaskDefinition', { type: 't', retries: 'x' });
    expect(thrown(() => zeebeDialect.readTask(expression, { extensions: () => [retries] }, 'Task_8')).details).toEqual({
      element: 'Task_8',
    });
  });
});

describe('Zeebe conditions', () => {
  it.each([
    ['=x > 3', 'x > 3'],
    ['x > 3', 'x > 3'],
    ['  =  x > 3  ', 'x > 3'],
    ['= a = 1', 'a = 1'],
  ])('reads the condition %j as %j', async (body, expr) => {
    const s = await states(gatewayFile(condition(body)));
    expect(s.g.always![0].guard).toEqual({ type: 'expr', params: { expr } });
  });

  it.each([
    ['an empty body', condition('')],
    ['a lone =', condition(' = ')],
    ['no body', '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" />'],
  ])('refuses %s as an empty condition, naming the flow', async (_what, xml) => {
    const err = await rejection(gatewayFile(xml));
    expect(err.problems).toEqual([
      { element: 'Flow_c', type: 'bpmn:SequenceFlow', message: '<Flow_c>: empty condition' },
    ]);
  });

  it('reads and writes conditions through the codec', () => {
    const err = thrown(() => zeebeDialect.readCondition({}, 'Flow_1'));
    expect([err.message, err.details]).toEqual(['<Flow_1>: empty condition', { element: 'Flow_1' }]);
    expect(zeebeDialect.writeCondition('a = 1', 'Flow_1')).toEqual({ body: '=a = 1' });
    expect(zeebeDialect.writeCondition('=a = 1', 'Flow_1')).toEqual({ body: '=a = 1' });
  });
});

describe('Zeebe timers', () => {
  it('reads a duration in milliseconds and a FEEL expression from a plain file', async () => {
    expect((await states(timerFile('1500'))).t.after).toEqual({ 1500: 'late' });
    expect((await states(timerFile('=delay * 2'))).t.after).toEqual({ '=delay * 2': 'late' });
  });

  it('refuses a duration that is neither ISO-8601, milliseconds nor FEEL, naming the boundary event', async () => {
    const err = await rejection(timerFile('soon'));
    expect(err.problems).toEqual([
      {
        element: 'b',
        type: 'bpmn:BoundaryEvent',
        message: '<b>: timer duration "soon" is neither an ISO-8601 duration nor a =FEEL expression',
      },
    ]);
  });

  it.each([
    ['1500', '1500'],
    ['1.25', '1.25'],
    [' 20 ', '20'],
    ['=d', '=d'],
    [' =d + 1 ', '=d + 1'],
  ])('reads the body %j as the delay %j', (body, delay) => {
    expect(zeebeDialect.readDelay(body, 'Timer_1')).toBe(delay);
  });

  it.each(['soon', 'x15', '15x', '15 minutes', '1.', '.5', '1.5.2', '-3', '${d}'])('refuses the body %j', (body) => {
    const err = thrown(() => zeebeDialect.readDelay(body, 'Timer_1'));
    expect(err.message).toBe(
      `<Timer_1>: timer duration "${body}" is neither an ISO-8601 duration nor a =FEEL expression`,
    );
    expect(err.details).toEqual({ element: 'Timer_1' });
  });
});
