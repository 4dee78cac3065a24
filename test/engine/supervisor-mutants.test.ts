// The step supervisor's edges (engine/supervisor.ts), with real processes and real folders: the output file cap, step
// folder names, what resume finds in an attempt's folder, killing and stopping commands left running, the kill rules of
// a cancelled or timed-out command, re-attaching to a command (its output, its pid learned late, its supervisor's death),
// replayed calls, kept decisions, and that no file is left open.
import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError, isAlive, startTimeOf, type JournalEntry } from '../../engine/index.js';
import {
  attachCommand,
  attemptCommands,
  attemptFolder,
  commandState,
  interruptedCommands,
  killCommand,
  onceIn,
  outputFileCap,
  setAsideAttempt,
  stepFolderName,
  stopCommands,
  superviseCommand,
  supervisedExec,
  supervisedFilesDir,
  supervisorPid,
  type CommandRecord,
  type CommandStatus,
} from '../../engine/supervisor.js';
import { tempDir } from '../support/git-fixtures.js';
import { waitFor } from '../support/cli.js';
import { DEAD_PID } from './support.js';

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** Process groups a test started: killed whatever happened. */
const groups: number[] = [];
afterEach(() => {
  delete process.env.GRAVITY_OUTPUT_FILE_BYTES;
  for (const g of groups.splice(0)) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

/** Runs `sh <script> args...` in a process group of its own, as a supervised command runs. */
function group(script: string, ...args: string[]): { pid: number; pidStart: number | undefined } {
  const c = spawn('sh', [script, ...args], { detached: true, stdio: 'ignore' });
  c.unref();
  groups.push(c.pid!);
  return { pid: c.pid!, pidStart: startTimeOf(c.pid!) };
}

/** Shell scripts in `dir`: one that ignores SIGTERM, one that ends cleanly (slowly) on it, one that dies of it. */
function scripts(dir: string) {
  const ignore = join(dir, 'ignore.sh');
  writeFileSync(ignore, 'trap "" TERM\necho ready > "$1"\nsleep 30\n');
  const graceful = join(dir, 'graceful.sh');
  writeFileSync(graceful, 'trap \'sleep 0.3; echo done > "$1"; exit 0\' TERM\nsleep 30 &\necho ready > "$2"\nwait\n');
  const plain = join(dir, 'plain.sh');
  writeFileSync(plain, 'echo ready > "$1"\nsleep 30\n');
  return { ignore, graceful, plain };
}

const ready = (file: string) => waitFor(() => existsSync(file) && readFileSync(file, 'utf8') === 'ready\n', 5000);

const recordOf = (g: { pid?: number; pidStart?: number }, o: Partial<CommandRecord> = {}): CommandRecord => ({
  command: 'sh',
  args: ['-c', 'x'],
  supervisor: { pid: DEAD_PID },
  startedAt: '2026-01-01T00:00:00.000Z',
  ...(g.pid !== undefined ? { pid: g.pid } : {}),
  ...(g.pidStart !== undefined ? { pidStart: g.pidStart } : {}),
  ...o,
});

/** The status.json of a command that ended, printing `out` and `err`. */
function statusOf(out: string | Buffer = '', err: string | Buffer = '', o: Partial<CommandStatus> = {}): CommandStatus {
  const n = (s: string | Buffer) => (typeof s === 'string' ? Buffer.byteLength(s) : s.length);
  return {
    exitCode: 0,
    timedOut: false,
    stdout: { bytes: n(out), fileBytes: n(out) },
    stderr: { bytes: n(err), fileBytes: n(err) },
    durationMs: 7,
    endedAt: '2026-01-01T00:00:01.000Z',
    ...o,
  };
}

/** A command folder as the supervisor leaves it once the command has ended. */
function finishedFolder(
  dir: string,
  o: { record?: CommandRecord; status?: CommandStatus; stdout?: string | Buffer; stderr?: string | Buffer } = {},
): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'command.json'), JSON.stringify(o.record ?? recordOf({ pid: DEAD_PID })));
  if (o.stdout !== undefined) writeFileSync(join(dir, 'stdout'), o.stdout);
  if (o.stderr !== undefined) writeFileSync(join(dir, 'stderr'), o.stderr);
  writeFileSync(join(dir, 'status.json'), JSON.stringify(o.status ?? statusOf(o.stdout, o.stderr)));
  return dir;
}

