// engine/process.ts in detail: process-group signals and liveness (zombies, EPERM, /proc), the own start time read
// once, the output sinks (tails, UTF-8 edges, output files, back-pressure) and exec's start, cancel, timeout and ends.
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../engine/errors.js';
import {
  commandLineOf,
  exec,
  isAlive,
  killGroup,
  startTimeOf,
  type ExecOptions,
  type ExecResult,
} from '../../engine/process.js';
import { tempDir } from '../support/git-fixtures.js';
import { DEAD_PID } from './support.js';

// every read goes through to the real file system; the spy only counts what engine/process.ts reads
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return { ...actual, readFileSync: vi.fn(actual.readFileSync) };
});

/** Processes a test started that may outlive it: killed (their group) afterwards. */
const leftovers: number[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
});

async function waitFor(check: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The state letter of a process in /proc (Z for a zombie), or undefined when it is gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}

/** Runs `exec` and measures how long the call took, as seen from outside. */
async function timed(command: string, args: string[], o?: ExecOptions): Promise<{ r: ExecResult; elapsed: number }> {
  const t0 = performance.now();
  const r = await exec(command, args, o);
  return { r, elapsed: performance.now() - t0 };
}

/** The pid a command printed on its first line, once it printed it. */
function firstLinePid(chunks: string[]): number | undefined {
  const text = chunks.join('');
  return text.includes('\n') ? Number(text.split('\n')[0]) : undefined;
}

describe('killGroup', () => {
  it('signals a live process group with SIGTERM by default, and says false for a group that is gone', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    leftovers.push(child.pid!);
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, sig) => r(sig)));
    expect(killGroup(child.pid!)).toBe(true);
    expect(await exited).toBe('SIGTERM');
    expect(killGroup(DEAD_PID)).toBe(false);
  });
});

describe('isAlive', () => {
  it('tells a live process from a zombie (exited, not yet reaped) and from a pid nobody has', async () => {
    // the zombie: a child of `sleep`, which never waits for its children
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    leftovers.push(parent.pid!);
    const out: string[] = [];
    parent.stdout!.on('data', (b: Buffer) => out.push(b.toString()));
    expect(await waitFor(() => firstLinePid(out) !== undefined)).toBe(true);
    const zombie = firstLinePid(out)!;
    expect(await waitFor(() => procState(zombie) === 'Z')).toBe(true);

    expect(isAlive(zombie)).toBe(false);
    expect(isAlive(parent.pid!)).toBe(true);
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(DEAD_PID)).toBe(false);
  });

  it('takes a process it may not signal (EPERM) for alive, and any other refusal for gone', () => {
    const kill = vi.spyOn(process, 'kill');
    kill.mockImplementation(() => {
      throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
    });
    expect(isAlive(1)).toBe(true);
    kill.mockImplementation(() => {
      throw Object.assign(new Error('no such process'), { code: 'ESRCH' });
    });
    expect(isAlive(1)).toBe(false);
  });

  it('takes a process that answers signal 0 but has no /proc entry to read for alive', () => {
    // as on a system without /proc, or a process that ended between the two looks
    vi.spyOn(process, 'kill').mockImplementation(() => true);
    expect(isAlive(DEAD_PID)).toBe(true);
  });
});

describe('startTimeOf', () => {
  const ownStatReads = () =>
    vi.mocked(fs.readFileSync).mock.calls.filter((c) => c[0] === `/proc/${process.pid}/stat`).length;

  it("reads this process's own start time from /proc once, whatever other pids are asked about between", () => {
    const own = startTimeOf(process.pid);
    expect(own).toBe(Number(readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]));
    const before = ownStatReads();
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    leftovers.push(child.pid!);
    const other = startTimeOf(child.pid!);
    expect(other).toBeGreaterThanOrEqual(own!);
    expect(startTimeOf(process.pid)).toBe(own);
    expect(startTimeOf(process.pid)).toBe(own);
    expect(ownStatReads()).toBe(before);
  });

  it('knows no start time nor command line for a pid nobody has', () => {
    expect(startTimeOf(DEAD_PID)).toBeUndefined();
    expect(commandLineOf(DEAD_PID)).toBeUndefined();
  });
});

