// Parallel joins that no parallel split opens: the join waits for a token on every incoming flow, a deadlock in BPMN, so import refuses them by the join's id.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryStore, startRun, type Definition } from '../../engine/index.js';
import { exportBpmn, formatProblems, importBpmn, NotExecutableError, validateBpmnFile } from '../../bpmn/index.js';
import { createDefaultRegistry } from '../../tasks/index.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/bpmn/unstructured');
const fixture = (name: string) => join(FIXTURES, name);
const read = (name: string) => readFileSync(fixture(name), 'utf8');
const JOIN_REFUSAL = /^unstructured parallel join: no parallel split of the same level opens the branches it joins/;

/** The line of the element `id` in a fixture, counted from 1. */
const lineOf = (name: string, id: string) =>
  read(name)
    .split('\n')
    .findIndex((l) => l.includes(`id="${id}"`)) + 1;

/** Runs a definition with the default task nodes and returns the steps it went through. */
async function stepsOf(def: Definition, params: Record<string, unknown>): Promise<{ status: string; steps: string[] }> {
  const r = await startRun({ store: createMemoryStore(), registry: createDefaultRegistry(), persist: false }, def, {
    params,
  });
  return { status: r.status, steps: r.steps.map((s) => s.id) };
}

// fixture, the parallel join it must be refused at, what it is, and the steps each run takes once the join is an exclusive merge
const joins = [
  [
    'exclusive-split-parallel-join.bpmn',
    'BothLanes',
    'an exclusive split whose two lanes meet at a parallel join',
    { urgent: ['Fast', 'Report'], normal: ['Slow', 'Report'] },
  ],
  [
    'parallel-join-without-split.bpmn',
    'Join',
    'a task and its timer boundary path meeting at a parallel join',
    { urgent: ['Build'], normal: ['Build'] },
  ],
  [
    'nested-exclusive-split-parallel-join.bpmn',
    'InnerJoin',
    'an exclusive split into a parallel join inside a sub-process',
    { urgent: ['InnerFast'], normal: ['InnerSlow'] },
  ],
] as const;

