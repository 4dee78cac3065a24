// A definition's run root and path params survive an export -> import round trip in every dialect, and a root of the
// wrong type read from a file is kept so that validation reports it.
import { describe, expect, it } from 'vitest';
import { checkDefinition, task, workflow, type Definition } from '../../engine/index.js';
import { dialectNames, exportBpmn, importBpmn } from '../../bpmn/index.js';
import { createDefaultRegistry } from '../../tasks/index.js';

const rooted: Definition = workflow({
  id: 'test:rooted',
  params: { dir: { type: 'string', path: true }, name: { type: 'string', path: false, default: 'x' } },
  root: '=dir + "/.."',
  steps: task('say', 'log.info', { message: '=dir' }),
});

describe.each(dialectNames)('the run root in the %s dialect', (dialect) => {
  it('round-trips root and path params', async () => {
    const back = (await importBpmn(await exportBpmn(rooted, { dialect }))).definition;
    expect(back.root).toBe('=dir + "/.."');
    expect(back.params).toEqual(rooted.params);
  });

  it('round-trips a literal root, and no root when none is declared', async () => {
    const literal = { ...rooted, root: '/srv/data' };
    expect((await importBpmn(await exportBpmn(literal, { dialect }))).definition.root).toBe('/srv/data');
    const none: Definition = { ...rooted, root: undefined };
    expect((await importBpmn(await exportBpmn(none, { dialect }))).definition).not.toHaveProperty('root');
  });
});

it('keeps a root of the wrong type read from a vendor file, for validation to report it', async () => {
  const xml = (await exportBpmn(rooted, { dialect: 'camunda7' })).replace(
    /name="gravity\.root" value="[^"]*"/,
    'name="gravity.root" value="7"',
  );
  const back = (await importBpmn(xml)).definition;
  expect(back.root).toBe(7);
  expect(checkDefinition(back, createDefaultRegistry())).toContainEqual({
    element: 'definition',
    message: 'root must be a non-empty string (a folder path, or =FEEL over the params), got 7',
  });
});
