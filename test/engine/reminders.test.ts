// Reminders (non-interrupting timers): side paths that run as child runs while their step goes on, in process and
// across a parked wait (resume --due), failing the step when they fail, cancelled with it, resumed after a crash.
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkDefinition,
  forEach,
  createRegistry,
  getRun,
  loadRun,
  receive,
  reminder,
  resumeRun,
  RunStatus,
  sequence,
  startRun,
  task,
  workflow,
  type Definition,
  type EngineOptions,
} from '../../engine/index.js';
import { createJsonStore } from '../../engine/store/index.js';
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

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(o: Partial<EngineOptions> = {}) {
  const tmp = await tempJsonStore();
  cleanups.push(tmp.cleanup);
  const echo = echoTask();
  const sleeper = sleepTask();
  const fail = failTask();
  const { engine } = engineWith([echo.task, sleeper.task, fail.task], { store: tmp.store, ...o });
  return { engine, calls: echo.calls, seen: sleeper.seen, store: tmp.store };
}

const slowWithNudges = (ms: number, after: number, times?: number): Definition =>
  workflow({
    id: 'test:slow',
    params: { who: { type: 'string', default: 'ops' } },
    steps: sequence(
      task(
        'work',
        'test.sleep',
        { ms, label: 'work' },
        {
          reminders: [
            reminder('nudge', after, task('notify', 'test.echo', { value: '="still working, " + who' }), {
              ...(times !== undefined ? { times } : {}),
              title: 'Still running',
            }),
          ],
        },
      ),
      task('after', 'test.echo', { value: 'after' }),
    ),
  });

