// Rollback: compensations of finished steps, newest first; stops at the first one that fails.
import { describe, it, expect } from 'vitest';
import { call, rollbackRun, sequence, startRun, task, workflow, type RunRecord } from '../../engine/index.js';
import { echoTask, engineWith, failTask, journalOf, undoableTask } from './support.js';

describe('rollbackRun', () => {
  it('runs the compensations of finished steps in reverse order and skips steps without one', async () => {
    // given a finished run of three undoable steps and one plain echo
    const undone: string[] = [];
    const echo = echoTask();
    const { engine } = engineWith([undoableTask(undone), echo.task]);
    const def = workflow({
      id: 'test:rollback',
      steps: sequence(
        task('mk1', 'test.undoable', { name: 'one' }),
        task('note', 'test.echo', { value: 'x' }),
        task('mk2', 'test.undoable', { name: 'two' }),
        task('mk3', 'test.undoable', { name: 'three' }),
      ),
    });
    const run = await startRun(engine, def, { params: {}, runId: 'r-rb' });
    expect(run.status).toBe('succeeded');
    // when it is rolled back
    const report = await rollbackRun(engine, 'r-rb');
    // then compensations ran newest first with each step's input and output, the echo was skipped
    expect(undone).toEqual(['three:three', 'two:two', 'one:one']);
    expect(report.compensated).toEqual(['mk3', 'mk2', 'mk1']);
    expect(report.skipped).toEqual(['note']);
    expect(report.interrupted).toEqual([]);
    expect(report.failed).toBeUndefined();
    expect(report.status).toBe('rolled-back');
    expect(report.steps.filter((s) => s.status === 'compensated').map((s) => s.id)).toEqual(['mk1', 'mk2', 'mk3']);
    expect((await engine.store.get<RunRecord>('runs/r-rb'))?.value.status).toBe('rolled-back');
    const journal = await journalOf(engine.store, 'r-rb');
    expect(journal.filter((e) => e.type === 'task.compensated').map((e) => e.step)).toEqual(['mk3', 'mk2', 'mk1']);
    expect(journal.at(-1)?.type).toBe('run.rolled-back');
  });

  it('refuses a second rollback', async () => {
    const undone: string[] = [];
    const { engine } = engineWith([undoableTask(undone)]);
    await startRun(engine, workflow({ id: 'test:rb2', steps: task('mk', 'test.undoable', { name: 'x' }) }), {
      params: {},
      runId: 'r-rb2',
    });
    await rollbackRun(engine, 'r-rb2');
    await expect(rollbackRun(engine, 'r-rb2')).rejects.toThrow(/already been rolled back/);
    expect(undone).toEqual(['x:x']);
  });

  it('stops at a failing compensation, reports it and leaves the run needing attention', async () => {
    // given a run whose middle step cannot be undone
    const undone: string[] = [];
    const { engine } = engineWith([undoableTask(undone)]);
    const def = workflow({
      id: 'test:rb3',
      steps: sequence(
        task('a', 'test.undoable', { name: 'a' }),
        task('b', 'test.undoable', { name: 'b', failUndo: true }),
        task('c', 'test.undoable', { name: 'c' }),
      ),
    });
    await startRun(engine, def, { params: {}, runId: 'r-rb3' });
    // when it is rolled back
    const report = await rollbackRun(engine, 'r-rb3');
    // then c was undone, b failed and a was left alone
    expect(undone).toEqual(['c:c']);
    expect(report.compensated).toEqual(['c']);
    expect(report.failed).toEqual({
      step: 'b',
      error: expect.objectContaining({ code: 'TASK_FAILED', message: 'cannot undo b' }),
    });
    expect(report.status).toBe('needs-attention');
    const record = (await engine.store.get<RunRecord>('runs/r-rb3'))!.value;
    expect(record.attention).toEqual({
      message: expect.stringMatching(/compensation of <b> failed: cannot undo b/),
      steps: ['b'],
    });
    expect((await journalOf(engine.store, 'r-rb3')).map((e) => e.type).slice(-2)).toEqual([
      'task.compensated',
      'task.compensate-failed',
    ]);
  });

  it('continues a stopped rollback without compensating a step twice', async () => {
    // given a rollback that stopped at b, then b's undo is made to work
    const undone: string[] = [];
    let bFails = true;
    const base = undoableTask(undone);
    const flakyUndo = {
      ...base,
      compensate: async (ctx: Parameters<NonNullable<typeof base.compensate>>[0]) => {
        if (ctx.stepId === 'b' && bFails) throw new Error('not yet');
        return base.compensate!(ctx);
      },
    };
    const { engine } = engineWith([flakyUndo]);
    await startRun(
      engine,
      workflow({
        id: 'test:rb4',
        steps: sequence(
          task('a', 'test.undoable', { name: 'a' }),
          task('b', 'test.undoable', { name: 'b' }),
          task('c', 'test.undoable', { name: 'c' }),
        ),
      }),
      { params: {}, runId: 'r-rb4' },
    );
    await new Promise((r) => setTimeout(r, 5)); // compensations happen at another millisecond than the steps
    expect((await rollbackRun(engine, 'r-rb4')).failed?.step).toBe('b');
    bFails = false;
    // when rolled back again
    const report = await rollbackRun(engine, 'r-rb4');
    // then only b and a were compensated this time
    expect(report.compensated).toEqual(['b', 'a']);
    expect(undone).toEqual(['c:c', 'b:b', 'a:a']);
    expect(report.status).toBe('rolled-back');
  });

  it('compensates only the steps that finished in a failed run', async () => {
    const undone: string[] = [];
    const boom = failTask();
    const { engine } = engineWith([undoableTask(undone), boom.task]);
    const def = workflow({
      id: 'test:rb5',
      steps: sequence(
        task('a', 'test.undoable', { name: 'a' }),
        task('bad', 'test.fail', {}),
        task('never', 'test.undoable', { name: 'n' }),
      ),
    });
    expect((await startRun(engine, def, { params: {}, runId: 'r-rb5' })).status).toBe('failed');
    const report = await rollbackRun(engine, 'r-rb5');
    expect(report.compensated).toEqual(['a']);
    expect(undone).toEqual(['a:a']);
    expect(report.skipped).toEqual([]);
  });

  it('rolls back the child run of a call step', async () => {
    // given a parent whose call step ran a child with an undoable step
    const undone: string[] = [];
    const child = workflow({ id: 'child:mk', steps: task('mk', 'test.undoable', { name: 'child' }) });
    const { engine } = engineWith([undoableTask(undone)], {
      resolveWorkflow: (id) => (id === 'child:mk' ? child : undefined),
    });
    await startRun(
      engine,
      workflow({
        id: 'parent:mk',
        steps: sequence(task('own', 'test.undoable', { name: 'parent' }), call('sub', 'child:mk')),
      }),
      { params: {}, runId: 'r-rb6' },
    );
    // when the parent is rolled back
    const report = await rollbackRun(engine, 'r-rb6');
    // then the child's step was compensated (first, being newer) and the child run is rolled back too
    expect(undone).toEqual(['child:child', 'parent:parent']);
    expect(report.compensated).toEqual(['sub', 'own']);
    expect((await engine.store.get<RunRecord>('runs/r-rb6.sub'))?.value.status).toBe('rolled-back');
  });
});
