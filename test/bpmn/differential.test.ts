// Differential test: the bpmn-engine / bpmn-elements fixtures inside the gravity subset complete the same tasks, in the same order, in both engines.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  conformanceMappings,
  conformanceOf,
  corpusDir,
  findBpmnFiles,
  subsetVerdict,
  type SubsetVerdict,
} from '../../bpmn/conformance.js';
import { importBpmn } from '../../bpmn/import.js';
import { bpmnEngineRunner, gravityRunner } from '../../bench/bpmn.js';

const FIXTURES = join(corpusDir(fileURLToPath(new URL('../..', import.meta.url))), 'engine-fixtures');
const present = existsSync(FIXTURES);
const verdicts: Array<SubsetVerdict & { name: string; file: string }> = [];
for (const file of present ? findBpmnFiles(FIXTURES) : []) {
  const name = relative(FIXTURES, file);
  verdicts.push({ name, file, ...(await subsetVerdict(file, name)) });
}

/**
 * The engine fixtures gravity executes today: import with every non-service task mapped to a no-op gives a definition the
 * engine's validation accepts (`npm run conformance` lists them). Every other fixture must be refused: when a change makes
 * one executable, add it here; when a listed one is refused, that is a regression.
 */
const EXECUTABLE = [
  'bpmn-elements/data-store-reference.bpmn',
  'bpmn-elements/engine-issue-180.bpmn',
  'bpmn-elements/two-executable-processes.bpmn',
  'bpmn-engine/bound-error-and-timer.bpmn',
  'bpmn-engine/bound-error.bpmn',
  'bpmn-engine/call-activity.bpmn',
  'bpmn-engine/issue-139.bpmn',
  'bpmn-engine/lanes.bpmn',
  'bpmn-engine/messaging.bpmn',
  'bpmn-engine/send-signal.bpmn',
  'bpmn-engine/service-task-io.bpmn',
  'bpmn-engine/service-task.bpmn',
  'bpmn-engine/sub-process.bpmn',
  'bpmn-engine/task-with-multi-instance-loop.bpmn',
  'bpmn-engine/timer-event.bpmn',
];
/** The executable fixtures inside the behavioural subset: they run in both engines and must complete the same tasks. */
const COMPARED = [
  'bpmn-elements/data-store-reference.bpmn',
  'bpmn-elements/engine-issue-180.bpmn',
  'bpmn-elements/two-executable-processes.bpmn',
  'bpmn-engine/issue-139.bpmn',
  'bpmn-engine/lanes.bpmn',
  'bpmn-engine/messaging.bpmn',
  'bpmn-engine/service-task-io.bpmn',
  'bpmn-engine/service-task.bpmn',
  'bpmn-engine/timer-event.bpmn',
];
/** The executable fixtures outside the subset, and why they cannot be compared. */
const NOT_COMPARED: Record<string, RegExp> = {
  'bpmn-engine/bound-error-and-timer.bpmn':
    /^<scriptTask> \(bpmn:ScriptTask\): its JavaScript decides the outcome and gravity never runs scripts$/,
  'bpmn-engine/bound-error.bpmn':
    /^<scriptTask> \(bpmn:ScriptTask\): its JavaScript decides the outcome and gravity never runs scripts$/,
  'bpmn-engine/call-activity.bpmn':
    /^<call-activity> \(bpmn:CallActivity\): calls called-process, which gravity looks up in its workflow catalog, not in the file$/,
  // its signal carries ${environment.output.spotPrice}, which reads bpmn-engine's own state
  'bpmn-engine/send-signal.bpmn':
    /^an imported input or condition reads bpmn-elements' environment\/content: environment\./,
  'bpmn-engine/sub-process.bpmn':
    /^<subScriptTask> \(bpmn:ScriptTask\): its JavaScript decides the outcome and gravity never runs scripts$/,
  // its script increments a variable, and its completionCondition asks bpmn-engine's services.loopCondition
  'bpmn-engine/task-with-multi-instance-loop.bpmn':
    /^<recurring> \(bpmn:ScriptTask\): its JavaScript decides the outcome and gravity never runs scripts$/,
};
const ADD_IT =
  'add it to EXECUTABLE in test/bpmn/differential.test.ts (npm run conformance lists the executable files)';

