// Diagrams people can read: every export gravity draws (the catalog, the scenario examples, girofle's scenarios and one
// scenario with every action, in every dialect) passes bpmnlint's recommended rules and camunda-compat with no error and
// no warning, has no edge crossing a shape it does not connect, no band wider than a screen, a name on every flow node
// and conditional flow, and imports back to the same definition (the generated names and merges fold away).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dialectNames, exportBpmn, importBpmn } from '../../bpmn/index.js';
import { MAX_WIDTH } from '../../bpmn/layout.js';
import { readable } from '../../bpmn/labels.js';
import { createModdle, type ModdleElement } from '../../bpmn/moddle.js';
import {
  cleanup,
  decide,
  fail,
  parallel,
  sequence,
  task,
  wait,
  workflow,
  type Definition,
} from '../../engine/index.js';
import { refWords } from '../../workflows/galaxy/expect.js';
import type { Scenario } from '../../workflows/galaxy/scenario.js';
import { catalog } from '../../workflows/index.js';
import { lintBpmn } from '../support/bpmnlint.js';
import { measureDiagram, segmentCrossesRect } from '../support/diagram.js';
import { everything } from '../support/every-action.js';
import { normalized } from './normalize.js';

const root = join(import.meta.dirname, '..', '..');
const scenarioFiles = ['workflows/galaxy/examples', 'workflows/girofle/scenarios'].flatMap((d) =>
  readdirSync(join(root, d))
    .filter((f) => f.endsWith('.scenario.ts'))
    .map((f) => join(d, f)),
);

async function exportsToCheck(): Promise<Array<[string, Definition]>> {
  const out: Array<[string, Definition]> = catalog.map((d) => [d.id, d]);
  for (const f of scenarioFiles)
    out.push([f, ((await import(join(root, f))) as { default: Scenario }).default.definition]);
  out.push(['every action and expectation', everything.definition]);
  return out;
}
const all = await exportsToCheck();

/** Every flow node of a process, at every level, and every sequence flow. */
function elementsOf(container: ModdleElement, out: ModdleElement[] = []): ModdleElement[] {
  for (const e of (container.flowElements ?? []) as ModdleElement[]) {
    out.push(e);
    if (e.$type === 'bpmn:SubProcess') elementsOf(e, out);
  }
  return out;
}

