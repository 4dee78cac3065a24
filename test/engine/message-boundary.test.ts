// Message boundaries (BPMN's interrupting message boundary event): a message delivered while a step runs or waits leaves
// it for another path. Posted to the run's inbox (as `gravity signal` does for a run another process drives), taken by
// the execution, journaled, the step stopped, the data merged into the variables; dropped when nobody listens any more.
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  approval,
  BadInputError,
  checkDefinition,
  cleanup,
  createRegistry,
  deliverAnswer,
  forEach,
  INBOX_POLL_MS,
  loadRun,
  messageRoute,
  parallel,
  planDefinition,
  postMessage,
  readInbox,
  receive,
  resumeRun,
  RunStatus,
  sequence,
  startRun,
  task,
  workflow,
  type Definition,
  type EngineOptions,
  type RunRecord,
  type Store,
  type TaskDefinition,
} from '../../engine/index.js';
import { DEAD_PID, echoTask, engineWith, gateTask, journalOf, sleepTask, tempJsonStore } from './support.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(o: Partial<EngineOptions> = {}, more: TaskDefinition[] = []) {
  const tmp = await tempJsonStore();
  cleanups.push(tmp.cleanup);
  const echo = echoTask();
  const slow = sleepTask();
  const gate = gateTask({ idempotent: true });
  const { engine, events } = engineWith([echo.task, slow.task, gate.task, ...more], { store: tmp.store, ...o });
  return { engine, events, echo, slow, gate, store: tmp.store };
}

/** Polls the stored record of `runId` until `check` holds. */
async function recordWhen(engine: EngineOptions, runId: string, check: (r: RunRecord) => boolean): Promise<RunRecord> {
  const end = Date.now() + 10_000;
  for (;;) {
    const r = await loadRun(engine, runId).catch(() => undefined);
    if (r && check(r)) return r;
    if (Date.now() > end) throw new Error(`record of ${runId} never matched`);
    await sleep(10);
  }
}

/** `gravity signal <run> <name>` for a run another process drives: a message in the run's inbox for `step`. */
const post = (store: Store, runId: string, step: string, name: string, more: { key?: string; data?: unknown } = {}) =>
  postMessage(store, runId, { step, message: name }, { kind: 'message', name, by: 'ops@test', ...more });

/** A long backup, left for `cleanup` on message "abort-backup" (correlated by the env when `keyed`). */
function backupWorkflow(keyed = false): Definition {
  return workflow({
    id: 'test:backup',
    params: { env: { type: 'string', default: '7' } },
    steps: sequence(
      task(
        'backup',
        'test.sleep',
        { ms: 60_000, label: 'backup' },
        {
          onMessage: { 'abort-backup': 'cleanup' },
          ...(keyed ? { messageKeys: { 'abort-backup': '=params.env' } } : {}),
        },
      ),
      task('report', 'test.echo', { value: 'report' }, { onError: 'continue' }),
      task('cleanup', 'test.echo', { value: '="cleanup: " + string(why)' }),
    ),
  });
}

