// Readings of BPMN other modelers write that gravity runs the way BPMN engines do, in every dialect: a message wait that
// names no message waits for a message named by its id (bpmn-engine signals it so), a multi-instance completionCondition
// is the for-each's `until`, and an XPath condition (BPMN's default language) that only reads data objects through
// bpmn:getDataObject() is the same test in FEEL. Each imports with a warning where it reads, runs, and round trips.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { dialectNames, exportBpmn, importBpmn, NotExecutableError, type DialectName } from '../../bpmn/index.js';
import { dialectNamed } from '../../bpmn/dialects/index.js';
import { xpathToFeel } from '../../bpmn/xpath-condition.js';
import type { ModdleElement } from '../../bpmn/moddle.js';
import {
  createMemoryStore,
  createRegistry,
  defineTask,
  forEach,
  resumeRun,
  RunStatus,
  startRun,
  task,
  TaskError,
  workflow,
  type Definition,
} from '../../engine/index.js';
import { normalized } from './normalize.js';
import { elementsOf, stateOf } from './waits-support.js';

/** A BPMN file declaring `dialect`'s namespace (so that it is read in that dialect) around `body`. */
const file = (dialect: DialectName, body: string, defs = '') => {
  const d = dialectNamed(dialect);
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:${d.prefix}="${d.namespace}" id="defs" targetNamespace="x"${defs}>
  <bpmn:process id="p" isExecutable="true">
    ${body}
  </bpmn:process>
</bpmn:definitions>`;
};

/** A chain start -> ...elements -> end, each a given element (its id first) joined by flows. */
const chain = (...elements: string[]) => {
  const ids = ['start', ...elements.map((e) => /id="([^"]+)"/.exec(e)![1]), 'end'];
  return [
    '<bpmn:startEvent id="start" />',
    ...elements,
    '<bpmn:endEvent id="end" />',
    ...ids.slice(1).map((id, i) => `<bpmn:sequenceFlow id="f${i}" sourceRef="${ids[i]}" targetRef="${id}" />`),
  ].join('\n    ');
};

/** Plain tasks of these files run this: it records the step it ran as, and fails as the steps in `fail`. */
function markTask(fail: string[] = []) {
  const ran: string[] = [];
  const mark = defineTask({
    id: 'test.mark',
    title: 'Mark',
    input: z.object({}),
    output: z.object({ step: z.string() }),
    idempotent: true,
    async run({ stepId }) {
      ran.push(stepId);
      if (fail.includes(stepId)) throw new TaskError(`${stepId} went wrong`);
      return { step: stepId };
    },
  });
  return { mark, ran };
}

const MAP = { 'bpmn:Task': 'test.mark' };

/** Imports `xml` (plain tasks mapped to test.mark); the definition, its warnings and the dialect it was read in. */
const load = (xml: string) => importBpmn(xml, { mappings: MAP });

/**
 * The normal form of round trips (test/bpmn/normalize.ts), a task's empty input dropped: a mapped task's `{}` comes
 * back from the gravity dialect as no input, which runs the same.
 */
const same = (def: Definition) =>
  JSON.parse(JSON.stringify(normalized(def), (k, v) => (k === 'input' && v && !Object.keys(v).length ? undefined : v)));

/** Exports `def` in `dialect` and imports it back. */
async function roundTrip(def: Definition, dialect: DialectName) {
  const xml = await exportBpmn(def, { dialect });
  const back = await importBpmn(xml, { dialect });
  return { xml, back };
}

describe.each(dialectNames)('a message wait that names no message, in the %s dialect', (dialect) => {
  const xml = file(
    dialect,
    chain(
      '<bpmn:task id="before" />',
      '<bpmn:receiveTask id="wait_docs" />',
      '<bpmn:intermediateCatchEvent id="paid"><bpmn:messageEventDefinition messageRef="nameless" /></bpmn:intermediateCatchEvent>',
      '<bpmn:task id="later" />',
    ),
  ).replace('<bpmn:process', '<bpmn:message id="nameless" />\n  <bpmn:process');

  it('waits for a message named by its id, with a warning naming the element and why', async () => {
    const { definition, warnings, dialect: read } = await load(xml);
    expect(read).toBe(dialect);
    expect(stateOf(definition, 'wait_docs').invoke).toEqual({ src: 'gravity.message', input: { name: 'wait_docs' } });
    expect(stateOf(definition, 'paid').invoke).toEqual({ src: 'gravity.message', input: { name: 'paid' } });
    expect(warnings.filter((w) => w.message.startsWith('waits for message'))).toEqual([
      {
        element: 'wait_docs',
        type: 'bpmn:ReceiveTask',
        message:
          'waits for message "wait_docs": the task names no message (bpmn-engine signals such an element by its id); export writes a bpmn:Message of that name',
      },
      {
        element: 'paid',
        type: 'bpmn:IntermediateCatchEvent',
        message:
          'waits for message "paid": the message it names (<nameless>) has no name (bpmn-engine signals such an element by its id); export writes a bpmn:Message of that name',
      },
    ]);
  });

  it('parks the run at each wait until the message of its id comes', async () => {
    const { definition } = await load(xml);
    const { mark, ran } = markTask();
    const engine = { store: createMemoryStore(), registry: createRegistry(mark) };
    const r = await startRun(engine, definition, { params: {} });
    expect(r.status).toBe(RunStatus.Waiting);
    expect(r.waiting).toEqual([expect.objectContaining({ step: 'wait_docs', kind: 'message', message: 'wait_docs' })]);
    // a message of another name is not the one it waits for
    await expect(resumeRun(engine, r.runId, { answer: { kind: 'message', name: 'paid' } })).rejects.toThrow(
      /wait_docs/,
    );
    const second = await resumeRun(engine, r.runId, { answer: { kind: 'message', name: 'wait_docs' } });
    expect(second.waiting).toEqual([expect.objectContaining({ step: 'paid', message: 'paid' })]);
    const done = await resumeRun(engine, r.runId, { answer: { kind: 'message', name: 'paid' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(ran).toEqual(['before', 'later']);
  });

  it('exports a bpmn:Message of that name, so that the round trip is stable and warns no more', async () => {
    const { definition } = await load(xml);
    const { xml: out, back } = await roundTrip(definition, dialect);
    const els = await elementsOf(out, dialect);
    expect(els.wait_docs.messageRef).toMatchObject({ $type: 'bpmn:Message', name: 'wait_docs' });
    expect(els.paid.messageRef).toMatchObject({ $type: 'bpmn:Message', name: 'paid' });
    expect(same(back.definition)).toEqual(same(definition));
    expect(back.warnings.filter((w) => w.message.startsWith('waits for message'))).toEqual([]);
    expect(await exportBpmn(back.definition, { dialect })).toBe(out);
  });

  it('still refuses a throw event that names no message: a send needs a name to be delivered by', async () => {
    const throwing = file(
      dialect,
      chain('<bpmn:intermediateThrowEvent id="notify"><bpmn:messageEventDefinition /></bpmn:intermediateThrowEvent>'),
    );
    const err = await load(throwing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotExecutableError);
    expect((err as NotExecutableError).problems).toEqual([
      expect.objectContaining({
        element: 'notify',
        message: '<notify> sends a message but names none: give it a messageRef to a bpmn:Message with a name',
      }),
    ]);
  });
});

/** How each dialect writes the completion condition "two items finished" (gravity: FEEL, language feel). */
const COMPLETION: Record<DialectName, string> = {
  gravity:
    '<bpmn:completionCondition xsi:type="bpmn:tFormalExpression" language="feel">nrOfCompletedInstances &gt;= 2</bpmn:completionCondition>',
  camunda7:
    '<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">${nrOfCompletedInstances &gt;= 2}</bpmn:completionCondition>',
  zeebe:
    '<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">=nrOfCompletedInstances &gt;= 2</bpmn:completionCondition>',
};

describe.each(dialectNames)('a multi-instance completionCondition, in the %s dialect', (dialect) => {
  const loop = (sequential: boolean) =>
    `<bpmn:multiInstanceLoopCharacteristics isSequential="${sequential}"><bpmn:loopCardinality>4</bpmn:loopCardinality>${COMPLETION[dialect]}</bpmn:multiInstanceLoopCharacteristics>`;
  const xml = file(dialect, chain(`<bpmn:task id="t">${loop(true)}</bpmn:task>`));

  it("is the for-each's until, in FEEL", async () => {
    const { definition } = await load(xml);
    expect(stateOf(definition, 't').meta?.each).toEqual({
      items: [0, 1, 2, 3],
      index: 'loopCounter',
      until: '=nrOfCompletedInstances >= 2',
    });
  });

  it('runs until it holds: two of the four instances, the others null', async () => {
    const { definition } = await load(xml);
    const { mark, ran } = markTask();
    const r = await startRun(
      { store: createMemoryStore(), registry: createRegistry(mark), persist: false },
      definition,
      {
        params: {},
      },
    );
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(ran).toEqual(['t:0', 't:1']);
    expect(r.steps.find((s) => s.id === 't')?.output).toEqual([{ step: 't:0' }, { step: 't:1' }, null, null]);
  });

  it('is written back as the dialect writes conditions, and the round trip is stable', async () => {
    const { definition } = await load(xml);
    const { xml: out, back } = await roundTrip(definition, dialect);
    const cond = ((await elementsOf(out, dialect)).t.loopCharacteristics as ModdleElement).completionCondition;
    expect({ body: cond.body, language: cond.language }).toEqual(
      {
        gravity: { body: 'nrOfCompletedInstances >= 2', language: 'feel' },
        camunda7: { body: '${nrOfCompletedInstances >= 2}', language: undefined },
        zeebe: { body: '=nrOfCompletedInstances >= 2', language: undefined },
      }[dialect],
    );
    expect(same(back.definition)).toEqual(same(definition));
  });

  it('on a multi-instance sub-process too', async () => {
    const sub = file(
      dialect,
      chain(
        `<bpmn:subProcess id="s">${loop(false)}${chain('<bpmn:task id="inner" />')
          .replace(/id="(start|end|f\d)"/g, 'id="s_$1"')
          .replace(/Ref="(start|end)"/g, 'Ref="s_$1"')}</bpmn:subProcess>`,
      ),
    );
    const { definition } = await load(sub);
    expect(stateOf(definition, 's').meta?.each?.until).toBe('=nrOfCompletedInstances >= 2');
    const { back } = await roundTrip(definition, dialect);
    expect(same(back.definition)).toEqual(same(definition));
  });
});

describe('a for-each with until written by the builder', () => {
  const def = workflow({
    id: 'test:each-until',
    params: { names: { type: 'array' } },
    steps: forEach('greet', '=names', task('hello', 'test.mark', {}), {
      concurrency: 3,
      until: '=nrOfCompletedInstances >= 1 and outputs[1] != null',
    }),
  });

  it.each(dialectNames)('round trips through the %s dialect', async (dialect) => {
    const { back } = await roundTrip(def, dialect);
    expect(stateOf(back.definition, 'greet').meta?.each?.until).toBe(
      '=nrOfCompletedInstances >= 1 and outputs[1] != null',
    );
    expect(same(back.definition)).toEqual(same(def));
  });

  it('refuses a completion condition that is no expression, naming the element', async () => {
    const xml = file(
      'camunda7',
      chain(
        '<bpmn:task id="t"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>2</bpmn:loopCardinality><bpmn:completionCondition xsi:type="bpmn:tFormalExpression">done</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics></bpmn:task>',
      ),
    );
    const err = await load(xml).catch((e: unknown) => e);
    expect((err as NotExecutableError).problems).toEqual([
      expect.objectContaining({
        element: 't',
        message: '<t>: condition "done" is not an expression (write it as ${...})',
      }),
    ]);
  });
});

describe('XPath conditions over data objects', () => {
  it.each([
    ["bpmn:getDataObject('approved')", 'approved'],
    ['bpmn:getDataObject("approved")', 'approved'],
    ["not(bpmn:getDataObject('approved'))", 'not(approved)'],
    ["bpmn:getDataObject('clarified') = 'yes'", 'clarified = "yes"'],
    ["bpmn:getDataObject('amount') >= 100.5", 'amount >= 100.5'],
    ["100 < bpmn:getDataObject('amount')", '100 < amount'],
    ["bpmn:getDataObject('ok') != true()", 'ok != true'],
    [
      "bpmn:getDataObject('a') and (bpmn:getDataObject('b') = 'x' or not(bpmn:getDataObject('c')))",
      'a and (b = "x" or not(c))',
    ],
    ["bpmn:getDataObject('a') or bpmn:getDataObject('b') and bpmn:getDataObject('c') < -1", 'a or b and c < -1'],
  ])('reads %s as the FEEL %s', (xpath, feel) => {
    expect(xpathToFeel(xpath)).toBe(feel);
  });

  it.each([
    'true',
    'approved',
    "bpmn:getDataObject('approved') = bpmn:getDataObject('other')",
    "bpmn:getDataObject('my var')",
    "bpmn:getDataObject('a') + 1 > 2",
    "'yes' = 'yes'",
    "not(bpmn:getDataObject('a')) = 'x'",
    "bpmn:getDataObject('a') and",
    "(bpmn:getDataObject('a')",
    "count(bpmn:getDataObject('a')) > 1",
    "bpmn:getDataObject('a') = 'x' = 'y'",
    "other:getDataObject('a')",
    "bpmn:getDataObject('a') && bpmn:getDataObject('b')",
  ])('does not read %s', (xpath) => {
    expect(xpathToFeel(xpath)).toBeUndefined();
  });

  const gateway = `<bpmn:exclusiveGateway id="gw" default="fc" />
    <bpmn:sequenceFlow id="fa" sourceRef="gw" targetRef="a"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">bpmn:getDataObject('approved') and bpmn:getDataObject('amount') &gt; 100</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fb" sourceRef="gw" targetRef="b"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">not(bpmn:getDataObject('approved'))</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fc" sourceRef="gw" targetRef="c" />
    <bpmn:task id="a" /><bpmn:task id="b" /><bpmn:task id="c" />
    <bpmn:endEvent id="ea" /><bpmn:endEvent id="eb" /><bpmn:endEvent id="ec" />
    <bpmn:sequenceFlow id="fea" sourceRef="a" targetRef="ea" /><bpmn:sequenceFlow id="feb" sourceRef="b" targetRef="eb" /><bpmn:sequenceFlow id="fec" sourceRef="c" targetRef="ec" />`;
  const xmlIn = (dialect: DialectName, defs = '') =>
    file(
      dialect,
      `<bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw" />${gateway}`,
      defs,
    );

  describe.each(dialectNames)('in the %s dialect', (dialect) => {
    it('run as FEEL over the variables of those names, with a warning naming the reading', async () => {
      const { definition, warnings } = await load(xmlIn(dialect));
      expect(stateOf(definition, 'gw').always?.map((b) => b.guard?.params.expr)).toEqual([
        'approved and amount > 100',
        'not(approved)',
        undefined,
      ]);
      expect(warnings.filter((w) => / is XPath /.test(w.message))).toEqual([
        {
          element: 'fa',
          type: 'bpmn:SequenceFlow',
          message:
            "condition \"bpmn:getDataObject('approved') and bpmn:getDataObject('amount') > 100\" is XPath (BPMN's default expression language): it runs as the FEEL condition `approved and amount > 100` (each data object read by bpmn:getDataObject is the variable of its name); export writes that",
        },
        expect.objectContaining({ element: 'fb', message: expect.stringContaining('`not(approved)`') }),
      ]);
      const path = async (params: Record<string, unknown>) => {
        const { mark, ran } = markTask();
        const r = await startRun(
          { store: createMemoryStore(), registry: createRegistry(mark), persist: false },
          definition,
          {
            params,
          },
        );
        expect(r.status).toBe(RunStatus.Succeeded);
        return ran;
      };
      expect(await path({ approved: true, amount: 500 })).toEqual(['a']);
      expect(await path({ approved: false, amount: 500 })).toEqual(['b']);
      expect(await path({ approved: true, amount: 5 })).toEqual(['c']);
    });

    it("are exported in the dialect's own condition syntax, and the round trip is stable", async () => {
      const { definition } = await load(xmlIn(dialect));
      const { xml, back } = await roundTrip(definition, dialect);
      const body = (id: string) =>
        (xml.match(new RegExp(`id="${id}"[^>]*>\\s*<bpmn:conditionExpression[^>]*>([^<]*)<`)) ?? [])[1];
      expect(body('fb')).toBe({ gravity: 'not(approved)', camunda7: '${!approved}', zeebe: '=not(approved)' }[dialect]);
      expect(xml).not.toContain('getDataObject');
      expect(same(back.definition)).toEqual(same(definition));
      expect(back.warnings.filter((w) => / is XPath /.test(w.message))).toEqual([]);
    });
  });

  it('are not read when the condition or the file names another expression language: refused as before', async () => {
    const feelFile = xmlIn('camunda7', ' expressionLanguage="https://www.omg.org/spec/DMN/20191111/FEEL/"');
    const err = await load(feelFile).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotExecutableError);
    expect((err as NotExecutableError).problems.map((p) => p.element)).toEqual(['fa', 'fb']);
    expect((err as NotExecutableError).problems[1].message).toBe(
      '<fb>: condition "not(bpmn:getDataObject(\'approved\'))" is not an expression (write it as ${...})',
    );
    const other = xmlIn('camunda7').replace(
      '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">not(',
      '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="javascript">not(',
    );
    const err2 = await load(other).catch((e: unknown) => e);
    expect((err2 as NotExecutableError).problems).toEqual([
      expect.objectContaining({
        element: 'fb',
        message: expect.stringMatching(/javascript script conditions are not supported/),
      }),
    ]);
  });
});