describe('BPMN import of a parallel join no parallel split opens', () => {
  it.each(joins)('refuses %s at <%s> (%s), and only there', async (name, joinId) => {
    // given a file whose only flaw is its parallel join
    const xml = read(name);
    // when it is imported
    const err = await importBpmn(xml, { source: name }).catch((e: unknown) => e);
    // then it is refused with exactly one problem, naming the join and saying why
    expect(err).toBeInstanceOf(NotExecutableError);
    const { problems, message } = err as NotExecutableError;
    expect(problems).toEqual([
      { element: joinId, type: 'bpmn:ParallelGateway', message: expect.stringMatching(JOIN_REFUSAL) },
    ]);
    expect(message).toContain(
      `${name} is not executable here because:\n  <${joinId}> (bpmn:ParallelGateway): unstructured parallel join: no parallel split of the same level opens the branches it joins`,
    );
  });

  it.each(joins)(
    'imports and runs %s once <%s> is an exclusive merge instead (the join is the only reason it is refused)',
    async (name, _joinId, _what, runs) => {
      // given the same file with its parallel join turned into an exclusive gateway (a merge: the first token goes on)
      const xml = read(name).replaceAll('bpmn:parallelGateway', 'bpmn:exclusiveGateway');
      // when it is imported and run down each lane
      const { definition, warnings } = await importBpmn(xml, { source: name });
      // then it is executable, and each run takes one lane to the end
      expect(warnings).toEqual([]);
      expect(await stepsOf(definition, { urgent: true })).toEqual({ status: 'succeeded', steps: runs.urgent });
      expect(await stepsOf(definition, { urgent: false })).toEqual({ status: 'succeeded', steps: runs.normal });
    },
  );

  it('validates the exclusive split into a parallel join as one problem with the join id, its type and its line', async () => {
    // given the fixture on disk, with every task id known to the default registry
    const file = fixture('exclusive-split-parallel-join.bpmn');
    // when `gravity validate` checks it (in process)
    const { problems, definition } = await validateBpmnFile(file, createDefaultRegistry());
    // then the join is the only problem, at the line that declares it, and no definition comes back
    const line = lineOf('exclusive-split-parallel-join.bpmn', 'BothLanes');
    expect(line).toBeGreaterThan(1);
    expect(problems).toEqual([
      { element: 'BothLanes', type: 'bpmn:ParallelGateway', message: expect.stringMatching(JOIN_REFUSAL), line },
    ]);
    expect(definition).toBeUndefined();
    expect(formatProblems(file, problems)).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${line}: <BothLanes> \\(bpmn:ParallelGateway\\) unstructured parallel join: no parallel split`,
      ),
    );
  });

  it.each(joins.slice(1))('validates %s as one problem at <%s>', async (name, joinId) => {
    const { problems } = await validateBpmnFile(fixture(name), createDefaultRegistry());
    expect(problems).toEqual([
      {
        element: joinId,
        type: 'bpmn:ParallelGateway',
        message: expect.stringMatching(JOIN_REFUSAL),
        line: lineOf(name, joinId),
      },
    ]);
  });
});

describe('BPMN import of a parallel split whose branches do not all reach its join', () => {
  it('refuses a split with two branches that end at a parallel join and one that ends elsewhere, naming the split', async () => {
    // given Fork -> A, B -> Join -> End and Fork -> C -> Elsewhere
    const name = 'parallel-split-one-branch-escapes.bpmn';
    // when it is imported
    const err = await importBpmn(read(name), { source: name }).catch((e: unknown) => e);
    // then the split is refused for the branch that never joins; the join is not run as if it were structured
    expect(err).toBeInstanceOf(NotExecutableError);
    expect((err as NotExecutableError).problems).toEqual([
      {
        element: 'Fork',
        type: 'bpmn:ParallelGateway',
        message:
          'unstructured parallel split: its branches end at Elsewhere without joining; gravity runs parallel branches that meet at one parallel join',
      },
    ]);
  });

  // a branch of a parallel split that holds an exclusive split whose two paths both enter the join gives the join three
  // incoming flows and two tokens per run: a deadlock in BPMN (Camunda and Zeebe wait at the join for ever)
  it('refuses an exclusive split inside a parallel branch whose paths both enter the join, naming the join', async () => {
    const name = 'exclusive-split-inside-parallel-branch.bpmn';
    const err = await importBpmn(read(name), { source: name }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotExecutableError);
    expect((err as NotExecutableError).problems).toEqual([
      {
        element: 'Join',
        type: 'bpmn:ParallelGateway',
        message:
          "unstructured parallel join: it has 3 incoming flows for the 2 branches of Fork, so it would wait forever for a token that never comes; merge each branch's paths with an exclusive gateway before the join",
      },
    ]);
    const { problems } = await validateBpmnFile(fixture(name), createDefaultRegistry());
    expect(problems.map((p) => [p.element, p.line])).toEqual([['Join', lineOf(name, 'Join')]]);
  });

  it('imports the same process once the branch merges its paths with an exclusive gateway, and runs each path', async () => {
    // given the refused fixture with an exclusive merge between the branch's two paths (f7, f8) and the join
    const name = 'exclusive-split-inside-parallel-branch.bpmn';
    const fixed = read(name)
      .replace('id="f7" sourceRef="Fast" targetRef="Join"', 'id="f7" sourceRef="Fast" targetRef="Merge"')
      .replace('id="f8" sourceRef="Slow" targetRef="Join"', 'id="f8" sourceRef="Slow" targetRef="Merge"')
      .replace(
        '</bpmn:process>',
        '<bpmn:exclusiveGateway id="Merge"/><bpmn:sequenceFlow id="f10" sourceRef="Merge" targetRef="Join"/></bpmn:process>',
      );
    // when imported, then it is accepted: the merge folds into the branch's end, its id kept for the next export
    const { definition } = await importBpmn(fixed, { source: name });
    const fork = Object.values(definition.machine.states).find((st) => st.type === 'parallel')!;
    expect(fork.meta?.bpmn).toMatchObject({ merges: { [Object.keys(fork.states!)[1]]: 'Merge' } });
    // and each path runs, with the other branch, to the end
    expect(await stepsOf(definition, { urgent: true })).toEqual({
      status: 'succeeded',
      steps: expect.arrayContaining(['Lint', 'Fast']),
    });
    expect((await stepsOf(definition, { urgent: false })).steps).toEqual(expect.arrayContaining(['Lint', 'Slow']));
    expect((await stepsOf(definition, { urgent: false })).steps).not.toContain('Fast');
  });
});

describe('BPMN import of a parallel split that several paths lead to', () => {
  const svc = (id: string) =>
    `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><gravity:task type="log.info"><gravity:input name="message">"${id}"</gravity:input></gravity:task></bpmn:extensionElements></bpmn:serviceTask>`;
  const flow = (id: string, s: string, t: string, cond?: string) =>
    `<bpmn:sequenceFlow id="${id}" sourceRef="${s}" targetRef="${t}">${cond ? `<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${cond}</bpmn:conditionExpression>` : ''}</bpmn:sequenceFlow>`;
  // Route sends one token to A or B; both lead on to the parallel split Fork, then C and D run in parallel
  const process = (entry: 'direct' | 'merge') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:gravity="https://gravity.kytes.dev/schema/bpmn/1.0" id="Defs" targetNamespace="https://gravity.kytes.dev/tests">
  <bpmn:process id="P" isExecutable="true">
    <bpmn:extensionElements><gravity:workflow id="test:entry"><gravity:param name="fast" type="boolean" default="false" /></gravity:workflow></bpmn:extensionElements>
    <bpmn:startEvent id="S"/><bpmn:exclusiveGateway id="Route" default="toB"/>${svc('A')}${svc('B')}<bpmn:parallelGateway id="Fork"/>${svc('C')}${svc('D')}<bpmn:parallelGateway id="Join"/><bpmn:endEvent id="E"/>
    ${entry === 'merge' ? '<bpmn:exclusiveGateway id="Enter"/>' : ''}
    ${flow('f1', 'S', 'Route')}${flow('toA', 'Route', 'A', 'fast')}${flow('toB', 'Route', 'B')}
    ${entry === 'merge' ? `${flow('f2', 'A', 'Enter')}${flow('f3', 'B', 'Enter')}${flow('f4', 'Enter', 'Fork')}` : `${flow('f2', 'A', 'Fork')}${flow('f3', 'B', 'Fork')}`}
    ${flow('f5', 'Fork', 'C')}${flow('f6', 'Fork', 'D')}${flow('f7', 'C', 'Join')}${flow('f8', 'D', 'Join')}${flow('f9', 'Join', 'E')}
  </bpmn:process>
</bpmn:definitions>`;

  it('refuses a parallel gateway that joins and splits at once, naming it', async () => {
    // Fork has two incoming flows: as a join it waits for a token on each, and Route sends only one
    const err = await importBpmn(process('direct')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotExecutableError);
    expect((err as NotExecutableError).problems).toEqual([
      {
        element: 'Fork',
        type: 'bpmn:ParallelGateway',
        message:
          'a parallel gateway that joins 2 incoming flows and splits at once: it would wait for a token on each incoming flow; enter the split through an exclusive gateway, or join before it',
      },
    ]);
  });

  it('imports the split entered through an exclusive merge, runs either path into both branches, and exports the merge back', async () => {
    // when the paths meet at an exclusive merge first
    const { definition } = await importBpmn(process('merge'));
    // then the merge folds into the split (its id kept), and each path reaches both branches
    expect(definition.machine.states.Fork?.meta?.bpmn).toMatchObject({ entry: 'Enter' });
    expect(Object.keys(definition.machine.states)).not.toContain('Enter');
    expect((await stepsOf(definition, { fast: true })).steps.sort()).toEqual(['A', 'C', 'D']);
    expect((await stepsOf(definition, { fast: false })).steps.sort()).toEqual(['B', 'C', 'D']);
    // and the export writes the merge again under its own id, the only flow into Fork
    const xml = await exportBpmn(definition);
    expect(xml).toMatch(/<bpmn:exclusiveGateway id="Enter"/);
    expect(xml.match(/<bpmn:sequenceFlow id="[^"]+" sourceRef="[^"]+" targetRef="Fork"/g)).toEqual([
      '<bpmn:sequenceFlow id="f4" sourceRef="Enter" targetRef="Fork"',
    ]);
  });
});

describe('BPMN import of a file where two elements share an id', () => {
  it('refuses it naming the id, instead of following a flow to the wrong element', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x"><bpmn:process id="P" isExecutable="true"><bpmn:startEvent id="S"/><bpmn:endEvent id="D"/><bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="D"/></bpmn:process></bpmn:definitions>`;
    const err = await importBpmn(xml).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotExecutableError);
    expect((err as NotExecutableError).problems[0]).toMatchObject({
      element: 'D',
      message:
        'unparsable content <bpmn:endEvent> detected: duplicate ID <D>: two elements share this id, so the flows that name it are ambiguous',
    });
  });
});
