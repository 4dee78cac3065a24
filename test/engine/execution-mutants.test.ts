// One execution's edges (engine/execution.ts): when checkpoints are written, what a cancel, a detach or a cancel handed
// to a cleanup leaves, and how each kind of end (handled cancels, fail ends, machine errors) is recorded.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  CANCEL_EVENT,
  call,
  CancelledError,
  cleanup,
  createMemoryStore,
  defineTask,
  DetachedError,
  fail,
  parallel,
  RETHROW,
  resumeRun,
  sequence,
  startRun,
  task,
  wait,
  workflow,
  type Definition,
  type RunRecord,
  type Store,
  type TaskDefinition,
} from '../../engine/index.js';
import { echoTask, engineWith, failTask, gateTask, journalOf } from './support.js';

afterEach(() => {
  vi.useRealTimers();
});

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
const snapshotOf = async (store: Store, id: string) =>
  (
    await store.get<{ snapshot: { value: unknown; status: string; context: { outcomes: Record<string, number> } } }>(
      `snapshots/${id}`,
    )
  )?.value.snapshot;

/** Throws a CancelledError of its own (a task that gave up), not because its run was cancelled. */
const givesUp = defineTask({
  id: 'test.givesup',
  title: 'Gives up',
  input: z.object({}),
  output: z.object({}),
  run: async () => {
    throw new CancelledError('gave up waiting');
  },
});

/** Moves the (faked) clock on by `ms` while it runs. */
const clockTask = defineTask({
  id: 'test.clock',
  title: 'Clock',
  input: z.object({ ms: z.number() }),
  output: z.object({}),
  idempotent: true,
  run: async ({ input }) => {
    vi.setSystemTime(Date.now() + input.ms);
    return {};
  },
});

