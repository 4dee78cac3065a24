// Child processes for task nodes: argument arrays only, own process group, whole group killed on abort.
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { CancelledError } from './errors.js';

/** Options of one command. */
export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Kill the process group after this many ms; the result then has `timedOut: true`. */
  timeoutMs?: number;
  /** Text written to the child's stdin. */
  input?: string;
  /** Aborting kills the whole process group; the call then rejects with CancelledError. */
  signal?: AbortSignal;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Called once the child exists, with its pid (= its process group id). */
  onSpawn?: (pid: number) => void;
  /** Grace period between SIGTERM and SIGKILL of the group, ms. Default 2000. */
  killGraceMs?: number;
}

/** What a finished command left. A non-zero exit is a result here, not an exception. */
export interface ExecResult {
  command: string;
  args: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Name of the signal that ended the process, if one did. */
  signal?: string;
  timedOut: boolean;
  durationMs: number;
}

/** Runs a command with an argument array, never through a shell. */
export type Exec = (command: string, args?: string[], options?: ExecOptions) => Promise<ExecResult>;

/** Sends `sig` to the process group `pgid`; false when the group is gone. */
export function killGroup(pgid: number, sig: NodeJS.Signals = 'SIGTERM'): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/** True when a process with this pid exists and is not a zombie (signal 0, then /proc state on Linux). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

/** This process's own start time, read once (every run records it; reading /proc cost a tenth of a 10-step run). */
let ownStart: { pid: number; start: number | undefined } | undefined;

/** When a process started (clock ticks since boot, /proc on Linux): with the pid, it tells a process from a later one reusing its pid. */
export function startTimeOf(pid: number): number | undefined {
  if (pid === process.pid) {
    // a forked child has another pid: the cache is keyed by it
    if (ownStart?.pid !== pid) ownStart = { pid, start: readStartTime(pid) };
    return ownStart.start;
  }
  return readStartTime(pid);
}

function readStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** The command line of a live process, or undefined (Linux /proc). */
export function commandLineOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** Default Exec: execa with `detached` (own group), streaming, timeout and abort handled by group kill. */
export const exec: Exec = async (command, args = [], o = {}) => {
  if (o.signal?.aborted) throw new CancelledError(`not started: ${command} (cancelled)`);
  const started = performance.now();
  const child = execa(command, args, {
    cwd: o.cwd,
    env: o.env,
    extendEnv: true,
    detached: true,
    reject: false,
    stripFinalNewline: false,
    input: o.input,
    stdin: o.input === undefined ? 'ignore' : undefined,
    encoding: 'utf8',
  });
  const pid = child.pid;
  if (o.onStdout) child.stdout?.on('data', (b: Buffer) => o.onStdout!(b.toString()));
  if (o.onStderr) child.stderr?.on('data', (b: Buffer) => o.onStderr!(b.toString()));

  let timedOut = false;
  let aborted = false;
  let hardKill: NodeJS.Timeout | undefined;
  const stop = () => {
    if (pid === undefined) return;
    killGroup(pid, 'SIGTERM');
    hardKill ??= setTimeout(() => killGroup(pid, 'SIGKILL'), o.killGraceMs ?? 2000);
    hardKill.unref();
  };
  const onAbort = () => {
    aborted = true;
    stop();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  // listening before telling anyone of the pid: whoever hears of it may cancel at once (an abort is dispatched once)
  if (pid !== undefined) o.onSpawn?.(pid);
  if (o.signal?.aborted && !aborted) onAbort();
  const timer = o.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        stop();
      }, o.timeoutMs)
    : undefined;
  try {
    const r = await child;
    // The leader may exit before its children: make sure nothing of the group survives an abort.
    if ((aborted || timedOut) && pid !== undefined) killGroup(pid, 'SIGKILL');
    if (aborted) throw new CancelledError(`cancelled: ${command}`);
    if (r.failed && r.exitCode === undefined && !r.signal && !timedOut) {
      // spawn failure (ENOENT, EACCES): report like a shell would, with exit code 127
      return {
        command,
        args,
        exitCode: 127,
        stdout: '',
        stderr: r.shortMessage ?? String(r.message),
        timedOut,
        durationMs: performance.now() - started,
      };
    }
    return {
      command,
      args,
      exitCode: r.exitCode ?? (r.signal ? 128 : 1),
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      signal: r.signal ?? undefined,
      timedOut,
      durationMs: performance.now() - started,
    };
  } finally {
    if (timer) clearTimeout(timer);
    if (hardKill && !aborted && !timedOut) clearTimeout(hardKill);
    o.signal?.removeEventListener('abort', onAbort);
  }
};
