// A workflow's declared run root: evaluated once over the params when a run starts (a bad one refuses the start),
// recorded with the run, handed to its tasks and its child runs, and used again by resume and rollback.
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  call,
  checkDefinition,
  createRegistry,
  defineTask,
  getRun,
  resumeRun,
  rollbackRun,
  sequence,
  startRun,
  task,
  workflow,
  type Definition,
  type Node,
} from '../../engine/index.js';
import { tempDir } from '../support/git-fixtures.js';
import { engineWith, gateTask, tempJsonStore } from './support.js';

let tmp: Awaited<ReturnType<typeof tempJsonStore>>;
let base: string;
beforeEach(async () => {
  tmp = await tempJsonStore();
  base = await realpath(tempDir('gravity-run-root-'));
  await mkdir(join(base, 'notes'));
  await mkdir(join(base, 'elsewhere'));
});
afterEach(async () => {
  await tmp.cleanup();
});

/** Reports the root its step sees, and records it on rollback. */
function whereTask(undone: string[] = []) {
  return defineTask({
    id: 'test.where',
    title: 'Where am I',
    input: z.object({}).passthrough(),
    output: z.object({ root: z.string(), origin: z.string().nullable() }),
    idempotent: true,
    async run({ root, rootOrigin }) {
      return { root, origin: rootOrigin ?? null };
    },
    async compensate({ root, rootOrigin }) {
      undone.push(`${root} ${rootOrigin ?? '--root'}`);
    },
  });
}

/** The parent folder of `dir` is the root, as girofle:sync declares it. */
const rooted = (steps: Node = task('where', 'test.where', {})): Definition =>
  workflow({
    id: 'test:rooted',
    params: { dir: { type: 'string', path: true } },
    root: '=dir + "/.."',
    steps,
    output: '=steps.where',
  });