describe('exec output', () => {
  it('streams text whole: a character split between two writes arrives in one chunk, and no chunk is empty', async () => {
    const chunks: string[] = [];
    const r = await exec('sh', ['-c', "printf '\\303'; sleep 0.1; printf '\\251\\n'"], {
      onStdout: (c) => chunks.push(c),
    });
    expect(chunks.join('')).toBe('é\n');
    expect(chunks.every((c) => c.length > 0)).toBe(true);
    expect(r.stdout).toBe('é\n');
  });

  it('streams what an unfinished character at the very end decodes to', async () => {
    const chunks: string[] = [];
    await exec('sh', ['-c', "printf 'a\\303'"], { onStdout: (c) => chunks.push(c) });
    expect(chunks.join('')).toBe('a\ufffd');
  });

  it('writes no file for an output of exactly tailBytes, and the whole of a longer one into new folders', async () => {
    const dir = tempDir('gravity-proc-');
    const fits = join(dir, 'fits', 'out.log');
    const r1 = await exec('printf', ['abcdefghij'], { tailBytes: 10, outputFiles: { stdout: fits } });
    expect(r1).toMatchObject({ stdout: 'abcdefghij', stdoutBytes: 10, stdoutTruncated: false });
    expect(r1.stdoutFile).toBeUndefined();
    expect(existsSync(fits)).toBe(false);

    const deep = join(dir, 'a', 'b', 'c', 'out.log');
    const r2 = await exec('printf', ['abcdefghijk'], { tailBytes: 10, outputFiles: { stdout: deep } });
    expect(r2).toMatchObject({ stdout: 'bcdefghijk', stdoutBytes: 11, stdoutTruncated: true, stdoutFile: deep });
    expect(readFileSync(deep, 'utf8')).toBe('abcdefghijk');
  });

  it('keeps stderr to its own tail size, tailBytes when none is given, and names its file', async () => {
    const dir = tempDir('gravity-proc-');
    const script = 'printf 0123456789; printf abcdefghij >&2';
    const own = await exec('sh', ['-c', script], {
      tailBytes: 4,
      stderrTailBytes: 6,
      outputFiles: { stderr: join(dir, 'err.log') },
    });
    expect(own).toMatchObject({ stdout: '6789', stderr: 'efghij', stderrBytes: 10, stderrTruncated: true });
    expect(own.stderrFile).toBe(join(dir, 'err.log'));
    expect(own.stdoutFile).toBeUndefined();
    expect(readFileSync(join(dir, 'err.log'), 'utf8')).toBe('abcdefghij');

    const shared = await exec('sh', ['-c', script], { tailBytes: 4 });
    expect(shared).toMatchObject({ stdout: '6789', stderr: 'ghij', stderrTruncated: true });
  });

  it('keeps the continuation bytes an output that was not cut starts with', async () => {
    const r = await exec('sh', ['-c', "printf '\\200abc'"]);
    expect(r.stdout).toBe('\ufffdabc');
    expect(r.stdoutTruncated).toBe(false);
  });

  it('drops at most three continuation bytes from the start of a cut tail', async () => {
    const r = await exec('sh', ['-c', "printf 'x\\200\\200\\200\\200\\200abc'"], { tailBytes: 8 });
    expect(r.stdoutTruncated).toBe(true);
    expect(r.stdout).toBe('\ufffd\ufffdabc');
  });

  it('costs only the file, never the command, when the output file cannot be written', async () => {
    const dir = tempDir('gravity-proc-');
    // a folder where the file should be: opening it fails after the writes are queued (the stream is paused by then)
    mkdirSync(join(dir, 'is-a-dir'));
    const big = 'head -c 300000 /dev/zero | tr "\\0" y';
    const r1 = await exec('sh', ['-c', big], { tailBytes: 100, outputFiles: { stdout: join(dir, 'is-a-dir') } });
    expect(r1).toMatchObject({ exitCode: 0, stdoutBytes: 300_000, stdoutTruncated: true, stdout: 'y'.repeat(100) });
    expect(r1.stdoutFile).toBeUndefined();
    // a file where its folder should be: the folder cannot be made
    writeFileSync(join(dir, 'plain'), '');
    const r2 = await exec('sh', ['-c', big], { tailBytes: 100, outputFiles: { stdout: join(dir, 'plain', 'x', 'o') } });
    expect(r2).toMatchObject({ exitCode: 0, stdoutBytes: 300_000, stdoutTruncated: true });
    expect(r2.stdoutFile).toBeUndefined();
  }, 10_000);

  it.each([
    ['a folder stands where the file should be', 'file'],
    ['a file stands where its folder should be', 'folder'],
  ] as const)(
    'does not try the output file again once it failed (%s), even when it could be written later',
    async (_case, blocked) => {
      // a file missing its beginning would pass for the whole output: none is better
      const dir = tempDir('gravity-proc-');
      const blocker = join(dir, 'blocker');
      if (blocked === 'file') mkdirSync(blocker);
      else writeFileSync(blocker, '');
      const target = blocked === 'file' ? blocker : join(blocker, 'out.log');
      let got = 0;
      const p = exec('sh', ['-c', 'head -c 100000 /dev/zero; sleep 0.4; head -c 100000 /dev/zero'], {
        tailBytes: 100,
        outputFiles: { stdout: target },
        onStdout: (c) => (got += c.length),
      });
      expect(await waitFor(() => got >= 100_000)).toBe(true);
      await pause(100);
      rmSync(blocker, { recursive: true });
      const r = await p;
      expect(r).toMatchObject({ exitCode: 0, stdoutBytes: 200_000, stdoutTruncated: true });
      expect(r.stdoutFile).toBeUndefined();
      expect(existsSync(target)).toBe(false);
    },
  );

  it('pauses the command while its output file lags behind, again after each catch-up, and loses nothing', async () => {
    const dir = tempDir('gravity-proc-');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const marker = join(dir, 'done');
    const total = 3_000_000;
    // the file is a pipe nobody reads yet: nothing written to it gets through
    const p = exec('sh', ['-c', `head -c ${total} /dev/zero; echo > ${marker}`], {
      tailBytes: 1000,
      outputFiles: { stdout: fifo },
    });
    await pause(400);
    expect(existsSync(marker)).toBe(false);

    // a reader takes some, then stops: the command goes on, then is held back again
    let read = 0;
    let stopped = false;
    const rs = createReadStream(fifo);
    const first = new Promise<void>((res) =>
      rs.on('data', (b) => {
        read += b.length;
        if (read >= 200_000 && !stopped) {
          stopped = true;
          rs.pause();
          res();
        }
      }),
    );
    const ended = new Promise<void>((res) => rs.on('end', () => res()));
    await first;
    await pause(400);
    expect(existsSync(marker)).toBe(false);

    // and reads the rest: everything arrives
    rs.resume();
    const r = await p;
    await ended;
    expect(existsSync(marker)).toBe(true);
    expect(r).toMatchObject({ exitCode: 0, stdoutBytes: total, stdoutTruncated: true, stdoutFile: fifo });
    expect(read).toBe(total);
  }, 15_000);
});