describe('reminders', () => {
  it('runs its side path as a child run while the step goes on, then the step ends and the run goes on', async () => {
    const { engine, calls, store } = await setup();
    const r = await startRun(engine, slowWithNudges(400, 100), { params: { who: 'ops' } });
    expect(r.status).toBe(RunStatus.Succeeded);
    // the side path ran once (times defaults to 1), with the run's variables, before the next step
    expect(calls).toEqual(['still working, ops', 'after']);
    const child = await getRun(store, `${r.runId}.nudge`);
    expect(child?.status).toBe('succeeded');
    expect(child?.parent).toBe(r.runId);
    const j = await journalOf(store, r.runId);
    const at = (type: string, step: string) => j.findIndex((e) => e.type === type && e.step === step);
    expect(at('task.started', 'nudge')).toBeGreaterThan(at('task.started', 'work'));
    // the step's end is journaled after its side path's
    expect(at('task.finished', 'work')).toBeGreaterThan(at('task.finished', 'nudge'));
  });

  it('does not fire when the step ends first', async () => {
    const { engine, calls } = await setup();
    const r = await startRun(engine, slowWithNudges(30, 2000), { params: { who: 'ops' } });
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['after']);
  });

  it('fires `times` times, `after` apart, while the step runs', async () => {
    const { engine, calls, store } = await setup();
    const r = await startRun(engine, slowWithNudges(3600, 1000, 3), { params: { who: 'ops' } });
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(calls.filter((c) => c === 'still working, ops')).toHaveLength(3);
    // each firing is a child run of its own
    for (const id of [`${r.runId}.nudge`, `${r.runId}.nudge-2`, `${r.runId}.nudge-3`])
      expect((await getRun(store, id))?.status).toBe('succeeded');
  });

  it('a side path that fails fails the step, which its onError can catch', async () => {
    const { engine, calls } = await setup();
    const def = workflow({
      id: 'test:failing-nudge',
      steps: task(
        'work',
        'test.sleep',
        { ms: 300 },
        {
          reminders: [reminder('nudge', 50, task('mail', 'test.fail', { message: 'smtp down' }))],
          onError: task('handled', 'test.echo', { value: '=error.message' }),
        },
      ),
    });
    const r = await startRun(engine, def, { params: {} });
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual([expect.stringContaining('reminder <nudge> of <work> failed')]);
    expect(String(calls[0])).toContain('smtp down');
  });

  it('a step that fails cancels its running side path', async () => {
    const { engine, seen, store } = await setup();
    const def = workflow({
      id: 'test:fail-cancels',
      steps: sequence(
        task(
          'work',
          'test.sleep',
          { ms: 60_000, label: 'work' },
          {
            timeoutMs: 300,
            reminders: [reminder('nudge', 20, task('long', 'test.sleep', { ms: 60_000, label: 'side' }))],
          },
        ),
      ),
    });
    const r = await startRun(engine, def, { params: {} });
    expect(r.status).toBe(RunStatus.Failed);
    expect(r.error?.code).toBe('TIMEOUT');
    expect(seen.find((s) => s.label === 'side')?.aborted).toBe(true);
    expect((await getRun(store, `${r.runId}.nudge`))?.status).toBe('cancelled');
  });

  it('a parked wait records when its reminder is due; resume then runs the side path and parks again', async () => {
    const { engine, calls } = await setup();
    const def = workflow({
      id: 'test:doc',
      steps: sequence(
        receive('doc', 'document', {
          reminders: [reminder('daily', 1500, task('mail', 'test.echo', { value: 'please send it' }), { times: 2 })],
        }),
        task('got', 'test.echo', { value: '=steps.doc.data' }),
      ),
    });
    const t0 = Date.now();
    const r = await startRun(engine, def, { params: {} });
    expect(r.status).toBe(RunStatus.Waiting);
    const until = Date.parse(r.waiting![0].until!);
    expect(until).toBeGreaterThanOrEqual(t0 + 1500 - 50);
    expect(until).toBeLessThanOrEqual(Date.now() + 1500);
    expect(calls).toEqual([]);
    // due: a resume (as `gravity resume --due` does) runs the reminder and parks again, due for the second firing
    await new Promise((res) => setTimeout(res, until - Date.now() + 20));
    const again = await resumeRun(engine, r.runId);
    expect(again.status).toBe(RunStatus.Waiting);
    expect(calls).toEqual(['please send it']);
    const next = Date.parse(again.waiting![0].until!);
    expect(next).toBeGreaterThanOrEqual(until + 1500 - 50);
    // the message comes: the run ends, the reminder never fires again
    const done = await resumeRun(engine, r.runId, { answer: { kind: 'message', name: 'document', data: 'the doc' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['please send it', 'the doc']);
    // a reminder fired twice (times: 2) leaves nothing due
    expect((await loadRun(engine, r.runId)).waiting ?? []).toEqual([]);
  });

  it('a resume after the process died goes on with the side path that was running, and does not fire it twice', async () => {
    const tmp = await tempJsonStore();
    cleanups.push(tmp.cleanup);
    const def = workflow({
      id: 'test:crash',
      steps: sequence(
        task(
          'work',
          'test.sleep',
          { ms: 300, label: 'work' },
          { reminders: [reminder('nudge', 20, task('side', 'test.gate', { value: 'nudged' }))] },
        ),
        task('after', 'test.echo', { value: 'after' }),
      ),
    });
    // the first process dies inside the side path (its gate never settles)
    const gate1 = gateTask({ idempotent: true, hangFirst: true });
    const { engine: first } = engineWith([sleepTask().task, echoTask().task, gate1.task], { store: tmp.store });
    void startRun(first, def, { params: {}, runId: 'r-crash' }).catch(() => undefined);
    await gate1.started();
    await new Promise((res) => setTimeout(res, 400));
    await processDied(tmp.store);
    // the step's end waits for its side path: it is not journaled, so the step is open
    expect(taskTrail(await journalOf(tmp.store, 'r-crash'))).toEqual(['task.started:work', 'task.started:nudge']);
    const store2 = await createJsonStore(tmp.dir);
    cleanups.push(() => store2.close());
    const gate2 = gateTask({ idempotent: true });
    gate2.release();
    const echo2 = echoTask();
    const second: EngineOptions = { store: store2, registry: createRegistry(sleepTask().task, echo2.task, gate2.task) };
    const done = await resumeRun(second, 'r-crash');
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(echo2.calls).toEqual(['after']);
    // the side path's child run was resumed, not started again, and the reminder did not fire a second time
    expect(gate2.calls()).toBe(1);
    expect((await getRun(store2, 'r-crash.nudge'))?.status).toBe('succeeded');
    expect(await getRun(store2, 'r-crash.nudge-2')).toBeUndefined();
    const trail = taskTrail(await journalOf(store2, 'r-crash'));
    expect(trail.filter((t) => t === 'task.started:nudge')).toHaveLength(1);
    expect(trail.at(-1)).toBe('task.finished:after');
  });

  it('validation: a bad delay, a repeat faster than a second, a wait in the side path, ids used twice', () => {
    const registry = createRegistry(echoTask().task);
    const def = (r: object[]): Definition => ({
      id: 'test:v',
      machine: {
        initial: 'a',
        states: {
          a: { invoke: { src: 'test.echo', input: { value: 1 } }, onDone: 'done', meta: { reminders: r as never } },
          done: { type: 'final' },
        },
      },
    });
    const body = {
      initial: 'n',
      states: { n: { invoke: { src: 'test.echo', input: { value: 1 } }, onDone: 'e' }, e: { type: 'final' } },
    };
    const problems = (r: object[]) => checkDefinition(def(r), registry).map((p) => `${p.element}: ${p.message}`);
    expect(problems([{ id: 'r', after: 'soon', ...body }])).toEqual([expect.stringContaining('bad delay')]);
    expect(problems([{ id: 'r', after: 100, times: 0, ...body }])).toEqual([
      expect.stringContaining('its delay must be at least 1000 ms'),
    ]);
    expect(problems([{ id: 'r', after: 100, tims: 2, ...body }])).toEqual([
      expect.stringContaining('unknown key "tims" in meta.reminders[0]; did you mean "times"?'),
    ]);
    expect(
      problems([
        {
          id: 'r',
          after: 100,
          initial: 'w',
          states: {
            w: { invoke: { src: 'gravity.message', input: { name: 'x' } }, onDone: 'e' },
            e: { type: 'final' },
          },
        },
      ]),
    ).toEqual([expect.stringContaining('cannot wait for an approval or a message')]);
    expect(problems([{ id: 'a', after: 100, ...body }])).toEqual([
      expect.stringContaining('reminder id "a" is used twice'),
    ]);
    expect(
      problems([
        {
          id: 'r',
          after: 100,
          initial: 'n',
          states: { n: { invoke: { src: 'test.ecko' }, onDone: 'e' }, e: { type: 'final' } },
        },
      ]),
    ).toEqual([
      expect.stringMatching(/^n: in reminder <r> of <a>: unknown task "test.ecko"; did you mean "test.echo"/),
    ]);
    expect(problems([{ id: 'r', after: 100, ...body }])).toEqual([]);
  });
});

describe('reminders of a for-each', () => {
  it('fire once for the whole for-each, not once per item', async () => {
    const { engine, calls } = await setup();
    const def = workflow({
      id: 'test:each-reminded',
      steps: forEach('items', ['a', 'b', 'c'], task('one', 'test.sleep', { ms: 150, label: '=item' }), {
        concurrency: 3,
        reminders: [reminder('nudge', 50, task('notify', 'test.echo', { value: 'slow' }))],
      }),
    });
    const r = await startRun(engine, def, { params: {} });
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['slow']);
  });
});

describe('a reminder whose delay cannot be evaluated', () => {
  it('fails its step before it starts, journaled, and the step onError catches it', async () => {
    const { engine, calls, store } = await setup();
    const def = workflow({
      id: 'test:bad-delay',
      steps: task(
        'work',
        'test.echo',
        { value: 'worked' },
        {
          reminders: [reminder('nudge', '="soon"', task('notify', 'test.echo', { value: 'x' }))],
          onError: task('handled', 'test.echo', { value: '=error.message' }),
        },
      ),
    });
    const r = await startRun(engine, def, { params: {} });
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual([expect.stringContaining('bad delay in <nudge>: "soon"')]);
    const trail = taskTrail(await journalOf(store, r.runId));
    expect(trail.slice(0, 2)).toEqual(['task.started:work', 'task.failed:work']);
  });
});