describe('a message boundary on a running step', () => {
  it('leaves the step for its target: the step is stopped, the data merged, the journal says who sent what', async () => {
    const { engine, echo, slow, store } = await setup();
    const run = startRun(engine, backupWorkflow(), { params: {}, runId: 'r-backup' });
    const listening = await recordWhen(engine, 'r-backup', (r) => !!r.listening?.length);
    expect(listening.listening).toEqual([{ step: 'backup', message: 'abort-backup' }]);

    await post(store, 'r-backup', 'backup', 'abort-backup', { data: { why: 'disk full', extra: 1 } });
    const r = await run;
    expect(r.status).toBe(RunStatus.Succeeded);
    // the target path ran (report is skipped: the run went from backup to cleanup), with the message's data in scope
    expect(echo.calls).toEqual(['cleanup: disk full']);
    expect(slow.seen).toEqual([{ label: 'backup', aborted: true }]);
    expect(r.steps.map((s) => [s.id, s.status])).toEqual([
      ['backup', 'cancelled'],
      ['cleanup', 'succeeded'],
    ]);
    const j = await journalOf(store, 'r-backup');
    const interrupted = j.filter((e) => e.type === 'step.interrupted');
    expect(interrupted).toEqual([
      expect.objectContaining({
        step: 'backup',
        task: 'test.sleep',
        message: 'left for <cleanup> on',
        answer: expect.objectContaining({
          kind: 'message',
          name: 'abort-backup',
          by: 'ops@test',
          data: { why: 'disk full', extra: 1 },
        }),
      }),
    ]);
    expect(j.find((e) => e.type === 'task.cancelled' && e.step === 'backup')?.message).toBe(
      'interrupted by message "abort-backup"',
    );
    // journaled before the step is stopped, and before the next step starts
    const at = (type: string, step: string) => j.findIndex((e) => e.type === type && e.step === step);
    expect(at('step.interrupted', 'backup')).toBeLessThan(at('task.cancelled', 'backup'));
    expect(at('step.interrupted', 'backup')).toBeLessThan(at('task.started', 'cleanup'));
    // taken: gone from the inbox; the run listens for nothing any more; its variables hold the data
    expect(await readInbox(store, 'r-backup')).toEqual([]);
    const rec = await loadRun(engine, 'r-backup');
    expect(rec.listening).toBeUndefined();
    const snap = (await store.get<{ snapshot: { context: { vars: Record<string, unknown> } } }>('snapshots/r-backup'))!;
    expect(snap.value.snapshot.context.vars).toMatchObject({ why: 'disk full', extra: 1 });
  });

  it('data that is not an object is journaled but not merged', async () => {
    const { engine, echo, store } = await setup();
    const def = workflow({
      id: 'test:scalar',
      steps: sequence(
        task(
          'backup',
          'test.sleep',
          { ms: 60_000 },
          { onMessage: { stop: task('after', 'test.echo', { value: '=vars' }) } },
        ),
      ),
    });
    const run = startRun(engine, def, { params: {}, runId: 'r-scalar' });
    await recordWhen(engine, 'r-scalar', (r) => !!r.listening?.length);
    await post(store, 'r-scalar', 'backup', 'stop', { data: [1, 2] });
    expect((await run).status).toBe(RunStatus.Succeeded);
    expect(echo.calls).toEqual([{}]);
    const j = await journalOf(store, 'r-scalar');
    expect(j.find((e) => e.type === 'step.interrupted')?.answer?.data).toEqual([1, 2]);
  });

  it('a key evaluated when the step starts correlates: another key is refused up front, the right one taken', async () => {
    const { engine, echo, store } = await setup();
    const run = startRun(engine, backupWorkflow(true), { params: { env: '1161' }, runId: 'r-key' });
    const rec = await recordWhen(engine, 'r-key', (r) => !!r.listening?.length);
    expect(rec.listening).toEqual([{ step: 'backup', message: 'abort-backup', key: '1161' }]);
    // what `gravity signal` asks first: the wrong key (or none) is nobody's message, with the reason
    for (const key of ['1170', undefined])
      expect(() => messageRoute(rec, { kind: 'message', name: 'abort-backup', key }, { running: true })).toThrow(
        /is not waiting for anything \(it is running\): nothing to signal; it listens for <backup> \(message "abort-backup" key 1161\)/,
      );
    expect(messageRoute(rec, { kind: 'message', name: 'abort-backup', key: '1161' }, { running: true })).toEqual({
      kind: 'listener',
      listener: { step: 'backup', message: 'abort-backup', key: '1161' },
    });
    // a message with another key that reached the inbox all the same (a race) is dropped, not taken
    await postMessage(
      store,
      'r-key',
      { step: 'backup', message: 'abort-backup', key: '1161' },
      { kind: 'message', name: 'abort-backup', key: '1170', by: 'ops@test' },
    );
    await sleep(INBOX_POLL_MS * 3);
    expect((await loadRun(engine, 'r-key')).status).toBe(RunStatus.Running);
    let j = await journalOf(store, 'r-key');
    expect(j.filter((e) => e.type === 'step.interrupted')).toEqual([]);
    expect(j.find((e) => e.type === 'message.dropped')).toMatchObject({
      step: 'backup',
      answer: { name: 'abort-backup', key: '1170' },
    });
    await post(store, 'r-key', 'backup', 'abort-backup', { key: '1161', data: { why: 'k' } });
    expect((await run).status).toBe(RunStatus.Succeeded);
    expect(echo.calls).toEqual(['cleanup: k']);
    j = await journalOf(store, 'r-key');
    expect(j.find((e) => e.type === 'step.interrupted')?.answer).toMatchObject({ key: '1161' });
  });

  it.each([
    [
      '=null',
      /correlation key of message "abort-backup" \(meta.messageKeys: =null\) gave null; expected a non-empty string or a number/,
    ],
    ['=params.nope', /expression in <backup.messageKeys.abort-backup> failed: Key 'nope' not found/],
  ])('a key %s that gives no key fails the step, naming the message and the expression', async (expr, message) => {
    const { engine, slow } = await setup();
    const def = backupWorkflow(true);
    def.machine.states.backup.meta!.messageKeys = { 'abort-backup': expr };
    const r = await startRun(engine, def, { params: {} });
    expect(r.status).toBe(RunStatus.Failed);
    expect(r.error).toMatchObject({ step: 'backup', message: expect.stringMatching(message) });
    expect(r.steps).toEqual([expect.objectContaining({ id: 'backup', status: 'failed' })]);
    expect(slow.seen).toEqual([]);
  });

  it('a message for a step that ended first is dropped and journaled; the run goes its own way', async () => {
    const { engine, echo, gate, store } = await setup();
    const def = workflow({
      id: 'test:late',
      steps: sequence(
        task('first', 'test.echo', { value: 'first' }, { onMessage: { stop: 'stopped' } }),
        // the run still listens (another message) while it waits here: its inbox is read
        task('second', 'test.gate', {}, { onMessage: { other: 'stopped' } }),
        task('stopped', 'test.echo', { value: 'stopped' }),
      ),
    });
    const run = startRun(engine, def, { params: {}, runId: 'r-late' });
    await gate.started();
    await recordWhen(engine, 'r-late', (r) => r.listening?.[0]?.step === 'second');
    // `gravity signal` saw <first> listening, but the message came after it ended
    await post(store, 'r-late', 'first', 'stop');
    const end = Date.now() + 5000;
    while (!(await journalOf(store, 'r-late')).some((e) => e.type === 'message.dropped') && Date.now() < end)
      await sleep(20);
    gate.release();
    const r = await run;
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(echo.calls).toEqual(['first', 'stopped']);
    const j = await journalOf(store, 'r-late');
    expect(j.filter((e) => e.type === 'step.interrupted')).toEqual([]);
    expect(j.find((e) => e.type === 'message.dropped')).toMatchObject({
      step: 'first',
      message: expect.stringMatching(/<first> no longer listens for it/),
      answer: { name: 'stop', by: 'ops@test' },
    });
    expect(await readInbox(store, 'r-late')).toEqual([]);
  });

  it('a message left in the inbox of a run that ends is dropped, journaled, when it ends', async () => {
    const { engine, gate, store } = await setup();
    const def = workflow({
      id: 'test:end',
      steps: sequence(
        task('first', 'test.echo', { value: 1 }, { onMessage: { stop: 'last' } }),
        task('middle', 'test.gate', {}),
        task('last', 'test.echo', { value: 2 }),
      ),
    });
    const run = startRun(engine, def, { params: {}, runId: 'r-end' });
    await gate.started();
    await post(store, 'r-end', 'first', 'stop');
    gate.release();
    expect((await run).status).toBe(RunStatus.Succeeded);
    const j = await journalOf(store, 'r-end');
    const dropped = j.findIndex((e) => e.type === 'message.dropped');
    expect(j[dropped]).toMatchObject({
      step: 'first',
      message: expect.stringMatching(/the run ended before <first> took it/),
    });
    expect(dropped).toBeLessThan(j.findIndex((e) => e.type === 'run.finished'));
    expect(await readInbox(store, 'r-end')).toEqual([]);
  });

  it('two messages at once interrupt the step once: the second is dropped', async () => {
    const { engine, echo, store } = await setup();
    const run = startRun(engine, backupWorkflow(), { params: {}, runId: 'r-two' });
    await recordWhen(engine, 'r-two', (r) => !!r.listening?.length);
    await Promise.all([
      post(store, 'r-two', 'backup', 'abort-backup', { data: { why: 'a' } }),
      post(store, 'r-two', 'backup', 'abort-backup', { data: { why: 'b' } }),
    ]);
    expect((await run).status).toBe(RunStatus.Succeeded);
    expect(echo.calls).toHaveLength(1);
    const j = await journalOf(store, 'r-two');
    expect(j.filter((e) => e.type === 'step.interrupted')).toHaveLength(1);
    expect(j.filter((e) => e.type === 'message.dropped')).toHaveLength(1);
    expect(j.filter((e) => e.type === 'task.started' && e.step === 'cleanup')).toHaveLength(1);
    expect(await readInbox(store, 'r-two')).toEqual([]);
  });

  it('of two parallel steps that listen for one name, only the one the message is for is left', async () => {
    const { engine, echo, slow, store } = await setup();
    const def = workflow({
      id: 'test:par',
      steps: parallel(
        'both',
        sequence(
          task(
            'a',
            'test.sleep',
            { ms: 60_000, label: 'a' },
            { onMessage: { stop: task('a-stopped', 'test.echo', { value: 'a' }) } },
          ),
        ),
        sequence(
          task(
            'b',
            'test.sleep',
            { ms: 400, label: 'b' },
            { onMessage: { stop: task('b-stopped', 'test.echo', { value: 'b' }) } },
          ),
        ),
      ),
    });
    const run = startRun(engine, def, { params: {}, runId: 'r-par' });
    await recordWhen(engine, 'r-par', (r) => r.listening?.length === 2);
    await post(store, 'r-par', 'a', 'stop');
    const r = await run;
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(echo.calls).toEqual(['a']);
    expect(slow.seen).toEqual(
      expect.arrayContaining([
        { label: 'a', aborted: true },
        { label: 'b', aborted: false },
      ]),
    );
    expect(r.steps.find((s) => s.id === 'b')?.status).toBe('succeeded');
  });
});