describe('exec start', () => {
  it('runs a command with no arguments when none are given', async () => {
    const r = await exec('echo');
    expect(r.args).toEqual([]);
    expect(r.stdout).toBe('\n');
  });

  it('extends the environment of this process with the one given', async () => {
    const r = await exec('sh', ['-c', 'printf "%s:%s" "$GRAVITY_H2_X" "$HOME"'], { env: { GRAVITY_H2_X: 'given' } });
    expect(r.stdout).toBe(`given:${process.env.HOME}`);
  });

  it("closes the command's stdin when no input is given, and writes the input otherwise", async () => {
    const none = await exec('cat', [], { timeoutMs: 5000 });
    expect(none).toMatchObject({ exitCode: 0, stdout: '', timedOut: false });
    const some = await exec('cat', [], { input: 'typed' });
    expect(some.stdout).toBe('typed');
  });

  it('does not start a command whose signal aborted before the call, nor one aborted while it was being set up', async () => {
    const onSpawn = vi.fn();
    const before = new AbortController();
    before.abort();
    const e1 = await exec('sleep', ['5'], { signal: before.signal, onSpawn }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(CancelledError);
    expect((e1 as Error).message).toBe('not started: sleep (cancelled)');

    const during = new AbortController();
    const p = exec('sleep', ['5'], { signal: during.signal, onSpawn });
    during.abort();
    const e2 = await p.catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(CancelledError);
    expect((e2 as Error).message).toBe('not started: sleep (cancelled)');
    expect(onSpawn).not.toHaveBeenCalled();
  });

  it('reports a command that cannot be started as exit code 127 with the reason, and no pid', async () => {
    const onSpawn = vi.fn();
    const { r, elapsed } = await timed('gravity-h2-no-such-command', ['a b'], { onSpawn });
    expect(r).toEqual({
      command: 'gravity-h2-no-such-command',
      args: ['a b'],
      exitCode: 127,
      stdout: '',
      stderr: expect.stringMatching(/ENOENT/),
      stdoutBytes: 0,
      stderrBytes: Buffer.byteLength(r.stderr),
      stdoutTruncated: false,
      stderrTruncated: false,
      timedOut: false,
      durationMs: expect.any(Number),
    });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.durationMs).toBeLessThanOrEqual(elapsed);
    expect(onSpawn).not.toHaveBeenCalled();
  });

  it('measures the duration of a command within the time the call took', async () => {
    const { r, elapsed } = await timed('sh', ['-c', 'exit 4']);
    expect(r).toMatchObject({ exitCode: 4, timedOut: false });
    expect(r.signal).toBeUndefined();
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.durationMs).toBeLessThanOrEqual(elapsed);
  });
});

