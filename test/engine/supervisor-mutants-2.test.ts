// How the engine talks to its step supervisor (engine/supervisor.ts), against a stand-in for the supervisor process: how
// it is started, the messages it answers with, the request ids, when its IPC channel may keep the engine alive, a
// channel that fails or closes, its death; and a status.json written just as its supervisor ended.
import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DetachedError } from '../../engine/index.js';
import {
  commandState,
  superviseCommand,
  supervisorPid,
  type CommandRecord,
  type CommandStatus,
} from '../../engine/supervisor.js';
import { tempDir } from '../support/git-fixtures.js';
import { DEAD_PID } from './support.js';

/** The supervisor process as the engine sees it: IPC messages in and out, a channel it refs and unrefs. */
class FakeSupervisor extends EventEmitter {
  pid = 4242;
  sent: Array<Record<string, unknown>> = [];
  channel: { ref: ReturnType<typeof vi.fn>; unref: ReturnType<typeof vi.fn> } | null = {
    ref: vi.fn(),
    unref: vi.fn(),
  };
  unref = vi.fn();
  /** The error each send reports, if any. */
  sendError: Error | undefined;
  send(m: Record<string, unknown>, cb: (e: Error | null) => void): boolean {
    this.sent.push(m);
    const e = this.sendError ?? null;
    process.nextTick(() => cb(e));
    return true;
  }
  /** A message from the supervisor. */
  say(m: Record<string, unknown>): void {
    this.emit('message', m);
  }
}

const fakes: FakeSupervisor[] = [];
let channelless = false;
vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:child_process')>();
  const spawn = vi.fn(() => {
    const f = new FakeSupervisor();
    if (channelless) f.channel = null;
    fakes.push(f);
    return f;
  });
  return { ...real, default: { ...real, spawn }, spawn };
});
// readFileSync is wrapped (still the real one) so that a test can make a file appear between two reads
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const readFileSync = vi.fn(real.readFileSync);
  return { ...real, default: { ...real, readFileSync }, readFileSync };
});
const { spawn } = await import('node:child_process');
const fs = await import('node:fs');

/** The supervisor of the current requests (the last one started). */
const current = () => fakes[fakes.length - 1];

afterEach(() => {
  channelless = false;
  // each test starts with a supervisor of its own: the last one dies
  current()?.emit('exit', null, 'SIGKILL');
  vi.mocked(spawn).mockClear();
});

const status: CommandStatus = {
  exitCode: 0,
  timedOut: false,
  stdout: { bytes: 0, fileBytes: 0 },
  stderr: { bytes: 0, fileBytes: 0 },
  durationMs: 3,
  endedAt: '2026-01-01T00:00:00.000Z',
};

const folder = () => join(tempDir('gravity-supm2-'), 'c1');
const tick = () => new Promise((r) => setImmediate(r));

