// Supervised commands: run by the step supervisor (supervisor-child.mjs, a detached process started once per engine
// process) so that they outlive the engine. After a crash or a SIGHUP, resume adopts a command that finished meanwhile
// (its status.json) and re-attaches to one still running (follows its output, waits for its status, can still kill it).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { CancelledError, DetachedError, GravityError, ErrorCode } from './errors.js';
import { interruptedAttempt, openSteps, type JournalEntry, type OpenStep } from './journal.js';
import type { EngineOptions } from './run-types.js';
import {
  isSameLiveProcess,
  killGroup,
  OUTPUT_TAIL_BYTES,
  spawnFailure,
  commandResult,
  type StreamEnd,
  type Exec,
  type ExecOptions,
  type ExecResult,
} from './process.js';

/** What a supervised command's folder holds in command.json. */
export interface CommandRecord {
  command: string;
  args: string[];
  cwd?: string;
  supervisor: { pid: number; start?: number };
  startedAt: string;
  /** Set once the command exists. */
  pid?: number;
  pidStart?: number;
}

/** One output stream in status.json: bytes written in all, bytes its file holds, and (past the file's cap) its tail. */
interface StreamStatus {
  bytes: number;
  fileBytes: number;
  /** base64 of the stream's last bytes, when the file could not hold it all. */
  tail?: string;
}

/** What a supervised command's folder holds in status.json once the command has ended. */
export interface CommandStatus {
  exitCode: number;
  signal?: string;
  timedOut: boolean;
  spawnError?: string;
  stdout: StreamStatus;
  stderr: StreamStatus;
  durationMs: number;
  endedAt: string;
}

/** Most bytes each output file of a supervised command holds (`GRAVITY_OUTPUT_FILE_BYTES`, default 1 GiB). */
export function outputFileCap(): number {
  const v = Number(process.env.GRAVITY_OUTPUT_FILE_BYTES);
  return Number.isSafeInteger(v) && v > 0 ? v : 1024 ** 3;
}

/** How often a re-attached command's folder is looked at, ms. */
const POLL_MS = 100;

const CHILD = fileURLToPath(new URL('./supervisor-child.mjs', import.meta.url));

interface Pending {
  spawned: (pid: number) => void;
  exited: (s: CommandStatus) => void;
  failed: (e: Error) => void;
}

/** The step supervisor of this process, started on first use and shared by every supervised command of it. */
class Supervisor {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  alive = true;

  constructor() {
    // node itself, without the engine's loaders or options (NODE_OPTIONS may load tsx): it needs nothing of them
    this.child = spawn(process.execPath, [CHILD], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { PATH: process.env.PATH ?? '' },
    });
    this.child.on(
      'message',
      (m: { type: string; id: number; pid?: number; status?: CommandStatus; message?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        if (m.type === 'spawned') p.spawned(m.pid!);
        else if (m.type === 'exit') {
          this.done(m.id);
          p.exited(m.status!);
        } else if (m.type === 'refused') {
          this.done(m.id);
          p.failed(new GravityError(ErrorCode.TaskFailed, `the step supervisor refused the command: ${m.message}`));
        }
      },
    );
    const gone = () => {
      if (!this.alive) return;
      this.alive = false;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.failed(new GravityError(ErrorCode.TaskFailed, `the step supervisor (pid ${this.child.pid}) died`));
      }
      if (shared === this) shared = undefined;
    };
    this.child.on('exit', gone);
    this.child.on('error', gone);
    this.child.on('disconnect', gone);
    // neither the process nor its channel keeps this one alive, except while a command runs (see request)
    this.child.unref();
    this.child.channel?.unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private done(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.child.channel?.unref();
  }

  /** Stops listening for command `id` (let go of: it runs on, this process may end before it). */
  forget(id: number): void {
    if (this.pending.has(id)) this.done(id);
  }

  /** Asks for a command; `p` hears of its pid, its end, or why it could not be run. Returns the request's id. */
  request(r: Record<string, unknown>, p: Pending): number {
    const id = this.next++;
    if (this.pending.size === 0) this.child.channel?.ref();
    this.pending.set(id, p);
    this.child.send({ type: 'spawn', id, ...r }, (e) => {
      if (e && this.pending.has(id)) {
        this.done(id);
        p.failed(new GravityError(ErrorCode.TaskFailed, `the step supervisor could not be reached: ${e.message}`));
      }
    });
    return id;
  }
}

