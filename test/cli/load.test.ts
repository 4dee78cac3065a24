// The one definition loader (cli/load.ts): every kind of reference loads through it and is validated, and every
// problem is a BAD_INPUT error naming the file (or the closest workflow ids).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportBpmn } from '../../bpmn/index.js';
import { loadDefinition, type LoadContext } from '../../cli/load.js';
import { task, workflow } from '../../engine/index.js';
import { createDefaultRegistry } from '../../tasks/index.js';
import { findWorkflow, suggestWorkflows } from '../../workflows/index.js';
import { tempDir } from '../support/git-fixtures.js';

let dir: string;
const warnings: string[] = [];
const ctx: LoadContext = {
  registry: createDefaultRegistry(),
  findWorkflow,
  suggestWorkflows,
  warn: (l) => warnings.push(l),
};
const good = workflow({ id: 'test:load', title: 'Load me', steps: task('say', 'log.info', { message: 'hi' }) });
const unknownTask = workflow({ id: 'test:bad', steps: task('say', 'log.infoo', { message: 'hi' }) });

beforeAll(async () => {
  dir = tempDir('gravity-load-');
  await writeFile(join(dir, 'good.json'), JSON.stringify(good));
  await writeFile(join(dir, 'bad.scenario.json'), JSON.stringify(unknownTask));
  await writeFile(join(dir, 'broken.json'), '{"id": "x", ');
  await writeFile(join(dir, 'array.json'), '[1, 2]');
  await writeFile(join(dir, 'good.bpmn'), await exportBpmn(good, { dialect: 'camunda7' }));
  await writeFile(join(dir, 'bad.bpmn'), await exportBpmn(unknownTask, { dialect: 'camunda7' }));
  await writeFile(
    join(dir, 'bad.scenario.mjs'),
    `export default { name: 'bad', definition: ${JSON.stringify(unknownTask)} };\n`,
  );
  await writeFile(join(dir, 'empty.scenario.mjs'), 'export default 42;\n');
});

describe('loadDefinition', () => {
  it('loads a catalog workflow by id and by BPMN process id', async () => {
    expect((await loadDefinition('host:doctor', ctx)).source).toEqual({ kind: 'catalog', ref: 'host:doctor' });
    expect((await loadDefinition('host_doctor', ctx)).def.id).toBe('host:doctor');
  });

  it('loads a JSON definition, a BPMN file and a scenario module, named by title or scenario name', async () => {
    const json = await loadDefinition(join(dir, 'good.json'), ctx);
    expect(json).toMatchObject({ def: good, source: { kind: 'file', ref: join(dir, 'good.json') }, name: 'Load me' });
    const bpmn = await loadDefinition(join(dir, 'good.bpmn'), ctx);
    expect(bpmn.def.id).toBe('test:load');
    expect(bpmn.source).toEqual({ kind: 'file', ref: join(dir, 'good.bpmn') });
    const scenario = await loadDefinition('workflows/galaxy/examples/feature-branch.scenario.ts', ctx);
    expect(scenario.source).toEqual({ kind: 'inline' });
    expect(scenario.name).toMatch(/feature branch/);
  });

  it.each([
    ['a definition file', 'bad.scenario.json'],
    ['a BPMN file', 'bad.bpmn'],
    ['a scenario module', 'bad.scenario.mjs'],
  ])('validates %s: an unknown task names the file, the step and the closest task', async (_, file) => {
    await expect(loadDefinition(join(dir, file), ctx)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(
        new RegExp(
          `^${join(dir, file).replace(/[.]/g, '\\.')}: [\\s\\S]*<say> unknown task "log\\.infoo"; did you mean "log\\.info"`,
        ),
      ),
      details: expect.objectContaining({ file: join(dir, file) }),
    });
  });

  it.each([
    ['broken.json', /broken\.json: not valid JSON/],
    ['array.json', /array\.json: a definition is a JSON object with an id and a machine/],
    ['missing.json', /missing\.json: cannot read definition file \(ENOENT\)/],
    ['empty.scenario.mjs', /empty\.scenario\.mjs: cannot load scenario: its default export is not a scenario/],
  ])('refuses %s with a BAD_INPUT error naming it', async (file, message) => {
    await expect(loadDefinition(join(dir, file), ctx)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(message),
    });
  });

  it('suggests the closest catalog ids for an unknown workflow', async () => {
    await expect(loadDefinition('host:docter', ctx)).rejects.toMatchObject({
      code: 'UNKNOWN_WORKFLOW',
      message: expect.stringMatching(/did you mean "host:doctor"/),
    });
  });
});