const byName = new Map(verdicts.map((v) => [v.name, v]));
const compared = verdicts.filter((v) => COMPARED.includes(v.name));
const notCompared = verdicts.filter((v) => EXECUTABLE.includes(v.name) && !COMPARED.includes(v.name));
const refused = verdicts.filter((v) => !EXECUTABLE.includes(v.name));

describe('the engine fixtures', () => {
  it('are in the repository (corpus/engine-fixtures, or GRAVITY_CORPUS)', () => {
    if (!present)
      throw new Error(
        `engine fixtures not found at ${FIXTURES}: the repository holds them in corpus/engine-fixtures (or set GRAVITY_CORPUS=<dir holding engine-fixtures/>)`,
      );
    expect(verdicts.length).toBeGreaterThanOrEqual(42);
  });

  it.runIf(present)(
    'list only fixtures of the corpus: COMPARED within EXECUTABLE, every other executable one in NOT_COMPARED',
    () => {
      expect(
        EXECUTABLE.filter((n) => !byName.has(n)),
        'EXECUTABLE names fixtures the corpus does not hold',
      ).toEqual([]);
      expect(
        COMPARED.filter((n) => !EXECUTABLE.includes(n)),
        'COMPARED names fixtures missing from EXECUTABLE',
      ).toEqual([]);
      expect(Object.keys(NOT_COMPARED).sort()).toEqual(EXECUTABLE.filter((n) => !COMPARED.includes(n)).sort());
    },
  );

  it.runIf(present)('compare exactly the fixtures in COMPARED, and every other one says why not', () => {
    // the list of fixtures not compared, for the test log
    const inside = verdicts.filter((v) => v.definition);
    const outside = verdicts.filter((v) => !v.definition);
    console.log(
      `differential: ${inside.length} of ${verdicts.length} fixtures compared: ${inside.map((v) => v.name).join(', ')}`,
    );
    console.log(
      `not compared (${outside.length}):\n${outside.map((v) => `  ${v.name}: outside the subset: ${v.reason}`).join('\n')}`,
    );
    expect(
      inside.map((v) => v.name),
      'the fixtures inside the gravity subset changed: update COMPARED (and EXECUTABLE)',
    ).toEqual([...COMPARED].sort());
    for (const v of outside) expect(v.reason, v.name).toBeTruthy();
  });
});

describe.runIf(compared.length > 0)('fixtures inside the gravity subset', () => {
  it.each(compared)('$name completes the same tasks in the same order in bpmn-engine 25 and in gravity', async (v) => {
    // given a fixture listed in COMPARED, inside the subset, in both engines, every task a no-op (user/receive tasks signalled at once in bpmn-engine)
    expect(v.definition, `${v.name} is listed in COMPARED but is outside the subset now: ${v.reason}`).toBeDefined();
    const inBpmnEngine = await bpmnEngineRunner(v.xml, v.processId!);
    const inGravity = gravityRunner(v.definition!);
    // when one instance runs in each
    const expected = await inBpmnEngine();
    const actual = await inGravity();
    // then both end the same way and complete the same task-like activities, in the same order
    expect(expected.status).toBe('succeeded');
    expect(actual.status).toBe(expected.status);
    expect(actual.tasks).toEqual(expected.tasks);
    expect(actual.ran).toEqual(actual.tasks);
    expect(actual.tasks.length).toBeGreaterThan(0);
  });
});

describe.runIf(notCompared.length > 0)('executable fixtures outside the gravity subset', () => {
  it.each(notCompared)('$name is executable but not compared: $reason', async (v) => {
    // given a fixture listed in EXECUTABLE but not in COMPARED
    // when conformance checks it
    const row = await conformanceOf(v.file, v.name);
    // then gravity executes it, and the subset verdict says why bpmn-engine cannot be compared with it
    expect(row, `${v.name} is listed in EXECUTABLE but is not executable now: ${row.reason}`).toMatchObject({
      imported: true,
      executable: true,
    });
    expect(v.definition).toBeUndefined();
    expect(v.reason).toMatch(NOT_COMPARED[v.name]);
  });
});

