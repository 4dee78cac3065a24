// Export -> import round trips for every catalog workflow and every dialect, diagrams kept, other vendors' data preserved.
import { describe, expect, it } from 'vitest';
import {
  call,
  decide,
  fail,
  parallel,
  retry,
  sequence,
  task,
  wait,
  workflow,
  type Definition,
} from '../../engine/index.js';
import { createModdle } from '../../bpmn/moddle.js';
import { dialectNamed, dialectNames, exportBpmn, importBpmn, NotExecutableError } from '../../bpmn/index.js';
import { catalog, findWorkflow } from '../../workflows/index.js';
import { createMemoryStore, startRun } from '../../engine/index.js';
import { createDefaultRegistry } from '../../tasks/index.js';
import { normalize } from './normalize.js';

const featureful: Definition = workflow({
  id: 'test:features',
  title: 'Every builder feature',
  description: 'used by the round-trip tests',
  version: '1.2.0',
  params: {
    n: { type: 'integer', default: 2, description: 'how many' },
    name: { type: 'string', pattern: '^[a-z]+$' },
  },
  steps: sequence(
    retry(
      task(
        'first',
        'log.info',
        { message: '="n is " + string(n)' },
        {
          title: 'Say n',
          documentation: 'the first step',
          outputs: { said: '=output.message' },
          onError: task('recover', 'log.info', { message: 'recovering' }),
        },
      ),
      { max: 3, backoffMs: 100, factor: 2 },
    ),
    decide(
      'size',
      [{ when: 'n > 3 and name != "x"', then: task('big', 'log.info', { message: 'big' }) }],
      task('small', 'log.info', { message: 'small', data: { list: [1, true, null, 'a'], nested: { k: '=name' } } }),
    ),
    parallel(
      'both',
      task('left', 'time.wait', { ms: 5 }, { timeout: { ms: 60_000 } }),
      sequence(task('right', 'time.wait', { ms: 5 }, { timeoutMs: 5000 }), wait('pause', 20)),
    ),
    decide('check', [{ when: 'n < 0', then: fail('negative', 'n must not be negative') }]),
    task('last', 'log.info', { message: '=steps.first.message' }),
  ),
  output: { said: '=said', n: '=n' },
});

/** Parallel branches that end by several paths, a failing end inside a branch, and a split several paths lead to. */
const branchEnds: Definition = workflow({
  id: 'test:branch-ends',
  params: { n: { type: 'integer', default: 2 } },
  steps: sequence(
    decide(
      'route',
      [{ when: 'n > 5', then: task('many', 'log.info', { message: 'many' }) }],
      task('few', 'log.info', { message: 'few' }),
    ),
    parallel(
      'fan',
      decide('guard', [
        { when: 'n < 0', then: fail('negative', 'n must not be negative') },
        { when: 'n = 0', then: task('zero', 'log.info', { message: 'zero' }) },
      ]),
      task(
        'slow',
        'time.wait',
        { ms: 5 },
        { timeout: { ms: 60_000, then: task('late', 'log.info', { message: 'late' }) } },
      ),
    ),
    task('finish', 'log.info', { message: 'finish' }),
  ),
});

/** Params with every option, workflow metadata, and task inputs that are not a map of literals (a whole FEEL input, a list). */
const paramsAndInputs: Definition = {
  ...workflow({
    id: 'test:params-inputs',
    params: {
      env: { type: 'string', required: true, enum: ['dev', 'prod'], description: 'where' },
      size: { type: 'integer', default: 3 },
      label: { type: 'string', default: 'a "quoted" label' },
      tags: { type: 'array', default: ['x', 'y'] },
      dry: { type: 'boolean', required: false },
    },
    steps: sequence(
      task('whole', 'log.info', '={message: "env " + env}'),
      task('listed', 'assert.expr', { expr: 'size > 0', values: [1, 'two', null, { three: 3 }] }),
      call('nested', 'host:doctor', { quiet: true }),
    ),
    output: '=steps.whole',
  }),
  meta: { owner: 'ops', ticket: 1161 },
};

