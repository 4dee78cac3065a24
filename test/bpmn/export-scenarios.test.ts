// Exports that always work: every scenario (the examples, girofle's, and one that uses every action and every
// expectation, expectFailure included) exports in every dialect and imports back to the same workflow. Generated element
// ids (boundaries, joins, starts, flows) step aside from the states' ids, so no two elements can share one.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dialectNames, exportBpmn, importBpmn } from '../../bpmn/index.js';
import { sequence, task, workflow, type TaskNode } from '../../engine/index.js';
import { scenario, type Scenario } from '../../workflows/galaxy/scenario.js';
import { everything } from '../support/every-action.js';
import { normalized } from './normalize.js';

const root = join(import.meta.dirname, '..', '..');
const files = ['workflows/galaxy/examples', 'workflows/girofle/scenarios'].flatMap((d) =>
  readdirSync(join(root, d))
    .filter((f) => f.endsWith('.scenario.ts'))
    .map((f) => join(d, f)),
);

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
