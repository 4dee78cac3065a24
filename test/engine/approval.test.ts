// Approvals and message waits: the run parks as waiting (no process), an answer journaled under the run lock drives it
// on once, rejections take their path, parallel branches finish before parking, calls and for-each items wait too.
import { afterEach, describe, expect, it } from 'vitest';
import {
  approval,
  call,
  deliverAnswer,
  forEach,
  loadRun,
  parallel,
  receive,
  send,
  resumeRun,
  RunStatus,
  sequence,
  startRun,
  task,
  wait,
  workflow,
  type Definition,
  type EngineOptions,
} from '../../engine/index.js';
import { echoTask, engineWith, journalOf, tempJsonStore } from './support.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(defs: Definition[] = [], o: Partial<EngineOptions> = {}) {
  const tmp = await tempJsonStore();
  cleanups.push(tmp.cleanup);
  const echo = echoTask();
  const { engine, events } = engineWith([echo.task], {
    store: tmp.store,
    resolveWorkflow: (id) => defs.find((d) => d.id === id),
    ...o,
  });
  return { engine, events, calls: echo.calls, store: tmp.store };
}

const destroy = workflow({
  id: 'test:destroy',
  params: { env: { type: 'string' }, yes: { type: 'boolean', default: false } },
  steps: sequence(
    task('check', 'test.echo', { value: 'checked' }),
    approval('confirm', '="Destroy " + params.env + "?"', {
      assignee: 'ops',
      candidateGroups: ['admins'],
      skip: '=params.yes',
      onReject: task('kept', 'test.echo', { value: 'kept' }),
    }),
    task('report', 'test.echo', { value: '="report " + params.env' }),
  ),
});

