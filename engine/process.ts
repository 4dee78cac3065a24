// Child processes for task nodes: argument arrays only, own process group, whole group killed on abort.
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CancelledError } from './errors.js';

/** How many bytes of each output stream a command's result keeps by default (the last ones). */
export const OUTPUT_TAIL_BYTES = 64 * 1024;

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
  /**
   * How many bytes of each stream the result keeps: the last ones (default OUTPUT_TAIL_BYTES). Output is never held
   * whole in memory: beyond this, only the tail and the byte count are kept.
   */
  tailBytes?: number;
  /** The same for stderr alone (default `tailBytes`). */
  stderrTailBytes?: number;
  /**
   * Files the whole of each stream goes to once it outgrows `tailBytes` (written as it comes, their folder created;
   * an output that fits in the tail writes no file). Without one, what precedes the tail is dropped.
   */
  outputFiles?: { stdout?: string; stderr?: string };
}

/** What a finished command left. A non-zero exit is a result here, not an exception. */
export interface ExecResult {
  command: string;
  args: string[];
  exitCode: number;
  /** The whole stdout, or its last `tailBytes` when `stdoutTruncated`. */
  stdout: string;
  /** The whole stderr, or its last `tailBytes` when `stderrTruncated`. */
  stderr: string;
  /** Bytes the command wrote to stdout in all. */
  stdoutBytes: number;
  stderrBytes: number;
  /** True when stdout was longer than `tailBytes` (then `stdout` is its end). */
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** The file holding the whole stdout, when it was truncated and `outputFiles.stdout` was given (and writable). */
  stdoutFile?: string;
  stderrFile?: string;
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

/** True when `pid` is alive and still the process that had start time `pidStart` (a reused pid is not it). */
export function isSameLiveProcess(pid: number, pidStart: number | undefined): boolean {
  return isAlive(pid) && (pidStart === undefined || startTimeOf(pid) === pidStart);
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

/**
 * One output stream of a command: keeps its last `cap` bytes and counts them all; once it outgrows `cap`, copies the
 * whole of it to `file` (what was held so far, then each chunk as it comes), pausing the stream while the file is
 * behind, so memory stays bounded whatever the command prints. Text chunks go to `onText` as they come.
 */
class OutputSink {
  private readonly chunks: Buffer[] = [];
  private held = 0;
  private bytes = 0;
  private ws: WriteStream | undefined;
  private fileFailed = false;
  private stream: Readable | undefined;
  private waiting = false;
  private readonly decoder: StringDecoder | undefined;

  constructor(
    private readonly cap: number,
    private readonly file: string | undefined,
    private readonly onText: ((chunk: string) => void) | undefined,
  ) {
    if (onText) this.decoder = new StringDecoder('utf8');
  }

  attach(stream: Readable | null | undefined): void {
    if (!stream) return;
    this.stream = stream;
    stream.on('data', (b: Buffer | string) => this.push(typeof b === 'string' ? Buffer.from(b) : b));
  }

  private push(b: Buffer): void {
    if (this.decoder) {
      const text = this.decoder.write(b);
      if (text) this.onText!(text);
    }
    this.bytes += b.length;
    // until now nothing was dropped: the chunks held are the whole output so far
    if (this.bytes > this.cap && this.file && !this.ws && !this.fileFailed) this.open(this.file);
    if (this.ws && !this.ws.write(b) && !this.waiting) {
      this.waiting = true;
      this.stream?.pause();
      this.ws.once('drain', () => this.resume());
    }
    this.chunks.push(b);
    this.held += b.length;
    while (this.held > this.cap) {
      const excess = this.held - this.cap;
      if (this.chunks[0].length <= excess) this.held -= this.chunks.shift()!.length;
      else {
        this.chunks[0] = Buffer.from(this.chunks[0].subarray(excess));
        this.held -= excess;
      }
    }
  }

  private resume(): void {
    this.waiting = false;
    this.stream?.resume();
  }

  private open(file: string): void {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch {
      this.fileFailed = true;
      return;
    }
    const ws = createWriteStream(file);
    ws.on('error', () => {
      // a log file that cannot be written (disk full, no permission) costs the full log, never the command
      this.fileFailed = true;
      this.ws = undefined;
      ws.destroy();
      if (this.waiting) this.resume();
    });
    this.ws = ws;
    for (const c of this.chunks) ws.write(c);
  }

  /** Flushes the text decoder and closes the file; then the result of this stream. */
  async finish(): Promise<StreamEnd> {
    const rest = this.decoder?.end();
    if (rest) this.onText!(rest);
    const ws = this.ws;
    if (ws) {
      await new Promise<void>((res) => {
        ws.once('error', () => res());
        ws.end(() => res());
      });
    }
    const truncated = this.bytes > this.held;
    let tail = Buffer.concat(this.chunks);
    // a tail cut inside a UTF-8 character starts with continuation bytes: drop them
    if (truncated) {
      let i = 0;
      while (i < 3 && i < tail.length && (tail[i] & 0xc0) === 0x80) i++;
      tail = tail.subarray(i);
    }
    return {
      text: tail.toString('utf8'),
      bytes: this.bytes,
      truncated,
      file: this.ws && !this.fileFailed ? this.file : undefined,
    };
  }
}

/** How one output stream ended: its text (whole or tail), its size, whether it was cut, and the file holding it all. */
export interface StreamEnd {
  text: string;
  bytes: number;
  truncated: boolean;
  file?: string;
}

/** The result of a command that ended, from its two streams and how it ended. */
export function commandResult(
  command: string,
  args: string[],
  so: StreamEnd,
  se: StreamEnd,
  end: { exitCode: number; signal?: string; timedOut: boolean; durationMs: number },
): ExecResult {
  return {
    command,
    args,
    exitCode: end.exitCode,
    stdout: so.text,
    stderr: se.text,
    stdoutBytes: so.bytes,
    stderrBytes: se.bytes,
    stdoutTruncated: so.truncated,
    stderrTruncated: se.truncated,
    ...(so.file ? { stdoutFile: so.file } : {}),
    ...(se.file ? { stderrFile: se.file } : {}),
    ...(end.signal ? { signal: end.signal } : {}),
    timedOut: end.timedOut,
    durationMs: end.durationMs,
  };
}

/** The result of a command that could not be started (ENOENT, EACCES): exit code 127 and the reason, as a shell does. */
export function spawnFailure(command: string, args: string[], message: string, durationMs: number): ExecResult {
  return {
    command,
    args,
    exitCode: 127,
    stdout: '',
    stderr: message,
    stdoutBytes: 0,
    stderrBytes: Buffer.byteLength(message),
    stdoutTruncated: false,
    stderrTruncated: false,
    timedOut: false,
    durationMs,
  };
}

/**
 * execa, imported on the first command: it is ~100 files, and the commands that only read runs (`gravity runs`, `show`)
 * load this file for its process checks (isSameLiveProcess) and run nothing.
 */
let execaModule: Promise<typeof import('execa')> | undefined;

/** Default Exec: execa with `detached` (own group), streaming, timeout and abort handled by group kill. */
export const exec: Exec = async (command, args = [], o = {}) => {
  if (o.signal?.aborted) throw new CancelledError(`not started: ${command} (cancelled)`);
  const { execa } = await (execaModule ??= import('execa'));
  // the import may have taken a while, the first time: a cancel meanwhile still means not started
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
    // execa would hold each stream whole (up to its maxBuffer, 100 MB, then fail): the sinks keep a bounded tail
    buffer: false,
  });
  const pid = child.pid;
  const cap = o.tailBytes ?? OUTPUT_TAIL_BYTES;
  const out = new OutputSink(cap, o.outputFiles?.stdout, o.onStdout);
  const err = new OutputSink(o.stderrTailBytes ?? cap, o.outputFiles?.stderr, o.onStderr);
  out.attach(child.stdout);
  err.attach(child.stderr);

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
    const [so, se] = await Promise.all([out.finish(), err.finish()]);
    if (aborted) throw new CancelledError(`cancelled: ${command}`);
    if (r.failed && r.exitCode === undefined && !r.signal && !timedOut) {
      // spawn failure (ENOENT, EACCES): report like a shell would, with exit code 127
      return spawnFailure(command, args, r.shortMessage ?? String(r.message), performance.now() - started);
    }
    return commandResult(command, args, so, se, {
      exitCode: r.exitCode ?? (r.signal ? 128 : 1),
      signal: r.signal ?? undefined,
      timedOut,
      durationMs: performance.now() - started,
    });
  } finally {
    if (timer) clearTimeout(timer);
    // the group was killed above once the leader ended: a later SIGKILL could only reach a group that reused its id
    if (hardKill) clearTimeout(hardKill);
    o.signal?.removeEventListener('abort', onAbort);
  }
};