describe('a message boundary on a parked step', () => {
  const gated = (boundary: 'approval' | 'receive') =>
    workflow({
      id: 'test:gated',
      steps: sequence(
        boundary === 'approval'
          ? approval('confirm', 'Go?', {
              onMessage: { abort: task('aborted', 'test.echo', { value: '="aborted: " + why' }) },
            })
          : receive('confirm', 'go-ahead', {
              onMessage: { abort: task('aborted', 'test.echo', { value: '="aborted: " + why' }) },
            }),
        task('report', 'test.echo', { value: 'report' }),
      ),
    });

  it.each(['approval', 'receive'] as const)(
    'a parked %s lists what it listens for; the message resumes the run, which takes it before parking again',
    async (kind) => {
      const { engine, echo, store } = await setup();
      const r = await startRun(engine, gated(kind), { params: {} });
      expect(r.status).toBe(RunStatus.Waiting);
      expect(r.listening).toEqual([{ step: 'confirm', message: 'abort' }]);
      const parked = await loadRun(engine, r.runId);
      expect(parked.listening).toEqual([{ step: 'confirm', message: 'abort' }]);
      expect(parked.pid).toBeUndefined();
      // `gravity signal <run> abort`: under the run's lock, into its inbox, then resumed here
      const done = await resumeRun(engine, r.runId, {
        answer: { kind: 'message', name: 'abort', data: { why: 'no window' }, by: 'ops@test' },
      });
      expect(done.status).toBe(RunStatus.Succeeded);
      expect(echo.calls).toEqual(['aborted: no window', 'report']);
      expect(done.steps.map((s) => [s.id, s.status])).toEqual([
        ['confirm', 'cancelled'],
        ['aborted', 'succeeded'],
        ['report', 'succeeded'],
      ]);
      const j = await journalOf(store, r.runId);
      expect(j.filter((e) => e.type === 'step.answered')).toEqual([]);
      expect(j.find((e) => e.type === 'step.interrupted')).toMatchObject({
        step: 'confirm',
        answer: { name: 'abort', by: 'ops@test', data: { why: 'no window' } },
      });
      // the parked step had journaled its start before the run parked: its cancel closes it, by the message
      expect(j.find((e) => e.type === 'task.cancelled' && e.step === 'confirm')?.message).toBe(
        'interrupted by message "abort"',
      );
      expect(await readInbox(store, r.runId)).toEqual([]);
      expect((await loadRun(engine, r.runId)).listening).toBeUndefined();
    },
  );

  it('a message the parked run does not listen for is refused with what it waits and listens for; nothing is written', async () => {
    const { engine, store } = await setup();
    const r = await startRun(engine, gated('approval'), { params: {} });
    const before = (await journalOf(store, r.runId)).length;
    await expect(resumeRun(engine, r.runId, { answer: { kind: 'message', name: 'abrt' } })).rejects.toThrow(
      /is not waiting for message "abrt"; it waits at <confirm> \(approval: Go\?\); it listens for <confirm> \(message "abort"\)/,
    );
    expect((await journalOf(store, r.runId)).length).toBe(before);
    expect(await readInbox(store, r.runId)).toEqual([]);
    expect((await loadRun(engine, r.runId)).status).toBe(RunStatus.Waiting);
  });

  it('a message that waits in the inbox of a parked run (its signal died before resuming) is taken by the next resume', async () => {
    const { engine, echo } = await setup();
    const r = await startRun(engine, gated('approval'), { params: {} });
    await deliverAnswer(engine, r.runId, { kind: 'message', name: 'abort', data: { why: 'later' }, by: 'x' });
    expect((await loadRun(engine, r.runId)).status).toBe(RunStatus.Waiting);
    const done = await resumeRun(engine, r.runId);
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(echo.calls).toEqual(['aborted: later', 'report']);
  });

  it('a message wait of the same name keeps its path: the message answers it', async () => {
    const { engine, echo } = await setup();
    const def = workflow({
      id: 'test:same',
      steps: sequence(
        receive('confirm', 'go', { onMessage: { abort: task('aborted', 'test.echo', { value: 'aborted' }) } }),
        task('report', 'test.echo', { value: '=steps.confirm.data.v' }),
      ),
    });
    const r = await startRun(engine, def, { params: {} });
    const rec = await loadRun(engine, r.runId);
    expect(messageRoute(rec, { kind: 'message', name: 'go' })).toMatchObject({ kind: 'wait' });
    const done = await resumeRun(engine, r.runId, { answer: { kind: 'message', name: 'go', data: { v: 'answered' } } });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(echo.calls).toEqual(['answered']);
  });
});