describe('exec stop', () => {
  it('ends a command that runs past its timeout with SIGTERM to its group, and says so', async () => {
    const { r, elapsed } = await timed('sleep', ['5'], { timeoutMs: 100 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGTERM', exitCode: 128 });
    expect(r.durationMs).toBeLessThanOrEqual(elapsed);
  });

  it('kills a group that ignores SIGTERM once the grace period is over', async () => {
    const r = await exec('sh', ['-c', "trap '' TERM; sleep 5"], { timeoutMs: 100, killGraceMs: 200 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
  });

  it('sends no late SIGKILL once the command ended: its group id may name another group by then', async () => {
    const kill = vi.spyOn(process, 'kill');
    try {
      let pid: number | undefined;
      const r = await exec('sleep', ['5'], { timeoutMs: 100, killGraceMs: 300, onSpawn: (p) => (pid = p) });
      expect(r).toMatchObject({ timedOut: true });
      expect(kill.mock.calls.some(([p, sig]) => p === -pid! && sig === 'SIGTERM')).toBe(true);
      const after = kill.mock.calls.length;
      await new Promise((res) => setTimeout(res, 500));
      expect(kill.mock.calls.slice(after).filter(([p]) => p === -pid!)).toEqual([]);
    } finally {
      kill.mockRestore();
    }
  });

  it('gives a command two seconds by default to clean up after SIGTERM', async () => {
    const script = "trap 'echo term; sleep 0.3; echo cleaned; exit 0' TERM; sleep 5 & wait";
    const r = await exec('sh', ['-c', script], { timeoutMs: 200 });
    expect(r).toMatchObject({ timedOut: true, exitCode: 0, stdout: 'term\ncleaned\n' });
  });

  it.each(['cancelled', 'timed out'] as const)(
    'kills what is left of the group at once when its leader ends first (%s)',
    async (how) => {
      // the leader dies of SIGTERM; the other member of its group ignores it (and holds no output stream open)
      const chunks: string[] = [];
      const ac = new AbortController();
      const p = exec('sh', ['-c', "(trap '' TERM; exec sleep 30 >/dev/null 2>&1) & echo $!; wait"], {
        killGraceMs: 20_000,
        signal: ac.signal,
        onStdout: (c) => chunks.push(c),
        onSpawn: (pid) => leftovers.push(pid),
        ...(how === 'timed out' ? { timeoutMs: 300 } : {}),
      });
      expect(await waitFor(() => firstLinePid(chunks) !== undefined)).toBe(true);
      const member = firstLinePid(chunks)!;
      leftovers.push(member);
      if (how === 'cancelled') {
        ac.abort();
        const e = await p.catch((x: unknown) => x);
        expect(e).toBeInstanceOf(CancelledError);
        expect((e as Error).message).toBe('cancelled: sh');
      } else {
        expect(await p).toMatchObject({ timedOut: true });
      }
      expect(await waitFor(() => !isAlive(member), 1500)).toBe(true);
    },
  );

  it('leaves the background processes of a command that ended on its own alone, even past its timeout or a cancel', async () => {
    const ac = new AbortController();
    const r = await exec('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], {
      timeoutMs: 150,
      signal: ac.signal,
      onSpawn: (pid) => leftovers.push(pid),
    });
    const background = Number(r.stdout.trim());
    leftovers.push(background);
    expect(r).toMatchObject({ exitCode: 0, timedOut: false });
    await pause(300);
    ac.abort();
    await pause(100);
    expect(isAlive(background)).toBe(true);
  });
});