const cases = [...catalog, featureful, branchEnds, paramsAndInputs].flatMap((def) =>
  dialectNames.map((d) => [def.id, d, def] as const),
);

async function parse(xml: string, dialect: string) {
  return createModdle(dialectNamed(dialect).packages).fromXML(xml);
}

function count(xml: string, tag: RegExp): number {
  return (xml.match(tag) ?? []).length;
}

describe('BPMN export and import', () => {
  it.each(cases)(
    'exports %s in the %s dialect with a full diagram and zero parse warnings',
    async (_id, dialect, def) => {
      const xml = await exportBpmn(def, { dialect });
      expect(xml).toMatch(/isExecutable="true"/);
      const { warnings, elementsById } = await parse(xml, dialect);
      expect(warnings).toEqual([]);
      const all = Object.values(elementsById);
      const nodes = all.filter((e) =>
        /^bpmn:(StartEvent|EndEvent|ServiceTask|UserTask|ReceiveTask|SendTask|CallActivity|ExclusiveGateway|ParallelGateway|IntermediateCatchEvent|BoundaryEvent|SubProcess)$/.test(
          e.$type,
        ),
      );
      const flows = all.filter((e) => e.$type === 'bpmn:SequenceFlow');
      expect(count(xml, /<bpmndi:BPMNShape /g)).toBe(nodes.length);
      expect(count(xml, /<bpmndi:BPMNEdge /g)).toBe(flows.length);
      // every flow node and flow is drawn: the shapes and edges reference each element once
      const drawn = all
        .filter((e) => e.$type === 'bpmndi:BPMNShape' || e.$type === 'bpmndi:BPMNEdge')
        .map((e) => e.bpmnElement.id)
        .sort();
      expect(drawn).toEqual([...nodes, ...flows].map((e) => e.id).sort());
    },
  );

  it.each(cases)(
    'gives each parallel join of %s (%s) one incoming flow per branch of its split',
    async (_id, dialect, def) => {
      // a parallel join waits for a token on every incoming flow: a branch entering it by two paths would deadlock it
      const { elementsById } = await parse(await exportBpmn(def, { dialect }), dialect);
      const gateways = Object.values(elementsById).filter((e) => e.$type === 'bpmn:ParallelGateway');
      const splits = gateways.filter((g) => (g.outgoing ?? []).length > 1);
      const joins = gateways.filter((g) => (g.incoming ?? []).length > 1);
      expect(joins.length).toBe(splits.length);
      for (const split of splits) {
        const join = joins.find((j) => j.id === `${split.id}_join`);
        expect(join?.incoming.length, `join of ${split.id}`).toBe(split.outgoing.length);
      }
    },
  );

  it('merges the paths of a parallel branch that ends by a timeout or a decision with an exclusive gateway before the join', async () => {
    // given test:features, whose branch <left> ends by its task or by its interrupting timer
    const xml = await exportBpmn(featureful, { dialect: 'camunda7' });
    const { elementsById } = await parse(xml, 'camunda7');
    // then both paths enter an exclusive merge, which alone enters the join
    const merge = Object.values(elementsById).find(
      (e) =>
        e.$type === 'bpmn:ExclusiveGateway' &&
        (e.incoming ?? []).some((f: { sourceRef: { id: string } }) => f.sourceRef.id === 'left_timer'),
    );
    expect(merge?.incoming.map((f: { sourceRef: { id: string } }) => f.sourceRef.id).sort()).toEqual([
      'left',
      'left_timer',
    ]);
    expect(merge?.outgoing.map((f: { targetRef: { id: string } }) => f.targetRef.id)).toEqual(['both_join']);
    // and the branch with one ending enters the join directly
    expect(elementsById.both_join.incoming.map((f: { sourceRef: { id: string } }) => f.sourceRef.id).sort()).toEqual(
      [merge!.id, 'pause'].sort(),
    );
  });

  it.each(dialectNames)(
    'runs test:branch-ends imported from the %s dialect as the definition runs: the failing end of a branch fails the run',
    async (dialect) => {
      const { definition } = await importBpmn(await exportBpmn(branchEnds, { dialect }), { dialect });
      const engine = { store: createMemoryStore(), registry: createDefaultRegistry(), persist: false };
      const ran = async (n: number) => {
        const r = await startRun(engine, definition, { params: { n } });
        return { status: r.status, steps: r.steps.map((x) => x.id).sort(), error: r.error?.message };
      };
      expect(await ran(7)).toEqual({ status: 'succeeded', steps: ['finish', 'many', 'slow'], error: undefined });
      expect(await ran(0)).toEqual({ status: 'succeeded', steps: ['few', 'finish', 'slow', 'zero'], error: undefined });
      expect(await ran(-1)).toMatchObject({ status: 'failed', error: 'n must not be negative' });
      expect((await ran(-1)).steps).not.toContain('finish');
    },
  );

  it.each(cases)(
    'gives back the same definition for %s through the %s dialect, and stays stable',
    async (_id, dialect, def) => {
      const xml = await exportBpmn(def, { dialect });
      const first = await importBpmn(xml, { dialect });
      expect(first.warnings).toEqual([]);
      expect(normalize(first.definition)).toEqual(normalize(def));
      const again = await importBpmn(await exportBpmn(first.definition, { dialect }), { dialect });
      expect(normalize(again.definition)).toEqual(normalize(first.definition));
    },
  );

  it('writes FEEL that JUEL cannot say as FEEL scripts and conditions in the Camunda 7 dialect', async () => {
    const def = workflow({
      id: 'test:feel-only',
      params: { dir: { type: 'string' } },
      steps: sequence(
        task('stamp', 'log.info', { message: '=replace(dir, "/+$", "") + ".backup"' }),
        decide('many', [{ when: 'count(split(dir, "/")) > 3', then: task('deep', 'log.info', { message: 'deep' }) }]),
      ),
    });
    const xml = await exportBpmn(def, { dialect: 'camunda7' });
    expect(xml).toMatch(
      /<camunda:script scriptFormat="feel">replace\(dir, "\/\+\$", ""\) \+ "\.backup"<\/camunda:script>/,
    );
    expect(xml).toMatch(
      /<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="feel">count\(split\(dir, "\/"\)\) &gt; 3<\/bpmn:conditionExpression>/,
    );
    const back = await importBpmn(xml, { dialect: 'camunda7' });
    expect(normalize(back.definition)).toEqual(normalize(def));
  });

  it('refuses script parameters in other languages: gravity never runs scripts', async () => {
    const xml = (
      await exportBpmn(
        workflow({ id: 'test:js', steps: task('a', 'log.info', { message: '=replace("a", "a", "b")' }) }),
        { dialect: 'camunda7' },
      )
    ).replace('scriptFormat="feel"', 'scriptFormat="javascript"');
    await expect(importBpmn(xml, { dialect: 'camunda7' })).rejects.toThrow(
      /<a>: javascript script parameters are not supported \(gravity never runs scripts/,
    );
  });

  it.each(dialectNames)(
    'writes calls with the called process id (%s) and reads them back as the workflow id',
    async (dialect) => {
      const def = workflow({ id: 'test:caller', steps: call('doctor', 'host:doctor', {}) });
      const xml = await exportBpmn(def, { dialect });
      expect(xml).toMatch(
        dialect === 'zeebe'
          ? /<zeebe:calledElement processId="host_doctor"/
          : /<bpmn:callActivity id="doctor"[^>]* calledElement="host_doctor"/,
      );
      expect((await importBpmn(xml, { dialect })).definition.machine.states.doctor.invoke?.src).toBe(
        'workflow:host:doctor',
      );
      // a file written by another modeler names only the process id: the catalog answers to it too
      expect(findWorkflow('host_doctor')?.id).toBe('host:doctor');
    },
  );

  it('keeps the diagram of an imported file instead of laying it out again', async () => {
    const xml = await exportBpmn(featureful);
    const moved = xml.replace(
      /(<bpmndi:BPMNShape id="[^"]*first[^"]*"[^>]*>\s*<dc:Bounds x=")(\d+)/,
      (_m, a, x) => `${a}${Number(x) + 1234}`,
    );
    expect(moved).not.toBe(xml);
    const { definition } = await importBpmn(moved);
    const out = await exportBpmn(definition);
    const bounds = (s: string) => s.match(/<dc:Bounds [^>]*>/g);
    expect(bounds(out)).toEqual(bounds(moved));
    expect(out).toMatch(/x="\d{4,}"/);
  });

  it("preserves other vendors' attributes and extension elements when re-exported in the gravity dialect", async () => {
    const xml = (await exportBpmn(featureful))
      .replace('<bpmn:definitions ', '<bpmn:definitions xmlns:acme="http://acme.example/bpmn" ')
      .replace('<bpmn:serviceTask id="last"', '<bpmn:serviceTask id="last" acme:owner="ops-team"')
      .replace(
        /(<bpmn:serviceTask id="last"[^>]*>\s*<bpmn:extensionElements>)/,
        '$1<acme:sla hours="4"><acme:escalate>pager</acme:escalate></acme:sla>',
      );
    const { definition, warnings } = await importBpmn(xml);
    expect(warnings).toEqual([]);
    const out = await exportBpmn(definition, { dialect: 'gravity' });
    expect(out).toContain('xmlns:acme="http://acme.example/bpmn"');
    expect(out).toMatch(/<bpmn:serviceTask id="last"[^>]*acme:owner="ops-team"/);
    expect(out).toMatch(/<acme:sla hours="4">\s*<acme:escalate>pager<\/acme:escalate>\s*<\/acme:sla>/);
    expect((await createModdle(dialectNamed('gravity').packages).fromXML(out)).warnings).toEqual([]);
  });
});

const bpmn = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:gravity="https://gravity.kytes.dev/schema/bpmn/1.0" id="D" targetNamespace="t">
  <bpmn:process id="P" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;
const svc = (id: string) =>
  `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><gravity:task type="log.info"><gravity:input name="message">"${id}"</gravity:input></gravity:task></bpmn:extensionElements></bpmn:serviceTask>`;
const flow = (id: string, s: string, t: string) => `<bpmn:sequenceFlow id="${id}" sourceRef="${s}" targetRef="${t}"/>`;

describe('BPMN import refusals', () => {
  // the split check answers here (J1 and J2 have one incoming flow each: they join nothing); the parallel join check is tested in parallel-join.test.ts
  it('refuses an unstructured parallel split whose branches end without joining, naming the split', async () => {
    const xml =
      bpmn(`<bpmn:startEvent id="S"/><bpmn:parallelGateway id="Fork"/>${svc('A')}${svc('B')}<bpmn:parallelGateway id="J1"/><bpmn:parallelGateway id="J2"/><bpmn:endEvent id="E1"/><bpmn:endEvent id="E2"/>
      ${flow('f1', 'S', 'Fork')}${flow('f2', 'Fork', 'A')}${flow('f3', 'Fork', 'B')}${flow('f4', 'A', 'J1')}${flow('f5', 'B', 'J2')}${flow('f6', 'J1', 'E1')}${flow('f7', 'J2', 'E2')}`);
    const err = await importBpmn(xml).catch((e) => e);
    expect(err).toBeInstanceOf(NotExecutableError);
    expect(err.message).toMatch(
      /<Fork> \(bpmn:ParallelGateway\): unstructured parallel split: its branches end at E1, E2 without joining/,
    );
  });

  it('refuses a script task unless mapped, and never runs its script', async () => {
    const xml = bpmn(
      `<bpmn:startEvent id="S"/><bpmn:scriptTask id="Script" scriptFormat="javascript"><bpmn:script>require('fs').writeFileSync('/tmp/pwned','x')</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="E"/>${flow('f1', 'S', 'Script')}${flow('f2', 'Script', 'E')}`,
    );
    await expect(importBpmn(xml)).rejects.toThrow(
      /<Script> \(bpmn:ScriptTask\): gravity runs service tasks only, and user, receive and send tasks as approvals, message waits and sends; map this ScriptTask to a task node with --map Script=<task id> \(its script is never executed\)/,
    );
    const { definition } = await importBpmn(xml, { mappings: { Script: 'log.info' } });
    expect(definition.machine.states.Script.invoke).toEqual({ src: 'log.info', input: {} });
    expect(JSON.stringify(definition)).not.toContain('writeFileSync');
  });

  it('reports Camunda extensions it does not run (listeners) as warnings instead of dropping them silently', async () => {
    const xml = (
      await exportBpmn(workflow({ id: 'test:listen', steps: task('a', 'log.info', { message: 'x' }) }), {
        dialect: 'camunda7',
      })
    ).replace(
      /(<bpmn:serviceTask id="a"[^>]*>\s*<bpmn:extensionElements>)/,
      '$1<camunda:executionListener class="com.acme.Audit" event="start"/>',
    );
    const { warnings } = await importBpmn(xml, { dialect: 'camunda7' });
    expect(warnings).toEqual([
      {
        element: 'a',
        type: 'bpmn:ServiceTask',
        message: 'camunda:ExecutionListener is ignored: gravity does not run it',
      },
    ]);
  });

  it('turns a gateway without default flow into a failing end, with a warning', async () => {
    const cond = (id: string, s: string, t: string, c: string) =>
      `<bpmn:sequenceFlow id="${id}" sourceRef="${s}" targetRef="${t}"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="feel">${c}</bpmn:conditionExpression></bpmn:sequenceFlow>`;
    const xml = bpmn(
      `<bpmn:startEvent id="S"/><bpmn:exclusiveGateway id="G"/>${svc('A')}<bpmn:endEvent id="E"/>${flow('f1', 'S', 'G')}${cond('f2', 'G', 'A', 'x &gt; 1')}${flow('f3', 'A', 'E')}`,
    );
    const { definition, warnings } = await importBpmn(xml);
    expect(warnings).toEqual([
      expect.objectContaining({ element: 'G', message: expect.stringMatching(/missing default flow/) }),
    ]);
    expect(definition.machine.states.G.always).toEqual([
      { target: 'A', guard: { type: 'expr', params: { expr: 'x > 1' } } },
      { target: 'G_nomatch' },
    ]);
    expect(definition.machine.states.G_nomatch.meta?.fail).toBeTruthy();
  });
});

describe('the gravity dialect on bad JSON', () => {
  const def = workflow({
    id: 'test:json',
    params: { size: { type: 'integer', default: 3 } },
    steps: task('a', 'log.info', { message: 'x' }),
  });

  it.each([
    ['a param default', 'default="3"', 'default="{oops"', /^<test_json>: default of param size is not valid JSON: /],
    [
      'a task input',
      '<gravity:input name="message">"x"</gravity:input>',
      '<gravity:input name="message">"x</gravity:input>',
      /<a> \(bpmn:ServiceTask\): <a>: gravity:input message is not valid JSON: /,
    ],
  ])('refuses %s that is not JSON with a coded error naming the element', async (_, from, to, message) => {
    const xml = await exportBpmn(def, { dialect: 'gravity' });
    expect(xml).toContain(from);
    await expect(importBpmn(xml.replace(from, to))).rejects.toMatchObject({
      code: 'INVALID_DEFINITION',
      message: expect.stringMatching(message),
    });
  });
});