describe('who listens', () => {
  it('a run that listens for nothing refuses every message, naming what it waits for and listens for', async () => {
    const { engine, gate } = await setup();
    const def = workflow({ id: 'test:none', steps: sequence(task('g', 'test.gate', {})) });
    const run = startRun(engine, def, { params: {}, runId: 'r-none' });
    await gate.started();
    const rec = await loadRun(engine, 'r-none');
    expect(() => messageRoute(rec, { kind: 'message', name: 'abort' }, { running: true })).toThrow(
      /^run r-none is not waiting for anything \(it is running\): nothing to signal; it listens for no message$/,
    );
    expect(() => messageRoute(rec, { kind: 'message', name: 'abort' }, { running: true })).toThrow(BadInputError);
    gate.release();
    await run;
  });

  it('a running run whose process is gone does not take messages: resume it first', () => {
    const rec = {
      id: 'r-dead',
      status: RunStatus.Running,
      listening: [{ step: 'backup', message: 'abort-backup' }],
    } as unknown as RunRecord;
    expect(() => messageRoute(rec, { kind: 'message', name: 'abort-backup' }, { running: false })).toThrow(
      /<backup> \(message "abort-backup"\) listened for it, but the run is interrupted \(its process is gone\): resume it/,
    );
  });

  it('several steps listening for one name need --step', () => {
    const rec = {
      id: 'r-two',
      status: RunStatus.Waiting,
      waiting: [],
      listening: [
        { step: 'a', message: 'stop' },
        { step: 'b', message: 'stop' },
      ],
    } as unknown as RunRecord;
    expect(() => messageRoute(rec, { kind: 'message', name: 'stop' })).toThrow(
      /listens for message "stop" at several steps: <a> \(message "stop"\), <b> \(message "stop"\); name one with --step/,
    );
    expect(messageRoute(rec, { kind: 'message', name: 'stop', step: 'b' })).toEqual({
      kind: 'listener',
      listener: { step: 'b', message: 'stop' },
    });
  });
});

