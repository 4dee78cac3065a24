// Exports that always work: every scenario (the examples, girofle's, and one that uses every action and every
// expectation, expectFailure included) exports in every dialect and imports back to the same workflow. Generated element
// ids (boundaries, joins, starts, flows) step aside from the states' ids, so no two elements can share one.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dialectNames, exportBpmn, importBpmn } from '../../bpmn/index.js';
import { sequence, task, workflow, type TaskNode } from '../../engine/index.js';
import { expect as expectRepo, expectFailure, scenario, type Scenario } from '../../workflows/galaxy/scenario.js';
import { normalized } from './normalize.js';

const root = join(import.meta.dirname, '..', '..');
const files = ['workflows/galaxy/examples', 'workflows/girofle/scenarios'].flatMap((d) =>
  readdirSync(join(root, d))
    .filter((f) => f.endsWith('.scenario.ts'))
    .map((f) => join(d, f)),
);

/** A scenario that uses every action and every expectation of the authoring API. */
const everything = scenario({
  name: 'every action and expectation',
  galaxy: { remotes: { origin: { files: { 'README.md': '# r\n' } } }, actors: { alice: {}, bob: {} } },
  steps: ({ alice, bob, origin, main }) => [
    alice.checkout('feature', { create: true, startPoint: main }),
    alice.commit('feat', { 'a.txt': 'a\n' }, { allowEmpty: false }),
    alice.commit('feat, amended', { 'a.txt': 'a2\n' }, { amend: true }),
    alice.push({ setUpstream: true, branch: 'feature' }),
    bob.fetch({ prune: true }),
    bob.pull({ mode: 'rebase' }),
    bob.merge('origin/feature', { noFf: true, message: 'merge feature' }),
    bob.rebase(main),
    bob.rebaseContinue({ 'a.txt': 'resolved\n' }),
    bob.write({ 'b.txt': 'b\n', 'c.txt': null }),
    bob.tag('v1', { message: 'one' }),
    bob.reset('origin/feature', { mode: 'hard' }),
    bob.reset('HEAD~1'),
    bob.config({ 'pull.rebase': 'true' }),
    bob.hook('pre-commit', '#!/bin/sh\nexit 0\n'),
    origin.hook('pre-receive', '#!/bin/sh\nexit 0\n'),
    alice.pushOrRebase(),
    expectFailure(bob.push() as TaskNode, /rejected/),
    expectRepo(alice).branch(main).toEqual(origin),
    expectRepo(alice).branch('feature').toExist(),
    expectRepo(alice).branch('gone').notToExist(),
    expectRepo(bob).tag('v1').toExist(),
    expectRepo(origin).tag('v0').notToExist(),
    expectRepo(bob).tag('v1').toPointAt('HEAD'),
    expectRepo(alice).file('a.txt').toBe('a\n'),
    expectRepo(alice).file('a.txt').toContain('a'),
    expectRepo(alice).file('a.txt', 'feature').toMatch(/^a/),
    expectRepo(alice).toBeClean(),
    expectRepo(bob).toHaveConflicts(['a.txt']),
    expectRepo(bob).toBeAheadBehind(0, 0),
    expectRepo(bob).commitMessage().toMatch(/merge/),
    expectRepo(bob).toRejectPush(),
  ],
});

async function load(file: string): Promise<Scenario> {
  return ((await import(join(root, file))) as { default: Scenario }).default;
}

describe('every scenario exports and imports back', () => {
  const cases = [...files, 'every action and expectation'].flatMap((f) => dialectNames.map((d) => [f, d] as const));
  it.each(cases)('%s in the %s dialect', async (file, dialect) => {
    const s = file === 'every action and expectation' ? everything : await load(file);
    const xml = await exportBpmn(s.definition, { dialect });
    const ids = [...xml.matchAll(/<bpmn:\w+ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size, 'element ids are unique').toBe(ids.length);
    const { definition } = await importBpmn(xml, { dialect });
    expect(normalized(definition)).toEqual(normalized(s.definition));
  });
});

describe('generated element ids', () => {
  it('step aside from a state whose id they would take, and keep the state its own id', async () => {
    // given a step named like the error boundary of another (`a_error`), and one named like the default start
    const def = workflow({
      id: 'test:ids',
      steps: sequence(
        task(
          'StartEvent_1',
          'log.info',
          { message: 'first' },
          { onError: task('a_error', 'log.info', { message: 'x' }) },
        ),
        task('a', 'log.info', { message: 'a' }, { onError: task('a_error_2', 'log.info', { message: 'y' }) }),
      ),
    });
    for (const dialect of dialectNames) {
      const xml = await exportBpmn(def, { dialect });
      const ids = [...xml.matchAll(/<bpmn:(\w+) id="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
      // the states keep their ids; the boundary of <a> and the start event take the next free ones
      expect(ids).toContain('serviceTask a_error');
      expect(ids).toContain('serviceTask a_error_2');
      expect(ids).toContain('serviceTask StartEvent_1');
      expect(ids).toContain('boundaryEvent a_error_3');
      expect(ids).toContain('startEvent StartEvent_1_2');
      const { definition } = await importBpmn(xml, { dialect });
      expect(normalized(definition)).toEqual(normalized(def));
    }
  });
});