describe('checkpoints', () => {
  /** Runs `def` on a fresh memory store; the number of snapshot writes. */
  async function snapshotWrites(
    def: Definition,
    id: string,
    tasks: TaskDefinition[] = [echoTask().task],
  ): Promise<number> {
    const store = createMemoryStore();
    const written = recordPuts(store);
    const { engine } = engineWith(tasks, { store });
    const result = await startRun(engine, def, { params: {}, runId: id });
    expect(result.status).toBe('succeeded');
    return written.filter((k) => k === `snapshots/${id}`).length;
  }

  const echoes = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => task(`s${from + i}`, 'test.echo', { value: from + i }));

  it('writes no checkpoint for a step outcome that leaves the timers as they were, in a workflow with timers', async () => {
    // start (a), entering w (timer armed), leaving w (timer fired), done: b, c and d come from outcomes
    const def = workflow({
      id: 'test:timerquiet',
      steps: sequence(...echoes(4), wait('w', 'PT0.01S'), task('e', 'test.echo', { value: 'e' })),
    });
    expect(await snapshotWrites(def, 'r-tq')).toBe(4);
  });

  it('writes a checkpoint when one timer replaces another, even though as many are pending', async () => {
    // given two steps in a row, each with an interrupting timer of its own, of the same delay
    const def = workflow({
      id: 'test:timerswap',
      steps: sequence(
        task('a', 'test.echo', { value: 1 }, { timeout: { ms: 3_600_000 } }),
        task('b', 'test.echo', { value: 2 }, { timeout: { ms: 3_600_000 } }),
      ),
    });
    // then: the start, entering b (a's timer disarmed, b's armed: not what the last checkpoint holds), the end
    expect(await snapshotWrites(def, 'r-swap')).toBe(3);
  });

  it('writes a checkpoint on the 128th state since the last one, not after the 129th', async () => {
    // 129 steps: the start (forced), 128 states reached from outcomes (the last one is the 128th), the end
    expect(await snapshotWrites(workflow({ id: 'test:c128', steps: sequence(...echoes(129)) }), 'r-128')).toBe(3);
    // 128 steps: only 127 states from outcomes, no checkpoint between the start and the end
    expect(await snapshotWrites(workflow({ id: 'test:c127', steps: sequence(...echoes(128)) }), 'r-127')).toBe(2);
  });

  it('writes a checkpoint once a second has gone by since the last one, at the first state after it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-01T10:00:00.000Z'));
    const slowly = (ms: number) =>
      workflow({
        id: `test:clock${ms}`,
        steps: sequence(task('a', 'test.clock', { ms }), task('b', 'test.echo', { value: 'b' })),
      });
    // a step that took exactly a second: its outcome's state (b) is checkpointed
    expect(await snapshotWrites(slowly(1000), 'r-1000', [clockTask, echoTask().task])).toBe(3);
    // just under a second: only the start and the end
    expect(await snapshotWrites(slowly(999), 'r-999', [clockTask, echoTask().task])).toBe(2);
  });

  it('lets a step start its work only once the checkpoint its state forced is written', async () => {
    // given a store whose snapshot writes take a while
    const store = createMemoryStore();
    const order: string[] = [];
    const put = store.put.bind(store);
    store.put = async (key, value, options) => {
      if (key.startsWith('snapshots/')) {
        await new Promise((r) => setTimeout(r, 20));
        order.push(`snapshot:${(value as { snapshot: { value: string } }).snapshot.value}`);
      }
      return put(key, value, options);
    };
    const seen = defineTask({
      id: 'test.seen',
      title: 'Seen',
      input: z.object({}),
      output: z.object({}),
      idempotent: true,
      run: async () => (order.push('work'), {}),
    });
    const { engine } = engineWith([seen], { store });
    await startRun(engine, workflow({ id: 'test:ckpt', steps: task('a', 'test.seen', {}) }), {
      params: {},
      runId: 'r-ckpt',
    });
    // then the start's checkpoint landed before the step's work, the end's after it
    expect(order).toEqual(['snapshot:a', 'work', 'snapshot:done']);
  });

  it('writes one checkpoint, and starts no step, for a run cancelled before it starts', async () => {
    const store = createMemoryStore();
    const written = recordPuts(store);
    const gate = gateTask();
    const { engine } = engineWith([gate.task], { store });
    const ac = new AbortController();
    ac.abort();
    const result = await startRun(engine, workflow({ id: 'test:precancel', steps: task('g', 'test.gate', {}) }), {
      params: {},
      runId: 'r-pre',
      signal: ac.signal,
    });
    expect(result.status).toBe('cancelled');
    expect(gate.calls()).toBe(0);
    expect(written.filter((k) => k === 'snapshots/r-pre')).toHaveLength(1);
    expect(await snapshotOf(store, 'r-pre')).toMatchObject({ status: 'active', value: 'g' });
  });

  it('checkpoints the state a cancelled run stopped in, even when no checkpoint was due there', async () => {
    // given a run cancelled in its third step, the two before it reached from outcomes (no checkpoint due)
    const store = createMemoryStore();
    const gate = gateTask();
    const { engine } = engineWith([echoTask().task, gate.task], { store });
    const ac = new AbortController();
    const running = startRun(
      engine,
      workflow({
        id: 'test:cancelckpt',
        steps: sequence(
          task('a', 'test.echo', { value: 1 }),
          task('b', 'test.echo', { value: 2 }),
          task('g', 'test.gate', {}),
        ),
      }),
      { params: {}, runId: 'r-cc', signal: ac.signal },
    );
    await gate.started();
    ac.abort();
    expect((await running).status).toBe('cancelled');
    // then the checkpoint is the state it stopped in, with both outcomes taken in
    expect(await snapshotOf(store, 'r-cc')).toMatchObject({ value: 'g', context: { outcomes: { a: 1, b: 1 } } });
  });

  it('writes nothing more when its signal aborts after the run failed', async () => {
    // given a run that failed (an unhandled step failure) and is over
    const store = createMemoryStore();
    const written = recordPuts(store);
    const { engine } = engineWith([failTask().task], { store });
    const ac = new AbortController();
    const result = await startRun(engine, workflow({ id: 'test:latecancel', steps: task('x', 'test.fail', {}) }), {
      params: {},
      runId: 'r-late',
      signal: ac.signal,
    });
    expect(result.status).toBe('failed');
    const before = [...written];
    // when its signal aborts afterwards (a late Ctrl-C)
    ac.abort();
    await new Promise((r) => setTimeout(r, 20));
    // then no snapshot (nor anything else) is written for it, and its checkpoint is its last active state
    expect(written).toEqual(before);
    expect(await snapshotOf(store, 'r-late')).toMatchObject({ status: 'active', value: 'x' });
    expect((await recordOf(store, 'r-late'))?.status).toBe('failed');
  });
});

describe('a failed run', () => {
  it('stops the steps still running, which then report to nobody (no word about a stopped machine)', async () => {
    // given a parallel run whose second branch reaches a fail end while a step of the first waits for its signal
    const warned = [vi.spyOn(console, 'warn'), vi.spyOn(console, 'error')];
    try {
      const gate = gateTask();
      const { engine } = engineWith([gate.task, echoTask().task]);
      const run = startRun(
        engine,
        workflow({
          id: 'test:halt',
          steps: parallel(
            'p',
            task('wait', 'test.gate', {}),
            sequence(task('first', 'test.echo', { value: 1 }), fail('stop', 'left refused')),
          ),
        }),
        { params: {}, runId: 'r-halt' },
      );
      const result = await run;
      // then the run failed with the failing step's error, and the waiting step was cancelled quietly
      expect(result.error).toMatchObject({ message: 'left refused', details: { element: 'stop' } });
      expect(gate.sawAbort()).toBe(true);
      await new Promise((r) => setTimeout(r, 10));
      for (const spy of warned) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of warned) spy.mockRestore();
    }
  });
});

