// The runner's edges: run ids, what is written (and not) to the store, the journal entries of each way a run ends,
// and the result shape of resultOf.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  attention,
  call,
  createMemoryStore,
  defineTask,
  definitionHash,
  fail,
  newRunId,
  parallel,
  resultOf,
  resumeRun,
  sequence,
  startRun,
  task,
  wait,
  workflow,
  type Definition,
  type JournalEntry,
  type RunRecord,
  type Store,
} from '../../engine/index.js';
import { echoTask, engineWith, failTask, gateTask, journalOf } from './support.js';

/** Wraps `store.put` to record every key written, in order. */
function recordPuts(store: Store): string[] {
  const written: string[] = [];
  const put = store.put.bind(store);
  store.put = (key, value, options) => {
    written.push(key);
    return put(key, value, options);
  };
  return written;
}

const recordOf = async (store: Store, id: string) => (await store.get<RunRecord>(`runs/${id}`))?.value;

afterEach(() => {
  vi.useRealTimers();
});

describe('newRunId', () => {
  it('is YYMMDD-HHMMSS in UTC, zero-padded, then six hex digits', () => {
    const id = newRunId(new Date(Date.UTC(2026, 0, 5, 3, 4, 9)));
    expect(id).toMatch(/^260105-030409-[0-9a-f]{6}$/);
    expect(newRunId(new Date(Date.UTC(2031, 11, 31, 23, 59, 58)))).toMatch(/^311231-235958-[0-9a-f]{6}$/);
    expect(newRunId()).toMatch(/^\d{6}-\d{6}-[0-9a-f]{6}$/);
  });
});

describe('what a run writes', () => {
  it('appends nothing to the journal with persist: false, but still streams the events', async () => {
    const store = createMemoryStore();
    const { engine, events } = engineWith([echoTask().task], { store, persist: false });
    const result = await startRun(
      engine,
      workflow({ id: 'test:nopersist', steps: task('a', 'test.echo', { value: 1 }) }),
      { params: {}, runId: 'r-np' },
    );
    expect(result.status).toBe('succeeded');
    expect(await journalOf(store, 'r-np')).toEqual([]);
    expect(await store.list('')).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['run.started', 'task.started', 'task.finished', 'run.finished']);
  });

  it('stamps the record with the time of its last update', async () => {
    // given a clock at T0 that a step moves to T1
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-01T10:00:00.000Z'));
    const tick = defineTask({
      id: 'test.tick',
      title: 'Tick',
      input: z.object({}),
      output: z.object({}),
      run: async () => (vi.setSystemTime(new Date('2026-03-01T10:05:00.000Z')), {}),
    });
    const { engine } = engineWith([tick]);
    await startRun(engine, workflow({ id: 'test:tick', steps: task('t', 'test.tick', {}) }), {
      params: {},
      runId: 'r-tick',
    });
    // then createdAt is T0 and updatedAt moved with the last write
    expect(await recordOf(engine.store, 'r-tick')).toMatchObject({
      createdAt: '2026-03-01T10:00:00.000Z',
      updatedAt: '2026-03-01T10:05:00.000Z',
      finishedAt: '2026-03-01T10:05:00.000Z',
    });
  });

  /** How many snapshot writes a run of `steps` makes, start to end. */
  async function snapshotWrites(id: string, steps: Parameters<typeof sequence>): Promise<number> {
    const store = createMemoryStore();
    const written = recordPuts(store);
    const { engine } = engineWith([echoTask().task], { store });
    await startRun(engine, workflow({ id: `test:${id}`, steps: sequence(...steps) }), { params: {}, runId: id });
    return written.filter((k) => k === `snapshots/${id}`).length;
  }

  it('writes snapshots as checkpoints: at the start and the end of a short run, not one per state', async () => {
    // states: one (the start: forced), two (after an outcome: not yet due), done (the end: forced)
    expect(
      await snapshotWrites('r-snaps', [task('one', 'test.echo', { value: 1 }), task('two', 'test.echo', { value: 2 })]),
    ).toBe(2);
  });

  it('writes a checkpoint every 128 states of a long run', async () => {
    const steps = Array.from({ length: 300 }, (_, i) => task(`s${i}`, 'test.echo', { value: i }));
    // start, after 128 and 256 more states, end
    expect(await snapshotWrites('r-long', steps)).toBe(4);
  });

  it('writes a checkpoint at once when timers are armed and when one fires (the journal cannot replay them)', async () => {
    // start; entering w (a timer armed); leaving it when the timer fired (no step caused it); the end
    expect(
      await snapshotWrites('r-timer', [
        task('a', 'test.echo', { value: 1 }),
        wait('w', 'PT0.01S'),
        task('b', 'test.echo', { value: 2 }),
      ]),
    ).toBe(4);
  });

  it('stores the definition once, however many runs use it', async () => {
    const store = createMemoryStore();
    const written = recordPuts(store);
    const { engine } = engineWith([echoTask().task], { store });
    const def = workflow({ id: 'test:defonce', steps: task('a', 'test.echo', { value: 1 }) });
    await startRun(engine, def, { params: {}, runId: 'r-d1' });
    await startRun(engine, def, { params: {}, runId: 'r-d2' });
    expect(written.filter((k) => k.startsWith('definitions/'))).toEqual([`definitions/${definitionHash(def)}`]);
  });

  it('records an inline source by default and journals the title as the start message', async () => {
    const { engine } = engineWith([echoTask().task]);
    await startRun(
      engine,
      workflow({ id: 'test:titled', title: 'A titled run', steps: task('a', 'test.echo', { value: 1 }) }),
      { params: { p: 1 }, runId: 'r-t' },
    );
    expect((await recordOf(engine.store, 'r-t'))?.source).toEqual({ kind: 'inline' });
    expect((await journalOf(engine.store, 'r-t'))[0]).toMatchObject({
      type: 'run.started',
      input: { p: 1 },
      message: 'A titled run',
    });
    await startRun(engine, workflow({ id: 'test:untitled', steps: task('a', 'test.echo', { value: 1 }) }), {
      params: {},
      runId: 'r-u',
      source: { kind: 'file', ref: 'x.json' },
    });
    expect((await recordOf(engine.store, 'r-u'))?.source).toEqual({ kind: 'file', ref: 'x.json' });
    expect((await journalOf(engine.store, 'r-u'))[0]).toMatchObject({ type: 'run.started', message: 'test:untitled' });
  });

  it('refuses a call of a workflow the catalog does not have before creating a run', async () => {
    const { engine } = engineWith([], { resolveWorkflow: () => undefined });
    await expect(
      startRun(engine, workflow({ id: 'test:callmissing', steps: call('sub', 'child:missing') }), { params: {} }),
    ).rejects.toMatchObject({
      code: 'INVALID_DEFINITION',
      message: expect.stringMatching(/called workflow "child:missing" is not in the catalog/),
    });
    expect(await engine.store.list('runs/')).toEqual([]);
  });
});

