// A step the machine leaves (its timer fires, a failure elsewhere in a parallel state) is over on purpose: its cancel is
// journaled with `left`, and a later resume of the run neither adopts it nor asks a person about it, even when it is
// not idempotent; a step the run's own cancel stopped still does.
import { afterEach, describe, expect, it } from 'vitest';
import {
  approval,
  resumeRun,
  RunStatus,
  sequence,
  startRun,
  task,
  workflow,
  type EngineOptions,
} from '../../engine/index.js';
import { echoTask, engineWith, gateTask, journalOf, tempJsonStore } from './support.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(o: Partial<EngineOptions> = {}) {
  const tmp = await tempJsonStore();
  cleanups.push(tmp.cleanup);
  const echo = echoTask();
  const gate = gateTask({ idempotent: false });
  const { engine } = engineWith([echo.task, gate.task], { store: tmp.store, ...o });
  return { engine, calls: echo.calls, gate, store: tmp.store };
}

describe('steps the machine leaves', () => {
  it('a non-idempotent step left by its timeout does not stop a later resume', async () => {
    const { engine, calls, store } = await setup();
    const def = workflow({
      id: 'test:left-by-timer',
      steps: sequence(
        task('slow', 'test.gate', {}, { timeout: { ms: 50, then: task('late', 'test.echo', { value: 'late' }) } }),
        approval('confirm', 'go on?'),
        task('after', 'test.echo', { value: 'after' }),
      ),
    });
    const r = await startRun(engine, def, { params: {} });
    expect(r.status).toBe(RunStatus.Waiting);
    const j = await journalOf(store, r.runId);
    expect(j.find((e) => e.type === 'task.cancelled' && e.step === 'slow')).toMatchObject({ left: true });
    const done = await resumeRun(engine, r.runId, { answer: { kind: 'approve', by: 'ops' } });
    expect(done.status).toBe(RunStatus.Succeeded);
    expect(calls).toEqual(['late', 'after']);
  });

  it('a non-idempotent step the run cancel stopped still asks a person', async () => {
    const { engine, gate } = await setup();
    const def = workflow({ id: 'test:cancelled', steps: task('slow', 'test.gate', {}) });
    const ac = new AbortController();
    const p = startRun(engine, def, { params: {}, signal: ac.signal });
    await gate.started();
    ac.abort();
    const r = await p;
    expect(r.status).toBe(RunStatus.Cancelled);
    const again = await resumeRun(engine, r.runId);
    expect(again.status).toBe(RunStatus.NeedsAttention);
    expect(again.attention?.steps).toEqual(['slow']);
  });
});