/** A command folder whose supervisor is alive (this process stands for it) and that has no status yet: running. */
function runningFolder(dir: string, g: { pid?: number; pidStart?: number }, supervisor?: CommandRecord['supervisor']) {
  mkdirSync(dir, { recursive: true });
  const sup = supervisor ?? { pid: process.pid, start: startTimeOf(process.pid) };
  writeFileSync(join(dir, 'command.json'), JSON.stringify(recordOf(g, { supervisor: sup })));
  expect(commandState(dir).state).toBe('running');
  return dir;
}

const writeStatus = (dir: string, s: CommandStatus) => writeFileSync(join(dir, 'status.json'), JSON.stringify(s));

/** Descriptors of this process open on something under `dir`. */
function openUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(dir) ? [target] : [];
    } catch {
      return [];
    }
  });
}

async function errorOf(p: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describe('outputFileCap', () => {
  it('takes a positive whole GRAVITY_OUTPUT_FILE_BYTES, and 1 GiB for anything else', () => {
    expect(outputFileCap()).toBe(1024 ** 3);
    process.env.GRAVITY_OUTPUT_FILE_BYTES = '5000';
    expect(outputFileCap()).toBe(5000);
    process.env.GRAVITY_OUTPUT_FILE_BYTES = '1';
    expect(outputFileCap()).toBe(1);
    for (const v of ['0', '-5', '1.5', 'lots', '']) {
      process.env.GRAVITY_OUTPUT_FILE_BYTES = v;
      expect(outputFileCap(), v).toBe(1024 ** 3);
    }
  });
});

describe('step and attempt folders', () => {
  it('escapes each other byte as two upper-case hex digits, a leading dot once', () => {
    expect(stepFolderName('a\nb')).toBe('a%0Ab');
    expect(stepFolderName('\u0001')).toBe('%01');
    expect(stepFolderName('a b/é')).toBe('a%20b%2F%C3%A9');
    expect(stepFolderName('.hidden')).toBe('%2Ehidden');
    expect(stepFolderName('..')).toBe('%2E.');
    expect(stepFolderName('x.y-z_1')).toBe('x.y-z_1');
  });

  it("puts an attempt's folder under steps/<step>/attempt-<n>", () => {
    expect(attemptFolder('/files', 'a/b', 2)).toBe('/files/steps/a%2Fb/attempt-2');
    expect(attemptFolder('/files', 'build', 1)).toBe('/files/steps/build/attempt-1');
  });

  it('puts an attempt aside under its name and a timestamp made of digits and dashes', () => {
    const base = tempDir('gravity-supm-');
    mkdirSync(join(base, 'attempt-1'));
    setAsideAttempt(join(base, 'attempt-1'));
    const [aside] = readdirSync(base);
    expect(aside).toMatch(/^attempt-1\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
  });
});

describe('what resume finds of supervised steps', () => {
  const files = (runId: string) => `/files/${runId}`;

  it('keeps the files of a run in the folder the engine gives, unless it does not persist', () => {
    expect(supervisedFilesDir({ filesDir: files }, 'r1')).toBe('/files/r1');
    expect(supervisedFilesDir({ filesDir: files, persist: true }, 'r1')).toBe('/files/r1');
    expect(supervisedFilesDir({ filesDir: files, persist: false }, 'r1')).toBeUndefined();
    expect(supervisedFilesDir({}, 'r1')).toBeUndefined();
  });

  const at = '2026-01-01T00:00:00.000Z';
  const journal: JournalEntry[] = [
    { type: 'task.started', at, step: 'sup', task: 't', attempt: 1, supervised: true },
    { type: 'task.retrying', at, step: 'sup', attempt: 2 },
    { type: 'task.started', at, step: 'plain', task: 't', attempt: 1 },
    { type: 'task.started', at, step: 'stopped', task: 't', attempt: 1, supervised: true },
    { type: 'task.cancelled', at, step: 'stopped' },
    { type: 'task.started', at, step: 'done', task: 't', attempt: 1, supervised: true },
    { type: 'task.finished', at, step: 'done' },
  ];

  it('lists each open supervised step not cancelled, at the attempt it was at, with its commands', () => {
    const base = tempDir('gravity-supm-');
    const attempt = attemptFolder(join(base, 'r1'), 'sup', 2);
    finishedFolder(join(attempt, 'c1'), { stdout: 'x' });
    const found = interruptedCommands({ filesDir: (id) => join(base, id) }, 'r1', journal);
    expect(found).toHaveLength(1);
    expect(found[0].step).toMatchObject({ step: 'sup', supervised: true, cancelled: false });
    expect(found[0].attempt).toBe(2);
    expect(found[0].commands).toEqual([
      {
        dir: join(attempt, 'c1'),
        state: { state: 'finished', record: expect.any(Object), status: expect.any(Object) },
      },
    ]);
  });

  it('finds nothing when the run keeps no files', () => {
    expect(interruptedCommands({ filesDir: files, persist: false }, 'r1', journal)).toEqual([]);
    expect(interruptedCommands({}, 'r1', journal)).toEqual([]);
  });

  it("lists an attempt's commands c<n> in call order, nothing else, and none when it has no folder", () => {
    const base = tempDir('gravity-supm-');
    for (const n of ['c10', 'c2', 'c1', 'xc3', 'c4x', 'c5.tmp', 'c', 'notes']) mkdirSync(join(base, n));
    expect(attemptCommands(base).map((c) => c.dir)).toEqual(['c1', 'c2', 'c10'].map((n) => join(base, n)));
    expect(attemptCommands(join(base, 'absent'))).toEqual([]);
  });

  it('takes a damaged command.json for a lost command of unknown name', () => {
    const dir = join(tempDir('gravity-supm-'), 'c1');
    mkdirSync(dir);
    writeFileSync(join(dir, 'command.json'), '{"command": "sh", "ar');
    expect(commandState(dir)).toEqual({
      state: 'lost',
      record: { command: '?', args: [], supervisor: { pid: 0 }, startedAt: '' },
    });
  });
});

describe('killCommand and stopCommands', () => {
  it('kills the group of a command that still runs (SIGTERM by default), and nothing else', async () => {
    const s = scripts(tempDir('gravity-supm-'));
    const g = group(s.plain, join(s.plain, '..', 'r1'));
    await ready(join(s.plain, '..', 'r1'));
    expect(killCommand(recordOf({}))).toBe(false);
    expect(killCommand(recordOf({ pid: DEAD_PID }))).toBe(false);
    // the pid is another process's now (its start time differs): left alone
    expect(killCommand(recordOf({ pid: g.pid, pidStart: g.pidStart! + 1 }))).toBe(false);
    await sleep(100);
    expect(isAlive(g.pid)).toBe(true);
    expect(killCommand(recordOf(g))).toBe(true);
    await waitFor(() => !isAlive(g.pid) || undefined, 3000);
  });

  it('counts the commands it stopped, killing with SIGKILL those that outlive the grace period', async () => {
    const dir = tempDir('gravity-supm-');
    const s = scripts(dir);
    const g = group(s.ignore, join(dir, 'r1'));
    await ready(join(dir, 'r1'));
    expect(await stopCommands([recordOf({ pid: DEAD_PID }), recordOf({}), recordOf(g)], 300)).toBe(1);
    await waitFor(() => !isAlive(g.pid) || undefined, 3000);
  }, 10_000);

  it('waits for a command that ends cleanly on SIGTERM, as long as one is left', async () => {
    const dir = tempDir('gravity-supm-');
    const s = scripts(dir);
    // one dies at once of the SIGTERM, the other takes 0.3 s to end cleanly: the wait goes on for it
    const quick = group(s.plain, join(dir, 'r1'));
    const slow = group(s.graceful, join(dir, 'clean'), join(dir, 'r2'));
    await ready(join(dir, 'r1'));
    await ready(join(dir, 'r2'));
    expect(await stopCommands([recordOf(quick), recordOf(slow)])).toBe(2);
    expect(readFileSync(join(dir, 'clean'), 'utf8')).toBe('done\n');
    expect(isAlive(quick.pid)).toBe(false);
    expect(isAlive(slow.pid)).toBe(false);
  }, 10_000);
});

describe('superviseCommand: the kill rules', () => {
  it('names the command in its result and its errors', async () => {
    const base = tempDir('gravity-supm-');
    const r = await superviseCommand(join(base, 'c1'), 'sh', ['-c', 'exit 4']);
    expect(r).toMatchObject({ command: 'sh', args: ['-c', 'exit 4'], exitCode: 4 });
    const ac = new AbortController();
    ac.abort();
    await expect(superviseCommand(join(base, 'c2'), 'true', [], { signal: ac.signal })).rejects.toThrow(
      'not started: true (cancelled)',
    );
    const ac2 = new AbortController();
    const p = superviseCommand(join(base, 'c3'), 'sleep', ['30'], { signal: ac2.signal, onSpawn: () => ac2.abort() });
    await expect(p).rejects.toThrow(new CancelledError('cancelled: sleep'));
  });

  it('leaves no listener on the signal once a command has ended, cancelled or not', async () => {
    const base = tempDir('gravity-supm-');
    const ac = new AbortController();
    await superviseCommand(join(base, 'c1'), 'true', [], { signal: ac.signal });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    const p = superviseCommand(join(base, 'c2'), 'sleep', ['30'], { signal: ac.signal, onSpawn: () => ac.abort() });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('on cancel, kills what is left of the group once its leader has ended', async () => {
    const dir = tempDir('gravity-supm-');
    const inner = join(dir, 'inner.sh');
    writeFileSync(inner, 'trap "" TERM\necho $$ > "$1"\nexec sleep 30\n');
    const pidFile = join(dir, 'pid');
    const ac = new AbortController();
    const p = superviseCommand(
      join(dir, 'c1'),
      'sh',
      ['-c', `sh ${inner} ${pidFile} </dev/null >/dev/null 2>&1 & wait`],
      {
        signal: ac.signal,
        killGraceMs: 20_000,
        onSpawn: (pid) => groups.push(pid),
      },
    );
    const left = await waitFor(() => existsSync(pidFile) && Number(readFileSync(pidFile, 'utf8')), 5000);
    ac.abort();
    // the leader dies of the SIGTERM; the one that ignores it is killed with the group right after
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    await waitFor(() => !isAlive(left) || undefined, 3000);
  });

  it('leaves alone what a command that ended of itself left running in its group', async () => {
    const r = await superviseCommand(join(tempDir('gravity-supm-'), 'c1'), 'sh', [
      '-c',
      'sleep 30 </dev/null >/dev/null 2>&1 & echo $!',
    ]);
    const left = Number(r.stdout);
    groups.push(left);
    await sleep(200);
    expect(isAlive(left)).toBe(true);
    process.kill(left, 'SIGKILL');
  });

  it('on cancel, kills with SIGKILL a command that ignores SIGTERM once the grace period is over', async () => {
    const dir = tempDir('gravity-supm-');
    const s = scripts(dir);
    const ac = new AbortController();
    const p = superviseCommand(join(dir, 'c1'), 'sh', [s.ignore, join(dir, 'r1')], {
      signal: ac.signal,
      killGraceMs: 200,
      onSpawn: (pid) => groups.push(pid),
    });
    await ready(join(dir, 'r1'));
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    await waitFor(() => existsSync(join(dir, 'c1', 'status.json')), 3000);
    expect(readJson<CommandStatus>(join(dir, 'c1', 'status.json')).signal).toBe('SIGKILL');
  }, 8000);

  it('on cancel, gives a command 2 s by default to end cleanly', async () => {
    const dir = tempDir('gravity-supm-');
    const s = scripts(dir);
    const ac = new AbortController();
    const p = superviseCommand(join(dir, 'c1'), 'sh', [s.graceful, join(dir, 'clean'), join(dir, 'r1')], {
      signal: ac.signal,
      onSpawn: (pid) => groups.push(pid),
    });
    await ready(join(dir, 'r1'));
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(readFileSync(join(dir, 'clean'), 'utf8')).toBe('done\n');
  });

  it('on timeout, gives a command 2 s by default to end cleanly', async () => {
    const dir = tempDir('gravity-supm-');
    const s = scripts(dir);
    const r = await superviseCommand(join(dir, 'c1'), 'sh', [s.graceful, join(dir, 'clean'), join(dir, 'r1')], {
      timeoutMs: 400,
      onSpawn: (pid) => groups.push(pid),
    });
    expect(r).toMatchObject({ timedOut: true, exitCode: 0 });
    expect(readFileSync(join(dir, 'clean'), 'utf8')).toBe('done\n');
  });

  it('keeps a stdout tail longer than the default when asked, past the file cap', async () => {
    process.env.GRAVITY_OUTPUT_FILE_BYTES = '5000';
    const r = await superviseCommand(
      join(tempDir('gravity-supm-'), 'c1'),
      'sh',
      ['-c', 'head -c 150000 /dev/zero | tr "\\0" a'],
      { tailBytes: 100_000 },
    );
    expect(r.stdoutBytes).toBe(150_000);
    expect(r.stdout).toBe('a'.repeat(100_000));
  });
});

describe('the step supervisor process', () => {
  it('says why it refused a command it could not start (its folder cannot be made)', async () => {
    const base = tempDir('gravity-supm-');
    writeFileSync(join(base, 'file'), '');
    const e = await errorOf(superviseCommand(join(base, 'file', 'c1'), 'true', []));
    expect(e.code).toBe('TASK_FAILED');
    expect(e.message).toMatch(/^the step supervisor refused the command: ENOTDIR/);
  });

  it('fails the commands it ran when it dies, and a new one takes its place', async () => {
    const base = tempDir('gravity-supm-');
    let commandPid = 0;
    const p = superviseCommand(join(base, 'c1'), 'sleep', ['30'], {
      onSpawn: (pid) => {
        commandPid = pid;
        groups.push(pid);
      },
    });
    await waitFor(() => commandPid, 5000);
    const sup = supervisorPid()!;
    expect(sup).toBeGreaterThan(0);
    process.kill(sup, 'SIGKILL');
    const e = await errorOf(p);
    expect(e).toMatchObject({ code: 'TASK_FAILED', message: `the step supervisor (pid ${sup}) died` });
    expect(supervisorPid()).toBeUndefined();
    // the command itself runs on: only its supervisor is gone
    expect(isAlive(commandPid)).toBe(true);
    // (its channel closes while the kernel tears it down: under load /proc can show it a moment longer)
    await waitFor(() => commandState(join(base, 'c1')).state === 'lost', 5000).catch(() => undefined);
    expect(commandState(join(base, 'c1')).state).toBe('lost');
    await superviseCommand(join(base, 'c2'), 'true', []);
    const next = readJson<CommandRecord>(join(base, 'c2', 'command.json')).supervisor.pid;
    expect(next).not.toBe(sup);
    expect(supervisorPid()).toBe(next);
  });
});

describe('attachCommand', () => {
  it('refuses a folder with no command in it', async () => {
    const dir = join(tempDir('gravity-supm-'), 'c1');
    mkdirSync(dir);
    const e = await errorOf(attachCommand(dir));
    expect(e).toMatchObject({ code: 'NOT_FOUND', message: `no supervised command in ${dir}` });
  });

  it('says a command whose supervisor died without a status is lost, and never reports its pid', async () => {
    const dir = join(tempDir('gravity-supm-'), 'c1');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'command.json'),
      JSON.stringify(recordOf({ pid: 4242 }, { supervisor: { pid: DEAD_PID } })),
    );
    const onSpawn = vi.fn();
    const e = await errorOf(attachCommand(dir, { onSpawn }));
    expect(e).toMatchObject({
      code: 'NEEDS_ATTENTION',
      message: `the supervisor of sh (pid ${DEAD_PID}) ended without recording how the command ended`,
      details: { dir },
    });
    expect(onSpawn).not.toHaveBeenCalled();
  });

  it('adopts a command that ended: its result and both outputs, no pid reported, no file left open', async () => {
    const dir = finishedFolder(join(tempDir('gravity-supm-'), 'c1'), {
      record: recordOf({ pid: DEAD_PID }, { command: 'make', args: ['all'] }),
      stdout: 'built\n',
      stderr: 'warned\n',
      status: statusOf('built\n', 'warned\n', { exitCode: 2 }),
    });
    const out: string[] = [];
    const err: string[] = [];
    const onSpawn = vi.fn();
    const r = await attachCommand(dir, { onStdout: (c) => out.push(c), onStderr: (c) => err.push(c), onSpawn });
    expect(r).toMatchObject({ command: 'make', args: ['all'], exitCode: 2, stdout: 'built\n', stderr: 'warned\n' });
    expect(out).toEqual(['built\n']);
    expect(err).toEqual(['warned\n']);
    expect(onSpawn).not.toHaveBeenCalled();
    expect(openUnder(dir)).toEqual([]);
  });

  it('adopts a command whose output files are missing as one that printed nothing', async () => {
    const dir = finishedFolder(join(tempDir('gravity-supm-'), 'c1'));
    expect(await attachCommand(dir)).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
  });

  it('streams a character cut at the end of a file as one replacement, never an empty chunk', async () => {
    const base = tempDir('gravity-supm-');
    const cut = finishedFolder(join(base, 'c1'), { stdout: Buffer.from([0xc3]) });
    const chunks: string[] = [];
    await attachCommand(cut, { onStdout: (c) => chunks.push(c) });
    expect(chunks).toEqual(['\uFFFD']);
    const whole = finishedFolder(join(base, 'c2'), { stdout: 'abc' });
    chunks.length = 0;
    await attachCommand(whole, { onStdout: (c) => chunks.push(c) });
    expect(chunks).toEqual(['abc']);
  });

  describe('the tail of a truncated output', () => {
    const tailOf = async (bytes: number[], total: number, cap = 100) => {
      const tail = Buffer.from(bytes);
      const dir = finishedFolder(join(tempDir('gravity-supm-'), 'c1'), {
        status: statusOf('', '', { stdout: { bytes: total, fileBytes: 0, tail: tail.toString('base64') } }),
      });
      return attachCommand(dir, { tailBytes: cap });
    };
    const a = 0x61;

    it('drops the continuation bytes of a character cut at its start, at most three', async () => {
      expect((await tailOf([0xa9, a, a], 10)).stdout).toBe('aa');
      expect((await tailOf([0x80, 0x80, 0x80, a], 10)).stdout).toBe('a');
      expect((await tailOf([0x80, 0x80, 0x80, 0x80, a], 10)).stdout).toBe('\uFFFDa');
      expect((await tailOf([0x80, 0x80], 10)).stdout).toBe('');
    });

    it('keeps the start of a tail that begins with a whole character', async () => {
      const r = await tailOf([a, 0x62, 0x63], 10);
      expect(r).toMatchObject({ stdout: 'abc', stdoutTruncated: true, stdoutBytes: 10 });
      expect(r.stdoutFile).toMatch(/c1\/stdout$/);
    });

    it('keeps every byte of an output that was not truncated', async () => {
      const r = await tailOf([0xa9, a], 2);
      expect(r).toMatchObject({ stdout: '\uFFFDa', stdoutTruncated: false });
      expect(r.stdoutFile).toBeUndefined();
    });
  });

  it('follows a running command: its pid, its output as it appears, its end however long it takes', async () => {
    const dir = runningFolder(join(tempDir('gravity-supm-'), 'c1'), { pid: DEAD_PID });
    const chunks: string[] = [];
    const onSpawn = vi.fn();
    const started = Date.now();
    const p = attachCommand(dir, { onStdout: (c) => chunks.push(c), onSpawn });
    expect(onSpawn).toHaveBeenCalledWith(DEAD_PID);
    // no output file yet: it is read once it appears
    await sleep(250);
    writeFileSync(join(dir, 'stdout'), 'first\n');
    await waitFor(() => chunks.join('') === 'first\n' || undefined, 3000);
    appendFileSync(join(dir, 'stdout'), 'second\n');
    // past the first look at whether its supervisor is still there (every tenth poll)
    await sleep(Math.max(0, 1300 - (Date.now() - started)));
    writeStatus(dir, statusOf('first\nsecond\n'));
    const r = await p;
    expect(r.stdout).toBe('first\nsecond\n');
    expect(chunks.join('')).toBe('first\nsecond\n');
  });

  it('learns the pid written after it attached: an abort then kills that group', async () => {
    const base = tempDir('gravity-supm-');
    const s = scripts(base);
    const dir = runningFolder(join(base, 'c1'), {});
    const onSpawn = vi.fn();
    const ac = new AbortController();
    const p = attachCommand(dir, { signal: ac.signal, killGraceMs: 20_000, onSpawn });
    p.catch(() => undefined);
    expect(onSpawn).not.toHaveBeenCalled();
    const g = group(s.plain, join(base, 'r1'));
    await ready(join(base, 'r1'));
    writeFileSync(join(dir, 'command.json'), JSON.stringify(recordOf(g, { supervisor: { pid: process.pid } })));
    await sleep(250);
    ac.abort();
    await waitFor(() => !isAlive(g.pid) || undefined, 3000);
    writeStatus(dir, statusOf('', '', { exitCode: 143, signal: 'SIGTERM' }));
    await expect(p).rejects.toThrow(new CancelledError('cancelled: sh'));
  });

  it('on abort, asks the command to end (SIGTERM) and rejects once it has', async () => {
    const base = tempDir('gravity-supm-');
    const s = scripts(base);
    const g = group(s.graceful, join(base, 'clean'), join(base, 'r1'));
    await ready(join(base, 'r1'));
    const dir = runningFolder(join(base, 'c1'), g);
    const ac = new AbortController();
    const p = attachCommand(dir, { signal: ac.signal, killGraceMs: 20_000 });
    p.catch(() => undefined);
    ac.abort();
    await waitFor(() => existsSync(join(base, 'clean')), 3000);
    writeStatus(dir, statusOf());
    await expect(p).rejects.toThrow(new CancelledError('cancelled: sh'));
  });

  it('on abort, leaves alone a process that only has the pid the command had', async () => {
    const base = tempDir('gravity-supm-');
    const s = scripts(base);
    const g = group(s.plain, join(base, 'r1'));
    await ready(join(base, 'r1'));
    const dir = runningFolder(join(base, 'c1'), { pid: g.pid, pidStart: g.pidStart! + 1 });
    const ac = new AbortController();
    const p = attachCommand(dir, { signal: ac.signal, killGraceMs: 20_000 });
    p.catch(() => undefined);
    ac.abort();
    await sleep(300);
    expect(isAlive(g.pid)).toBe(true);
    writeStatus(dir, statusOf());
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    // nor is it killed once the command's status appears: that group was never the command's
    await sleep(200);
    expect(isAlive(g.pid)).toBe(true);
  });

  it('gives up, with a clear error, when the supervisor it waits on dies without a status', async () => {
    const base = tempDir('gravity-supm-');
    const s = scripts(base);
    const sup = group(s.plain, join(base, 'r1'));
    await ready(join(base, 'r1'));
    const dir = runningFolder(join(base, 'c1'), { pid: DEAD_PID }, { pid: sup.pid, start: sup.pidStart });
    const p = attachCommand(dir);
    p.catch(() => undefined);
    process.kill(-sup.pid, 'SIGKILL');
    await expect(p).rejects.toMatchObject({
      code: 'NEEDS_ATTENTION',
      message: `the supervisor of sh (pid ${sup.pid}) ended without recording how the command ended`,
    });
  }, 8000);
});

describe('supervisedExec', () => {
  it('runs the calls of an attempt in c1, c2... with no arguments by default', async () => {
    const attempt = join(tempDir('gravity-supm-'), 'attempt-1');
    const exec = supervisedExec(attempt, false);
    expect(await exec('true')).toMatchObject({ args: [], exitCode: 0 });
    await exec('echo', ['x']);
    expect(readdirSync(attempt).sort()).toEqual(['c1', 'c2']);
    expect(readJson<CommandRecord>(join(attempt, 'c1', 'command.json')).args).toEqual([]);
    expect(readJson<CommandRecord>(join(attempt, 'c2', 'command.json')).args).toEqual(['x']);
  });

  it('runs every call again when the attempt is not a replay, whatever its folder holds', async () => {
    const base = tempDir('gravity-supm-');
    const log = join(base, 'log');
    const attempt = join(base, 'attempt-1');
    const call = ['-c', `echo run >> ${log}`];
    await supervisedExec(attempt, false)('sh', call);
    await supervisedExec(attempt, false)('sh', call);
    expect(readFileSync(log, 'utf8')).toBe('run\nrun\n');
  });

  it('refuses to adopt a command whose arguments changed, saying what ran and what runs now', async () => {
    const attempt = tempDir('gravity-supm-');
    const dir = finishedFolder(join(attempt, 'c1'), { record: recordOf({ pid: DEAD_PID }, { args: ['-c', 'old'] }) });
    const e = await errorOf(supervisedExec(attempt, true)('sh', ['-c', 'new']));
    expect(e).toMatchObject({
      code: 'NEEDS_ATTENTION',
      message:
        'the interrupted step had started sh -c old where it now runs sh -c new: it changed, so its earlier command cannot be adopted',
      details: { dir },
    });
    // the same arguments of another command are no more the same call
    await expect(supervisedExec(attempt, true)('bash', ['-c', 'old'])).rejects.toThrow(/it changed/);
    expect(await supervisedExec(attempt, true)('sh', ['-c', 'old'])).toMatchObject({ exitCode: 0 });
  });
});

describe('onceIn', () => {
  it('takes names of 1 to 64 letters, digits and dashes only', async () => {
    const once = onceIn(join(tempDir('gravity-supm-'), 'attempt-1'));
    for (const bad of ['a.b', 'ok/x', '', 'x'.repeat(65)])
      await expect(
        once(bad, () => 1),
        bad,
      ).rejects.toThrow(/must be 1 to 64 letters, digits or -/);
    expect(await once('A-9', () => 1)).toBe(1);
    expect(await once('x'.repeat(64), () => 2)).toBe(2);
  });

  it('needs attention for a kept file that is not a kept value', async () => {
    const attempt = tempDir('gravity-supm-');
    for (const [name, text] of [
      ['null', 'null'],
      ['two', '{"kept": 2, "value": 3}'],
      ['none', '{"value": 3}'],
      ['num', '5'],
    ]) {
      const file = join(attempt, `once-${name}.json`);
      writeFileSync(file, text);
      const e = await errorOf(onceIn(attempt)(name, () => 'computed'));
      expect(e, name).toMatchObject({ code: 'NEEDS_ATTENTION', details: { file } });
    }
  });

  it('fails, computing nothing, when the kept file cannot be read', async () => {
    const attempt = tempDir('gravity-supm-');
    mkdirSync(join(attempt, 'once-x.json'));
    const compute = vi.fn(() => 1);
    await expect(onceIn(attempt)('x', compute)).rejects.toMatchObject({ code: 'EISDIR' });
    expect(compute).not.toHaveBeenCalled();
  });

  it('leaves no file open once a value is kept', async () => {
    const attempt = join(tempDir('gravity-supm-'), 'attempt-1');
    expect(await onceIn(attempt)('x', () => ({ a: 1 }))).toEqual({ a: 1 });
    expect(openUnder(attempt)).toEqual([]);
    expect(readJson(join(attempt, 'once-x.json'))).toEqual({ kept: 1, value: { a: 1 } });
  });
});
