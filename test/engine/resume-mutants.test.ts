// Resume's edges: finding the run, each refusal with its message, what it journals, step outputs rebuilt from the
// journal, outcomes replayed from a torn journal, and processes an interrupted step left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  createMemoryStore,
  createRegistry,
  defineTask,
  definitionHash,
  isAlive,
  loadRun,
  parallel,
  resumeRun,
  sequence,
  startRun,
  task,
  workflow,
  type JournalEntry,
  type RunRecord,
  type Store,
} from '../../engine/index.js';
import { echoTask, engineWith, gateTask, journalOf, processDied } from './support.js';

const def = workflow({
  id: 'test:resume2',
  steps: sequence(
    task('s1', 'test.echo', { value: 'one' }),
    task('s2', 'test.gate', {}),
    task('s3', 'test.echo', { value: '=steps.s1.value + "-three"' }),
  ),
  output: '=steps.s3.value',
});

const record = (id: string, o: Partial<RunRecord> = {}): RunRecord => ({
  id,
  workflow: def.id,
  definitionHash: definitionHash(def),
  status: 'cancelled',
  params: {},
  source: { kind: 'inline' },
  createdAt: '',
  updatedAt: '',
  ...o,
});

async function errorOf(p: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

/** A run of `def` cancelled while s2 (a gate) runs. */
async function cancelledAtS2(runId: string, idempotent = true) {
  const echo = echoTask();
  const gate = gateTask({ idempotent });
  const { engine } = engineWith([echo.task, gate.task]);
  const ac = new AbortController();
  const running = startRun(engine, def, { params: {}, runId, signal: ac.signal });
  await gate.started();
  ac.abort();
  expect((await running).status).toBe('cancelled');
  return { echo, gate, engine };
}

describe('loadRun', () => {
  it('refuses an ambiguous prefix, naming the first five matches', async () => {
    const { engine } = engineWith([]);
    for (const n of [1, 2, 3, 4, 5, 6]) await engine.store.put(`runs/r-amb-${n}`, record(`r-amb-${n}`));
    const e = await errorOf(loadRun(engine, 'r-amb'));
    expect(e).toMatchObject({
      code: 'BAD_INPUT',
      message: 'run id "r-amb" is ambiguous: r-amb-1, r-amb-2, r-amb-3, r-amb-4, r-amb-5',
    });
    expect((await loadRun(engine, 'r-amb-6')).id).toBe('r-amb-6');
  });

  it('says where it looked for an unknown run', async () => {
    const { engine } = engineWith([]);
    await engine.store.put('runs/r-other', record('r-other'));
    const e = await errorOf(loadRun(engine, 'r-none'));
    expect(e).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no run "r-none" in memory: (see `gravity runs`)',
      details: { run: 'r-none' },
    });
  });
});

describe('resumeRun refusals', () => {
  it('gives the status of a run that is over in the error details', async () => {
    const { engine } = engineWith([]);
    await engine.store.put('runs/r-done', record('r-done', { status: 'succeeded' }));
    expect(await errorOf(resumeRun(engine, 'r-done'))).toMatchObject({
      code: 'BAD_INPUT',
      message: 'run r-done has already succeeded: nothing to resume',
      details: { status: 'succeeded' },
    });
  });

  it('names both hashes when the definition changed', async () => {
    const { engine } = await cancelledAtS2('r-chg');
    const changed = { ...def, title: 'changed' };
    const e = await errorOf(resumeRun(engine, 'r-chg', { definition: changed }));
    expect(e).toMatchObject({
      code: 'DEFINITION_CHANGED',
      message: `the definition of test:resume2 changed since run r-chg started (hash ${definitionHash(def).slice(0, 12)} -> ${definitionHash(changed).slice(0, 12)}); resume refused. Roll back, start a new run, or pass --allow-changed`,
      details: { run: 'r-chg' },
    });
  });

  it('refuses a run whose definition is neither stored nor given', async () => {
    const { engine } = engineWith([]);
    await engine.store.put('runs/r-nodef', record('r-nodef'));
    expect(await errorOf(resumeRun(engine, 'r-nodef'))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'definition of run r-nodef not found',
    });
  });

  it('starts over a run interrupted before its first snapshot (no step can have started)', async () => {
    // given a run record (left running by a dead process) with its run.started journaled but no snapshot yet
    const echo = echoTask();
    const gate = gateTask();
    gate.release();
    const { engine } = engineWith([echo.task, gate.task]);
    await engine.store.put('runs/r-nosnap', record('r-nosnap', { status: 'running', pid: 2 ** 22 + 11 }));
    await engine.store.append('journal/r-nosnap', { type: 'run.started', at: '', input: {} });
    // when it is resumed, then it runs from its first step to its end, and the journal says it started over
    const result = await resumeRun(engine, 'r-nosnap', { definition: def });
    expect(result).toMatchObject({ status: 'succeeded', output: 'one-three' });
    expect(echo.calls).toEqual(['one', 'one-three']);
    expect((await journalOf(engine.store, 'r-nosnap')).find((e) => e.type === 'run.resumed')?.message).toBe(
      'started over: it was interrupted before its first step',
    );
  });

  it('resumes a run that has no snapshot from its start, replaying what its journal says each step did', async () => {
    // given a run whose snapshot is gone (or was never written) but whose journal says s1 finished and s2 started
    const echo = echoTask();
    const gate = gateTask({ idempotent: true });
    gate.release();
    const { engine } = engineWith([echo.task, gate.task]);
    await engine.store.put('runs/r-nosnap', record('r-nosnap'));
    const j = 'journal/r-nosnap';
    await engine.store.append(j, { type: 'task.started', at: '', step: 's1', task: 'test.echo', idempotent: true });
    await engine.store.append(j, {
      type: 'task.finished',
      at: '',
      step: 's1',
      task: 'test.echo',
      output: { value: 'ONE' },
    });
    await engine.store.append(j, { type: 'task.started', at: '', step: 's2', task: 'test.gate', idempotent: true });
    // when it is resumed
    const result = await resumeRun(engine, 'r-nosnap', { definition: def });
    // then s1 is not run again, its journaled output is what s3 sees, and the open s2 runs
    expect(result.status).toBe('succeeded');
    expect(echo.calls).toEqual(['ONE-three']);
    expect(gate.calls()).toBe(1);
    expect(result.output).toBe('ONE-three');
  });
});

