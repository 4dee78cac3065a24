// What resume decides before the run goes on (engine/resume.ts, prepareResume): which interrupted supervised steps it
// adopts and which lost commands it kills, what an interrupted step left behind it kills, which statuses it resumes or
// refuses, the step outcomes it replays from a snapshot with or without outcome counts, and what run.resumed says.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  defineTask,
  definitionHash,
  isAlive,
  resumeRun,
  sequence,
  startTimeOf,
  task,
  workflow,
  type JournalEntry,
  type RunRecord,
  type RunResult,
} from '../../engine/index.js';
import { prepareResume, type ResumePoint } from '../../engine/resume.js';
import { keys } from '../../engine/run-store.js';
import type { PersistedRunSnapshot } from '../../engine/run-types.js';
import { attemptFolder, type CommandRecord, type CommandStatus } from '../../engine/supervisor.js';
import { tempDir } from '../support/git-fixtures.js';
import { DEAD_PID, engineWith, journalOf } from './support.js';

const def = workflow({
  id: 'test:adopt',
  steps: sequence(task('a', 'test.echo', { value: 'a' }), task('b', 'test.echo', { value: 'b' })),
});

const record = (id: string, o: Partial<RunRecord> = {}): RunRecord => ({
  id,
  workflow: def.id,
  definitionHash: definitionHash(def),
  // left running by a process that is gone
  status: 'running',
  pid: DEAD_PID,
  pidStart: 1,
  host: hostname(),
  params: {},
  source: { kind: 'inline' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  ...o,
});

const at = '2026-01-01T00:00:02.000Z';
const started = (step: string, o: Partial<JournalEntry> = {}): JournalEntry => ({
  type: 'task.started',
  at,
  step,
  task: 'test.echo',
  attempt: 1,
  idempotent: true,
  ...o,
});
const finished = (step: string, value: unknown): JournalEntry => ({
  type: 'task.finished',
  at,
  step,
  task: 'test.echo',
  output: { value },
});
const failed = (step: string, message: string): JournalEntry => ({
  type: 'task.failed',
  at,
  step,
  task: 'test.echo',
  error: { name: 'TaskError', code: 'TASK_FAILED', message },
});
const cancelled = (step: string): JournalEntry => ({ type: 'task.cancelled', at, step, task: 'test.echo' });

/** An engine over a memory store whose runs keep their supervised commands under a temp folder. */
function engineWithFiles() {
  const files = tempDir('gravity-adopt-');
  const { engine } = engineWith([], { filesDir: (run) => join(files, run) });
  return { engine, files };
}

type Engine = ReturnType<typeof engineWithFiles>['engine'];

/** Stores a run by hand: its record, its journal and (optionally) its snapshot. */
async function handRun(
  engine: Engine,
  id: string,
  journal: JournalEntry[],
  o: { record?: Partial<RunRecord>; snapshot?: PersistedRunSnapshot } = {},
) {
  await engine.store.put(keys.run(id), record(id, o.record));
  for (const e of journal) await engine.store.append(keys.journal(id), e);
  if (o.snapshot) await engine.store.put(keys.snapshot(id), o.snapshot);
}

/** Writes the folder of command `c<n>` of attempt 1 of `step`: its command.json, and its status once it ended. */
function commandFolder(
  files: string,
  runId: string,
  step: string,
  n: number,
  c: Partial<CommandRecord> & { supervisor: CommandRecord['supervisor'] },
  end?: { stdout: string },
): string {
  const dir = join(attemptFolder(join(files, runId), step, 1), `c${n}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'command.json'), JSON.stringify({ command: 'sh', args: [], startedAt: at, ...c }));
  if (end) {
    writeFileSync(join(dir, 'stdout'), end.stdout);
    writeFileSync(join(dir, 'stderr'), '');
    const status: CommandStatus = {
      exitCode: 0,
      timedOut: false,
      stdout: { bytes: Buffer.byteLength(end.stdout), fileBytes: Buffer.byteLength(end.stdout) },
      stderr: { bytes: 0, fileBytes: 0 },
      durationMs: 3,
      endedAt: at,
    };
    writeFileSync(join(dir, 'status.json'), JSON.stringify(status));
  }
  return dir;
}

const deadSupervisor = { pid: DEAD_PID, start: 1 };
/** This process stands for a step supervisor that still runs. */
const liveSupervisor = () => ({ pid: process.pid, start: startTimeOf(process.pid) });

function point(p: ResumePoint | RunResult): ResumePoint {
  if (!('def' in p)) throw new Error(`expected a resume point, got a run result (${p.status})`);
  return p;
}

async function resumedMessage(engine: Engine, id: string): Promise<string | undefined> {
  return (await journalOf(engine.store, id)).find((e) => e.type === 'run.resumed')?.message;
}

const procs: ChildProcess[] = [];
/** A real process (its own group) that a step could have left: `sleep <seconds>`. */
function sleeper(seconds: string): ChildProcess & { pid: number } {
  return track(spawn('sleep', [seconds], { detached: true, stdio: 'ignore' }));
}
function track(c: ChildProcess): ChildProcess & { pid: number } {
  procs.push(c);
  return c as ChildProcess & { pid: number };
}
afterEach(() => {
  for (const c of procs.splice(0)) if (c.pid && isAlive(c.pid)) process.kill(-c.pid, 'SIGKILL');
});
const gone = (pid: number) => vi.waitFor(() => expect(isAlive(pid)).toBe(false));

describe('interrupted supervised steps', () => {
  it('adopts a step whose commands all ended, and says so alone', async () => {
    const { engine, files } = engineWithFiles();
    await handRun(engine, 'r-fin', [finished('a', 'A'), started('b', { supervised: true, idempotent: false })]);
    commandFolder(files, 'r-fin', 'b', 1, { supervisor: deadSupervisor, pid: DEAD_PID }, { stdout: 'one\n' });
    commandFolder(files, 'r-fin', 'b', 2, { supervisor: deadSupervisor, pid: DEAD_PID }, { stdout: 'two\n' });
    const p = point(await prepareResume(engine, 'r-fin', { definition: def }));
    expect([...p.adopt]).toEqual(['b']);
    expect(p.record.status).toBe('running');
    expect(await resumedMessage(engine, 'r-fin')).toBe('adopting <b> (its commands ran on)');
  });

  it('adopts a step whose command still runs under its supervisor, leaving that command running', async () => {
    const { engine, files } = engineWithFiles();
    const cmd = sleeper('30');
    await handRun(engine, 'r-run', [
      started('b', { supervised: true, idempotent: false }),
      { type: 'task.process', at, step: 'b', task: 'test.echo', pid: cmd.pid, command: ['sleep', '30'] },
    ]);
    commandFolder(files, 'r-run', 'b', 1, {
      command: 'sleep',
      args: ['30'],
      supervisor: liveSupervisor(),
      pid: cmd.pid,
      pidStart: startTimeOf(cmd.pid),
    });
    const p = point(await prepareResume(engine, 'r-run', { definition: def }));
    expect([...p.adopt]).toEqual(['b']);
    expect(isAlive(cmd.pid)).toBe(true);
  });

  it('does not adopt a step with a lost command: kills that command, and the step needs a person', async () => {
    const { engine, files } = engineWithFiles();
    // a command that ignores SIGTERM: only a SIGKILL stops it
    const lost = track(spawn('sh', ['-c', 'trap "" TERM; sleep 31; echo'], { detached: true, stdio: 'ignore' }));
    await handRun(engine, 'r-lost', [started('b', { supervised: true, idempotent: false })]);
    commandFolder(files, 'r-lost', 'b', 1, { supervisor: deadSupervisor, pid: DEAD_PID }, { stdout: 'done\n' });
    // its supervisor died before the command's end was recorded: what it did is unknown
    commandFolder(files, 'r-lost', 'b', 2, {
      command: 'sh',
      args: ['-c', 'trap "" TERM; sleep 31; echo'],
      supervisor: deadSupervisor,
      pid: lost.pid,
      pidStart: startTimeOf(lost.pid),
    });
    // and a third the supervisor never got to start (its folder only)
    mkdirSync(join(attemptFolder(join(files, 'r-lost'), 'b', 1), 'c3'));
    const result = await prepareResume(engine, 'r-lost', { definition: def });
    expect('def' in result).toBe(false);
    expect((result as RunResult).status).toBe('needs-attention');
    expect((result as RunResult).attention?.steps).toEqual(['b']);
    await gone(lost.pid);
  });

  it('re-runs a forced step with a lost command, and names what it adopts and what it re-runs', async () => {
    const { engine, files } = engineWithFiles();
    await handRun(engine, 'r-mix', [
      started('a', { supervised: true, idempotent: false }),
      started('b', { supervised: true, idempotent: false }),
    ]);
    commandFolder(files, 'r-mix', 'a', 1, { supervisor: deadSupervisor, pid: DEAD_PID }, { stdout: 'a\n' });
    commandFolder(files, 'r-mix', 'b', 1, { supervisor: deadSupervisor, pid: DEAD_PID });
    const p = point(await prepareResume(engine, 'r-mix', { definition: def, force: true }));
    expect([...p.adopt]).toEqual(['a']);
    expect(await resumedMessage(engine, 'r-mix')).toBe('adopting <a> (its commands ran on); re-running <b> (forced)');
  });

  it('goes on with the output of an adopted command, without running it again', async () => {
    // given a run whose supervised step ran `sh -c ...` to its end while no engine watched
    const { engine, files } = engineWithFiles();
    const marker = join(files, 'ran');
    const args = ['-c', `echo ran >> ${marker}; echo fresh`];
    const sup = defineTask({
      id: 'test.sup',
      title: 'Supervised',
      input: z.object({}),
      output: z.object({ out: z.string() }),
      supervised: true,
      run: async ({ exec }) => ({ out: (await exec('sh', args)).stdout }),
    });
    const w = workflow({ id: 'test:sup', steps: task('s', 'test.sup', {}), output: '=steps.s.out' });
    const { engine: withTask } = engineWith([sup], { store: engine.store, filesDir: engine.filesDir });
    await engine.store.put(keys.run('r-e2e'), record('r-e2e', { workflow: w.id, definitionHash: definitionHash(w) }));
    await engine.store.append(keys.journal('r-e2e'), started('s', { task: 'test.sup', supervised: true }));
    commandFolder(files, 'r-e2e', 's', 1, { args, supervisor: deadSupervisor, pid: DEAD_PID }, { stdout: 'adopted\n' });
    // when it is resumed
    const result = await resumeRun(withTask, 'r-e2e', { definition: w });
    // then the step's command is answered by the one that ran: its output, and no second run
    expect(result).toMatchObject({ status: 'succeeded', output: 'adopted\n' });
    expect(existsSync(marker)).toBe(false);
    expect(await resumedMessage(engine, 'r-e2e')).toBe('adopting <s> (its commands ran on)');
  });
});

describe('what an interrupted step left running', () => {
  it('leaves alone a process whose command line only looks the same once its words are run together', async () => {
    const { engine } = engineWithFiles();
    const other = sleeper('30');
    const mine = sleeper('32');
    await handRun(engine, 'r-words', [
      started('a'),
      { type: 'task.process', at, step: 'a', task: 'test.echo', pid: other.pid, command: ['sleep3', '0'] },
      { type: 'task.process', at, step: 'a', task: 'test.echo', pid: mine.pid, command: ['sleep', '32'] },
    ]);
    point(await prepareResume(engine, 'r-words', { definition: def }));
    await gone(mine.pid);
    expect(isAlive(other.pid)).toBe(true);
  });
});

describe('which runs resume', () => {
  it('resumes a detached run', async () => {
    const { engine } = engineWithFiles();
    await handRun(engine, 'r-det', [started('a'), finished('a', 'A')], {
      record: { status: 'detached', pid: undefined },
    });
    const p = point(await prepareResume(engine, 'r-det', { definition: def }));
    expect(p.record.status).toBe('running');
    expect(await resumedMessage(engine, 'r-det')).toBe('resumed');
  });

  it('refuses a cancelled run whose machine is done, naming its status', async () => {
    const { engine } = engineWithFiles();
    await handRun(engine, 'r-done', [finished('a', 'A')], {
      record: { status: 'cancelled', pid: undefined },
      snapshot: {
        definitionHash: definitionHash(def),
        snapshot: { status: 'done', value: {}, context: { steps: {} } } as never,
      },
    });
    await expect(prepareResume(engine, 'r-done', { definition: def })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: 'run r-done ended: its cleanup ran after the cancel; start a new run',
      details: { status: 'cancelled' },
    });
  });

  it('resumes a run that needs attention even when it had finished once', async () => {
    const { engine } = engineWithFiles();
    await handRun(engine, 'r-att', [finished('a', 'A')], {
      record: { status: 'needs-attention', pid: undefined, finishedAt: at },
    });
    expect(point(await prepareResume(engine, 'r-att', { definition: def })).record.status).toBe('running');
  });
});

describe('what run.resumed says', () => {
  it('names each step it re-runs', async () => {
    const { engine } = engineWithFiles();
    await handRun(engine, 'r-two', [started('a'), started('b')]);
    point(await prepareResume(engine, 'r-two', { definition: def }));
    expect(await resumedMessage(engine, 'r-two')).toBe('re-running <a>, <b>');
  });

  it('does not call a run without a snapshot started over when a step had started', async () => {
    const { engine } = engineWithFiles();
    await handRun(engine, 'r-nosnap', [{ type: 'run.started', at }, finished('a', 'A'), started('b')]);
    const p = point(await prepareResume(engine, 'r-nosnap', { definition: def }));
    expect(p.snapshot).toBeUndefined();
    expect(await resumedMessage(engine, 'r-nosnap')).toBe('re-running <b>');
  });
});

const snapshotOf = (context: Record<string, unknown>, children: Record<string, unknown> = {}, o = {}) =>
  ({
    definitionHash: definitionHash(def),
    snapshot: { status: 'active', value: 'x', context, children },
    ...o,
  }) as unknown as PersistedRunSnapshot;

const replayOf = (p: ResumePoint) => Object.fromEntries(p.replay);

describe('outcomes replayed from a snapshot', () => {
  it('replays what came after the outcome counts, and keeps the step outputs a snapshot carries', async () => {
    const { engine } = engineWithFiles();
    await handRun(engine, 'r-count', [started('x'), finished('x', 'X-journal'), started('z'), finished('z', 'Z')], {
      record: { status: 'cancelled', pid: undefined },
      snapshot: snapshotOf({ steps: { x: { value: 'X-snapshot' } }, outcomes: { x: 1 } }),
    });
    const p = point(await prepareResume(engine, 'r-count', { definition: def }));
    expect(replayOf(p)).toEqual({ z: [{ output: { value: 'Z' } }] });
    expect((p.snapshot as unknown as { context: { steps: unknown } }).context.steps).toEqual({
      x: { value: 'X-snapshot' },
    });
  });

  it('counts, for a snapshot without outcome counts, every outcome but the last of a step it shows running', async () => {
    // given a snapshot written before snapshots counted outcomes, showing a, b, c, d and y running
    const { engine } = engineWithFiles();
    const journal: JournalEntry[] = [
      started('x'),
      finished('x', 'X'),
      started('a'),
      finished('a', 'A1'),
      started('d'),
      finished('d', 'D1'),
      // a and d started again (in a loop); d's second turn was cancelled
      started('a'),
      started('d'),
      cancelled('d'),
      started('c'),
      failed('c', 'C failed'),
      started('b'),
      finished('b', 'B'),
      // a later line of b that is no outcome of it
      { type: 'task.process', at, step: 'b', task: 'test.echo', pid: DEAD_PID, command: ['true'] },
    ];
    await handRun(engine, 'r-old', journal, {
      record: { status: 'cancelled', pid: undefined },
      snapshot: snapshotOf({ steps: {} }, { a: {}, b: {}, c: {}, d: {}, y: {} }, { stepsInJournal: true }),
    });
    const p = point(await prepareResume(engine, 'r-old', { definition: def }));
    // then the ends of b and c (their last word) are replayed; a, d (running again) and x (not running) are taken in
    expect(replayOf(p)).toEqual({
      b: [{ output: { value: 'B' } }],
      c: [{ error: { name: 'TaskError', code: 'TASK_FAILED', message: 'C failed' } }],
    });
    expect((p.snapshot as unknown as { context: { steps: unknown } }).context.steps).toEqual({
      x: { value: 'X' },
      a: { value: 'A1' },
      d: { value: 'D1' },
    });
  });
});