describe('a message taken, then the process dies', () => {
  it('a resume from before the message was deleted takes it again (at least once): the step is left, not asked about', async () => {
    // a step that is not idempotent: a resume that took it for merely interrupted would ask a person
    const hold = gateTask({ id: 'test.hold', idempotent: false });
    const { engine, echo, store } = await setup({}, [hold.task]);
    const def = workflow({
      id: 'test:crash',
      steps: sequence(
        task('backup', 'test.hold', {}, { onMessage: { 'abort-backup': 'cleanup' } }),
        task('report', 'test.echo', { value: 'report' }, { onError: 'continue' }),
        task('cleanup', 'test.echo', { value: 'cleanup' }),
      ),
    });
    const run = startRun(engine, def, { params: {}, runId: 'r-crash' });
    await hold.started();
    await recordWhen(engine, 'r-crash', (r) => !!r.listening?.length);
    // the snapshot the run had before the message: what a crash between the journal line and the next snapshot leaves
    const before = (await store.get('snapshots/r-crash'))!.value;
    await post(store, 'r-crash', 'backup', 'abort-backup');
    expect((await run).status).toBe(RunStatus.Succeeded);
    expect(echo.calls).toEqual(['cleanup']);
    // put the run back as such a crash leaves it: the older snapshot, the message still in the inbox, the record
    // running (its process gone), the journal ending with the interruption
    const j = await journalOf(store, 'r-crash');
    const cut = j.findIndex((e) => e.type === 'step.interrupted') + 1;
    const taken = j[cut - 1].answer!;
    await store.put('snapshots/r-crash', before);
    await postMessage(
      store,
      'r-crash',
      { step: 'backup', message: 'abort-backup' },
      { kind: 'message', name: 'abort-backup', by: taken.by },
    );
    const rec = await loadRun(engine, 'r-crash');
    await store.put('runs/r-crash', {
      ...rec,
      status: RunStatus.Running,
      pid: DEAD_PID,
      pidStart: 1,
      finishedAt: undefined,
      listening: [{ step: 'backup', message: 'abort-backup' }],
    });
    writeFileSync(
      store.locate('journal/r-crash', 'log'),
      j
        .slice(0, cut)
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n',
    );
    echo.calls.length = 0;
    const again = await resumeRun(engine, 'r-crash');
    expect(again.status).toBe(RunStatus.Succeeded);
    expect(echo.calls).toEqual(['cleanup']);
    // the step was not started again: the message, delivered again, left it before it did anything
    expect(hold.calls()).toBe(1);
    const j2 = await journalOf(store, 'r-crash');
    expect(j2.find((e) => e.type === 'run.resumed')?.message).toMatch(/<backup> left by a message/);
    expect(j2.filter((e) => e.type === 'step.interrupted')).toHaveLength(2);
    expect(j2.filter((e) => e.type === 'task.started' && e.step === 'report')).toHaveLength(0);
    expect(await readInbox(store, 'r-crash')).toEqual([]);
  });
});

