// BPMN files that would exhaust the importer: sub-processes nested thousands deep, and expressions (conditions, input
// mappings) megabytes long or nested thousands deep, in each dialect. Each is refused with the element's id.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createRegistry, defineTask, sequence, task, workflow, type Definition } from '../../engine/index.js';
import { exportBpmn, importBpmn, NotExecutableError, validateBpmnFile } from '../../bpmn/index.js';
import { nestedSubProcessesXml as nestedSubProcesses } from '../support/deep.js';
import { tempDir } from '../support/git-fixtures.js';

const noop = defineTask({
  id: 'test.noop',
  title: 'noop',
  input: z.object({}).passthrough(),
  output: z.object({}),
  run: async () => ({}),
});
const registry = createRegistry(noop);

describe('nested sub-processes', () => {
  it('refuses 10,000 nested sub-processes with the first one past the limit, without a stack overflow', async () => {
    const err = await importBpmn(nestedSubProcesses(10_000), { mappings: { t: 'test.noop' } }).catch((e) => e);
    expect(err).toBeInstanceOf(NotExecutableError);
    expect((err as NotExecutableError).problems).toEqual([
      {
        element: 'sp65',
        type: 'bpmn:SubProcess',
        message:
          'nested 65 levels deep (sub-processes inside sub-processes), more than the limit of 64; the process goes 10000 levels deep; raise GRAVITY_MAX_NESTING',
      },
    ]);
  });

  it('imports 64 levels and refuses 65', async () => {
    const ok = await importBpmn(nestedSubProcesses(64), { mappings: { t: 'test.noop' } });
    expect(ok.definition.machine.states).toHaveProperty('sp1');
    const err = (await importBpmn(nestedSubProcesses(65), { mappings: { t: 'test.noop' } }).catch((e) => e)) as {
      problems: unknown[];
    };
    // no sub-process at level 65: the first element there is named
    expect(err.problems).toEqual([expect.objectContaining({ element: 'st65', type: 'bpmn:StartEvent' })]);
  });
});

/** A workflow with a decision and a step input, exported to `dialect`, with its condition or input replaced. */
async function hostile(dialect: 'gravity' | 'camunda7' | 'zeebe', what: 'condition' | 'input', feel: string) {
  const def: Definition = {
    id: 'hx:dec',
    params: { n: { type: 'integer', default: 1 } },
    machine: {
      initial: 'd',
      states: {
        d: { always: [{ target: 'a', guard: { type: 'expr', params: { expr: 'n > 1' } } }, { target: 'b' }] },
        a: { invoke: { src: 'test.noop', input: { message: 'big' } }, onDone: 'done' },
        b: { invoke: { src: 'test.noop', input: { message: 'small' } }, onDone: 'done' },
        done: { type: 'final' },
      },
    },
  };
  let xml = await exportBpmn(def, { dialect });
  const esc = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;');
  const swaps = {
    condition: {
      gravity: ['language="feel">n &gt; 1<', `language="feel">${esc(feel)}<`],
      camunda7: ['>${n &gt; 1}<', `>\${${esc(feel)}}<`],
      zeebe: ['>=n &gt; 1<', `>=${esc(feel)}<`],
    },
    input: {
      gravity: ['>"big"</gravity:input>', `>${esc(JSON.stringify(`=${feel}`))}</gravity:input>`],
      camunda7: ['>big</camunda:inputParameter>', `>\${${esc(feel)}}</camunda:inputParameter>`],
      zeebe: ['source="=&#34;big&#34;"', `source="=${esc(feel)}"`],
    },
  }[what][dialect];
  expect(xml).toContain(swaps[0]);
  xml = xml.replace(swaps[0], swaps[1]);
  const file = join(tempDir('gravity-bpmn-limits-'), `${dialect}-${what}.bpmn`);
  writeFileSync(file, xml);
  return file;
}

describe('hostile expressions in BPMN files', () => {
  const huge = `"${'x'.repeat(5_000_000)}" = "y"`;
  const deepParens = `${'('.repeat(100_000)}1${')'.repeat(100_000)} = 1`;
  // 3,000 nested lists: under the length limit, over the depth limit; the FEEL parser alone took 6 s on 10,000
  const deepLists = `count(${'['.repeat(3_000)}1${']'.repeat(3_000)}) = 1`;

  it.each([
    ...(['gravity', 'camunda7', 'zeebe'] as const).flatMap((dialect) => [
      { dialect, what: 'condition' as const, feel: huge, limit: /source of 50000\d\d characters > 10000/ },
      { dialect, what: 'condition' as const, feel: deepParens, limit: /source of 20000\d characters > 10000/ },
      { dialect, what: 'condition' as const, feel: deepLists, limit: /brackets nested more than 64 deep/ },
      { dialect, what: 'input' as const, feel: deepLists, limit: /brackets nested more than 64 deep/ },
    ]),
  ])(
    '$dialect: refuses a $what over the FEEL limits ($limit), naming the element',
    async ({ dialect, what, feel, limit }) => {
      // given the file, when it is validated strictly
      const file = await hostile(dialect, what, feel);
      const { problems } = await validateBpmnFile(file, registry);
      // then one problem names the element (the flow, the decision or the task) and the limit, in a short message
      expect(problems).toHaveLength(1);
      expect(problems[0].message).toMatch(/exceeds the evaluation budget/);
      expect(problems[0].message).toMatch(limit);
      expect(problems[0].message.length).toBeLessThan(500);
      expect(['d', 'a', 'Flow_d_a']).toContain(problems[0].element);
    },
  );
});

describe('export of expressions at the limits, in the Camunda 7 dialect (FEEL translated to JUEL)', () => {
  const exportWith = (expr: string) =>
    exportBpmn(workflow({ id: 'test:deep', steps: sequence(task('a', 'log.info', { message: expr })) }), {
      dialect: 'camunda7',
    });

  it('translates brackets nested as deep as validation allows (each level once, not 2^n tries)', async () => {
    // 64 levels took 2^64 tries of the `empty x` pattern before: the export never ended
    const xml = await exportWith(`=${'('.repeat(64)}x${')'.repeat(64)}`);
    expect(xml).toContain('${x}');
  });

  it('keeps a chain of operators too long to translate as FEEL instead of overflowing the stack', async () => {
    const expr = `=${'- '.repeat(20_000)}x`;
    const xml = await exportWith(expr);
    // not translated to JUEL (over the size limit): written as a FEEL script, whole
    expect(xml).not.toContain('${- -');
    expect(xml).toContain('- - - - x');
  });
});