let shared: Supervisor | undefined;

function supervisor(): Supervisor {
  if (!shared?.alive) shared = new Supervisor();
  return shared;
}

/** Pid of this process's step supervisor, if one runs (for tests and `gravity doctor`). */
export function supervisorPid(): number | undefined {
  return shared?.alive ? shared.pid : undefined;
}

/**
 * A step id as one folder name: letters, digits, `_`, `-` and `.` kept, every other byte `%XX` (two ids never share a
 * folder), a leading dot escaped.
 */
export function stepFolderName(step: string): string {
  const out = [...Buffer.from(step, 'utf8')]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[\w.-]/.test(c) && b < 128 ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  return out.startsWith('.') ? `%2E${out.slice(1)}` : out;
}

/** The folder of one attempt of one step: its supervised commands are `c1`, `c2`... in it. */
export function attemptFolder(filesDir: string, step: string, attempt: number): string {
  return join(filesDir, 'steps', stepFolderName(step), `attempt-${attempt}`);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Where a supervised command stands, from its folder. */
export type CommandState =
  | { state: 'finished'; record: CommandRecord; status: CommandStatus }
  | { state: 'running'; record: CommandRecord }
  /** Its supervisor is gone without recording the end: what the command did is unknown. */
  | { state: 'lost'; record: CommandRecord }
  /** No command.json: the supervisor never got to start it. */
  | { state: 'not-started' };

export function commandState(dir: string): CommandState {
  const status = readJson<CommandStatus>(join(dir, 'status.json'));
  const record = readJson<CommandRecord>(join(dir, 'command.json'));
  if (!record) {
    // written atomically, so a crash never leaves it torn: one that is there but unreadable was damaged, and what its
    // command did is unknown (never taken for a command that did not start)
    if (!existsSync(join(dir, 'command.json'))) return { state: 'not-started' };
    return {
      state: 'lost',
      record: { command: '?', args: [], supervisor: { pid: 0 }, startedAt: '' },
    };
  }
  if (status) return { state: 'finished', record, status };
  if (isSameLiveProcess(record.supervisor.pid, record.supervisor.start)) return { state: 'running', record };
  // the supervisor may have written the status just before it ended
  const late = readJson<CommandStatus>(join(dir, 'status.json'));
  return late ? { state: 'finished', record, status: late } : { state: 'lost', record };
}

/**
 * The folder a run keeps the files of its supervised commands under: absent when the engine gives runs none, or does not
 * persist (then nothing is supervised).
 */
export function supervisedFilesDir(
  engine: Pick<EngineOptions, 'filesDir' | 'persist'>,
  runId: string,
): string | undefined {
  return engine.persist === false ? undefined : engine.filesDir?.(runId);
}

/**
 * Each supervised step the journal shows interrupted (open, not cancelled), with the attempt it was at and where each
 * command of that attempt stands: what resume adopts, cancel stops and rollback waits for.
 */
export function interruptedCommands(
  engine: Pick<EngineOptions, 'filesDir' | 'persist'>,
  runId: string,
  journal: JournalEntry[],
  open: OpenStep[] = openSteps(journal),
): Array<{ step: OpenStep; attempt: number; commands: Array<{ dir: string; state: CommandState }> }> {
  const filesDir = supervisedFilesDir(engine, runId);
  if (filesDir === undefined) return [];
  return open
    .filter((s) => s.supervised && !s.cancelled)
    .map((step) => {
      const attempt = interruptedAttempt(journal, step.step);
      return { step, attempt, commands: attemptCommands(attemptFolder(filesDir, step.step, attempt)) };
    });
}

/** The commands of an interrupted attempt (its folder's `c<n>`, in order) and where each stands. */
export function attemptCommands(dir: string): Array<{ dir: string; state: CommandState }> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^c\d+$/.test(n));
  } catch {
    return [];
  }
  return names
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    .map((n) => ({ dir: join(dir, n), state: commandState(join(dir, n)) }));
}

/** Kills the process group of a supervised command that still runs (checked by its start time); false if none. */
export function killCommand(record: CommandRecord, signal: NodeJS.Signals = 'SIGTERM'): boolean {
  if (record.pid === undefined || !isSameLiveProcess(record.pid, record.pidStart)) return false;
  return killGroup(record.pid, signal);
}

