// Persistence of runs: the record, the snapshot and the journal land in the store, a snapshot after every step.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  createJsonStore,
  definitionHash,
  stepsFromJournal,
  parallel,
  sequence,
  startRun,
  task,
  workflow,
  type RunRecord,
  type Store,
} from '../../engine/index.js';
import { echoTask, engineWith, journalOf, taskTrail, tempJsonStore } from './support.js';

let tmp: Awaited<ReturnType<typeof tempJsonStore>>;
beforeEach(async () => {
  tmp = await tempJsonStore();
});
afterEach(async () => {
  await tmp.cleanup();
});

/** Wraps `store.put` to record every key written, in order. */
function recordPuts(store: Store): string[] {
  const keys: string[] = [];
  const put = store.put.bind(store);
  store.put = (key, value, options) => {
    keys.push(key);
    return put(key, value, options);
  };
  return keys;
}

describe('run persistence in the JSON store', () => {
  const def = workflow({
    id: 'test:persist',
    title: 'Persisted',
    steps: sequence(
      task('one', 'test.echo', { value: 1 }),
      task('two', 'test.echo', { value: '=steps.one.value + 1' }),
      task('three', 'test.echo', { value: 3 }),
    ),
    output: '=steps.two.value',
  });

  it('stores the run record, the snapshot, the journal and the definition', async () => {
    // given an engine over a JSON store
    const { task: echo } = echoTask();
    const { engine } = engineWith([echo], { store: tmp.store });
    // when a run finishes
    const result = await startRun(engine, def, { params: { x: 1 }, runId: 'r-persist' });
    // then runs/<id>, snapshots/<id>, journal/<id> and definitions/<hash> exist, as files too
    expect(result.status).toBe('succeeded');
    const record = (await tmp.store.get<RunRecord>('runs/r-persist'))!.value;
    expect(record).toMatchObject({
      id: 'r-persist',
      workflow: 'test:persist',
      title: 'Persisted',
      status: 'succeeded',
      params: { x: 1 },
      output: 2,
      definitionHash: definitionHash(def),
    });
    expect(record.pid).toBeUndefined();
    expect(record.finishedAt).toEqual(expect.any(String));
    const snap = (await tmp.store.get<{
      definitionHash: string;
      stepsInJournal: boolean;
      snapshot: { status: string; context: { steps: unknown } };
    }>('snapshots/r-persist'))!.value;
    expect(snap.definitionHash).toBe(definitionHash(def));
    expect(snap.snapshot.status).toBe('done');
    // step outputs live in the journal only (the snapshot stays small); resume rebuilds them from it
    expect(snap.stepsInJournal).toBe(true);
    expect(snap.snapshot.context.steps).toEqual({});
    expect(stepsFromJournal(await tmp.store.readLog('journal/r-persist'))).toEqual({
      one: { value: 1 },
      two: { value: 2 },
      three: { value: 3 },
    });
    expect((await tmp.store.get(`definitions/${definitionHash(def)}`))?.value).toEqual(def);
    expect(existsSync(join(tmp.dir, 'kv', 'runs', 'r-persist.json'))).toBe(true);
    expect(existsSync(join(tmp.dir, 'kv', 'snapshots', 'r-persist.json'))).toBe(true);
    expect(existsSync(join(tmp.dir, 'logs', 'journal', 'r-persist.jsonl'))).toBe(true);
  });

  it('journals started and finished for each step in order, with input, output, attempt and duration', async () => {
    const { task: echo } = echoTask();
    const { engine } = engineWith([echo], { store: tmp.store });
    await startRun(engine, def, { params: {}, runId: 'r-journal' });
    // when the stored journal is read back
    const journal = await journalOf(tmp.store, 'r-journal');
    // then it is run.started, started/finished per step in order, run.finished
    expect(journal.map((e) => e.type)).toEqual([
      'run.started',
      'task.started',
      'task.finished',
      'task.started',
      'task.finished',
      'task.started',
      'task.finished',
      'run.finished',
    ]);
    expect(taskTrail(journal)).toEqual([
      'task.started:one',
      'task.finished:one',
      'task.started:two',
      'task.finished:two',
      'task.started:three',
      'task.finished:three',
    ]);
    expect(journal[3]).toMatchObject({
      step: 'two',
      task: 'test.echo',
      attempt: 1,
      idempotent: true,
      input: { value: 2 },
    });
    expect(journal[4]).toMatchObject({ step: 'two', attempt: 1, output: { value: 2 }, durationMs: expect.any(Number) });
    expect(journal.at(-1)).toMatchObject({ type: 'run.finished', output: 2 });
    const times = journal.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('writes snapshots as checkpoints (the journal is what resume trusts), in order with the record', async () => {
    // given a store whose puts are recorded
    const keys = recordPuts(tmp.store);
    const { task: echo } = echoTask();
    const { engine } = engineWith([echo], { store: tmp.store });
    // when a three-step run finishes
    await startRun(engine, def, { params: {}, runId: 'r-snaps' });
    // then a snapshot was written at the start and at the end, not after every step
    expect(keys.filter((k) => k === 'snapshots/r-snaps')).toHaveLength(2);
    const snap = await tmp.store.get<{ snapshot: { status: string; context: { outcomes: object } } }>(
      'snapshots/r-snaps',
    );
    expect(snap?.value.snapshot.status).toBe('done');
    expect(snap?.value.snapshot.context.outcomes).toEqual({ one: 1, two: 1, three: 1 });
    // the run's lock is taken first, its definition is stored before its record (a record always finds its definition),
    // the record comes before any snapshot, and the record's end is the last write
    expect(keys[0]).toBe('run-locks/r-snaps');
    expect(keys.findIndex((k) => k.startsWith('definitions/'))).toBeLessThan(keys.indexOf('runs/r-snaps'));
    expect(keys.filter((k) => k === 'runs/r-snaps' || k === 'snapshots/r-snaps')[0]).toBe('runs/r-snaps');
    expect(keys.at(-1)).toBe('runs/r-snaps');
  });

  it("has journaled a step's start, and the outputs before it, before that step runs", async () => {
    // given a task that reads the stored journal when it runs (another process would read the same file)
    const seen: unknown[] = [];
    const { task: echo } = echoTask();
    const probe = {
      ...echo,
      id: 'test.probe',
      run: async (ctx: Parameters<typeof echo.run>[0]) => {
        const journal = await createJsonStore(tmp.dir).then(async (other) => {
          const j = await other.readLog<{ type: string; step?: string }>('journal/r-before');
          await other.close();
          return j;
        });
        seen.push({
          value: journal.filter((e) => e.type === 'task.started').at(-1)?.step,
          steps: Object.keys(stepsFromJournal(journal as never)),
        });
        return echo.run(ctx);
      },
    };
    const { engine } = engineWith([echo, probe], { store: tmp.store });
    // when the second step runs
    await startRun(
      engine,
      workflow({
        id: 'test:before',
        steps: sequence(task('one', 'test.echo', { value: 1 }), task('two', 'test.probe', { value: 2 })),
      }),
      { params: {}, runId: 'r-before' },
    );
    // then the journal it saw already says "two started", with one's output
    expect(seen).toEqual([{ value: 'two', steps: ['one'] }]);
  });

  it('journals every branch of a parallel run to the same log', async () => {
    const { task: echo } = echoTask();
    const { engine } = engineWith([echo], { store: tmp.store });
    await startRun(
      engine,
      workflow({
        id: 'test:pj',
        steps: parallel('p', task('a', 'test.echo', { value: 1 }), task('b', 'test.echo', { value: 2 })),
      }),
      { params: {}, runId: 'r-par' },
    );
    const trail = taskTrail(await journalOf(tmp.store, 'r-par'));
    expect([...trail].sort()).toEqual(['task.finished:a', 'task.finished:b', 'task.started:a', 'task.started:b']);
  });

  it('refuses to start a second run with an id already used', async () => {
    const { task: echo } = echoTask();
    const { engine } = engineWith([echo], { store: tmp.store });
    const one = workflow({ id: 'test:once', steps: task('a', 'test.echo', { value: 1 }) });
    await startRun(engine, one, { params: {}, runId: 'r-same' });
    await expect(startRun(engine, one, { params: {}, runId: 'r-same' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('writes nothing with persist: false', async () => {
    const { task: echo } = echoTask();
    const { engine } = engineWith([echo], { store: tmp.store, persist: false });
    const result = await startRun(engine, def, { params: {}, runId: 'r-none' });
    expect(result.status).toBe('succeeded');
    expect(await tmp.store.list('')).toEqual([]);
  });
});
