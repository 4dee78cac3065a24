// Where BPMN files of other modelers rely on what Camunda 7 and bpmn-engine do: a flow out of an exclusive gateway
// without a condition counts as true (the first such flow in document order is taken), and a message start event
// starts the run like a plain one; both with a warning naming the element, and the message start kept on export.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { dialectNames, exportBpmn, importBpmn } from '../../bpmn/index.js';
import {
  createJsonStore,
  createMemoryStore,
  createRegistry,
  defineTask,
  resumeRun,
  RunStatus,
  startRun,
} from '../../engine/index.js';

const file = (gateway: string, start = '<bpmn:startEvent id="start" />') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="x">
  <bpmn:message id="m1" name="order-in" />
  <bpmn:process id="p" isExecutable="true">
    ${start}
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw" />
    ${gateway}
    <bpmn:serviceTask id="a" camunda:type="external" camunda:topic="test.mark"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="value">a</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:serviceTask id="b" camunda:type="external" camunda:topic="test.mark"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="value">b</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:serviceTask id="c" camunda:type="external" camunda:topic="test.mark"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="value">c</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="ea" sourceRef="a" targetRef="end" />
    <bpmn:sequenceFlow id="eb" sourceRef="b" targetRef="end2" />
    <bpmn:endEvent id="end2" />
    <bpmn:sequenceFlow id="ec" sourceRef="c" targetRef="end3" />
    <bpmn:endEvent id="end3" />
  </bpmn:process>