describe.runIf(refused.length > 0)('fixtures gravity refuses', () => {
  it.each(refused)('$name is refused: $reason', async (v) => {
    // given a fixture not listed in EXECUTABLE
    // when conformance checks it
    const row = await conformanceOf(v.file, v.name);
    // then it is not executable (one that became executable must be listed), and outside the subset for the same reason
    expect(row.executable, `${v.name} is executable now: ${ADD_IT}`).toBe(false);
    expect(EXECUTABLE).not.toContain(v.name);
    expect(v.definition).toBeUndefined();
    // a reason names the element (id and BPMN type) that puts the fixture outside, and it is the first reason conformance gives
    expect(v.reason).toMatch(/^<[^>]+> \(bpmn:\w+\): /);
    expect(v.xml).toContain(`"${/^<([^>]+)>/.exec(v.reason!)![1]}"`);
    expect(
      row.reason?.startsWith(v.reason!.replace(/ \(\+\d+ more\)$/, '')),
      `conformance gives another reason: ${row.reason}`,
    ).toBe(true);
  });
});

describe('a model that waits', () => {
  it('completes the same tasks in both engines, each wait answered at once (bpmn-engine signals it, gravity answers the parked run)', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <message id="m1" name="approved" />
  <process id="p" isExecutable="true">
    <startEvent id="s" /><sequenceFlow id="f1" sourceRef="s" targetRef="a" />
    <task id="a" /><sequenceFlow id="f2" sourceRef="a" targetRef="c" />
    <intermediateCatchEvent id="c"><messageEventDefinition messageRef="m1" /></intermediateCatchEvent>
    <sequenceFlow id="f3" sourceRef="c" targetRef="b" />
    <task id="b" /><sequenceFlow id="f4" sourceRef="b" targetRef="e" /><endEvent id="e" />
  </process>
</definitions>`;
    const { definition } = await importBpmn(xml, { mappings: conformanceMappings() });
    expect(JSON.stringify(definition.machine)).toContain('"gravity.message"');
    const expected = await (await bpmnEngineRunner(xml, 'p'))();
    const actual = await gravityRunner(definition)();
    expect(expected).toMatchObject({ status: 'succeeded', tasks: ['a', 'b'] });
    expect(actual.status).toBe('succeeded');
    expect(actual.tasks).toEqual(expected.tasks);
  });
});

describe('a model with an error event sub-process', () => {
  it('completes the same tasks in both engines: an error end event interrupts the process and the event sub-process runs', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <error id="oops" errorCode="OOPS" />
  <process id="p" isExecutable="true">
    <startEvent id="s" /><sequenceFlow id="f1" sourceRef="s" targetRef="a" />
    <task id="a" /><sequenceFlow id="f2" sourceRef="a" targetRef="e" />
    <endEvent id="e"><errorEventDefinition errorRef="oops" /></endEvent>
    <subProcess id="handler" triggeredByEvent="true">
      <startEvent id="hs"><errorEventDefinition errorRef="oops" /></startEvent>
      <sequenceFlow id="h1" sourceRef="hs" targetRef="h" />
      <task id="h" /><sequenceFlow id="h2" sourceRef="h" targetRef="he" /><endEvent id="he" />
    </subProcess>
  </process>
</definitions>`;
    const { definition } = await importBpmn(xml, { mappings: conformanceMappings() });
    const expected = await (await bpmnEngineRunner(xml, 'p'))();
    const actual = await gravityRunner(definition)();
    expect(expected).toMatchObject({ status: 'succeeded', tasks: ['a', 'h'] });
    expect(actual.status).toBe('succeeded');
    expect(actual.tasks).toEqual(expected.tasks);
  });
});