describe('approval', () => {
  it('parks the run as waiting with what it waits for, and holds no process', async () => {
    const { engine, calls } = await setup();
    const r = await startRun(engine, destroy, { params: { env: '1161', yes: false } });
    expect(r.status).toBe(RunStatus.Waiting);
    expect(r.waiting).toEqual([
      expect.objectContaining({
        step: 'confirm',
        kind: 'approval',
        message: 'Destroy 1161?',
        assignee: 'ops',
        candidateGroups: ['admins'],
      }),
    ]);
    const rec = await loadRun(engine, r.runId);
    expect(rec.status).toBe('waiting');
    expect(rec.pid).toBeUndefined();
    expect(calls).toEqual(['checked']);
    const j = await journalOf(engine.store, r.runId);
    expect(j.map((e) => e.type)).toContain('step.waiting');
    expect(j.at(-1)?.type).toBe('run.waiting');
    expect(j.some((e) => e.type === 'task.cancelled')).toBe(false);
  });

  it('approve journals who, when and why, then the run goes on from the approval (earlier steps not re-run)', async () => {
    const { engine, calls } = await setup();
    const r = await startRun(engine, destroy, { params: { env: '1161', yes: false } });
    const done = await resumeRun(engine, r.runId, {
      answer: { kind: 'approve', by: 'alice@ops', reason: 'ticket closed' },
    });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['checked', 'report 1161']);
    const step = done.steps.find((s) => s.id === 'confirm');
    expect(step?.output).toMatchObject({ approved: true, by: 'alice@ops', reason: 'ticket closed' });
    const j = await journalOf(engine.store, r.runId);
    const answered = j.find((e) => e.type === 'step.answered');
    expect(answered).toMatchObject({
      step: 'confirm',
      task: 'gravity.approval',
      answer: { kind: 'approve', by: 'alice@ops' },
    });
    expect((step?.output as { at: string }).at).toBe(answered?.at);
  });

  it('reject takes the reject path with the reason in the error', async () => {
    const { engine, calls } = await setup();
    const r = await startRun(engine, destroy, { params: { env: '1161', yes: false } });
    const done = await resumeRun(engine, r.runId, { answer: { kind: 'reject', by: 'bob', reason: 'still in use' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    // the reject path ran instead of the approval, then the run carried on after it
    expect(calls).toEqual(['checked', 'kept', 'report 1161']);
    const failed = done.steps.find((s) => s.id === 'confirm');
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toMatchObject({ code: 'REJECTED', message: '<confirm> was rejected by bob: still in use' });
  });

  it('reject without a reject path fails the run', async () => {
    const { engine } = await setup();
    const def = workflow({
      id: 'test:plain',
      steps: sequence(approval('ok', 'Go?'), task('x', 'test.echo', { value: 1 })),
    });
    const r = await startRun(engine, def, { params: {} });
    const done = await resumeRun(engine, r.runId, { answer: { kind: 'reject', by: 'bob' } });
    expect(done.status).toBe(RunStatus.Failed);
    expect(done.error).toMatchObject({ code: 'REJECTED', step: 'ok' });
  });

  it('skip (a yes param) approves at once without parking', async () => {
    const { engine, calls } = await setup();
    const r = await startRun(engine, destroy, { params: { env: '9', yes: true } });
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['checked', 'report 9']);
    expect(r.steps.find((s) => s.id === 'confirm')?.output).toMatchObject({
      approved: true,
      skipped: true,
      by: 'skip',
    });
  });

  it('asks inline when the engine can ask, and journals the answer', async () => {
    const asked: string[] = [];
    const { engine, calls } = await setup([], {
      ask: async (q) => {
        asked.push(q.message);
        return { approved: false, reason: 'no' };
      },
    });
    const r = await startRun(engine, destroy, { params: { env: '7', yes: false } });
    expect(asked).toEqual(['Destroy 7?']);
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['checked', 'kept', 'report 7']);
    const j = await journalOf(engine.store, r.runId);
    expect(j.find((e) => e.type === 'step.answered')?.answer).toMatchObject({ kind: 'reject', reason: 'no' });
  });

  it('an ask that gives no answer parks the run', async () => {
    const { engine } = await setup([], { ask: async () => undefined });
    const r = await startRun(engine, destroy, { params: { env: '7', yes: false } });
    expect(r.status).toBe(RunStatus.Waiting);
  });

  it('refuses answers a run does not wait for, and writes nothing', async () => {
    const { engine } = await setup();
    const r = await startRun(engine, destroy, { params: { env: '1', yes: false } });
    const before = (await journalOf(engine.store, r.runId)).length;
    await expect(resumeRun(engine, r.runId, { answer: { kind: 'approve', step: 'check' } })).rejects.toThrow(
      /does not wait at step <check>; it waits at <confirm> \(approval: Destroy 1\?\)/,
    );
    await expect(resumeRun(engine, r.runId, { answer: { kind: 'message', name: 'go' } })).rejects.toThrow(
      /is not waiting for message "go"/,
    );
    expect((await journalOf(engine.store, r.runId)).length).toBe(before);
    const done = await resumeRun(engine, r.runId, { answer: { kind: 'approve' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    await expect(resumeRun(engine, r.runId, { answer: { kind: 'approve' } })).rejects.toThrow(
      /is not waiting for anything \(it is succeeded\): nothing to approve/,
    );
  });

  it('two answers at once drive the run once', async () => {
    const { engine, calls } = await setup();
    const r = await startRun(engine, destroy, { params: { env: '2', yes: false } });
    const results = await Promise.allSettled([
      resumeRun(engine, r.runId, { answer: { kind: 'approve', by: 'a' } }),
      resumeRun(engine, r.runId, { answer: { kind: 'approve', by: 'b' } }),
    ]);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    expect(calls.filter((c) => c === 'report 2')).toHaveLength(1);
    const j = await journalOf(engine.store, r.runId);
    expect(j.filter((e) => e.type === 'step.answered')).toHaveLength(1);
  });

  it('an answer journaled by a process that died before driving the run on is taken by the next resume', async () => {
    const { engine, calls } = await setup();
    const r = await startRun(engine, destroy, { params: { env: '4', yes: false } });
    // what `gravity approve` does first, under the lock; then it is killed before resuming
    await deliverAnswer(engine, r.runId, { kind: 'approve', by: 'dan', reason: 'ok' });
    expect((await loadRun(engine, r.runId)).status).toBe('waiting');
    const done = await resumeRun(engine, r.runId);
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(done.steps.find((s) => s.id === 'confirm')?.output).toMatchObject({ by: 'dan', reason: 'ok' });
    expect(calls).toEqual(['checked', 'report 4']);
  });

  it('resume without an answer parks again at the same step', async () => {
    const { engine, calls } = await setup();
    const r = await startRun(engine, destroy, { params: { env: '3', yes: false } });
    const again = await resumeRun(engine, r.runId);
    expect(again.status).toBe(RunStatus.Waiting);
    expect(calls).toEqual(['checked']);
  });
});

describe('parallel branches and waits', () => {
  it('a branch that runs is waited for before the run parks', async () => {
    const { engine, calls } = await setup();
    const def = workflow({
      id: 'test:par',
      steps: parallel(
        'both',
        approval('ok', 'Go?'),
        sequence(wait('pause', 300), task('other', 'test.echo', { value: 'other done' })),
      ),
    });
    const r = await startRun(engine, def, { params: {} });
    expect(r.status).toBe(RunStatus.Waiting);
    expect(calls).toEqual(['other done']);
    const done = await resumeRun(engine, r.runId, { answer: { kind: 'approve' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['other done']);
  });
});

describe('calls', () => {
  it('a call whose child waits makes the caller wait; the answer reaches the child', async () => {
    const child = workflow({
      id: 'test:child',
      steps: sequence(approval('sure', 'Sure?'), task('c', 'test.echo', { value: 'child done' })),
    });
    const { engine, calls } = await setup([child]);
    const parent = workflow({
      id: 'test:parent',
      steps: sequence(call('sub', 'test:child'), task('p', 'test.echo', { value: 'parent done' })),
    });
    const r = await startRun(engine, parent, { params: {} });
    expect(r.status).toBe(RunStatus.Waiting);
    expect(r.waiting?.[0]).toMatchObject({ step: 'sub', kind: 'approval', message: 'Sure?', child: `${r.runId}.sub` });
    const done = await resumeRun(engine, r.runId, { answer: { kind: 'approve', by: 'carol' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['child done', 'parent done']);
    const childJournal = await journalOf(engine.store, `${r.runId}.sub`);
    expect(childJournal.find((e) => e.type === 'step.answered')?.answer).toMatchObject({ by: 'carol' });
  });
});

describe('for-each', () => {
  it('approval per item: the run parks at the first item and goes on item by item', async () => {
    const { engine, calls } = await setup();
    const def = workflow({
      id: 'test:each',
      steps: sequence(
        forEach('each', ['a', 'b'], approval('ok', '="delete " + item + "?"')),
        task('after', 'test.echo', { value: 'after' }),
      ),
    });
    const r = await startRun(engine, def, { params: {} });
    expect(r.status).toBe(RunStatus.Waiting);
    expect(r.waiting?.[0]).toMatchObject({ step: 'each:0', message: 'delete a?' });
    const second = await resumeRun(engine, r.runId, { answer: { kind: 'approve' } });
    expect(second.status).toBe(RunStatus.Waiting);
    expect(second.waiting?.[0]).toMatchObject({ step: 'each:1', message: 'delete b?' });
    const done = await resumeRun(engine, r.runId, { answer: { kind: 'approve', step: 'each:1' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['after']);
  });
});

describe('messages', () => {
  const deploy = workflow({
    id: 'test:deploy',
    params: { ticket: { type: 'string' } },
    steps: sequence(
      receive('deployed', 'deploy-done', { key: '=params.ticket' }),
      task('report', 'test.echo', { value: '=steps.deployed.data.url' }),
    ),
  });

  it('waits for a named message with its key; the delivered data is in scope', async () => {
    const { engine, calls } = await setup();
    const r = await startRun(engine, deploy, { params: { ticket: '1161' } });
    expect(r.status).toBe(RunStatus.Waiting);
    expect(r.waiting?.[0]).toMatchObject({ step: 'deployed', kind: 'message', message: 'deploy-done', key: '1161' });
    await expect(
      resumeRun(engine, r.runId, { answer: { kind: 'message', name: 'deploy-done', key: '1170' } }),
    ).rejects.toThrow(/not waiting for message "deploy-done" with key 1170/);
    const done = await resumeRun(engine, r.runId, {
      answer: { kind: 'message', name: 'deploy-done', key: '1161', data: { url: 'http://x' } },
    });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['http://x']);
  });

  it('a wait with a timeout takes its timeout path when resumed after the deadline', async () => {
    const { engine, calls } = await setup();
    const def = workflow({
      id: 'test:late',
      steps: sequence(
        receive('deployed', 'deploy-done', {
          timeout: { ms: 1500, then: task('late', 'test.echo', { value: 'too late' }) },
        }),
      ),
    });
    const r = await startRun(engine, def, { params: {} });
    expect(r.status).toBe(RunStatus.Waiting);
    expect(Date.parse(r.waiting![0].until!)).toBeGreaterThan(Date.now());
    await new Promise((res) => setTimeout(res, Date.parse(r.waiting![0].until!) - Date.now() + 50));
    const done = await resumeRun(engine, r.runId);
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['too late']);
  });
});

describe('send', () => {
  const waiter = workflow({
    id: 'test:waiter',
    params: { ticket: { type: 'string' } },
    steps: sequence(
      receive('deployed', 'deploy-done', { key: '=params.ticket' }),
      task('after', 'test.echo', { value: '="got " + steps.deployed.data.url + " for " + params.ticket' }),
    ),
  });
  const sender = (o: { key?: string; signal?: boolean } = {}) =>
    workflow({
      id: 'test:sender',
      steps: sequence(send('tell', 'deploy-done', { ...o, data: { url: 'http://v5' } })),
      output: '=steps.tell.delivered',
    });

  it('delivers a message to the run waiting for its key and drives it on; other keys keep waiting', async () => {
    const { engine, calls, store } = await setup();
    const a = await startRun(engine, waiter, { params: { ticket: '1161' } });
    const b = await startRun(engine, waiter, { params: { ticket: '1170' } });
    const r = await startRun(engine, sender({ key: '1161' }), { params: {} });
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(r.output).toEqual([{ runId: a.runId, step: 'deployed', status: 'succeeded' }]);
    expect(calls).toEqual(['got http://v5 for 1161']);
    expect((await loadRun(engine, b.runId)).status).toBe('waiting');
    const answered = (await journalOf(store, a.runId)).find((e) => e.type === 'step.answered');
    expect(answered?.answer).toMatchObject({ kind: 'message', key: '1161', by: `run ${r.runId} (test:sender)` });
  });

  it('a message goes to the oldest waiting run only; a signal to every one', async () => {
    const { engine, calls } = await setup();
    const anyKey = workflow({
      id: 'test:any',
      params: { n: { type: 'string' } },
      steps: sequence(receive('got', 'deploy-done'), task('after', 'test.echo', { value: '=params.n' })),
    });
    const first = await startRun(engine, anyKey, { params: { n: 'first' } });
    await startRun(engine, anyKey, { params: { n: 'second' } });
    const one = await startRun(engine, sender(), { params: {} });
    expect((one.output as Array<{ runId: string }>).map((d) => d.runId)).toEqual([first.runId]);
    expect(calls).toEqual(['first']);
    await startRun(engine, anyKey, { params: { n: 'third' } });
    const all = await startRun(engine, sender({ signal: true }), { params: {} });
    expect((all.output as unknown[]).length).toBe(2);
    expect(calls).toEqual(['first', 'second', 'third']);
  });

  it('with nobody waiting, delivers to nobody and succeeds', async () => {
    const { engine } = await setup();
    const r = await startRun(engine, sender({ key: 'x' }), { params: {} });
    expect(r.status).toBe(RunStatus.Succeeded);
    expect(r.output).toEqual([]);
  });
});