describe('starting the step supervisor', () => {
  it('runs none until a command is asked for', () => {
    expect(supervisorPid()).toBeUndefined();
  });

  it('starts node on supervisor-child.mjs, detached, with nothing of the environment but PATH', async () => {
    const p = superviseCommand(folder(), 'true', []);
    expect(spawn).toHaveBeenCalledTimes(1);
    const [file, args, options] = vi.mocked(spawn).mock.calls[0] as unknown as [string, string[], object];
    expect(file).toBe(process.execPath);
    expect(args).toHaveLength(1);
    expect(args[0]).toMatch(/engine\/supervisor-child\.mjs$/);
    expect(options).toEqual({
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { PATH: process.env.PATH },
    });
    expect(supervisorPid()).toBe(4242);
    current().say({ type: 'exit', id: 1, status });
    await p;
  });

  it('gives it an empty PATH when the engine has none', async () => {
    const path = process.env.PATH;
    delete process.env.PATH;
    try {
      const p = superviseCommand(folder(), '/bin/true', []);
      expect(vi.mocked(spawn).mock.calls[0][2]).toMatchObject({ env: { PATH: '' } });
      current().say({ type: 'exit', id: 1, status });
      await p;
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('the requests and their answers', () => {
  it('numbers the requests 1, 2, 3... and sends each what to run', async () => {
    const dir = folder();
    const ps = [superviseCommand(dir, 'a', ['1']), superviseCommand(dir, 'b', []), superviseCommand(dir, 'c', [])];
    const f = current();
    expect(f.sent.map((m) => [m.type, m.id, m.command])).toEqual([
      ['spawn', 1, 'a'],
      ['spawn', 2, 'b'],
      ['spawn', 3, 'c'],
    ]);
    expect(f.sent[0]).toMatchObject({ dir, args: ['1'], killGraceMs: 2000, tailBytes: 64 * 1024 });
    for (const id of [3, 1, 2]) f.say({ type: 'exit', id, status: { ...status, exitCode: id } });
    expect((await Promise.all(ps)).map((r) => [r.command, r.exitCode])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('reports the pid it hears of, and ignores messages of no request of its own', async () => {
    const onSpawn = vi.fn();
    const p = superviseCommand(folder(), 'sleep', ['1'], { onSpawn });
    const f = current();
    f.say({ type: 'ready', pid: 4242 });
    f.say({ type: 'spawned', id: 9, pid: 1000 });
    f.say({ type: 'exit', id: 9, status });
    f.say({ type: 'spawned', id: 1, pid: 1001 });
    expect(onSpawn).toHaveBeenCalledWith(1001);
    expect(onSpawn).toHaveBeenCalledTimes(1);
    f.say({ type: 'exit', id: 1, status: { ...status, exitCode: 5 } });
    expect(await p).toMatchObject({ exitCode: 5 });
  });

  it('rejects a command the supervisor refused, with its reason', async () => {
    const p = superviseCommand(folder(), 'true', []);
    current().say({ type: 'refused', id: 1, message: 'too many commands' });
    await expect(p).rejects.toMatchObject({
      code: 'TASK_FAILED',
      message: 'the step supervisor refused the command: too many commands',
    });
  }, 5000);

  it('rejects a command it could not send to the supervisor', async () => {
    const p = superviseCommand(folder(), 'true', []);
    const f = current();
    // the send fails after it was made (the callback's error)
    f.sendError = new Error('write EPIPE');
    const q = superviseCommand(folder(), 'false', []);
    const failed = expect(q).rejects.toMatchObject({
      code: 'TASK_FAILED',
      message: 'the step supervisor could not be reached: write EPIPE',
    });
    f.say({ type: 'exit', id: 1, status });
    await expect(p).resolves.toMatchObject({ exitCode: 0 });
    await failed;
  }, 5000);
});

describe('what keeps the engine process alive', () => {
  it('lets it exit while no command runs: the channel is held only while one is pending', async () => {
    const p1 = superviseCommand(folder(), 'a', []);
    const f = current();
    expect(f.unref).toHaveBeenCalledTimes(1);
    expect(f.channel!.unref).toHaveBeenCalledTimes(1);
    expect(f.channel!.ref).toHaveBeenCalledTimes(1);
    const p2 = superviseCommand(folder(), 'b', []);
    expect(f.channel!.ref).toHaveBeenCalledTimes(1);
    f.say({ type: 'exit', id: 1, status });
    await p1;
    expect(f.channel!.unref).toHaveBeenCalledTimes(1);
    f.say({ type: 'exit', id: 2, status });
    await p2;
    expect(f.channel!.unref).toHaveBeenCalledTimes(2);
    // the next command holds it again
    const p3 = superviseCommand(folder(), 'c', []);
    expect(f.channel!.ref).toHaveBeenCalledTimes(2);
    f.say({ type: 'exit', id: 3, status });
    await p3;
    expect(f.channel!.unref).toHaveBeenCalledTimes(3);
  });

  it('lets go of a command on detach: it runs on, the channel no longer holds the engine', async () => {
    const ac = new AbortController();
    const p = superviseCommand(folder(), 'sleep', ['30'], { signal: ac.signal });
    const f = current();
    f.say({ type: 'spawned', id: 1, pid: DEAD_PID });
    await tick();
    ac.abort(new DetachedError());
    await expect(p).rejects.toBeInstanceOf(DetachedError);
    expect(f.channel!.unref).toHaveBeenCalledTimes(2);
    // its end, if the supervisor still tells of it, is no business of this process any more
    f.say({ type: 'exit', id: 1, status });
    expect(f.channel!.unref).toHaveBeenCalledTimes(2);
  });

  it('lets go of a command only once when its end and a detach come together', async () => {
    const ac = new AbortController();
    const p = superviseCommand(folder(), 'sleep', ['30'], { signal: ac.signal });
    const f = current();
    f.say({ type: 'spawned', id: 1, pid: DEAD_PID });
    await tick();
    ac.abort(new DetachedError());
    f.say({ type: 'exit', id: 1, status });
    await expect(p).rejects.toBeInstanceOf(DetachedError);
    expect(f.channel!.unref).toHaveBeenCalledTimes(2);
  });

  it('runs commands over a supervisor whose channel is already gone', async () => {
    channelless = true;
    const ac = new AbortController();
    const p = superviseCommand(folder(), 'a', []);
    const q = superviseCommand(folder(), 'b', [], { signal: ac.signal });
    const f = current();
    expect(f.channel).toBeNull();
    f.say({ type: 'exit', id: 1, status });
    await expect(p).resolves.toMatchObject({ exitCode: 0 });
    f.say({ type: 'spawned', id: 2, pid: DEAD_PID });
    await tick();
    ac.abort(new DetachedError());
    await expect(q).rejects.toBeInstanceOf(DetachedError);
  });
});

describe('the death of the supervisor', () => {
  it.each(['exit', 'error', 'disconnect'])(
    'fails every pending command on its %s, and starts another for the next command',
    async (event) => {
      const ps = [superviseCommand(folder(), 'a', []), superviseCommand(folder(), 'b', [])];
      const f = current();
      f.emit(event, new Error('gone'));
      for (const p of ps)
        await expect(p).rejects.toMatchObject({ code: 'TASK_FAILED', message: 'the step supervisor (pid 4242) died' });
      expect(supervisorPid()).toBeUndefined();
      // the other events of the same death change nothing
      for (const e of ['exit', 'error', 'disconnect']) f.emit(e, new Error('gone'));
      const next = superviseCommand(folder(), 'c', []);
      expect(spawn).toHaveBeenCalledTimes(2);
      expect(current()).not.toBe(f);
      expect(supervisorPid()).toBe(4242);
      current().say({ type: 'exit', id: 1, status });
      await expect(next).resolves.toMatchObject({ command: 'c' });
    },
    5000,
  );
});

describe('a status written as its supervisor ended', () => {
  it('is read again before the command is taken for lost', () => {
    const dir = folder();
    mkdirSync(dir);
    const record: CommandRecord = { command: 'sh', args: [], supervisor: { pid: DEAD_PID }, startedAt: '', pid: 1 };
    writeFileSync(join(dir, 'command.json'), JSON.stringify(record));
    writeFileSync(join(dir, 'status.json'), JSON.stringify(status));
    // the first look finds no status.json: it is written while the supervisor's liveness is checked
    vi.mocked(fs.readFileSync).mockImplementationOnce(() => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    });
    expect(commandState(dir)).toEqual({ state: 'finished', record, status });
  });
});