describe('how a run ends, as journaled', () => {
  it('journals a cancel with how to go on', async () => {
    const gate = gateTask();
    const { engine } = engineWith([gate.task]);
    const ac = new AbortController();
    const running = startRun(engine, workflow({ id: 'test:cancelmsg', steps: task('g', 'test.gate', {}) }), {
      params: {},
      runId: 'r-c',
      signal: ac.signal,
    });
    await gate.started();
    ac.abort();
    expect((await running).status).toBe('cancelled');
    expect((await journalOf(engine.store, 'r-c')).at(-1)).toMatchObject({
      type: 'run.cancelled',
      message: 'cancelled; resume with `gravity resume`',
    });
  });

  it('fails with "run ended in <end>" at a fail end without a message', async () => {
    const def: Definition = {
      id: 'test:bareFail',
      machine: { initial: 'stop', states: { stop: { type: 'final', meta: { fail: true } } } },
    };
    const { engine } = engineWith([]);
    const result = await startRun(engine, def, { params: {}, runId: 'r-bare' });
    expect(result.error).toMatchObject({
      code: 'TASK_FAILED',
      message: 'run ended in <stop>',
      details: { element: 'stop' },
    });
    expect((await journalOf(engine.store, 'r-bare')).at(-1)).toMatchObject({
      type: 'run.failed',
      message: 'run ended in <stop>',
      error: { message: 'run ended in <stop>' },
    });
  });

  it('keeps the step of a handled error in the run error of the fail end it led to', async () => {
    const boom = failTask();
    const { engine } = engineWith([boom.task]);
    const def = workflow({
      id: 'test:failafter',
      steps: task(
        'risky',
        'test.fail',
        { message: 'disk full' },
        { onError: fail('giveup', '="gave up after " + error.message') },
      ),
    });
    const result = await startRun(engine, def, { params: {} });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      step: 'risky',
      code: 'TASK_FAILED',
      message: 'gave up after disk full',
      details: { element: 'giveup' },
    });
  });

  it('journals an attention end with its output and message, and names no step to look at', async () => {
    const { engine } = engineWith([echoTask().task]);
    const def = workflow({
      id: 'test:attn',
      steps: sequence(
        task('count', 'test.echo', { value: 3 }),
        attention('review', '=string(steps.count.value) + " left"', { left: '=steps.count.value' }),
      ),
    });
    const result = await startRun(engine, def, { params: {}, runId: 'r-attn' });
    expect(result.status).toBe('needs-attention');
    expect(result.attention).toEqual({ message: '3 left', steps: [] });
    expect((await journalOf(engine.store, 'r-attn')).at(-1)).toMatchObject({
      type: 'run.needs-attention',
      message: '3 left',
      output: { left: 3 },
    });
  });

  it('journals the failure of an output template that cannot be evaluated', async () => {
    const { engine } = engineWith([echoTask().task]);
    await startRun(
      engine,
      workflow({ id: 'test:badout', steps: task('a', 'test.echo', { value: 1 }), output: { x: '=steps.a.nothing' } }),
      { params: {}, runId: 'r-bo' },
    );
    const last = (await journalOf(engine.store, 'r-bo')).at(-1);
    expect(last).toMatchObject({ type: 'run.failed', error: { code: 'EXPRESSION' } });
    expect((await recordOf(engine.store, 'r-bo'))?.error).toEqual(last?.error);
  });

  it('names the step that failed last, not an earlier failure that was handled', async () => {
    const boom = failTask();
    const { engine } = engineWith([boom.task]);
    const def = workflow({
      id: 'test:twofails',
      steps: sequence(
        task('first', 'test.fail', { message: 'first broke' }, { onError: 'continue' }),
        task('second', 'test.fail', { message: 'second broke' }),
      ),
    });
    const result = await startRun(engine, def, { params: {} });
    expect(result.error).toMatchObject({ step: 'second', message: 'second broke' });
  });

  it('waits for the stopped branch of a failed run and tells its task why it was stopped', async () => {
    // given a parallel run whose first branch fails while a task of the second waits for its signal
    const reasons: unknown[] = [];
    let waiting: () => void = () => undefined;
    const isWaiting = new Promise<void>((r) => (waiting = r));
    const patient = defineTask({
      id: 'test.patient',
      title: 'Patient',
      input: z.object({}),
      output: z.object({}),
      idempotent: true,
      run: ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => (reasons.push(signal.reason), reject(signal.reason)), { once: true });
          waiting();
        }),
    });
    const breaker = defineTask({
      id: 'test.breaker',
      title: 'Breaker',
      input: z.object({}),
      output: z.object({}),
      run: async () => {
        await isWaiting;
        return {};
      },
    });
    const { engine } = engineWith([patient, breaker]);
    const def = workflow({
      id: 'test:halt',
      steps: parallel(
        'p',
        sequence(task('first', 'test.breaker', {}), fail('stop', 'left refused')),
        task('wait', 'test.patient', {}),
      ),
    });
    // when it runs
    const result = await startRun(engine, def, { params: {}, runId: 'r-halt' });
    // then the waiting task was told the run failed, and its cancel is journaled before the run's failure
    expect(result.error).toMatchObject({ code: 'TASK_FAILED', message: 'left refused', details: { element: 'stop' } });
    expect(reasons).toEqual([expect.objectContaining({ code: 'CANCELLED', message: 'run failed' })]);
    const types = (await journalOf(engine.store, 'r-halt')).map((e) => (e.step ? `${e.type}:${e.step}` : e.type));
    expect(types.at(-1)).toBe('run.failed');
    expect(types).toContain('task.cancelled:wait');
  });

  it('journals that the parent needs attention when its called child does', async () => {
    // given a parent cancelled while its child ran a step that is not idempotent
    const gate = gateTask({ idempotent: false });
    const child = workflow({ id: 'child:risky', steps: task('risky', 'test.gate', {}) });
    const { engine } = engineWith([gate.task], { resolveWorkflow: (id) => (id === 'child:risky' ? child : undefined) });
    const ac = new AbortController();
    const running = startRun(engine, workflow({ id: 'parent:risky', steps: call('sub', 'child:risky') }), {
      params: {},
      runId: 'p-attn',
      signal: ac.signal,
    });
    await gate.started();
    ac.abort();
    await running;
    // when the parent is resumed, then it stops needing attention, and says so in its journal
    const result = await resumeRun(engine, 'p-attn');
    expect(result.status).toBe('needs-attention');
    const last = (await journalOf(engine.store, 'p-attn')).at(-1);
    expect(last?.type).toBe('run.needs-attention');
    expect(last?.message).toMatch(
      /^step <sub> calls workflow child:risky, whose run p-attn\.sub needs attention: step <risky> \(test\.gate\) was interrupted/,
    );
  });
});