describe('a detached run (its process let go of it)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** A supervised task that runs until its signal aborts, and says when it started. */
  function supervisedWaiter() {
    let started: () => void = () => undefined;
    const isStarted = new Promise<void>((r) => (started = r));
    const reasons: unknown[] = [];
    const t = defineTask({
      id: 'test.watch',
      title: 'Watch',
      input: z.object({}),
      output: z.object({}),
      supervised: true,
      run: ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => (reasons.push(signal.reason), reject(signal.reason)), { once: true });
          started();
        }),
    });
    return { task: t, started: () => isStarted, reasons };
  }

  it('is recorded as detached, naming the supervised steps left running and how to re-attach', async () => {
    // given a parallel run of a supervised step and a call of a child run (whose step is not supervised)
    dir = await mkdtemp(join(tmpdir(), 'gravity-detach-'));
    const watch = supervisedWaiter();
    const gate = gateTask();
    const child = workflow({ id: 'child:gate', steps: task('inner', 'test.gate', {}) });
    const files = dir;
    const { engine } = engineWith([watch.task, gate.task], {
      filesDir: (id) => join(files, id),
      resolveWorkflow: (id) => (id === 'child:gate' ? child : undefined),
    });
    const ac = new AbortController();
    const running = startRun(
      engine,
      workflow({
        id: 'test:detach',
        steps: parallel('both', task('watch', 'test.watch', {}), call('sub', 'child:gate')),
      }),
      { params: {}, runId: 'r-det', signal: ac.signal },
    );
    await Promise.all([watch.started(), gate.started()]);
    // when its process lets go of it
    ac.abort(new DetachedError('terminal gone'));
    const result = await running;
    // then the run and its child are detached, not cancelled
    expect(result.status).toBe('detached');
    const record = await recordOf(engine.store, 'r-det');
    expect(record?.status).toBe('detached');
    expect(record?.pid).toBeUndefined();
    expect((await recordOf(engine.store, 'r-det.sub'))?.status).toBe('detached');
    // the supervised step heard that it was let go of (its commands go on), and stays open in the journal
    expect(watch.reasons).toEqual([expect.any(DetachedError)]);
    const journal = await journalOf(engine.store, 'r-det');
    expect(journal.filter((e) => e.type === 'task.cancelled')).toEqual([]);
    expect(journal.at(-1)).toMatchObject({
      type: 'run.detached',
      message: 'terminal gone: <watch> left running under the step supervisor; `gravity resume r-det` re-attaches',
    });
  });

  it('on resume, makes the interrupted supervised attempt again over what it kept (its decisions are not made anew)', async () => {
    // given a supervised step that makes a decision once, then is let go of with its run
    dir = await mkdtemp(join(tmpdir(), 'gravity-adopt-'));
    const files = dir;
    let computed = 0;
    let calls = 0;
    let started: () => void = () => undefined;
    const isStarted = new Promise<void>((r) => (started = r));
    const pick = defineTask({
      id: 'test.pick',
      title: 'Pick',
      input: z.object({}),
      output: z.object({ choice: z.number() }),
      supervised: true,
      run: async ({ once, signal }) => {
        calls++;
        const choice = await once('choice', () => ++computed);
        if (calls > 1) return { choice };
        started();
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        );
      },
    });
    const { engine } = engineWith([pick], { filesDir: (id) => join(files, id) });
    const def = workflow({ id: 'test:adopt', steps: task('p', 'test.pick', {}), output: '=steps.p.choice' });
    const ac = new AbortController();
    const running = startRun(engine, def, { params: {}, runId: 'r-adopt', signal: ac.signal });
    await isStarted;
    ac.abort(new DetachedError());
    expect((await running).status).toBe('detached');
    // when the run is resumed, then the step's attempt goes on with the decision it made
    const result = await resumeRun(engine, 'r-adopt');
    expect(result).toMatchObject({ status: 'succeeded', output: 1 });
    expect(computed).toBe(1);
    expect(calls).toBe(2);
  });

  it('says that no step was running when none is supervised', async () => {
    const gate = gateTask();
    const { engine } = engineWith([gate.task]);
    const ac = new AbortController();
    const running = startRun(engine, workflow({ id: 'test:detachplain', steps: task('g', 'test.gate', {}) }), {
      params: {},
      runId: 'r-dp',
      signal: ac.signal,
    });
    await gate.started();
    ac.abort(new DetachedError());
    expect((await running).status).toBe('detached');
    const journal = await journalOf(engine.store, 'r-dp');
    // the step that is not supervised was stopped (its work does not outlive the process)
    expect(journal.filter((e) => e.type === 'task.cancelled').map((e) => e.step)).toEqual(['g']);
    expect(journal.at(-1)).toMatchObject({
      type: 'run.detached',
      message: 'detached: no step was running; `gravity resume r-dp` re-attaches',
    });
  });

  it('inside a cleanup body, lets go without running the cleanup (a resume goes on with the body)', async () => {
    const gate = gateTask();
    const echo = echoTask();
    const { engine } = engineWith([gate.task, echo.task]);
    const ac = new AbortController();
    const running = startRun(
      engine,
      workflow({
        id: 'test:detachcleanup',
        steps: cleanup('guard', task('g', 'test.gate', {}), task('undo', 'test.echo', { value: 'undone' })),
      }),
      { params: {}, runId: 'r-dc', signal: ac.signal },
    );
    await gate.started();
    ac.abort(new DetachedError());
    expect((await running).status).toBe('detached');
    expect(echo.calls).toEqual([]);
  });
});

