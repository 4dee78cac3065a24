// Resume: a cancelled or crashed run carries on from its snapshot without repeating finished steps.
import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest';
import {
  call,
  createJsonStore,
  createRegistry,
  definitionHash,
  resumeRun,
  sequence,
  startRun,
  task,
  wait,
  workflow,
  type EngineOptions,
  type JournalEntry,
  type RunRecord,
} from '../../engine/index.js';
import {
  echoTask,
  engineWith,
  failTask,
  gateTask,
  journalOf,
  processDied,
  sleepTask,
  taskTrail,
  tempJsonStore,
} from './support.js';

let tmp: Awaited<ReturnType<typeof tempJsonStore>>;
beforeEach(async () => {
  tmp = await tempJsonStore();
});
afterEach(async () => {
  await tmp.cleanup();
});

const def = workflow({
  id: 'test:resume',
  steps: sequence(
    task('s1', 'test.echo', { value: 'one' }),
    task('s2', 'test.gate', { value: '=steps.s1.value + "-two"' }),
    task('s3', 'test.echo', { value: '=steps.s2.value' }),
  ),
  output: '=steps.s3.value',
});

/** Starts a run and cancels it while s2 runs; returns the fixtures. */
async function cancelledAtS2(o: { idempotent: boolean; runId: string }) {
  const echo = echoTask();
  const gate = gateTask({ idempotent: o.idempotent });
  const { engine } = engineWith([echo.task, gate.task], { store: tmp.store });
  const ac = new AbortController();
  const running = startRun(engine, def, { params: {}, runId: o.runId, signal: ac.signal });
  await gate.started();
  ac.abort();
  const first = await running;
  return { echo, gate, engine, first };
}