describe('resultOf', () => {
  const base: RunRecord = {
    id: 'r',
    workflow: 'w',
    definitionHash: 'h',
    source: { kind: 'inline' },
    params: {},
    status: 'running',
    createdAt: '',
    updatedAt: '',
  };
  const journal: JournalEntry[] = [
    { type: 'task.started', at: '2026-01-01T00:00:00.000Z', step: 'a', task: 't', attempt: 1 },
  ];

  it('shows an open step as running while the run runs, and as interrupted once it stopped', () => {
    expect(resultOf(base, journal).steps.map((s) => s.status)).toEqual(['running']);
    expect(resultOf({ ...base, status: 'cancelled' }, journal).steps.map((s) => s.status)).toEqual(['interrupted']);
  });

  it('has output, error and attention keys only when the record has them', () => {
    expect(resultOf(base, [])).toStrictEqual({ runId: 'r', workflow: 'w', status: 'running', steps: [] });
    const error = { name: 'E', code: 'TASK_FAILED', message: 'm', step: 'a' };
    expect(
      resultOf({ ...base, status: 'failed', output: 0, error, attention: { message: 'x', steps: [] } }, []),
    ).toStrictEqual({
      runId: 'r',
      workflow: 'w',
      status: 'failed',
      steps: [],
      output: 0,
      error,
      attention: { message: 'x', steps: [] },
    });
  });
});