describe('what resume journals', () => {
  it('names the interrupted steps in plural when several are not idempotent', async () => {
    // given a parallel run cancelled while two non-idempotent steps ran
    const left = gateTask({ id: 'test.left', idempotent: false });
    const right = gateTask({ id: 'test.right', idempotent: false });
    const { engine } = engineWith([left.task, right.task]);
    const ac = new AbortController();
    const running = startRun(
      engine,
      workflow({ id: 'test:two', steps: parallel('p', task('l', 'test.left', {}), task('r', 'test.right', {})) }),
      { params: {}, runId: 'r-two', signal: ac.signal },
    );
    await Promise.all([left.started(), right.started()]);
    ac.abort();
    await running;
    // when resumed without force
    const result = await resumeRun(engine, 'r-two');
    // then the message lists both, in plural
    expect(result.attention).toEqual({
      steps: ['l', 'r'],
      message:
        'steps <l> (test.left), <r> (test.right) were interrupted and are not idempotent: it may have done part of its work. Check, then `gravity resume r-two --force` to run it again, or `gravity rollback r-two`',
    });
  });

  it('says which steps it re-runs, and whether forced', async () => {
    const idem = await cancelledAtS2('r-rerun');
    idem.gate.release();
    await resumeRun(idem.engine, 'r-rerun');
    expect((await journalOf(idem.engine.store, 'r-rerun')).find((e) => e.type === 'run.resumed')?.message).toBe(
      're-running <s2>',
    );

    const risky = await cancelledAtS2('r-forced', false);
    risky.gate.release();
    await resumeRun(risky.engine, 'r-forced', { force: true });
    expect((await journalOf(risky.engine.store, 'r-forced')).find((e) => e.type === 'run.resumed')?.message).toBe(
      're-running <s2> (forced)',
    );
  });

  it('says "resumed" when no step was left open', async () => {
    const { engine } = engineWith([echoTask().task, gateTask().task]);
    const ac = new AbortController();
    ac.abort();
    await startRun(engine, workflow({ id: 'test:pre', steps: task('a', 'test.echo', { value: 1 }) }), {
      params: {},
      runId: 'r-pre',
      signal: ac.signal,
    });
    expect((await resumeRun(engine, 'r-pre')).status).toBe('succeeded');
    expect((await journalOf(engine.store, 'r-pre')).find((e) => e.type === 'run.resumed')?.message).toBe('resumed');
  });
});