/** An event sub-process started by an error start event, running the task `h`. */
const handler = (
  id = 'on_error',
  start = '<bpmn:errorEventDefinition />',
) => `<bpmn:subProcess id="${id}" name="Clean up" triggeredByEvent="true">
      <bpmn:startEvent id="${id}_caught">${start}</bpmn:startEvent>
      <bpmn:task id="h" />
      <bpmn:endEvent id="${id}_done" />
      <bpmn:sequenceFlow id="${id}_f1" sourceRef="${id}_caught" targetRef="h" />
      <bpmn:sequenceFlow id="${id}_f2" sourceRef="h" targetRef="${id}_done" />
    </bpmn:subProcess>`;

describe.each(dialectNames)('an error event sub-process, in the %s dialect', (dialect) => {
  const processLevel = file(dialect, `${chain('<bpmn:task id="a" />', '<bpmn:task id="b" />')}\n    ${handler()}`);
  const inner = chain('<bpmn:task id="a" />', '<bpmn:task id="b" />')
    .replace(/id="(start|end|f\d)"/g, 'id="s_$1"')
    .replace(/Ref="(start|end)"/g, 'Ref="s_$1"');
  const subLevel = file(
    dialect,
    chain(`<bpmn:subProcess id="s">${inner}\n    ${handler()}</bpmn:subProcess>`, '<bpmn:task id="later" />'),
  );
  const run = async (xml: string, fail: string[] = []) => {
    const { definition } = await load(xml);
    const { mark, ran } = markTask(fail);
    const r = await startRun(
      { store: createMemoryStore(), registry: createRegistry(mark), persist: false },
      definition,
      {
        params: {},
      },
    );
    return { r, ran };
  };

  it('of a process: the rest of the process is a compound whose error path it is, with a warning', async () => {
    const { definition, warnings } = await load(processLevel);
    expect(definition.machine.initial).toBe('p_body');
    expect(stateOf(definition, 'p_body')).toMatchObject({
      initial: 'a',
      onError: 'on_error',
      onDone: 'p_body_end',
    });
    expect(Object.keys(stateOf(definition, 'p_body').states!)).toEqual(['a', 'b', 'end']);
    expect(stateOf(definition, 'on_error')).toMatchObject({
      initial: 'h',
      onDone: 'on_error_end',
      meta: { title: 'Clean up' },
    });
    expect(warnings.filter((w) => w.element === 'on_error')).toEqual([
      {
        element: 'on_error',
        type: 'bpmn:SubProcess',
        message:
          'an error event sub-process: a failure inside <p> that nothing there handles (whatever its error) interrupts it and runs <on_error>, then <p> ends; export writes the rest of <p> as the sub-process <p_body> with an error boundary leading to <on_error>',
      },
    ]);
  });

  it('of a process: runs only when a step fails, and the run then succeeds', async () => {
    const ok = await run(processLevel);
    expect(ok.r.status).toBe(RunStatus.Succeeded);
    expect(ok.ran).toEqual(['a', 'b']);
    const failed = await run(processLevel, ['a']);
    expect(failed.r.status).toBe(RunStatus.Succeeded);
    expect(failed.ran).toEqual(['a', 'h']);
  });

  it('catches an error end event too', async () => {
    const xml = processLevel.replace(
      '<bpmn:endEvent id="end" />',
      '<bpmn:endEvent id="end"><bpmn:errorEventDefinition /></bpmn:endEvent>',
    );
    const { r, ran } = await run(xml);
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(ran).toEqual(['a', 'b', 'h']);
  });

  it('of a sub-process: a failure inside runs it, then the sub-process ends and the run goes on after it', async () => {
    const { definition } = await load(subLevel);
    expect(stateOf(definition, 's')).toMatchObject({ initial: 's_body', onDone: 'later' });
    expect(stateOf(definition, 's').states!.s_body).toMatchObject({ initial: 'a', onError: 'on_error' });
    const failed = await run(subLevel, ['b']);
    expect(failed.r.status).toBe(RunStatus.Succeeded);
    expect(failed.ran).toEqual(['a', 'b', 'h', 'later']);
    // a failure of the handler itself fails the run
    const both = await run(subLevel, ['b', 'h']);
    expect(both.r.status).toBe(RunStatus.Failed);
    expect(both.ran).toEqual(['a', 'b', 'h']);
  });

  it('is written back as a sub-process with an error boundary, and the round trip is stable', async () => {
    for (const xml of [processLevel, subLevel]) {
      const { definition } = await load(xml);
      const { xml: out, back } = await roundTrip(definition, dialect);
      const els = await elementsOf(out, dialect);
      expect(els.p_body ?? els.s_body).toMatchObject({ $type: 'bpmn:SubProcess', triggeredByEvent: false });
      const boundary = Object.values(els).find(
        (e) => e.$type === 'bpmn:BoundaryEvent' && String((e.attachedToRef as ModdleElement).id).endsWith('_body'),
      )!;
      expect(boundary.eventDefinitions[0].$type).toBe('bpmn:ErrorEventDefinition');
      expect(same(back.definition)).toEqual(same(definition));
      expect(await exportBpmn(back.definition, { dialect })).toBe(out);
    }
  });

  it('refuses an event sub-process started by anything but an error', async () => {
    const timer = file(
      dialect,
      `${chain('<bpmn:task id="a" />')}\n    ${handler('on_timer', '<bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>')}`,
    );
    const err = await load(timer).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotExecutableError);
    expect((err as NotExecutableError).problems).toEqual([
      expect.objectContaining({
        element: 'on_timer',
        message:
          'event sub-processes are not supported, except one started by an interrupting error start event (the error path of its process or sub-process)',
      }),
    ]);
  });
});