describe('definitions', () => {
  const registry = createRegistry(echoTask().task);
  const base = (state: Record<string, unknown>, more: Record<string, unknown> = {}): Definition =>
    ({
      id: 'test:v',
      machine: {
        initial: 's',
        states: {
          s: { invoke: { src: 'test.echo', input: { value: 1 } }, onDone: 'done', ...state },
          other: { invoke: { src: 'test.echo', input: { value: 2 } }, onDone: 'done' },
          done: { type: 'final' },
          ...more,
        },
      },
    }) as Definition;

  it('accepts message boundaries on a task, with keys', () => {
    expect(
      checkDefinition(
        base({
          on: { 'message:abort': 'other', 'message:stop': { target: 'done' } },
          meta: { messageKeys: { abort: '=x' } },
        }),
        registry,
      ),
    ).toEqual([]);
  });

  it.each([
    [{ on: { 'message:': 'other' } }, /bad message boundary on."message:": a message name must be a non-empty string/],
    [{ on: { 'message:a*': 'other' } }, /bad message boundary on."message:a\*": a message name cannot hold "\*"/],
    [
      { on: { 'message:abort': '#root.other' } },
      /on."message:abort": the target of a message boundary must be a sibling state key, got "#root.other"/,
    ],
    [{ on: { 'message:abort': 'nowhere' } }, /on.message:abort target "nowhere" is not a sibling state/],
    [
      { on: { 'message:abort': 'other' }, meta: { messageKeys: { abrot: '=x' } } },
      /meta.messageKeys."abrot": <s> listens for no message "abrot" \(no on."message:abrot"\); did you mean "abort"\?/,
    ],
    [
      { on: { 'message:abort': 'other' }, meta: { messageKeys: { abort: 7 } } },
      /meta.messageKeys."abort" must be a non-empty string/,
    ],
    [
      { on: { 'message:abort': 'other' }, meta: { messageKeys: { abort: '=x +' } } },
      /bad expression in meta.messageKeys."abort"/,
    ],
    [{ on: { 'message:abort': 'other' }, meta: { messageKeys: ['abort'] } }, /meta.messageKeys must be an object/],
    [
      { on: { 'message:abort': 'other' }, meta: { messageKey: {} } },
      /unknown key "messageKey" in meta; did you mean "messageKeys"\?/,
    ],
  ])('refuses %j', (state, message) => {
    expect(checkDefinition(base(state), registry)).toContainEqual({
      element: 's',
      message: expect.stringMatching(message),
    });
  });

  it('refuses a message boundary on a state that runs no step, naming it', () => {
    const def = base({}, { pause: { after: { 1000: 'done' }, on: { 'message:abort': 'done' } } });
    expect(checkDefinition(def, registry)).toContainEqual({
      element: 'pause',
      message: expect.stringMatching(
        /on."message:abort": a message boundary interrupts a step: it belongs on a task or call state/,
      ),
    });
  });

  it('keeps the cancel rules: gravity.cancel on a task is still refused', () => {
    expect(checkDefinition(base({ on: { 'gravity.cancel': 'other' } }), registry)).toContainEqual({
      element: 's',
      message: 'only a compound state (a cleanup) may handle gravity.cancel',
    });
  });

  it('the plan shows the boundaries', () => {
    const plan = planDefinition(
      base({ on: { 'message:abort': 'other' }, meta: { messageKeys: { abort: '=x' } } }),
      registry,
    );
    expect(plan.find((p) => p.id === 's')?.notes).toContain(
      'on message "abort" with key =x -> other (cancels the step)',
    );
  });
});