/**
 * Stops supervised commands that still run: SIGTERM to each group, SIGKILL to those still there after `graceMs`.
 * Resolves when none is left (or the grace is over); returns how many there were.
 */
export async function stopCommands(records: CommandRecord[], graceMs = 2000): Promise<number> {
  const live = records.filter((r) => killCommand(r, 'SIGTERM'));
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && live.some((r) => isSameLiveProcess(r.pid!, r.pidStart)))
    await new Promise((res) => setTimeout(res, 50));
  for (const r of live) killCommand(r, 'SIGKILL');
  return live.length;
}

/** Reads the last `n` bytes of `file` (fewer if it is shorter). */
async function lastBytes(file: string, n: number): Promise<Buffer> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return Buffer.alloc(0);
  try {
    const { size } = await fh.stat();
    const len = Math.min(n, size);
    const buf = Buffer.alloc(len);
    let off = 0;
    while (off < len) {
      const { bytesRead } = await fh.read(buf, off, len - off, size - len + off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } finally {
    await fh.close();
  }
}

/** One stream's text for the result: the whole (up to `cap` bytes) or its last `cap` bytes, whole characters only. */
async function streamResult(dir: string, name: 'stdout' | 'stderr', s: StreamStatus, cap: number): Promise<StreamEnd> {
  let tail = s.tail !== undefined ? Buffer.from(s.tail, 'base64') : await lastBytes(join(dir, name), cap);
  tail = tail.subarray(Math.max(0, tail.length - cap));
  const truncated = s.bytes > tail.length;
  if (truncated) {
    let i = 0;
    while (i < 3 && i < tail.length && (tail[i] & 0xc0) === 0x80) i++;
    tail = tail.subarray(i);
  }
  return { text: tail.toString('utf8'), bytes: s.bytes, truncated, ...(truncated ? { file: join(dir, name) } : {}) };
}

async function resultOf(
  dir: string,
  record: Pick<CommandRecord, 'command' | 'args'>,
  s: CommandStatus,
  o: ExecOptions,
): Promise<ExecResult> {
  const cap = o.tailBytes ?? OUTPUT_TAIL_BYTES;
  if (s.spawnError !== undefined) return spawnFailure(record.command, record.args, s.spawnError, s.durationMs);
  const [so, se] = await Promise.all([
    streamResult(dir, 'stdout', s.stdout, cap),
    streamResult(dir, 'stderr', s.stderr, o.stderrTailBytes ?? cap),
  ]);
  return commandResult(record.command, record.args, so, se, s);
}

/** Streams what a command's output file gains to `onText`, as whole UTF-8 characters, until stopped. */
class Follower {
  private offset = 0;
  private readonly decoder = new StringDecoder('utf8');
  private reading: Promise<void> = Promise.resolve();
  /** One read buffer, reused: a big output is streamed through it, never held. */
  private readonly buf = Buffer.alloc(64 * 1024);

  constructor(
    private readonly file: string,
    private readonly onText: (text: string) => void,
  ) {}

  /** Reads what was added since the last read (one read at a time). */
  poll(): Promise<void> {
    this.reading = this.reading.then(() => this.readMore());
    return this.reading;
  }

  private async readMore(): Promise<void> {
    const fh = await open(this.file, 'r').catch(() => undefined);
    if (!fh) return;
    try {
      const buf = this.buf;
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const text = this.decoder.write(buf.subarray(0, bytesRead));
        if (text) this.onText(text);
        // one chunk at a time, as a pipe would give them: what a chunk made dies young instead of piling up
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      await fh.close();
    }
  }

  /** Reads to the end, then flushes a character cut at the end. */
  async finish(): Promise<void> {
    await this.poll();
    const rest = this.decoder.end();
    if (rest) this.onText(rest);
  }
}

/** Follows both output files of `dir` while `until` is pending (polling), then reads them to their ends. */
async function follow<T>(dir: string, o: ExecOptions, until: Promise<T>): Promise<T> {
  const fs = [
    ...(o.onStdout ? [new Follower(join(dir, 'stdout'), o.onStdout)] : []),
    ...(o.onStderr ? [new Follower(join(dir, 'stderr'), o.onStderr)] : []),
  ];
  if (fs.length === 0) return until;
  const timer = setInterval(() => fs.forEach((f) => void f.poll().catch(() => undefined)), POLL_MS);
  timer.unref();
  try {
    return await until;
  } finally {
    clearInterval(timer);
    await Promise.all(fs.map((f) => f.finish().catch(() => undefined)));
  }
}

/**
 * Waits for `ended`, killing the command's group on an abort of `o.signal` (TERM, then KILL after the grace period);
 * an abort whose reason is a DetachedError leaves the command running and rejects with it at once.
 */
async function awaitEnd(
  pidOf: () => { pid?: number; pidStart?: number },
  ended: Promise<CommandStatus>,
  o: ExecOptions,
): Promise<{ status: CommandStatus; aborted: boolean }> {
  const signal = o.signal;
  let aborted = false;
  /** The command's own group was signalled (a pid that now names another process never is). */
  let signalled = false;
  let hardKill: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const detached = new Promise<never>((_, reject) => {
    onAbort = () => {
      if (signal!.reason instanceof DetachedError) return reject(signal!.reason);
      aborted = true;
      const { pid, pidStart } = pidOf();
      if (pid === undefined || !isSameLiveProcess(pid, pidStart)) return;
      signalled = true;
      killGroup(pid, 'SIGTERM');
      hardKill = setTimeout(() => killGroup(pid, 'SIGKILL'), o.killGraceMs ?? 2000);
      hardKill.unref();
    };
  });
  detached.catch(() => undefined);
  if (signal) {
    if (signal.aborted) onAbort!();
    else signal.addEventListener('abort', onAbort!, { once: true });
  }
  try {
    const status = await Promise.race([ended, detached]);
    // the leader may end before the rest of its group: nothing of a cancelled command may survive it
    const { pid } = pidOf();
    if (aborted && signalled && pid !== undefined) killGroup(pid, 'SIGKILL');
    return { status, aborted };
  } finally {
    if (hardKill) clearTimeout(hardKill);
    signal?.removeEventListener('abort', onAbort!);
  }
}

/** Runs `command` under the step supervisor, in folder `dir` (created); resolves when it has ended. */
export async function superviseCommand(
  dir: string,
  command: string,
  args: string[],
  o: ExecOptions = {},
): Promise<ExecResult> {
  if (o.signal?.aborted) throw new CancelledError(`not started: ${command} (cancelled)`);
  const sup = supervisor();
  let pid: number | undefined;
  let onSpawned!: () => void;
  const spawned = new Promise<void>((r) => (onSpawned = r));
  let request = 0;
  const ended = new Promise<CommandStatus>((resolve, reject) => {
    request = sup.request(
      {
        dir,
        command,
        args,
        cwd: o.cwd,
        env: { ...process.env, ...o.env },
        input: o.input,
        timeoutMs: o.timeoutMs,
        killGraceMs: o.killGraceMs ?? 2000,
        fileCap: outputFileCap(),
        tailBytes: Math.max(o.tailBytes ?? OUTPUT_TAIL_BYTES, o.stderrTailBytes ?? 0),
      },
      {
        spawned: (p) => {
          pid = p;
          onSpawned();
          o.onSpawn?.(p);
        },
        exited: (s) => {
          onSpawned();
          resolve(s);
        },
        failed: (e) => {
          onSpawned();
          reject(e);
        },
      },
    );
  });
  ended.catch(() => undefined);
  // the output files exist once the command was spawned (or refused)
  await spawned;
  const { status, aborted } = await follow(
    dir,
    o,
    awaitEnd(() => ({ pid }), ended, o),
  ).catch((e: unknown) => {
    // let go of: its end is no business of this process any more, which must be free to exit before it
    if (e instanceof DetachedError) sup.forget(request);
    throw e;
  });
  if (aborted) throw new CancelledError(`cancelled: ${command}`);
  return resultOf(dir, { command, args }, status, o);
}

/**
 * Attaches to the supervised command of folder `dir` that an earlier engine process started: its result at once if it
 * has ended, else its output followed and its end awaited (an abort still kills its group). Throws when its
 * supervisor died without recording the end (what it did is unknown).
 */
export async function attachCommand(dir: string, o: ExecOptions = {}): Promise<ExecResult> {
  const first = commandState(dir);
  if (first.state === 'not-started') throw new GravityError(ErrorCode.NotFound, `no supervised command in ${dir}`);
  const record = first.record;
  const lost = () =>
    new GravityError(
      ErrorCode.NeedsAttention,
      `the supervisor of ${record.command} (pid ${record.supervisor.pid}) ended without recording how the command ended`,
      { dir },
    );
  if (first.state === 'lost') throw lost();
  // ended while no engine watched: its output is shown all the same, as it would have been
  if (first.state === 'finished') return follow(dir, o, resultOf(dir, record, first.status, o));
  if (record.pid !== undefined) o.onSpawn?.(record.pid);
  let current = record;
  const ended = new Promise<CommandStatus>((resolve, reject) => {
    let ticks = 0;
    const timer = setInterval(() => {
      const s = readJson<CommandStatus>(join(dir, 'status.json'));
      if (s) {
        clearInterval(timer);
        return resolve(s);
      }
      // the pid is written just after the spawn: a command re-attached to in between learns it here
      if (current.pid === undefined) current = readJson<CommandRecord>(join(dir, 'command.json')) ?? current;
      if (++ticks % 10 === 0) {
        // its supervisor died without a status, or its folder went away: nothing will ever say how it ended
        const st = commandState(dir);
        if (st.state === 'lost' || st.state === 'not-started') {
          clearInterval(timer);
          reject(lost());
        }
      }
    }, POLL_MS);
  });
  ended.catch(() => undefined);
  const { status, aborted } = await follow(
    dir,
    o,
    awaitEnd(() => current, ended, o),
  );
  if (aborted) throw new CancelledError(`cancelled: ${record.command}`);
  return resultOf(dir, record, status, o);
}

/**
 * Puts the folder of an attempt about to be made afresh (after a cancel, or forced) aside, under a dated name: its
 * commands are not this attempt's, so they must never be adopted by it, but their logs are kept.
 */
export function setAsideAttempt(attemptDir: string): void {
  if (existsSync(attemptDir)) renameSync(attemptDir, `${attemptDir}.${new Date().toISOString().replace(/[:.]/g, '-')}`);
}

/**
 * The `ctx.exec` of one attempt of a supervised step: each command runs under the supervisor in the attempt's folder
 * (`c1`, `c2`... in call order). With `replay` (the attempt was interrupted and is being resumed), a call whose folder
 * holds a command already is answered by it (adopted if it ended, re-attached if it runs) instead of starting it again,
 * provided it is the same command.
 */
export function supervisedExec(attemptDir: string, replay: boolean): Exec {
  let n = 0;
  return async (command, args = [], o = {}) => {
    const dir = join(attemptDir, `c${++n}`);
    if (replay) {
      const st = commandState(dir);
      if (st.state !== 'not-started') {
        const same = st.record.command === command && JSON.stringify(st.record.args) === JSON.stringify(args);
        if (!same)
          throw new GravityError(
            ErrorCode.NeedsAttention,
            `the interrupted step had started ${[st.record.command, ...st.record.args].join(' ')} where it now runs ${[command, ...args].join(' ')}: it changed, so its earlier command cannot be adopted`,
            { dir },
          );
        return attachCommand(dir, o);
      }
    }
    return superviseCommand(dir, command, args, o);
  };
}

/**
 * `ctx.once` of a supervised attempt: the value `compute` gave is kept in the attempt's folder (`once-<name>.json`,
 * written whole and synced before the attempt goes on), and given back without computing it again when the attempt
 * is replayed. A damaged file needs attention: which path the attempt took is then unknown.
 */
export function onceIn(attemptDir: string): <T>(name: string, compute: () => T | Promise<T>) => Promise<T> {
  return async <T>(name: string, compute: () => T | Promise<T>): Promise<T> => {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(name))
      throw new Error(`ctx.once: name ${JSON.stringify(name)} must be 1 to 64 letters, digits or -`);
    const file = join(attemptDir, `once-${name}.json`);
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== undefined) {
      const kept = (() => {
        try {
          return JSON.parse(text) as { kept?: number; value?: T };
        } catch {
          return undefined;
        }
      })();
      if (!kept || typeof kept !== 'object' || kept.kept !== 1)
        throw new GravityError(
          ErrorCode.NeedsAttention,
          `${file} is damaged: the interrupted step's decision "${name}" is unknown, so its commands cannot be adopted`,
          { file },
        );
      return kept.value as T;
    }
    const value = await compute();
    await mkdir(attemptDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify({ kept: 1, value }));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    const d = await open(attemptDir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
    return value;
  };
}
