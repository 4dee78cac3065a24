// A call whose child run was interrupted in a non-idempotent step: the parent waits too, and resume --force reaches the child.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, resumeRun, sequence, startRun, task, workflow, type Definition } from '../../engine/index.js';
import { echoTask, engineWith, gateTask, tempJsonStore } from './support.js';

let tmp: Awaited<ReturnType<typeof tempJsonStore>>;
beforeEach(async () => {
  tmp = await tempJsonStore();
});
afterEach(async () => tmp.cleanup());

describe('calls of interrupted child runs', () => {
  it('puts the parent in needs-attention until resume --force re-runs the child step', async () => {
    // given a child whose only step is not idempotent, called by a parent
    const gate = gateTask({ idempotent: false });
    const echo = echoTask();
    const child: Definition = workflow({
      id: 'test:child',
      steps: task('risky', 'test.gate', { value: 'done' }),
      output: { value: '=steps.risky.value' },
    });
    const parent = workflow({
      id: 'test:parent',
      steps: sequence(call('sub', 'test:child'), task('after', 'test.echo', { value: '=steps.sub' })),
    });
    const { engine } = engineWith([gate.task, echo.task], {
      store: tmp.store,
      resolveWorkflow: (id) => (id === 'test:child' ? child : undefined),
    });
    // when the parent is cancelled while the child's risky step runs
    const ac = new AbortController();
    const first = startRun(engine, parent, { params: {}, runId: 'p', signal: ac.signal });
    await gate.started();
    ac.abort();
    expect((await first).status).toBe('cancelled');
    // then resuming the parent stops it in needs-attention, naming the child run, and runs nothing
    const waiting = await resumeRun(engine, 'p');
    expect(waiting.status).toBe('needs-attention');
    expect(waiting.attention).toEqual({
      steps: ['sub'],
      message: expect.stringMatching(
        /step <sub> calls workflow test:child, whose run p\.sub needs attention: step <risky> \(test\.gate\) was interrupted/,
      ),
    });
    expect(gate.calls()).toBe(1);
    // and resume --force re-runs the child's step and completes both runs
    gate.release();
    const done = await resumeRun(engine, 'p', { force: true });
    expect(done.status).toBe('succeeded');
    expect(gate.calls()).toBe(2);
    expect(echo.calls).toEqual([{ value: 'done' }]);
    expect((await tmp.store.get<{ status: string }>('runs/p.sub'))?.value.status).toBe('succeeded');
  });
});