describe('a declared run root', () => {
  it('is evaluated over the params (path params made absolute from the starting root) and recorded', async () => {
    // given a workflow whose root is the parent of its dir param, started from base with a relative dir
    const { engine } = engineWith([whereTask()], { store: tmp.store, root: base });
    await mkdir(join(base, 'notes/inner'));
    const r = await startRun(engine, rooted(), { params: { dir: 'notes/inner' }, runId: 'r-rooted' });
    // then its tasks see the declared root, said to come from the workflow
    expect(r.status).toBe('succeeded');
    expect(r.output).toEqual({ root: join(base, 'notes'), origin: 'declared by test:rooted' });
    // and the run records it, with the path param absolute
    const record = await getRun(tmp.store, 'r-rooted');
    expect(record).toMatchObject({ root: join(base, 'notes'), params: { dir: join(base, 'notes/inner') } });
  });

  it('is not there without a declaration: tasks see --root, the record has no root', async () => {
    const { engine } = engineWith([whereTask()], { store: tmp.store, root: base });
    const def = workflow({ id: 'test:plain', steps: task('where', 'test.where', {}), output: '=steps.where' });
    const r = await startRun(engine, def, { params: {}, runId: 'r-plain' });
    expect(r.output).toEqual({ root: base, origin: null });
    expect((await getRun(tmp.store, 'r-plain'))?.root).toBeUndefined();
  });

  it.each([
    [
      'that does not exist',
      () => ({ dir: join(base, 'missing/notes') }),
      () =>
        `test:rooted: its root (=dir + "/..") is ${join(base, 'missing')} (from "${join(base, 'missing/notes')}/.."), which does not exist; the run is not started`,
    ],
    [
      'that is a file',
      () => ({ dir: join(base, 'file.txt/x') }),
      () =>
        `test:rooted: its root (=dir + "/..") is ${join(base, 'file.txt')} (from "${join(base, 'file.txt/x')}/.."), which is not a folder; the run is not started`,
    ],
  ])('%s refuses the start, naming the workflow and the value, and creates no run', async (_what, params, message) => {
    await writeFile(join(base, 'file.txt'), 'a file');
    const { engine } = engineWith([whereTask()], { store: tmp.store, root: base });
    const err = await startRun(engine, rooted(), { params: params(), runId: 'r-bad' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_INPUT', message: message() });
    expect(await getRun(tmp.store, 'r-bad')).toBeUndefined();
  });

  it.each([
    ['a value that is not a path', '=1 + 2', /test:root-value: its root \(=1 \+ 2\) gave 3, not a folder path/],
    ['a name the params lack', '=nope + "/x"', /test:root-value: cannot evaluate its root \(=nope \+ "\/x"\): /],
  ])('%s refuses the start', async (_what, root, message) => {
    const { engine } = engineWith([whereTask()], { store: tmp.store, root: base });
    const def = workflow({ id: 'test:root-value', root, steps: task('where', 'test.where', {}) });
    await expect(startRun(engine, def, { params: {} })).rejects.toThrow(message);
  });

  it('a literal relative root is taken from the starting root', async () => {
    const { engine } = engineWith([whereTask()], { store: tmp.store, root: base });
    const def = workflow({
      id: 'test:literal',
      root: 'elsewhere',
      steps: task('where', 'test.where', {}),
      output: '=steps.where',
    });
    expect((await startRun(engine, def, { params: {} })).output).toMatchObject({ root: join(base, 'elsewhere') });
  });

  it('is inherited by a child run that declares none; a child that declares one uses its own', async () => {
    const child = workflow({ id: 'test:child', steps: task('where', 'test.where', {}), output: '=steps.where' });
    const ownChild = workflow({
      id: 'test:own-child',
      root: join(base, 'elsewhere'),
      steps: task('where', 'test.where', {}),
      output: '=steps.where',
    });
    const parent = rooted(
      sequence(call('inherits', 'test:child', {}), call('own', 'test:own-child', {}), task('where', 'test.where', {})),
    );
    const found: Record<string, Definition> = { 'test:child': child, 'test:own-child': ownChild };
    const { engine } = engineWith([whereTask()], { store: tmp.store, root: base, resolveWorkflow: (id) => found[id] });
    const r = await startRun(engine, parent, { params: { dir: 'notes' }, runId: 'r-parent' });
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    const steps = Object.fromEntries(r.steps.map((s) => [s.id, s.output]));
    expect(steps.inherits).toEqual({ root: base, origin: 'declared by test:rooted' });
    expect(steps.own).toEqual({ root: join(base, 'elsewhere'), origin: 'declared by test:own-child' });
  });

  it('is the root a resumed run goes on in, whatever root the resume is given', async () => {
    // given a run with a declared root, cancelled while a step ran
    const gate = gateTask({ idempotent: true });
    const def = rooted(sequence(task('wait', 'test.gate', {}), task('where', 'test.where', {})));
    const started = engineWith([whereTask(), gate.task], { store: tmp.store, root: base });
    const ac = new AbortController();
    const running = startRun(started.engine, def, { params: { dir: 'notes' }, runId: 'r-resume', signal: ac.signal });
    await gate.started();
    ac.abort();
    expect((await running).status).toBe('cancelled');
    // when it is resumed by a process whose root is another folder
    gate.release();
    const resumer = engineWith([whereTask(), gate.task], { store: tmp.store, root: join(base, 'elsewhere') });
    const r = await resumeRun(resumer.engine, 'r-resume');
    // then its steps still see the recorded root
    expect(r.status).toBe('succeeded');
    expect(r.output).toEqual({ root: base, origin: 'declared by test:rooted' });
  });

  it('is the root its compensations run in on rollback', async () => {
    const undone: string[] = [];
    const { engine } = engineWith([whereTask(undone)], { store: tmp.store, root: base });
    await startRun(engine, rooted(), { params: { dir: join(base, 'notes/x') }, runId: 'r-undo' });
    const other = engineWith([whereTask(undone)], { store: tmp.store, root: join(base, 'elsewhere') });
    await rollbackRun(other.engine, 'r-undo');
    expect(undone).toEqual([`${join(base, 'notes')} declared by test:rooted`]);
  });
});

describe('validation of root and path params', () => {
  const registry = createRegistry(whereTask());
  const minimal = { id: 'test:v', machine: workflow({ id: 'test:v', steps: task('where', 'test.where', {}) }).machine };

  it.each([
    [42, '<definition> root must be a non-empty string (a folder path, or =FEEL over the params), got 42'],
    ['', '<definition> root must be a non-empty string (a folder path, or =FEEL over the params), got ""'],
    [{ path: '/x' }, 'got {"path":"/x"}'],
    ['=1 +', 'bad expression in root'],
  ])('refuses root %j', (root, message) => {
    const problems = checkDefinition({ ...minimal, root } as unknown as Definition, registry);
    expect(problems.map((p) => `<${p.element}> ${p.message}`).join('\n')).toContain(message);
  });

  it('accepts a path or an expression', () => {
    expect(checkDefinition({ ...minimal, root: '/srv' }, registry)).toEqual([]);
    expect(checkDefinition({ ...minimal, root: '=params.dir' }, registry)).toEqual([]);
  });

  it.each([
    [{ type: 'integer', path: true }, 'path must be true or false, on a string param; got true'],
    [{ type: 'string', path: 'yes' }, 'path must be true or false, on a string param; got "yes"'],
  ])('refuses the param %j', (spec, message) => {
    const def = { ...minimal, params: { dir: spec } } as unknown as Definition;
    expect(checkDefinition(def, registry)).toEqual([{ element: 'param dir', message }]);
  });
});