describe('diagrams people can read', () => {
  it('checks a real set of exports: the catalog, every scenario file, and the scenario with every action', () => {
    expect(all.length).toBe(catalog.length + scenarioFiles.length + 1);
    expect(scenarioFiles.length).toBeGreaterThanOrEqual(12);
  });

  describe.each(dialectNames)('in the %s dialect', (dialect) => {
    it.each(all.map(([name]) => name))('%s: lint-clean, no crossing, no band wider than a screen', async (name) => {
      const def = all.find(([n]) => n === name)![1];
      const xml = await exportBpmn(def, { dialect });
      const problems = (await lintBpmn(xml, dialect)).filter((p) => p.category !== 'info');
      expect(problems).toEqual([]);
      const planes = await measureDiagram(xml);
      expect(planes.length).toBe(1);
      for (const p of planes) {
        expect(p.crossings).toEqual([]);
        expect(p.width).toBeLessThanOrEqual(MAX_WIDTH);
        expect(p.shapes).toBeGreaterThan(2);
      }
      // every flow node and every conditional flow is named, and no name is raw FEEL
      const { rootElement } = await createModdle().fromXML(xml);
      const process = (rootElement.rootElements as ModdleElement[]).find((e) => e.$type === 'bpmn:Process')!;
      for (const el of elementsOf(process)) {
        const joins =
          el.$type === 'bpmn:ParallelGateway' || (el.$type === 'bpmn:ExclusiveGateway' && el.outgoing.length < 2);
        const plain = el.$type === 'bpmn:SequenceFlow' && !el.conditionExpression;
        if (joins || plain) continue;
        expect(el.name?.trim(), `${el.$type} <${el.id}> has a name`).toBeTruthy();
        expect(el.name, `${el.$type} <${el.id}> is not named in FEEL`).not.toMatch(/(^|\s)=\S/);
      }
      // and it imports back to the same workflow: the names it made up and the merges it added fold away
      const back = await importBpmn(xml, { dialect });
      expect(normalized(back.definition)).toEqual(normalized(def));
    });
  });

  // shapes the catalog does not have yet: a loop back (an error path to an earlier step), a decision with twelve
  // branches, cleanups nested in cleanups around a parallel split, branches ending by several paths
  const t = (id: string, o: Parameters<typeof task>[3] = {}) => task(id, 'log.info', { message: id }, o);
  const n = { n: { type: 'integer' as const, default: 1 } };
  const shapes: Definition[] = [
    workflow({
      id: 'test:loop',
      params: n,
      steps: sequence(
        t('a'),
        t('b', { onError: { goto: 'a' } }),
        decide('again', [{ when: 'n > 1', then: t('c', { onError: { goto: 'a' } }) }]),
        t('d'),
      ),
    }),
    workflow({
      id: 'test:fan',
      params: n,
      steps: sequence(
        decide(
          'many',
          Array.from({ length: 12 }, (_, i) => ({ when: `n = ${i}`, then: t(`b${i}`) })),
        ),
        t('next_step'),
      ),
    }),
    workflow({
      id: 'test:nested',
      steps: cleanup(
        'outer',
        sequence(
          t('o1'),
          cleanup('inner', sequence(t('i1'), t('i2'), parallel('par', sequence(t('p1'), t('p2')), t('p3'))), t('ic')),
          t('o2'),
        ),
        t('oc'),
      ),
    }),
    workflow({
      id: 'test:branch-ends',
      params: n,
      steps: sequence(
        parallel(
          'fan',
          decide('g', [
            { when: 'n < 0', then: fail('neg', 'negative') },
            { when: 'n = 0', then: t('zero') },
          ]),
          t('slow', { timeout: { ms: 60_000, then: t('late') } }),
          sequence(t('x1'), wait('w', 20), t('x2')),
        ),
        t('fin'),
      ),
    }),
  ];

  it.each(shapes.flatMap((d) => dialectNames.map((dialect) => [d.id, dialect, d] as const)))(
    '%s (%s): lint-clean, no crossing, imports back',
    async (_id, dialect, def) => {
      const xml = await exportBpmn(def, { dialect });
      expect((await lintBpmn(xml, dialect)).filter((p) => p.category !== 'info')).toEqual([]);
      const [plane] = await measureDiagram(xml);
      expect(plane.crossings).toEqual([]);
      expect(plane.width).toBeLessThanOrEqual(MAX_WIDTH);
      expect(normalized((await importBpmn(xml, { dialect })).definition)).toEqual(normalized(def));
    },
  );

  it('wraps a long sequence into bands no wider than a screen, in a linear time', async () => {
    const steps = Array.from({ length: 400 }, (_, i) => task(`s${i}`, 'log.info', { message: `${i}` }));
    const xml = await exportBpmn(workflow({ id: 'test:long', steps: sequence(...steps) }), { dialect: 'camunda7' });
    const [plane] = await measureDiagram(xml);
    expect(plane.width).toBeLessThanOrEqual(MAX_WIDTH);
    expect(plane.height).toBeGreaterThan(40 * 160);
    expect(plane.crossings).toEqual([]);
  });

  it('draws a sub-process expanded, its steps inside its shape', async () => {
    const xml = await exportBpmn(everything.definition, { dialect: 'camunda7' });
    const { rootElement } = await createModdle().fromXML(xml);
    const shapes = new Map<string, { x: number; y: number; width: number; height: number }>();
    for (const s of rootElement.diagrams[0].plane.planeElement as ModdleElement[])
      if (s.$type === 'bpmndi:BPMNShape') shapes.set(s.bpmnElement.id, s.bounds);
    const process = (rootElement.rootElements as ModdleElement[]).find((e) => e.$type === 'bpmn:Process')!;
    const scope = (process.flowElements as ModdleElement[]).find((e) => e.$type === 'bpmn:SubProcess')!;
    const outer = shapes.get(scope.id!)!;
    const inner = (scope.flowElements as ModdleElement[]).filter((e) => e.$type !== 'bpmn:SequenceFlow');
    expect(inner.length).toBeGreaterThan(20);
    for (const e of inner) {
      const b = shapes.get(e.id!)!;
      expect(b.x).toBeGreaterThan(outer.x);
      expect(b.y).toBeGreaterThan(outer.y);
      expect(b.x + b.width).toBeLessThan(outer.x + outer.width);
      expect(b.y + b.height).toBeLessThan(outer.y + outer.height);
    }
  });

  it('enters a step several flows lead to through one merge, and a decision that joins through its own', async () => {
    const def = workflow({
      id: 'test:joins',
      params: { n: { type: 'integer', default: 1 } },
      steps: sequence(
        decide('first', [{ when: 'n > 1', label: 'more than one', then: task('many', 'log.info', { message: 'm' }) }]),
        decide('second', [{ when: 'n > 2', then: fail('too_many', 'too many') }]),
        task('last', 'log.info', { message: 'done' }),
      ),
    });
    const xml = await exportBpmn(def, { dialect: 'camunda7' });
    // first's default flow and many's flow meet at second: a merge before it, so second only forks
    expect(xml).toMatch(/<bpmn:exclusiveGateway id="second_merge">/);
    expect(xml).toMatch(/<bpmn:sequenceFlow id="Flow_second_merge_second" sourceRef="second_merge" targetRef="second"/);
    // the branch's label names its flow; a branch without one shows its condition
    expect(xml).toMatch(/<bpmn:sequenceFlow id="[^"]+" name="more than one" sourceRef="first"/);
    expect(xml).toMatch(/<bpmn:sequenceFlow id="[^"]+" name="n (&gt;|&#62;) 2" sourceRef="second"/);
    expect(xml).toMatch(/<bpmn:exclusiveGateway id="first" name="First\?"/);
    expect((await lintBpmn(xml, 'camunda7')).filter((p) => p.category !== 'info')).toEqual([]);
    const back = (await importBpmn(xml, { dialect: 'camunda7' })).definition;
    expect(Object.keys(back.machine.states)).not.toContain('second_merge');
    expect(back.machine.states.first.always?.[0].description).toBe('more than one');
    expect(back.machine.states.second.always?.[0].description).toBeUndefined();
    expect(normalized(back)).toEqual(normalized(def));
    // exported again, the merge keeps its id
    expect(await exportBpmn(back, { dialect: 'camunda7' })).toBe(xml);
  });

  const shared = workflow({
    id: 'test:shared-error-path',
    steps: sequence(
      task('a', 'log.info', { message: 'a' }, { onError: { goto: 'cleanup' } }),
      task('b', 'log.info', { message: 'b' }, { onError: { goto: 'cleanup' }, title: 'Bee' }),
      task('c', 'log.info', { message: 'c' }, { onError: { goto: 'cleanup' } }),
      task('d', 'log.info', { message: 'd' }),
      task('cleanup', 'log.info', { message: 'clean' }),
    ),
  });

  it.each(dialectNames)(
    'draws steps that share one error path as one scope with one boundary, and imports it as those steps (%s)',
    async (dialect) => {
      const xml = await exportBpmn(shared, { dialect });
      const { rootElement } = await createModdle().fromXML(xml);
      const process = (rootElement.rootElements as ModdleElement[]).find((e) => e.$type === 'bpmn:Process')!;
      const boundaries = elementsOf(process).filter((e) => e.$type === 'bpmn:BoundaryEvent');
      expect(boundaries.map((b) => b.attachedToRef.id)).toEqual(['a_scope']);
      const scope = elementsOf(process).find((e) => e.id === 'a_scope')!;
      expect(scope.$type).toBe('bpmn:SubProcess');
      expect(scope.name).toBe('A … C');
      expect(
        (scope.flowElements as ModdleElement[]).filter((e) => e.$type === 'bpmn:ServiceTask').map((e) => e.id),
      ).toEqual(['a', 'b', 'c']);
      expect((await lintBpmn(xml, dialect)).filter((p) => p.category !== 'info')).toEqual([]);
      expect((await measureDiagram(xml))[0].crossings).toEqual([]);
      const back = (await importBpmn(xml, { dialect })).definition;
      expect(Object.keys(back.machine.states)).not.toContain('a_scope');
      expect(normalized(back)).toEqual(normalized(shared));
      expect(await exportBpmn(back, { dialect })).toBe(xml);
    },
  );

  it('keeps a sub-process a modeler named (or with a step of another error path) as a sub-process', async () => {
    const xml = await exportBpmn(shared, { dialect: 'camunda7' });
    const named = xml.replace(
      '<bpmn:subProcess id="a_scope" name="A … C">',
      '<bpmn:subProcess id="a_scope" name="Deploy">',
    );
    expect(named).not.toBe(xml);
    const states = (await importBpmn(named, { dialect: 'camunda7' })).definition.machine.states;
    expect(Object.keys(states.a_scope?.states ?? {})).toEqual(['a', 'b', 'c', 'a_scope_end']);
    expect(states.a_scope.meta?.title).toBe('Deploy');
    expect(states.a_scope.onError).toBe('cleanup');
    // one step with a timer of its own: not the same as each step with the scope's error path
    const one = exportBpmn(
      workflow({
        id: 'test:one',
        steps: sequence(
          task('a', 'log.info', { message: 'a' }, { onError: { goto: 'z' } }),
          task(
            'b',
            'log.info',
            { message: 'b' },
            { onError: { goto: 'z' }, timeout: { ms: 5000, then: task('late', 'log.info', { message: 'late' }) } },
          ),
          task('z', 'log.info', { message: 'z' }),
        ),
      }),
      { dialect: 'camunda7' },
    );
    expect(await one).not.toContain('<bpmn:subProcess');
  });

  it('keeps a merge gateway a modeler named as a step of its own', async () => {
    const xml = (
      await exportBpmn(
        workflow({
          id: 'test:named-merge',
          params: { n: { type: 'integer', default: 1 } },
          steps: sequence(
            decide('pick', [{ when: 'n > 1', then: task('a', 'log.info', { message: 'a' }) }]),
            task('b', 'log.info', { message: 'b' }),
          ),
        }),
        { dialect: 'camunda7' },
      )
    ).replace('<bpmn:exclusiveGateway id="b_merge">', '<bpmn:exclusiveGateway id="b_merge" name="Together again">');
    expect(xml).toContain('name="Together again"');
    const states = (await importBpmn(xml, { dialect: 'camunda7' })).definition.machine.states;
    expect(states.b_merge?.meta?.title).toBe('Together again');
    expect(states.b_merge?.always).toEqual([{ target: 'b' }]);
  });

  it('keeps a title that differs from the generated name, and drops one equal to it', async () => {
    const def = workflow({
      id: 'test:titles',
      steps: sequence(
        task('clone_repo', 'log.info', { message: 'a' }, { title: 'Clone repo' }),
        task('push_it', 'log.info', { message: 'b' }, { title: 'Push the branch' }),
      ),
    });
    const xml = await exportBpmn(def, { dialect: 'camunda7' });
    expect(xml).toContain('name="Clone repo"');
    const states = (await importBpmn(xml, { dialect: 'camunda7' })).definition.machine.states;
    // the name says exactly what the id says: not kept as a title, exported again as the same name
    expect(states.clone_repo.meta?.title).toBeUndefined();
    expect(states.push_it.meta?.title).toBe('Push the branch');
  });
});

describe('labels', () => {
  it('makes ids readable', () => {
    expect(readable('clone_as_user')).toBe('Clone as user');
    expect(readable('StartEvent_1')).toBe('Start event 1');
    expect(readable('s9_origin-branch.head')).toBe('S9 origin branch head');
    expect(readable('fetchHTTPData')).toBe('Fetch HTTPData');
    expect(readable('___')).toBe('___');
  });

  it('says refs in words in expectation titles, never in FEEL', () => {
    expect(refWords('main')).toBe('main');
    expect(refWords('=defaultBranch')).toBe('default branch');
    expect(refWords('= steps.x.ref')).toBe('ref named by steps.x.ref');
  });
});

describe('the crossing measure', () => {
  it('tells a segment through a shape from one beside it or along its border', () => {
    const r = { x: 100, y: 100, w: 100, h: 80 };
    expect(segmentCrossesRect(50, 140, 250, 140, r)).toBe(true);
    expect(segmentCrossesRect(150, 50, 150, 300, r)).toBe(true);
    expect(segmentCrossesRect(120, 120, 130, 130, r)).toBe(true);
    expect(segmentCrossesRect(50, 90, 250, 90, r)).toBe(false);
    expect(segmentCrossesRect(50, 100, 250, 100, r)).toBe(false);
    expect(segmentCrossesRect(200, 50, 200, 300, r)).toBe(false);
    expect(segmentCrossesRect(50, 140, 100, 140, r)).toBe(false);
    expect(segmentCrossesRect(0, 0, 99, 300, r)).toBe(false);
    expect(segmentCrossesRect(90, 90, 210, 190, r)).toBe(true);
  });

  it('finds an edge drawn through a step it does not connect', async () => {
    const xml = await exportBpmn(
      workflow({
        id: 'test:cross',
        steps: sequence(
          task('a', 'log.info', { message: 'a' }),
          task('b', 'log.info', { message: 'b' }),
          task('c', 'log.info', { message: 'c' }),
        ),
      }),
      { dialect: 'camunda7' },
    );
    expect((await measureDiagram(xml))[0].crossings).toEqual([]);
    // the flow from a to b redrawn on through b into the middle of c crosses c (b is its target: not counted)
    const edge =
      /(<bpmndi:BPMNEdge id="Flow_a_b_di"[^>]*>\s*<di:waypoint x=")([^"]+)(" y="[^"]+" \/>\s*<di:waypoint x=")([^"]+)(")/;
    const c = /<bpmndi:BPMNShape id="c_di"[^>]*>\s*<dc:Bounds x="([^"]+)"/.exec(xml)!;
    const redrawn = xml.replace(edge, (_m, a, x1, b, _x2, e) => `${a}${x1}${b}${Number(c[1]) + 50}${e}`);
    expect(redrawn).not.toBe(xml);
    const crossings = (await measureDiagram(redrawn))[0].crossings;
    expect(crossings.map((x) => [x.flow, x.shape])).toEqual([['Flow_a_b', 'c']]);
  });
});