describe('the builder', () => {
  it('emits onMessage as on: message:<name> (a step id or a node run instead), messageKeys in meta', () => {
    const def = workflow({
      id: 'test:b',
      steps: sequence(
        task(
          'backup',
          'x.backup',
          {},
          {
            onMessage: { 'abort-backup': 'cleanup', pause: task('paused', 'x.pause', {}), skip: { goto: 'report' } },
            messageKeys: { 'abort-backup': '=params.env' },
          },
        ),
        task('report', 'x.report', {}),
        task('cleanup', 'x.cleanup', {}),
      ),
    });
    expect(def.machine.states.backup).toEqual({
      invoke: { src: 'x.backup', input: {} },
      onDone: 'report',
      on: { 'message:abort-backup': 'cleanup', 'message:pause': 'paused', 'message:skip': 'report' },
      meta: { messageKeys: { 'abort-backup': '=params.env' } },
    });
    // the node handler runs instead, then the run carries on
    expect(def.machine.states.paused).toEqual({ invoke: { src: 'x.pause', input: {} }, onDone: 'report' });
  });

  it('approval() and receive() take onMessage and messageKeys', () => {
    const def = workflow({
      id: 'test:w',
      steps: sequence(
        approval('ok', 'Go?', { onMessage: { abort: 'end' }, messageKeys: { abort: '=env' } }),
        receive('msg', 'go', { onMessage: { abort: 'end' } }),
        task('end', 'x.end', {}),
      ),
    });
    expect(def.machine.states.ok.on).toEqual({ 'message:abort': 'end' });
    expect(def.machine.states.ok.meta?.messageKeys).toEqual({ abort: '=env' });
    expect(def.machine.states.msg.on).toEqual({ 'message:abort': 'end' });
  });

  it('is strict: a misspelt option, a bad name, a key for no message, a bad handler', () => {
    expect(() => task('t', 'x.t', {}, { onMesage: {} } as never)).toThrow(
      /unknown option "onMesage"; did you mean "onMessage"\?/,
    );
    expect(() => task('t', 'x.t', {}, { onMessage: { 'a*': 'x' } })).toThrow(
      /step <t>: onMessage: a message name cannot hold "\*"/,
    );
    expect(() => task('t', 'x.t', {}, { onMessage: { abort: 'x' }, messageKeys: { abrot: '=k' } })).toThrow(
      /step <t>: messageKeys "abrot": no onMessage for message "abrot"; did you mean "abort"\?/,
    );
    expect(() => task('t', 'x.t', {}, { messageKeys: { abort: '=k' } })).toThrow(/no onMessage for message "abort"/);
    expect(() => task('t', 'x.t', {}, { onMessage: { abort: 42 as never } })).toThrow(
      /onMessage "abort": item 1 is not a step/,
    );
    expect(() => approval('a', 'Go?', { onMesage: {} } as never)).toThrow(
      /unknown option "onMesage"; did you mean "onMessage"\?/,
    );
    expect(() => forEach('f', '=xs', sequence(task('t', 'x.t')), { onMessage: { a: 'x' } })).toThrow(
      /forEach <f>: "onMessage" applies to a task/,
    );
    expect(() => forEach('f', '=xs', task('t', 'x.t', {}, { onMessage: { a: 'x' } }))).toThrow(
      /the body's "onMessage" is not supported; give it to forEach/,
    );
  });

  it('a cleanup copy renames the handlers and the step ids they name', () => {
    const def = workflow({
      id: 'test:c',
      steps: cleanup(
        'job',
        task('work', 'x.work', {}),
        sequence(
          task('tidy', 'x.tidy', {}, { onMessage: { stop: 'last', pause: task('held', 'x.hold', {}) } }),
          task('last', 'x.last', {}),
        ),
      ),
    });
    expect(def.machine.states.tidy.on).toEqual({ 'message:stop': 'last', 'message:pause': 'held' });
    expect(def.machine.states.tidy_failed.on).toEqual({
      'message:stop': 'last_failed',
      'message:pause': 'held_failed',
    });
    expect(def.machine.states.held_failed).toBeDefined();
  });
});