describe('the state resume rebuilds', () => {
  it('gives later steps the outputs of steps finished before the cancel', async () => {
    const { echo, gate, engine } = await cancelledAtS2('r-outputs');
    gate.release();
    const result = await resumeRun(engine, 'r-outputs');
    expect(result.status).toBe('succeeded');
    expect(echo.calls).toEqual(['one', 'one-three']);
    expect(result.output).toBe('one-three');
  });

  it('replays each step its own journaled outcome when the process died after two parallel steps ended', async () => {
    // given a parallel run whose two steps are running (in the snapshot) when the process "dies"
    const store = createMemoryStore();
    const a1 = gateTask({ id: 'test.a', idempotent: true, hangFirst: true });
    const b1 = gateTask({ id: 'test.b', idempotent: true, hangFirst: true });
    const w = workflow({
      id: 'test:torn2',
      steps: sequence(
        parallel('p', task('a', 'test.a', { value: 'A' }), task('b', 'test.b', { value: 'B' })),
        task('join', 'test.echo', { value: ['=steps.a.value', '=steps.b.value'] }),
      ),
    });
    const { engine: first } = engineWith([a1.task, b1.task, echoTask().task], { store });
    void startRun(first, w, { params: {}, runId: 'r-torn2' });
    await Promise.all([a1.started(), b1.started()]);
    await vi.waitFor(async () =>
      expect((await journalOf(store, 'r-torn2')).filter((e) => e.type === 'task.started')).toHaveLength(2),
    );
    // and whose journal got both ends (a, then b) before it died, but no snapshot after them
    const at = new Date().toISOString();
    await store.append('journal/r-torn2', {
      type: 'task.finished',
      at,
      step: 'a',
      task: 'test.a',
      attempt: 1,
      output: { value: 'from-a' },
    });
    await store.append('journal/r-torn2', {
      type: 'task.finished',
      at,
      step: 'b',
      task: 'test.b',
      attempt: 1,
      output: { value: 'from-b' },
    });
    // when another engine resumes it
    const a2 = gateTask({ id: 'test.a', idempotent: true });
    const b2 = gateTask({ id: 'test.b', idempotent: true });
    const echo = echoTask();
    await processDied(store);
    const result = await resumeRun({ store, registry: createRegistry(a2.task, b2.task, echo.task) }, 'r-torn2');
    // then neither step ran again, and each kept its own output
    expect(result.status).toBe('succeeded');
    expect(a2.calls() + b2.calls()).toBe(0);
    expect(echo.calls).toEqual([['from-a', 'from-b']]);
  });
});

describe('processes left behind by an interrupted step', () => {
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const c of started.splice(0)) if (c.pid && isAlive(c.pid)) process.kill(-c.pid, 'SIGKILL');
  });

  it('kills the recorded process group when it still runs the same command, and leaves a reused pid alone', async () => {
    // given a run whose step spawned `sleep 30` and whose process then "died" (the step never settles)
    const store: Store = createMemoryStore();
    const spawner = (hang: boolean) =>
      defineTask({
        id: 'test.spawner',
        title: 'Spawner',
        input: z.object({}),
        output: z.object({}),
        idempotent: true,
        run: async ({ exec }) => {
          if (!hang) return {};
          void exec('sleep', ['30']).catch(() => undefined);
          return new Promise<never>(() => undefined);
        },
      });
    const { engine: first } = engineWith([spawner(true)], { store });
    void startRun(first, workflow({ id: 'test:spawn', steps: task('sp', 'test.spawner', {}) }), {
      params: {},
      runId: 'r-spawn',
    });
    const proc = await vi.waitFor(async () => {
      const e = (await journalOf(store, 'r-spawn')).find((x) => x.type === 'task.process');
      if (!e?.pid) throw new Error('no process yet');
      return e;
    });
    started.push({ pid: proc.pid } as ChildProcess);
    expect(proc.command).toEqual(['sleep', '30']);
    // and a second recorded pid that now belongs to another program
    const other = spawn('sleep', ['31'], { detached: true, stdio: 'ignore' });
    started.push(other);
    await store.append('journal/r-spawn', {
      type: 'task.process',
      at: new Date().toISOString(),
      step: 'sp',
      task: 'test.spawner',
      pid: other.pid,
      command: ['sleep', '99'],
    } satisfies JournalEntry);
    expect(isAlive(proc.pid!)).toBe(true);
    // when another engine resumes the run
    await processDied(store);
    const result = await resumeRun({ store, registry: createRegistry(spawner(false)) }, 'r-spawn');
    // then the step's own process is gone, the other program still runs, and the step ran again
    expect(result.status).toBe('succeeded');
    await vi.waitFor(() => expect(isAlive(proc.pid!)).toBe(false));
    expect(isAlive(other.pid!)).toBe(true);
  });
  it('kills what a non-idempotent step left running even when the run goes to needs attention, so --force cannot run it twice', async () => {
    // given a run whose non-idempotent step spawned `sleep 30` and whose process then "died" (the step never settles)
    const store: Store = createMemoryStore();
    const spawner = defineTask({
      id: 'test.spawner',
      title: 'Spawner',
      input: z.object({}),
      output: z.object({}),
      idempotent: false,
      run: async ({ exec }) => {
        void exec('sleep', ['30']).catch(() => undefined);
        return new Promise<never>(() => undefined);
      },
    });
    const { engine } = engineWith([spawner], { store });
    void startRun(engine, workflow({ id: 'test:spawn-unsafe', steps: task('sp', 'test.spawner', {}) }), {
      params: {},
      runId: 'r-unsafe',
    });
    const proc = await vi.waitFor(async () => {
      const e = (await journalOf(store, 'r-unsafe')).find((x) => x.type === 'task.process');
      if (!e?.pid) throw new Error('no process yet');
      return e;
    });
    started.push({ pid: proc.pid } as ChildProcess);
    // when the run is resumed without --force
    await processDied(store);
    const result = await resumeRun({ store, registry: createRegistry(spawner) }, 'r-unsafe');
    // then it waits for a person, and the step's process is already gone
    expect(result.status).toBe('needs-attention');
    await vi.waitFor(() => expect(isAlive(proc.pid!)).toBe(false));
  });
});