describe('resumeRun after a cancel', () => {
  it('completes an idempotent interrupted step without repeating finished ones', async () => {
    // given a run cancelled while its idempotent step s2 ran
    const { echo, gate, engine, first } = await cancelledAtS2({ idempotent: true, runId: 'r-idem' });
    expect(first.status).toBe('cancelled');
    expect(echo.calls).toEqual(['one']);
    // when it is resumed (s2 may finish this time)
    gate.rearm();
    gate.release();
    const result = await resumeRun(engine, 'r-idem');
    // then s1 did not run again, s2 ran again with the same input, and the run finished with s3's output
    expect(result.status).toBe('succeeded');
    expect(echo.calls).toEqual(['one', 'one-two']);
    expect(gate.calls()).toBe(2);
    expect(result.output).toBe('one-two');
    const journal = await journalOf(tmp.store, 'r-idem');
    expect(journal.map((e) => e.type)).toContain('run.resumed');
    expect(taskTrail(journal)).toEqual([
      'task.started:s1',
      'task.finished:s1',
      'task.started:s2',
      'task.cancelled:s2',
      'task.started:s2',
      'task.finished:s2',
      'task.started:s3',
      'task.finished:s3',
    ]);
    expect((await tmp.store.get<RunRecord>('runs/r-idem'))?.value.status).toBe('succeeded');
  });

  it('stops as needs-attention for an interrupted step that is not idempotent, running nothing', async () => {
    // given a run cancelled while its non-idempotent step s2 ran
    const { echo, gate, engine } = await cancelledAtS2({ idempotent: false, runId: 'r-attn' });
    gate.release();
    // when it is resumed without force
    const result = await resumeRun(engine, 'r-attn');
    // then it needs attention for s2 with a message that says how to go on, and no task ran
    expect(result.status).toBe('needs-attention');
    expect(result.attention?.steps).toEqual(['s2']);
    expect(result.attention?.message).toMatch(
      /<s2> \(test\.gate\) was interrupted and is not idempotent.*--force.*rollback/,
    );
    expect(echo.calls).toEqual(['one']);
    expect(gate.calls()).toBe(1);
    const record = (await tmp.store.get<RunRecord>('runs/r-attn'))!.value;
    expect(record).toMatchObject({ status: 'needs-attention', attention: { steps: ['s2'] } });
    expect((await journalOf(tmp.store, 'r-attn')).filter((e) => e.type === 'run.needs-attention')).toHaveLength(1);
    // and a second resume without force says the same without journaling it twice
    expect((await resumeRun(engine, 'r-attn')).status).toBe('needs-attention');
    expect((await journalOf(tmp.store, 'r-attn')).filter((e) => e.type === 'run.needs-attention')).toHaveLength(1);
  });

  it('re-runs a non-idempotent step with force and completes', async () => {
    // given a needs-attention run
    const { echo, gate, engine } = await cancelledAtS2({ idempotent: false, runId: 'r-force' });
    gate.release();
    expect((await resumeRun(engine, 'r-force')).status).toBe('needs-attention');
    // when it is resumed with force
    const result = await resumeRun(engine, 'r-force', { force: true });
    // then s2 ran again and the run succeeded, s1 still only once
    expect(result.status).toBe('succeeded');
    expect(result.attention).toBeUndefined();
    expect(gate.calls()).toBe(2);
    expect(echo.calls).toEqual(['one', 'one-two']);
    expect((await tmp.store.get<RunRecord>('runs/r-force'))!.value.attention).toBeUndefined();
  });

  it('refuses a changed definition with DEFINITION_CHANGED unless allowChanged', async () => {
    // given a cancelled run of an idempotent step
    const { gate, engine } = await cancelledAtS2({ idempotent: true, runId: 'r-changed' });
    gate.release();
    const changed = { ...def, title: 'changed' };
    // when resumed with a different definition
    // then it is refused, and nothing changed in the record
    await expect(resumeRun(engine, 'r-changed', { definition: changed })).rejects.toMatchObject({
      code: 'DEFINITION_CHANGED',
    });
    expect((await tmp.store.get<RunRecord>('runs/r-changed'))!.value.status).toBe('cancelled');
    expect(gate.calls()).toBe(1);
    // and with allowChanged it goes on
    const result = await resumeRun(engine, 'r-changed', { definition: changed, allowChanged: true });
    expect(result.status).toBe('succeeded');
  });

  it('accepts the same definition passed explicitly', async () => {
    const { gate, engine } = await cancelledAtS2({ idempotent: true, runId: 'r-same' });
    gate.release();
    expect((await resumeRun(engine, 'r-same', { definition: structuredClone(def) })).status).toBe('succeeded');
  });

  it.each([
    { status: 'succeeded', message: /already succeeded: nothing to resume/ },
    { status: 'failed', message: /already failed: nothing to resume/ },
    { status: 'rolled-back', message: /been rolled back/ },
  ])('refuses to resume a $status run', async ({ status, message }) => {
    const { engine } = engineWith([], { store: tmp.store });
    await tmp.store.put('runs/r-x', {
      id: 'r-x',
      workflow: 'test:resume',
      definitionHash: definitionHash(def),
      status,
      params: {},
      source: { kind: 'inline' },
      createdAt: '',
      updatedAt: '',
    });
    await expect(resumeRun(engine, 'r-x')).rejects.toThrow(message);
  });

  it('finds a run by a unique id prefix and reports an unknown one', async () => {
    const { gate, engine } = await cancelledAtS2({ idempotent: true, runId: 'r-prefix-123' });
    gate.release();
    expect((await resumeRun(engine, 'r-prefix')).runId).toBe('r-prefix-123');
    await expect(resumeRun(engine, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('re-arms a wait timer with the time it had left when resumed after a cancel', async () => {
    // given a run cancelled 600 ms into a 1 s wait
    const echo = echoTask();
    const { engine, events } = engineWith([echo.task], { store: tmp.store });
    const w = workflow({
      id: 'test:waitresume',
      steps: sequence(
        task('a', 'test.echo', { value: 'a' }),
        wait('pause', 1000),
        task('b', 'test.echo', { value: 'b' }),
      ),
    });
    const ac = new AbortController();
    const running = startRun(engine, w, { params: {}, runId: 'r-wait', signal: ac.signal });
    await new Promise((r) => setTimeout(r, 600));
    ac.abort();
    expect((await running).status).toBe('cancelled');
    expect(echo.calls).toEqual(['a']);
    // when it is resumed
    const resumedAt = Date.now();
    const result = await Promise.race([
      resumeRun(engine, 'r-wait'),
      new Promise<'hung'>((r) => setTimeout(() => r('hung'), 3000)),
    ]);
    // then the timer fires (the run does not hang), a is not repeated,
    // and b starts once the 1 s is over, well before 1 s after the resume (a restarted timer); the margin is wide
    // because a loaded machine may take a few hundred ms to resume
    expect(result === 'hung' ? 'hung' : result.status).toBe('succeeded');
    expect(echo.calls).toEqual(['a', 'b']);
    const at = (type: string, step: string) =>
      Date.parse((events.find((e) => e.type === type && (e as { step?: string }).step === step) as { at: string }).at);
    expect(at('task.started', 'b') - at('task.finished', 'a')).toBeGreaterThanOrEqual(990);
    expect(at('task.started', 'b') - resumedAt).toBeLessThan(900);
  });

  it('keeps a re-armed timer across a second cancel and resume', async () => {
    // given a 150 ms wait cancelled, resumed and cancelled again before it fired
    const echo = echoTask();
    const { engine } = engineWith([echo.task], { store: tmp.store });
    const w = workflow({
      id: 'test:wait2',
      steps: sequence(wait('pause', 150), task('b', 'test.echo', { value: 'b' })),
    });
    const ac1 = new AbortController();
    const first = startRun(engine, w, { params: {}, runId: 'r-wait2', signal: ac1.signal });
    setTimeout(() => ac1.abort(), 20);
    expect((await first).status).toBe('cancelled');
    const ac2 = new AbortController();
    const second = resumeRun(engine, 'r-wait2', { signal: ac2.signal });
    setTimeout(() => ac2.abort(), 20);
    expect((await second).status).toBe('cancelled');
    // when resumed a second time
    const result = await Promise.race([
      resumeRun(engine, 'r-wait2'),
      new Promise<'hung'>((r) => setTimeout(() => r('hung'), 3000)),
    ]);
    // then the wait still ends and the run completes
    expect(result === 'hung' ? 'hung' : result.status).toBe('succeeded');
    expect(echo.calls).toEqual(['b']);
  });

  // the cancel lands either while the step's start is being journaled (its work never starts) or once its work runs
  it.each([
    {
      moment: 'while its start is journaled',
      cancelWhen: (_seen: unknown[], e?: { type: string; step?: string }) =>
        e?.type === 'task.started' && e.step === 'slow',
    },
    { moment: 'once its work runs', cancelWhen: (seen: unknown[]) => seen.length > 0 },
  ])(
    're-arms the interrupting timer of a task that is re-run on resume (cancelled $moment)',
    async ({ moment, cancelWhen }) => {
      // given a run cancelled at that moment of an idempotent task with a 1.5 s interrupting timer
      const { task: nap, seen } = sleepTask();
      const echo = echoTask();
      const ac = new AbortController();
      const { engine, events } = engineWith([nap, echo.task], {
        store: tmp.store,
        onEvent: (e) => (cancelWhen(seen, e as never) ? ac.abort() : undefined),
      });
      const w = workflow({
        id: 'test:timerresume',
        steps: sequence(
          task(
            'slow',
            'test.sleep',
            { ms: 10_000, label: 'slow' },
            { timeout: { ms: 1500, then: task('fallback', 'test.echo', { value: 'late' }) } },
          ),
          task('next', 'test.echo', { value: 'next' }),
        ),
      });
      const running = startRun(engine, w, { params: {}, runId: 'r-timer', signal: ac.signal });
      while (!ac.signal.aborted) {
        if (cancelWhen(seen)) ac.abort();
        await new Promise((r) => setTimeout(r, 2));
      }
      expect((await running).status).toBe('cancelled');
      // the first attempt's work was aborted by the cancel, or never started
      expect(seen).toEqual(moment === 'once its work runs' ? [{ label: 'slow', aborted: true }] : []);
      // when it is resumed 300 ms later
      await new Promise((r) => setTimeout(r, 300));
      const resumedAt = Date.now();
      const result = await Promise.race([
        resumeRun(engine, 'r-timer'),
        new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000)),
      ]);
      // then the task re-ran, the timer cut it and the timer path was taken
      expect(result === 'hung' ? 'hung' : result.status).toBe('succeeded');
      expect(seen.at(-1)).toEqual({ label: 'slow', aborted: true });
      expect(seen.length).toBe(moment === 'once its work runs' ? 2 : 1);
      expect(taskTrail(events as JournalEntry[])).toEqual([
        'task.started:slow',
        'task.cancelled:slow',
        'task.started:slow',
        'task.cancelled:slow',
        'task.started:fallback',
        'task.finished:fallback',
        'task.started:next',
        'task.finished:next',
      ]);
      expect(echo.calls).toEqual(['late', 'next']);
      // and the timer kept its deadline from the first start: not early (it was armed after run.started), and not 1.5 s
      // counted again from the resume
      const at = (type: string, step?: string) =>
        Date.parse(
          (events.find((e) => e.type === type && (e as { step?: string }).step === step) as { at: string }).at,
        );
      expect(at('task.started', 'fallback') - at('run.started')).toBeGreaterThanOrEqual(1490);
      expect(at('task.started', 'fallback') - resumedAt).toBeLessThan(1400);
    },
  );

  it('resumes the cancelled child run of a call step instead of starting a new one', async () => {
    // given a parent cancelled while its called child blocked in an idempotent step
    const gate = gateTask({ idempotent: true });
    const echo = echoTask();
    const child = workflow({
      id: 'child:gate',
      steps: sequence(task('c1', 'test.echo', { value: 'c1' }), task('c2', 'test.gate', { value: 'from-child' })),
      output: '=steps.c2.value',
    });
    const { engine } = engineWith([gate.task, echo.task], {
      store: tmp.store,
      resolveWorkflow: (id) => (id === 'child:gate' ? child : undefined),
    });
    const parent = workflow({
      id: 'parent:gate',
      steps: sequence(call('sub', 'child:gate'), task('after', 'test.echo', { value: '=steps.sub' })),
    });
    const ac = new AbortController();
    const running = startRun(engine, parent, { params: {}, runId: 'r-pc', signal: ac.signal });
    await gate.started();
    ac.abort();
    expect((await running).status).toBe('cancelled');
    // when the parent is resumed
    gate.release();
    const result = await resumeRun(engine, 'r-pc');
    // then the same child run was resumed (c1 not repeated) and its output reached the parent
    expect(result.status).toBe('succeeded');
    expect(echo.calls).toEqual(['c1', 'from-child']);
    expect((await tmp.store.list('runs/')).map((e) => e.key)).toEqual(['runs/r-pc', 'runs/r-pc.sub']);
    expect((await tmp.store.get<RunRecord>('runs/r-pc.sub'))?.value.status).toBe('succeeded');
  });
});

describe('resumeRun after a crash', () => {
  it.each([
    { idempotent: true, status: 'succeeded', s2calls: 2 },
    { idempotent: false, status: 'needs-attention', s2calls: 1 },
  ])(
    'resumes a run whose process died in s2 (idempotent: $idempotent) -> $status',
    async ({ idempotent, status, s2calls }) => {
      // given a run whose s2 never settles the first time (the process "dies" there), left running
      const echo1 = echoTask();
      const gate1 = gateTask({ idempotent, hangFirst: true });
      const { engine: first } = engineWith([echo1.task, gate1.task], { store: tmp.store });
      void startRun(first, def, { params: {}, runId: 'r-crash' }).catch(() => undefined);
      await gate1.started();
      // and the run record says it belongs to a process that no longer exists
      const rec = (await tmp.store.get<RunRecord>('runs/r-crash'))!;
      expect(rec.value.status).toBe('running');
      await tmp.store.put('runs/r-crash', { ...rec.value, pid: 999_999 });
      await processDied(tmp.store);
      // when a new engine (a new process) over the same directory resumes it
      const store2 = await createJsonStore(tmp.dir);
      const echo2 = echoTask();
      const gate2 = gateTask({ idempotent });
      gate2.release();
      const second: EngineOptions = { store: store2, registry: createRegistry(echo2.task, gate2.task) };
      const result = await resumeRun(second, 'r-crash');
      // then finished s1 never runs again; s2 re-runs only when idempotent
      expect(result.status).toBe(status);
      expect(echo2.calls).toEqual(idempotent ? ['one-two'] : []);
      expect(gate1.calls() + gate2.calls()).toBe(s2calls);
      if (idempotent) expect(result.output).toBe('one-two');
      else expect(result.attention?.steps).toEqual(['s2']);
      await store2.close();
    },
  );

  /** A copy of `store` whose writes (snapshots of `runId`, journal lines) never land once `when` returned true for an appended journal entry. */
  function dyingAfter(store: typeof tmp.store, runId: string, when: (e: { type: string; step?: string }) => boolean) {
    const state = { dead: false };
    const dying = Object.create(store) as typeof store;
    dying.put = (key, value, options) =>
      state.dead && key === `snapshots/${runId}` ? new Promise<never>(() => undefined) : store.put(key, value, options);
    // dead: nothing it writes lands any more (a dead process writes nothing)
    dying.append = async (key, record, options) => {
      if (state.dead) return new Promise<never>(() => undefined);
      await store.append(key, record, options);
      if (when(record as { type: string; step?: string })) state.dead = true;
    };
    dying.syncLog = (key) => (state.dead ? new Promise<never>(() => undefined) : store.syncLog(key));
    return { dying, state };
  }

  it.each([{ idempotent: false }, { idempotent: true }])(
    'uses the journaled output of s2 when the process died after journaling its end but before the snapshot (idempotent: $idempotent)',
    async ({ idempotent }) => {
      // given a run whose process dies right after journaling that s2 finished, before the next snapshot
      const gate1 = gateTask({ idempotent });
      gate1.release();
      const { dying, state } = dyingAfter(tmp.store, 'r-torn', (e) => e.type === 'task.finished' && e.step === 's2');
      const { engine: first } = engineWith([echoTask().task, gate1.task], { store: dying });
      void startRun(first, def, { params: {}, runId: 'r-torn' }).catch(() => undefined);
      await vi.waitFor(() => expect(state.dead).toBe(true), { timeout: 30_000 });
      await new Promise((r) => setTimeout(r, 20));
      await processDied(tmp.store);
      // when another process resumes the run
      const store2 = await createJsonStore(tmp.dir);
      const echo2 = echoTask();
      const gate2 = gateTask({ idempotent });
      gate2.release();
      const result = await resumeRun({ store: store2, registry: createRegistry(echo2.task, gate2.task) }, 'r-torn');
      // then s2 does not run again: its journaled output feeds s3 and the run completes
      expect(result.status).toBe('succeeded');
      expect(gate2.calls()).toBe(0);
      expect(echo2.calls).toEqual(['one-two']);
      expect(result.output).toBe('one-two');
      await store2.close();
    },
  );

  it('fast-forwards from a checkpoint many steps old: the journal replays what came after it, nothing runs twice', async () => {
    // given a 200-step chain whose process dies once s151 started (s150's end is written with it); its snapshot is older
    const chain = workflow({
      id: 'test:ff',
      steps: sequence(
        task('s0', 'test.echo', { value: 0 }),
        ...Array.from({ length: 199 }, (_, i) => task(`s${i + 1}`, 'test.echo', { value: `=steps.s${i}.value + 1` })),
      ),
      output: '=steps.s199.value',
    });
    const { dying, state } = dyingAfter(tmp.store, 'r-ff', (e) => e.type === 'task.started' && e.step === 's151');
    const echo1 = echoTask();
    void startRun(engineWith([echo1.task], { store: dying }).engine, chain, { params: {}, runId: 'r-ff' }).catch(
      () => undefined,
    );
    await vi.waitFor(() => expect(state.dead).toBe(true), { timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 20));
    await processDied(tmp.store);
    const snap = await tmp.store.get<{ snapshot: { context: { outcomes: Record<string, number> } } }>('snapshots/r-ff');
    const taken = snap!.value.snapshot.context.outcomes;
    expect(taken.s100).toBe(1);
    expect(taken.s150).toBeUndefined();
    // when another process resumes it
    const store2 = await createJsonStore(tmp.dir);
    const echo2 = echoTask();
    const result = await resumeRun({ store: store2, registry: createRegistry(echo2.task) }, 'r-ff');
    // then the steps up to s150 are replayed from the journal (outputs included); s151, interrupted (idempotent), runs
    // again, and the others once
    expect(result.status).toBe('succeeded');
    expect(result.output).toBe(199);
    expect(echo1.calls).toEqual(Array.from({ length: 152 }, (_, i) => i));
    expect(echo2.calls).toEqual(Array.from({ length: 49 }, (_, i) => 151 + i));
    const finished = (await store2.readLog<{ type: string; step?: string }>('journal/r-ff')).filter(
      (e) => e.type === 'task.finished',
    );
    expect(finished.map((e) => e.step)).toEqual(Array.from({ length: 200 }, (_, i) => `s${i}`));
    await store2.close();
  });

  it('takes the error path of s2 when the process died after journaling its failure but before the snapshot', async () => {
    // given a run whose s2 fails (handled by onError) and whose process dies right after journaling that failure
    const failing = workflow({
      id: 'test:tornfail',
      steps: sequence(
        task('s1', 'test.echo', { value: 'one' }),
        task(
          's2',
          'test.fail',
          { message: 'disk full' },
          { onError: task('handle', 'test.echo', { value: '=error.message' }) },
        ),
      ),
    });
    const { dying, state } = dyingAfter(tmp.store, 'r-tornfail', (e) => e.type === 'task.failed' && e.step === 's2');
    const boom1 = failTask();
    const { engine: first } = engineWith([echoTask().task, boom1.task], { store: dying });
    void startRun(first, failing, { params: {}, runId: 'r-tornfail' }).catch(() => undefined);
    await vi.waitFor(() => expect(state.dead).toBe(true), { timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 20));
    await processDied(tmp.store);
    // when another process resumes it
    const store2 = await createJsonStore(tmp.dir);
    const echo2 = echoTask();
    const boom2 = failTask();
    const result = await resumeRun({ store: store2, registry: createRegistry(echo2.task, boom2.task) }, 'r-tornfail');
    // then s2 is not run again and its journaled error goes to the handler
    expect(result.status).toBe('succeeded');
    expect(boom1.calls() + boom2.calls()).toBe(1);
    expect(echo2.calls).toEqual(['disk full']);
    await store2.close();
  });

  it('refuses to resume a run whose owning process is still alive', async () => {
    const { engine } = engineWith([], { store: tmp.store });
    const { hostname } = await import('node:os');
    await tmp.store.put('runs/r-live', {
      id: 'r-live',
      workflow: 'test:resume',
      definitionHash: definitionHash(def),
      status: 'running',
      pid: process.ppid,
      host: hostname(),
      params: {},
      source: { kind: 'inline' },
      createdAt: '',
      updatedAt: '',
    });
    await expect(resumeRun(engine, 'r-live')).rejects.toThrow(/still running in process/);
  });
});
