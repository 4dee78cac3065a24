// Differential test: the bpmn-engine / bpmn-elements fixtures inside the gravity subset complete the same tasks, in the same order, in both engines.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusDir, findBpmnFiles, subsetVerdict, type SubsetVerdict } from '../../bpmn/conformance.js';
import { bpmnEngineRunner, gravityRunner } from '../../bench/bpmn.js';

const FIXTURES = join(corpusDir(fileURLToPath(new URL('../..', import.meta.url))), 'engine-fixtures');
const present = existsSync(FIXTURES);
const verdicts: Array<SubsetVerdict & { name: string }> = [];
for (const file of present ? findBpmnFiles(FIXTURES) : []) {
  const name = relative(FIXTURES, file);
  verdicts.push({ name, ...(await subsetVerdict(file, name)) });
}
const compared = verdicts.filter((v) => v.definition);
const outside = verdicts.filter((v) => !v.definition);

describe('the engine fixtures', () => {
  it('are present beside the repository (../shared/corpus/engine-fixtures, or GRAVITY_CORPUS)', () => {
    if (!present) throw new Error(`engine fixtures not found at ${FIXTURES}: CI checks out shared/ beside the repository; locally set GRAVITY_CORPUS=<dir holding engine-fixtures/>`);
    expect(verdicts.length).toBeGreaterThanOrEqual(42);
  });

  it('include at least one fixture inside the gravity subset, and every other one says why not', () => {
    // the list of fixtures not compared, for the test log
    console.log(`differential: ${compared.length} of ${verdicts.length} fixtures compared: ${compared.map((v) => v.name).join(', ')}`);
    console.log(`not compared (${outside.length}):\n${outside.map((v) => `  ${v.name}: outside the subset: ${v.reason}`).join('\n')}`);
    expect(compared.length).toBeGreaterThanOrEqual(1);
    expect(compared.length + outside.length).toBe(verdicts.length);
  });
});

describe.runIf(outside.length > 0)('fixtures outside the gravity subset', () => {
  it.each(outside)('$name is outside the subset: $reason', (v) => {
    // a reason names the element (or the expression) that puts the fixture outside
    expect(v.reason).toMatch(/<[^>]+> \(bpmn:\w+\)|expression/);
  });
});

describe.runIf(compared.length > 0)('fixtures inside the gravity subset', () => {
  it.each(compared)('$name completes the same tasks in the same order in bpmn-engine 25 and in gravity', async (v) => {
    // given the fixture in both engines, every task a no-op (user/receive tasks signalled at once in bpmn-engine)
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
