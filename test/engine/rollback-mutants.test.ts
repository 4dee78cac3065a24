// Rollback's edges: its lock, a run still driven or with a supervised command still running, what a compensate() sees,
// what it journals, compensations remembered from an earlier rollback (old and new format), and call steps whose child
// run is gone, already rolled back, or cannot be undone.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  call,
  defineTask,
  isAlive,
  rollbackRun,
  sequence,
  startRun,
  startTimeOf,
  task,
  TaskError,
  workflow,
  type JournalEntry,
  type RunEvent,
  type RunLockHolder,
  type RunRecord,
} from '../../engine/index.js';
import { keys } from '../../engine/run-store.js';
import { attemptFolder, type CommandRecord } from '../../engine/supervisor.js';
import { tempDir } from '../support/git-fixtures.js';
import { engineWith, journalOf, undoableTask } from './support.js';

const record = (id: string, o: Partial<RunRecord> = {}): RunRecord => ({
  id,
  workflow: 'test:hand',
  definitionHash: 'h',
  status: 'failed',
  params: {},
  source: { kind: 'inline' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  ...o,
});

const at = (n: number) => `2026-01-01T00:00:0${n}.000Z`;

/** A run stored by hand: its record and its journal. */
async function handRun(
  engine: { store: import('../../engine/index.js').Store },
  id: string,
  journal: JournalEntry[],
  o: Partial<RunRecord> = {},
) {
  await engine.store.put(keys.run(id), record(id, o));
  for (const e of journal) await engine.store.append(keys.journal(id), e);
}

describe('rollback of a run that something still drives', () => {
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const c of started.splice(0)) if (c.pid && isAlive(c.pid)) process.kill(-c.pid, 'SIGKILL');
  });

  it('refuses a run whose process still runs it', async () => {
    const driver = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    started.push(driver);
    const { engine } = engineWith([]);
    await handRun(engine, 'r-live', [], {
      status: 'running',
      pid: driver.pid,
      pidStart: startTimeOf(driver.pid!),
      host: hostname(),
    });
    await expect(rollbackRun(engine, 'r-live')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: `run r-live is still running in process ${driver.pid}; cancel it first`,
    });
  });

  /** A run whose supervised step `sup` was interrupted; its command's folder holds `command.json` (and `status`). */
  async function supervisedRun(id: string, o: { finished: boolean }) {
    const files = tempDir('gravity-rb-files-');
    const undone: string[] = [];
    const { engine } = engineWith([undoableTask(undone)], { filesDir: (run) => join(files, run) });
    await handRun(
      engine,
      id,
      [
        { type: 'task.started', at: at(1), step: 'mk', task: 'test.undoable', input: { name: 'mk' }, attempt: 1 },
        { type: 'task.finished', at: at(2), step: 'mk', task: 'test.undoable', output: { made: 'mk' } },
        { type: 'task.started', at: at(3), step: 'sup', task: 'test.undoable', attempt: 1, supervised: true },
      ],
      { status: 'detached' },
    );
    const dir = join(attemptFolder(join(files, id), 'sup', 1), 'c1');
    mkdirSync(dir, { recursive: true });
    const command: CommandRecord = {
      command: 'make',
      args: ['install'],
      // this process stands for a live step supervisor
      supervisor: { pid: process.pid, start: startTimeOf(process.pid) },
      startedAt: at(3),
    };
    writeFileSync(join(dir, 'command.json'), JSON.stringify(command));
    if (o.finished)
      writeFileSync(
        join(dir, 'status.json'),
        JSON.stringify({
          exitCode: 0,
          timedOut: false,
          stdout: { bytes: 0, fileBytes: 0 },
          stderr: { bytes: 0, fileBytes: 0 },
          durationMs: 5,
          endedAt: at(4),
        }),
      );
    return { engine, undone, cleanup: () => rmSync(files, { recursive: true, force: true }) };
  }

  it('refuses a run whose supervised command still runs, naming the step, the command and its supervisor', async () => {
    const { engine, undone, cleanup } = await supervisedRun('r-sup', { finished: false });
    try {
      await expect(rollbackRun(engine, 'r-sup')).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: `run r-sup: the command of step <sup> (make) is still running under the step supervisor (pid ${process.pid}); cancel the run first with \`gravity cancel r-sup\``,
        details: { run: 'r-sup', step: 'sup' },
      });
      expect(undone).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('rolls back a run whose supervised command has ended, reporting its step as interrupted', async () => {
    const { engine, undone, cleanup } = await supervisedRun('r-sup-done', { finished: true });
    try {
      const report = await rollbackRun(engine, 'r-sup-done');
      expect(report.failed).toBeUndefined();
      expect(report.compensated).toEqual(['mk']);
      expect(report.interrupted).toEqual(['sup']);
      expect(undone).toEqual(['mk:mk']);
    } finally {
      cleanup();
    }
  });
});