describe('how a run ends', () => {
  it('succeeds when a step that gave up (a CancelledError of its own) was handled', async () => {
    const { engine } = engineWith([givesUp, echoTask().task]);
    const result = await startRun(
      engine,
      workflow({
        id: 'test:gaveupok',
        steps: sequence(
          task('try', 'test.givesup', {}, { onError: 'continue' }),
          task('next', 'test.echo', { value: 1 }),
        ),
        output: '=steps.next.value',
      }),
      { params: {}, runId: 'r-gu' },
    );
    expect(result).toMatchObject({ status: 'succeeded', output: 1 });
    expect((await journalOf(engine.store, 'r-gu')).at(-1)).toMatchObject({ type: 'run.finished', output: 1 });
  });

  it('fails at a fail end reached from a handled CancelledError: the run was not cancelled', async () => {
    const { engine } = engineWith([givesUp]);
    const result = await startRun(
      engine,
      workflow({
        id: 'test:gaveupfail',
        steps: task('try', 'test.givesup', {}, { onError: fail('stop', '="stopped: " + error.message') }),
      }),
      { params: {}, runId: 'r-guf' },
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'TASK_FAILED', message: 'stopped: gave up waiting', step: 'try' });
  });

  it('fails, with the code of its error, when a step gives up unhandled: the run was not cancelled', async () => {
    const { engine } = engineWith([givesUp]);
    const result = await startRun(engine, workflow({ id: 'test:gaveup', steps: task('try', 'test.givesup', {}) }), {
      params: {},
      runId: 'r-gun',
    });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'CANCELLED', message: 'gave up waiting', step: 'try' });
    const last = (await journalOf(engine.store, 'r-gun')).at(-1);
    expect(last).toMatchObject({ type: 'run.failed', error: { code: 'CANCELLED' } });
    expect((await recordOf(engine.store, 'r-gun'))?.finishedAt).toEqual(expect.any(String));
  });

  it.each([
    { name: 'fail: true', fail: true as const },
    { name: 'a fail without a message', fail: {} },
  ])('fails with "run ended in <end>" at a top-level fail end given $name', async ({ fail }) => {
    const def: Definition = {
      id: 'test:failbare',
      machine: { initial: 'stop', states: { stop: { type: 'final', meta: { fail } } } },
    };
    const { engine } = engineWith([]);
    const result = await startRun(engine, def, { params: {}, runId: 'r-fb' });
    expect(result.error).toMatchObject({ code: 'TASK_FAILED', message: 'run ended in <stop>' });
  });

  it('journals a cleanup body failure as the run failure once the cleanup ran', async () => {
    const { engine } = engineWith([failTask().task, echoTask().task]);
    const result = await startRun(
      engine,
      workflow({
        id: 'test:bodyfails',
        steps: cleanup(
          'guard',
          task('risky', 'test.fail', { message: 'disk full' }),
          task('undo', 'test.echo', { value: 1 }),
        ),
      }),
      { params: {}, runId: 'r-bf' },
    );
    expect(result.error).toMatchObject({ code: 'TASK_FAILED', message: 'disk full', step: 'risky' });
    expect((await journalOf(engine.store, 'r-bf')).at(-1)).toMatchObject({
      type: 'run.failed',
      message: 'disk full',
      error: { message: 'disk full', step: 'risky' },
    });
  });
});

