// cancelRun in detail: SIGINT to a live run's process (and the wait for its end, or the give-up), detached runs, what
// it refuses and why, a run that ended between the look and the lock, the lock it holds, and the supervised commands
// an interrupted step left running.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cancelRun,
  createMemoryStore,
  DetachedError,
  isAlive,
  keys,
  lockRun,
  RunStatus,
  startTimeOf,
  type JournalEntry,
  type RunLockHolder,
  type RunRecord,
  type Store,
} from '../../engine/index.js';
import { attemptFolder, superviseCommand, type CommandRecord } from '../../engine/supervisor.js';
import { tempDir } from '../support/git-fixtures.js';
import { DEAD_PID, engineWith, journalOf } from './support.js';

const children: ChildProcess[] = [];
const pids: number[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const pid of pids.splice(0))
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
});

function recordOf(id: string, status: RunStatus, o: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    workflow: 'w:cancel',
    definitionHash: 'h',
    source: { kind: 'inline' },
    params: {},
    status,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...o,
  };
}

const runOf = async (store: Store, id: string) => (await store.get<RunRecord>(keys.run(id)))?.value;

async function waitFor(check: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/** A node process standing for a run's process: says `ready`, and on SIGINT says `int` and exits (or, deaf, not). */
async function runProcess(deaf: boolean): Promise<{ child: ChildProcess; output: () => string }> {
  const onInt = deaf ? '' : "process.stdout.write('int'); process.exit(0);";
  const child = spawn(
    process.execPath,
    ['-e', `process.on('SIGINT', () => { ${onInt} }); process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  expect(await waitFor(() => out.includes('ready'), 10_000)).toBe(true);
  return { child, output: () => out };
}

describe('cancelRun of a run whose process is alive', () => {
  it('sends it SIGINT and waits for the run to record its end', async () => {
    const store = createMemoryStore();
    const { engine } = engineWith([], { store });
    const { child, output } = await runProcess(false);
    const live = recordOf('r-live', RunStatus.Running, {
      pid: child.pid,
      pidStart: startTimeOf(child.pid!),
      host: hostname(),
    });
    await store.put(keys.run('r-live'), live);
    // the run's process records the cancel as it stops (here, the test does it for the stand-in process)
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.once('exit', (code, signal) => {
        void store.put(keys.run('r-live'), { ...live, status: RunStatus.Cancelled, pid: undefined });
        r({ code, signal });
      }),
    );

    const report = await cancelRun(engine, 'r-live');

    expect(report).toEqual({ runId: 'r-live', status: RunStatus.Cancelled, signalled: true });
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(output()).toBe('ready\nint');
  });

  it('gives up, naming the process, when the run does not end within waitMs', async () => {
    const store = createMemoryStore();
    const { engine } = engineWith([], { store });
    const { child } = await runProcess(true);
    const live = recordOf('r-deaf', RunStatus.Running, {
      pid: child.pid,
      pidStart: startTimeOf(child.pid!),
      host: hostname(),
    });
    await store.put(keys.run('r-deaf'), live);

    const e = await cancelRun(engine, 'r-deaf', { waitMs: 300 }).catch((x: unknown) => x);

    expect(e).toMatchObject({
      code: 'BAD_INPUT',
      message: `run r-deaf: process ${child.pid} did not stop within 0.3 s`,
      details: { run: 'r-deaf', pid: child.pid },
    });
    expect(await runOf(store, 'r-deaf')).toEqual(live);
    expect(isAlive(child.pid!)).toBe(true);
  });
});

describe('cancelRun of a run whose process is gone', () => {
  it('marks a detached run cancelled, saying it was detached, under a lock held for "cancel"', async () => {
    const store = createMemoryStore();
    let holder: Promise<{ value: RunLockHolder } | undefined> | undefined;
    const { engine } = engineWith([], {
      store,
      // read while the entry is journaled: who holds the run's lock then
      onEvent: (e) => {
        if (e.type === 'run.cancelled') holder = store.get<RunLockHolder>(keys.lock('r-det'));
      },
    });
    await store.put(keys.run('r-det'), recordOf('r-det', RunStatus.Detached, { pid: DEAD_PID, host: hostname() }));

    const report = await cancelRun(engine, 'r-det');

    expect(report).toEqual({ runId: 'r-det', status: RunStatus.Cancelled, signalled: false });
    expect((await runOf(store, 'r-det'))!.status).toBe(RunStatus.Cancelled);
    const journal = await journalOf(store, 'r-det');
    expect(journal.map((x) => x.type)).toEqual(['run.cancelled']);
    expect(journal[0].message).toBe('detached: marked cancelled; resume with `gravity resume`');
    expect((await holder)?.value).toMatchObject({ pid: process.pid, purpose: 'cancel' });
    expect(await store.get(keys.lock('r-det'))).toBeUndefined();
  });

  it('refuses a run that is not running without touching its lock, naming the run and its status', async () => {
    const store = createMemoryStore();
    const { engine } = engineWith([], { store });
    const done = recordOf('r-done', RunStatus.Succeeded);
    await store.put(keys.run('r-done'), done);
    // another process of ours drives it (a rollback, say): its lock is held
    const lock = await lockRun(store, 'r-done', { purpose: 'rollback' });
    try {
      await expect(cancelRun(engine, 'r-done')).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: 'run r-done is succeeded, not running: nothing to cancel',
        details: { run: 'r-done', status: 'succeeded' },
      });
    } finally {
      await lock.release();
    }
    expect(await runOf(store, 'r-done')).toEqual(done);
  });

  it('refuses a run that ended between the look and the lock, and leaves it as it ended', async () => {
    const store = createMemoryStore();
    const { engine } = engineWith([], { store });
    const running = recordOf('r-race', RunStatus.Running, { pid: DEAD_PID, host: hostname() });
    await store.put(keys.run('r-race'), running);
    // the run's end is written just before cancel takes the lock
    const put = store.put.bind(store);
    let ended = false;
    store.put = async (key, value, o) => {
      if (key === keys.lock('r-race') && !ended) {
        ended = true;
        await put(keys.run('r-race'), { ...running, status: RunStatus.Succeeded, pid: undefined });
      }
      return put(key, value, o);
    };

    await expect(cancelRun(engine, 'r-race')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: 'run r-race is succeeded, not running: nothing to cancel',
      details: { run: 'r-race', status: 'succeeded' },
    });
    expect((await runOf(store, 'r-race'))!.status).toBe(RunStatus.Succeeded);
    expect(await journalOf(store, 'r-race')).toEqual([]);
    expect(await store.get(keys.lock('r-race'))).toBeUndefined();
  });

  it('stops the supervised commands an interrupted step left running and closes that step as cancelled', async () => {
    const store = createMemoryStore();
    const files = tempDir('gravity-cancel-');
    const { engine } = engineWith([], { store, filesDir: (id) => join(files, id) });
    // the step was at its attempt 2: its first command still runs (let go of), its second never started
    const attempt = attemptFolder(join(files, 'r-sup'), 'sh', 2);
    const detach = new AbortController();
    const running = superviseCommand(join(attempt, 'c1'), 'sleep', ['30'], { signal: detach.signal });
    const recordFile = join(attempt, 'c1', 'command.json');
    expect(
      await waitFor(
        () =>
          existsSync(recordFile) && (JSON.parse(readFileSync(recordFile, 'utf8')) as CommandRecord).pid !== undefined,
        10_000,
      ),
    ).toBe(true);
    const command = (JSON.parse(readFileSync(recordFile, 'utf8')) as CommandRecord).pid!;
    pids.push(command);
    detach.abort(new DetachedError());
    await expect(running).rejects.toBeInstanceOf(DetachedError);
    expect(isAlive(command)).toBe(true);
    mkdirSync(join(attempt, 'c2'));

    await store.put(keys.run('r-sup'), recordOf('r-sup', RunStatus.Running, { pid: DEAD_PID, host: hostname() }));
    const at = '2026-01-01T00:00:00.000Z';
    const started: JournalEntry[] = [
      { type: 'task.started', at, step: 'sh', task: 'exec.run', attempt: 1, idempotent: false, supervised: true },
      {
        type: 'task.retrying',
        at,
        step: 'sh',
        task: 'exec.run',
        attempt: 2,
        delayMs: 1,
        error: { name: 'TaskError', code: 'TASK_FAILED', message: 'first try failed' },
      },
    ];
    for (const e of started) await store.append(keys.journal('r-sup'), e);

    const report = await cancelRun(engine, 'r-sup');

    expect(report).toEqual({ runId: 'r-sup', status: RunStatus.Cancelled, signalled: false });
    expect(await waitFor(() => !isAlive(command), 3000)).toBe(true);
    // and its supervisor recorded how it ended (before the test's folder goes)
    expect(await waitFor(() => existsSync(join(attempt, 'c1', 'status.json')), 5000)).toBe(true);
    const journal = await journalOf(store, 'r-sup');
    expect(journal.slice(2).map(({ at: _at, ...e }) => e)).toEqual([
      { type: 'task.cancelled', step: 'sh', task: 'exec.run', attempt: 2 },
      { type: 'run.cancelled', message: 'its process is gone: marked cancelled; resume with `gravity resume`' },
    ]);
  }, 20_000);
});