describe('what a compensation sees and what rollback journals', () => {
  it('holds the run lock for a rollback while compensating, with a context that is not a dry run and logs', async () => {
    const seen: Array<{ purpose?: string; dryRun: boolean }> = [];
    const logging = defineTask({
      id: 'test.logging',
      title: 'Logging',
      input: z.object({}),
      output: z.object({}),
      idempotent: true,
      run: async () => ({}),
      compensate: async (ctx) => {
        const lock = await ctx.store?.get<RunLockHolder>(keys.lock(ctx.runId));
        seen.push({ purpose: lock?.value.purpose, dryRun: ctx.dryRun });
        ctx.log.info('undoing');
        ctx.log.warn('careful');
        ctx.log.error('oops');
        ctx.log.stream('stdout', 'out chunk');
      },
    });
    const events: RunEvent[] = [];
    const { engine } = engineWith([logging], { onEvent: (e) => events.push(e) });
    await startRun(engine, workflow({ id: 'test:log', steps: task('lg', 'test.logging', {}) }), {
      params: {},
      runId: 'r-log',
    });
    const report = await rollbackRun(engine, 'r-log');
    expect(report.compensated).toEqual(['lg']);
    expect(seen).toEqual([{ purpose: 'rollback', dryRun: false }]);
    expect(
      events
        .filter((e) => e.type === 'task.log')
        .map((e) => (e as { step: string; level: string; text: string }) && [e.step, e.level, e.text]),
    ).toEqual([
      ['lg', 'info', 'undoing'],
      ['lg', 'warn', 'careful'],
      ['lg', 'error', 'oops'],
      ['lg', 'stdout', 'out chunk'],
    ]);
    // the lock is given up afterwards
    expect(await engine.store.get(keys.lock('r-log'))).toBeUndefined();
  });

  it('journals each compensation with the end of the step it undid, and how many were compensated', async () => {
    const undone: string[] = [];
    const { engine } = engineWith([undoableTask(undone)]);
    await startRun(
      engine,
      workflow({
        id: 'test:two',
        steps: sequence(task('a', 'test.undoable', { name: 'a' }), task('b', 'test.undoable', { name: 'b' })),
      }),
      { params: {}, runId: 'r-msg' },
    );
    await rollbackRun(engine, 'r-msg');
    const journal = await journalOf(engine.store, 'r-msg');
    const finished = new Map(journal.filter((e) => e.type === 'task.finished').map((e) => [e.step, e.at]));
    expect(
      journal
        .filter((e) => e.type === 'task.compensated')
        .map((e) => ({ step: e.step, finishedAt: e.finishedAt, message: e.message })),
    ).toEqual([
      { step: 'b', finishedAt: finished.get('b'), message: `compensated step finished at ${finished.get('b')}` },
      { step: 'a', finishedAt: finished.get('a'), message: `compensated step finished at ${finished.get('a')}` },
    ]);
    expect(journal.at(-1)).toMatchObject({ type: 'run.rolled-back', message: '2 step(s) compensated' });
  });

  it('reports the steps an interruption left open, undoing nothing for them', async () => {
    const undone: string[] = [];
    const { engine } = engineWith([undoableTask(undone)]);
    await handRun(engine, 'r-open', [
      { type: 'task.started', at: at(1), step: 'a', task: 'test.undoable', input: { name: 'a' } },
      { type: 'task.finished', at: at(2), step: 'a', task: 'test.undoable', output: { made: 'a' } },
      { type: 'task.started', at: at(3), step: 'b', task: 'test.undoable', input: { name: 'b' } },
    ]);
    const report = await rollbackRun(engine, 'r-open');
    expect(report.interrupted).toEqual(['b']);
    expect(undone).toEqual(['a:a']);
  });

  it('skips a finished step whose task this engine does not know', async () => {
    const { engine } = engineWith([]);
    await handRun(engine, 'r-unknown', [
      { type: 'task.started', at: at(1), step: 'x', task: 'test.gone', input: {} },
      { type: 'task.finished', at: at(2), step: 'x', task: 'test.gone', output: {} },
    ]);
    const report = await rollbackRun(engine, 'r-unknown');
    expect(report.failed).toBeUndefined();
    expect(report.skipped).toEqual(['x']);
    expect(report.status).toBe('rolled-back');
  });
});