describe('a cancel handed to a cleanup', () => {
  /** A compound `body` (one gated step) whose cancel goes to `onCancel`; `states` are the rest of the machine. */
  function guarded(states: Definition['machine']['states']): Definition {
    return {
      id: 'test:guarded',
      machine: {
        initial: 'body',
        states: {
          body: {
            initial: 'work',
            states: { work: { invoke: { src: 'test.gate', input: {} }, onDone: 'fin' }, fin: { type: 'final' } },
            on: { [CANCEL_EVENT]: 'onCancel' },
            onDone: 'done',
          },
          done: { type: 'final' },
          ...states,
        },
      },
    };
  }

  async function cancelInBody(def: Definition, tasks = [gateTask()]) {
    const [gate] = tasks;
    const { engine } = engineWith([...tasks.map((t) => t.task), failTask().task, echoTask().task]);
    const ac = new AbortController();
    const running = startRun(engine, def, { params: {}, runId: 'r-g', signal: ac.signal });
    await gate.started();
    ac.abort();
    const result = await running;
    return { result, journal: await journalOf(engine.store, 'r-g'), record: await recordOf(engine.store, 'r-g') };
  }

  it('ends cancelled, with the cancel as its error, at a fail end that does not re-throw', async () => {
    const { result, journal, record } = await cancelInBody(
      guarded({ onCancel: { type: 'final', meta: { fail: { message: 'should not be the error' } } } }),
    );
    expect(result.status).toBe('cancelled');
    expect(record?.error).toMatchObject({ code: 'CANCELLED', message: 'run cancelled in <body>' });
    expect(record?.finishedAt).toEqual(expect.any(String));
    expect(journal.at(-1)).toMatchObject({
      type: 'run.cancelled',
      message: 'cancelled; its cleanup ran, so the run is over (start a new run)',
      error: { code: 'CANCELLED' },
    });
  });

  it('fails when a cleanup step fails after the cancel and its handler leads to a fail end', async () => {
    // the error the end stands for is the cleanup step's, not the cancel
    const { result } = await cancelInBody(
      guarded({
        onCancel: {
          invoke: { src: 'test.fail', input: { message: 'cannot undo' } },
          onDone: 'done',
          onError: 'broken',
        },
        broken: { type: 'final', meta: { fail: { message: '="cleanup broke: " + error.message' } } },
      }),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'TASK_FAILED', message: 'cleanup broke: cannot undo' });
  });

  it('fails when a cleanup step fails unhandled after the cancel: the cleanup did not run to its end', async () => {
    const { result, journal } = await cancelInBody(
      guarded({ onCancel: { invoke: { src: 'test.fail', input: { message: 'cannot undo' } }, onDone: 'done' } }),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'TASK_FAILED', message: 'cannot undo', step: 'onCancel' });
    expect(journal.at(-1)).toMatchObject({ type: 'run.failed' });
  });

  it('ends cancelled when a parallel cleanup re-throws the cancel from one of its branches', async () => {
    // a failing end inside a parallel region fails the whole run (the machine errors) with the error it re-throws
    const { result, journal, record } = await cancelInBody(
      guarded({
        onCancel: {
          type: 'parallel',
          states: {
            left: { initial: 'rethrow', states: { rethrow: { type: 'final', meta: { fail: { message: RETHROW } } } } },
            right: {
              initial: 'undo',
              states: {
                undo: { invoke: { src: 'test.echo', input: { value: 1 } }, onDone: 'ok' },
                ok: { type: 'final' },
              },
            },
          },
          onDone: 'done',
        },
      }),
    );
    expect(result.status).toBe('cancelled');
    expect(record?.error).toMatchObject({ code: 'CANCELLED', message: 'run cancelled in <body>' });
    expect(journal.at(-1)).toMatchObject({ type: 'run.cancelled', error: { code: 'CANCELLED' } });
  });

  it('ends cancelled with the cancel as its error, even after a cleanup step failed and was handled', async () => {
    const { result, record } = await cancelInBody(
      guarded({
        onCancel: {
          invoke: { src: 'test.fail', input: { message: 'cannot undo' } },
          onDone: 'rethrow',
          onError: 'rethrow',
        },
        rethrow: { type: 'final', meta: { fail: { message: RETHROW } } },
      }),
    );
    expect(result.status).toBe('cancelled');
    expect(record?.error).toMatchObject({ code: 'CANCELLED', message: 'run cancelled in <body>' });
  });
});