</bpmn:definitions>`;

/** The task the files' service tasks run: it records the value it is given. */
function markTask() {
  const marks: unknown[] = [];
  const mark = defineTask({
    id: 'test.mark',
    title: 'Mark',
    input: z.object({ value: z.string() }),
    output: z.object({}),
    async run({ input }) {
      marks.push(input.value);
      return {};
    },
  });
  return { mark, marks };
}

async function run(xml: string, params: Record<string, unknown> = {}) {
  const { mark, marks } = markTask();
  const { definition, warnings } = await importBpmn(xml);
  const r = await startRun({ store: createMemoryStore(), registry: createRegistry(mark), persist: false }, definition, {
    params,
  });
  return { r, marks, warnings, definition };
}

describe('a flow out of an exclusive gateway without a condition', () => {
  const gateway = (flows: string) => `<bpmn:exclusiveGateway id="gw" default="fc" />${flows}
    <bpmn:sequenceFlow id="fc" sourceRef="gw" targetRef="c" />`;

  it('counts as true: the first such flow in document order is taken, and the import says so', async () => {
    const xml = file(
      gateway(`<bpmn:sequenceFlow id="f1" name="yes" sourceRef="gw" targetRef="a" />
    <bpmn:sequenceFlow id="f2" name="no" sourceRef="gw" targetRef="b" />`),
    );
    const { r, marks, warnings } = await run(xml);
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(marks).toEqual(['a']);
    expect(warnings.filter((w) => /has no condition/.test(w.message)).map((w) => w.element)).toEqual(['f1', 'f2']);
    expect(warnings[0].message).toMatch(/counts as true \(as in Camunda 7 and bpmn-engine\)/);
  });

  it('is taken only when no conditional flow before it holds', async () => {
    const xml = file(
      gateway(`<bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="a"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\${n &gt; 1}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="b" />`),
    );
    expect((await run(xml, { n: 5 })).marks).toEqual(['a']);
    expect((await run(xml, { n: 0 })).marks).toEqual(['b']);
  });
});

describe('a message start event', () => {
  const cond = (id: string, target: string, n: number) =>
    `<bpmn:sequenceFlow id="${id}" sourceRef="gw" targetRef="${target}"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\${n == ${n}}</bpmn:conditionExpression></bpmn:sequenceFlow>`;
  const plain = `<bpmn:exclusiveGateway id="gw" default="fc" />${cond('f1', 'a', 1)}${cond('f2', 'b', 2)}
    <bpmn:sequenceFlow id="fc" sourceRef="gw" targetRef="c" />`;
  const messageStart = '<bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="m1" /></bpmn:startEvent>';

  it('starts the run like a plain start event, with a warning naming it', async () => {
    const { r, marks, warnings } = await run(file(plain, messageStart), { n: 2 });
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(marks).toEqual(['b']);
    expect(warnings).toContainEqual(
      expect.objectContaining({ element: 'start', message: expect.stringMatching(/^message start event/) }),
    );
  });

  it.each(dialectNames)(
    'is written back with its message on export (%s), and imports to the same definition',
    async (dialect) => {
      const { definition } = await importBpmn(file(plain, messageStart));
      const xml = await exportBpmn(definition, { dialect });
      expect(xml).toMatch(
        /<bpmn:startEvent id="start"[^>]*>[\s\S]*?<bpmn:messageEventDefinition [^>]*messageRef="Message_order-in"/,
      );
      expect(xml).toMatch(/<bpmn:message id="Message_order-in" name="order-in" \/>/);
      const back = (await importBpmn(xml, { dialect })).definition;
      expect(back.meta?.bpmn).toMatchObject({ startMessage: 'order-in' });
      expect(await exportBpmn(back, { dialect })).toBe(xml);
    },
  );

  it('a plain start event stays plain on export', async () => {
    const { definition } = await importBpmn(file(plain));
    expect(await exportBpmn(definition, { dialect: 'camunda7' })).not.toContain('messageEventDefinition');
  });

  it('other kinds of start event are still refused, naming the element', async () => {
    const timerStart =
      '<bpmn:startEvent id="start"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>';
    await expect(importBpmn(file(plain, timerStart))).rejects.toThrow(
      /<start> \(bpmn:StartEvent\): bpmn:TimerEventDefinition start events are not supported/,
    );
  });
});

describe('a multi-instance activity with a loopCardinality alone', () => {
  const counted = (cardinality: string, sequential = true) =>
    `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="each" />
    <bpmn:serviceTask id="each" camunda:type="external" camunda:topic="test.mark">
      <bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="value">\${loopCounter}</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics isSequential="${sequential}"><bpmn:loopCardinality>${cardinality}</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f1" sourceRef="each" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

  it('runs as many times as the count says, with loopCounter 0..n-1', async () => {
    const { r, marks } = await run(counted('3').replace('${loopCounter}', 'x${loopCounter}'));
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(marks).toEqual(['x0', 'x1', 'x2']);
  });

  it('takes the count from an expression, zero included', async () => {
    const xml = counted('${n}').replace('${loopCounter}', 'i${loopCounter}');
    expect((await run(xml, { n: 2 })).marks).toEqual(['i0', 'i1']);
    expect((await run(xml, { n: 0 })).marks).toEqual([]);
  });

  it.each(dialectNames)('is written back as the same loopCardinality (%s)', async (dialect) => {
    const { definition } = await importBpmn(counted('${n}'));
    const xml = await exportBpmn(definition, { dialect });
    expect(xml).toMatch(
      /<bpmn:multiInstanceLoopCharacteristics isSequential="true">\s*<bpmn:loopCardinality[^>]*>\$\{n\}<\/bpmn:loopCardinality>/,
    );
    expect(xml).not.toMatch(/camunda:collection|inputCollection/);
  });
});

describe('implicit starts and ends (BPMN)', () => {
  const task = (id: string) =>
    `<bpmn:serviceTask id="${id}" camunda:type="external" camunda:topic="test.mark"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="value">${id}</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>`;
  const process = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;

  it('a sub-process without a start event begins with the one element no flow enters; an activity no flow leaves ends it', async () => {
    const xml = process(`
      <bpmn:startEvent id="start" />
      <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="sub" />
      <bpmn:subProcess id="sub">
        ${task('a')}
        <bpmn:sequenceFlow id="s1" sourceRef="a" targetRef="b" />
        ${task('b')}
      </bpmn:subProcess>
      <bpmn:sequenceFlow id="f1" sourceRef="sub" targetRef="c" />
      ${task('c')}`);
    const { r, marks, warnings, definition } = await run(xml);
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(marks).toEqual(['a', 'b', 'c']);
    expect(warnings.map((w) => [w.element, w.message])).toEqual(
      expect.arrayContaining([
        ['sub', expect.stringMatching(/has no start event: it begins with <a>/)],
        ['b', expect.stringMatching(/no flow leaves it: it ends its process or sub-process/)],
        ['c', expect.stringMatching(/no flow leaves it/)],
      ]),
    );
    // export writes the start and the ends it implied; that file imports without warnings about them
    const again = await importBpmn(await exportBpmn(definition, { dialect: 'camunda7' }));
    expect(again.warnings.filter((w) => /start event|no flow leaves/.test(w.message))).toEqual([]);
  });

  it('a sub-process whose elements several flows could start from is refused, naming them', async () => {
    const xml = process(`
      <bpmn:startEvent id="start" />
      <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="sub" />
      <bpmn:subProcess id="sub">${task('a')}${task('b')}</bpmn:subProcess>
      <bpmn:sequenceFlow id="f1" sourceRef="sub" targetRef="end" />
      <bpmn:endEvent id="end" />`);
    await expect(importBpmn(xml)).rejects.toThrow(
      /<sub> \(bpmn:SubProcess\): has no start event and 2 elements no flow enters \(a, b\): they would start at once/,
    );
  });
});