describe('compensations an earlier rollback journaled', () => {
  const journal = (compensated: Partial<JournalEntry>): JournalEntry[] => [
    { type: 'task.started', at: at(1), step: 'a', task: 'test.undoable', input: { name: 'a' } },
    { type: 'task.finished', at: at(2), step: 'a', task: 'test.undoable', output: { made: 'a' } },
    { type: 'task.started', at: at(3), step: 'b', task: 'test.undoable', input: { name: 'b' } },
    { type: 'task.finished', at: at(4), step: 'b', task: 'test.undoable', output: { made: 'b' } },
    { type: 'task.compensated', at: at(5), step: 'b', task: 'test.undoable', ...compensated },
    {
      type: 'task.compensate-failed',
      at: at(6),
      step: 'a',
      task: 'test.undoable',
      error: { name: 'E', code: 'X', message: 'no' },
    },
  ];

  it('knows an undone step by the end it recorded', async () => {
    const undone: string[] = [];
    const { engine } = engineWith([undoableTask(undone)]);
    await handRun(engine, 'r-new', journal({ finishedAt: at(4) }), { status: 'needs-attention' });
    expect((await rollbackRun(engine, 'r-new')).compensated).toEqual(['a']);
    expect(undone).toEqual(['a:a']);
  });

  it('knows an undone step by the message of a rollback that recorded no end', async () => {
    const undone: string[] = [];
    const { engine } = engineWith([undoableTask(undone)]);
    await handRun(engine, 'r-old', journal({ message: `compensated step finished at ${at(4)}` }), {
      status: 'needs-attention',
    });
    expect((await rollbackRun(engine, 'r-old')).compensated).toEqual(['a']);
    expect(undone).toEqual(['a:a']);
  });

  it('undoes a step whose compensation entry names no end it can read', async () => {
    const undone: string[] = [];
    const { engine } = engineWith([undoableTask(undone)]);
    await handRun(engine, 'r-vague', journal({ message: 'compensated by hand' }), { status: 'needs-attention' });
    const report = await rollbackRun(engine, 'r-vague');
    expect(report.failed).toBeUndefined();
    expect(report.compensated).toEqual(['b', 'a']);
    expect(undone).toEqual(['b:b', 'a:a']);
  });
});

describe('call steps', () => {
  const child = workflow({ id: 'child:mk', steps: task('mk', 'test.undoable', { name: 'child' }) });
  const parent = workflow({
    id: 'parent:mk',
    steps: sequence(task('own', 'test.undoable', { name: 'parent' }), call('sub', 'child:mk')),
  });

  async function parentRun(runId: string, undone: string[], failUndo = false) {
    const base = undoableTask(undone);
    // the child's compensation fails (this run's own would work)
    const undoable = failUndo
      ? {
          ...base,
          compensate: async (ctx: Parameters<NonNullable<typeof base.compensate>>[0]) => {
            if (ctx.runId !== runId) throw new TaskError(`cannot undo in ${ctx.runId}`);
            return base.compensate!(ctx);
          },
        }
      : base;
    const { engine } = engineWith([undoable], { resolveWorkflow: (id) => (id === 'child:mk' ? child : undefined) });
    expect((await startRun(engine, parent, { params: {}, runId })).status).toBe('succeeded');
    return engine;
  }

  it('leaves alone a child run already rolled back', async () => {
    const undone: string[] = [];
    const engine = await parentRun('r-cp1', undone);
    expect((await rollbackRun(engine, 'r-cp1.sub')).status).toBe('rolled-back');
    const report = await rollbackRun(engine, 'r-cp1');
    expect(report.failed).toBeUndefined();
    expect(report.compensated).toEqual(['sub', 'own']);
    expect(undone).toEqual(['child:child', 'parent:parent']);
  });

  it('goes on past a call step whose child run is gone', async () => {
    const undone: string[] = [];
    const engine = await parentRun('r-cp2', undone);
    await engine.store.delete(keys.run('r-cp2.sub'));
    const report = await rollbackRun(engine, 'r-cp2');
    expect(report.failed).toBeUndefined();
    expect(report.compensated).toEqual(['sub', 'own']);
    expect(undone).toEqual(['parent:parent']);
  });

  it('stops at a call step whose child run could not be undone, naming the child', async () => {
    const undone: string[] = [];
    const engine = await parentRun('r-cp3', undone, true);
    const report = await rollbackRun(engine, 'r-cp3');
    expect(report.failed).toEqual({
      step: 'sub',
      error: expect.objectContaining({ code: 'TASK_FAILED', message: 'child run r-cp3.sub: cannot undo in r-cp3.sub' }),
    });
    expect(report.compensated).toEqual([]);
    expect(report.status).toBe('needs-attention');
    expect(undone).toEqual([]);
  });
});