describe('an event-based gateway between a message and a timer', () => {
  const raced = (extra = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="x">
  <bpmn:message id="m1" name="deploy-done" />
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw" />
    <bpmn:eventBasedGateway id="gw" />
    <bpmn:sequenceFlow id="g1" sourceRef="gw" targetRef="got" />
    <bpmn:intermediateCatchEvent id="got"><bpmn:messageEventDefinition messageRef="m1" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="g2" sourceRef="gw" targetRef="late" />
    <bpmn:intermediateCatchEvent id="late"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1.5S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="ga" sourceRef="got" targetRef="a" />
    <bpmn:sequenceFlow id="gb" sourceRef="late" targetRef="b" />
    <bpmn:serviceTask id="a" camunda:type="external" camunda:topic="test.mark"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="value">a</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:serviceTask id="b" camunda:type="external" camunda:topic="test.mark"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="value">b</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="ea" sourceRef="a" targetRef="end" /><bpmn:sequenceFlow id="eb" sourceRef="b" targetRef="end" />
    <bpmn:endEvent id="end" />${extra}
  </bpmn:process>
</bpmn:definitions>`;

  async function persistent() {
    const dir = await mkdtemp(join(tmpdir(), 'gravity-race-'));
    const store = await createJsonStore(dir);
    const { mark, marks } = markTask();
    return {
      engine: { store, registry: createRegistry(mark) },
      marks,
      done: async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }

  it('is the message wait with the timer as its timeout: the message takes its path', async () => {
    const { definition, warnings } = await importBpmn(raced());
    expect(warnings).toContainEqual(
      expect.objectContaining({
        element: 'gw',
        message: expect.stringMatching(/runs as the message wait <got> with the timer <late> as its timeout/),
      }),
    );
    expect(definition.machine.states.got).toMatchObject({
      invoke: { src: 'gravity.message', input: { name: 'deploy-done' } },
      after: { 1500: 'b' },
    });
    const p = await persistent();
    try {
      const r = await startRun(p.engine, definition, { params: {} });
      expect(r.status).toBe(RunStatus.Waiting);
      const done = await resumeRun(p.engine, r.runId, { answer: { kind: 'message', name: 'deploy-done' } });
      expect(done.status).toBe(RunStatus.Succeeded);
      expect(p.marks).toEqual(['a']);
    } finally {
      await p.done();
    }
  });

  it('takes the timer path when nothing came in time', async () => {
    const { definition } = await importBpmn(raced());
    const p = await persistent();
    try {
      const r = await startRun(p.engine, definition, { params: {} });
      await new Promise((res) => setTimeout(res, Math.max(0, Date.parse(r.waiting![0].until!) - Date.now()) + 50));
      const done = await resumeRun(p.engine, r.runId);
      expect(done.status).toBe(RunStatus.Succeeded);
      expect(p.marks).toEqual(['b']);
    } finally {
      await p.done();
    }
  });

  it.each(dialectNames)(
    'exports as a receive task with a timer boundary that imports to the same definition (%s)',
    async (dialect) => {
      const { definition } = await importBpmn(raced());
      const xml = await exportBpmn(definition, { dialect });
      expect(xml).toMatch(/<bpmn:receiveTask id="got"/);
      expect(xml).toMatch(/<bpmn:boundaryEvent id="[^"]*" [^>]*attachedToRef="got"/);
      const back = (await importBpmn(xml, { dialect })).definition;
      expect(back.machine.states.got.after).toEqual(definition.machine.states.got.after);
      expect(back.machine.states.got.invoke).toEqual(definition.machine.states.got.invoke);
    },
  );
});
