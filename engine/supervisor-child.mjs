// The step supervisor: a small detached process that runs the commands of supervised steps, so that they outlive the
// engine (engine/supervisor.ts starts it, one per engine process, and sends it commands over IPC). Plain JavaScript,
// node's own modules only: it starts in tens of milliseconds, once per engine process.
//
// For each command it writes, in the command's own folder:
//   command.json  before the spawn (what, and which supervisor: pid and start time), fsync'ed; again with the pid after
//   stdout, stderr  the command's output as it comes, each capped at `fileCap` bytes (the tail past it is kept in memory)
//   status.json   when the command has ended: exit code, signal, timeout, byte counts (and the tails the files could not
//                 hold), written to a temporary file, fsync'ed, then renamed: it is there whole or not at all
// The engine adopts a status.json it finds after a crash; a command.json whose supervisor is alive is a command still
// running, which it re-attaches to; one whose supervisor is dead without a status.json is lost (needs attention).
//
// It is in a session of its own (detached): a terminal's SIGHUP or Ctrl-C never reaches it; it ignores SIGHUP and
// SIGINT besides, and passes SIGTERM on to its commands. It stops taking commands once the engine that started it is
// gone (its parent pid changed), and exits when that engine has gone and its last command has ended: its life is
// bounded by its commands'.
import { spawn } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

const parent = process.ppid;
const self = { pid: process.pid, start: startTimeOf(process.pid) };
/** Commands running: request id -> { child pid, stop() }. */
const running = new Map();
let connected = true;
/** At most this many commands at once (a runaway engine cannot make it fork without end). */
const MAX_RUNNING = 1024;

/** Start time of a process (clock ticks since boot, /proc on Linux), to tell it from a later one with its pid. */
function startTimeOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

/** Writes `value` as JSON to `file` through a temporary file and a rename; with `durable`, fsync'ed with its folder. */
function writeJson(file, value, durable) {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(value));
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  if (durable) syncDir(dirname(file));
}

function syncDir(dir) {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** One output stream: written to its file up to `cap` bytes, counted whole, its last `tailBytes` kept in memory. */
class Capture {
  constructor(file, cap, tailBytes) {
    this.fd = openSync(file, 'w');
    this.cap = cap;
    this.tailBytes = tailBytes;
    this.bytes = 0;
    this.written = 0;
    this.tail = [];
    this.held = 0;
  }

  push(chunk) {
    this.bytes += chunk.length;
    if (this.written < this.cap) {
      const n = Math.min(chunk.length, this.cap - this.written);
      let off = 0;
      while (off < n) off += writeSync(this.fd, chunk, off, n - off);
      this.written += n;
    }
    // the tail matters only once the file is full; until then it is the file's end
    if (this.bytes > this.cap) {
      this.tail.push(chunk);
      this.held += chunk.length;
      while (this.held - this.tail[0].length >= this.tailBytes) this.held -= this.tail.shift().length;
    }
  }

  close() {
    closeSync(this.fd);
    const out = { bytes: this.bytes, fileBytes: this.written };
    if (this.bytes > this.written) {
      let tail = Buffer.concat(this.tail);
      tail = tail.subarray(Math.max(0, tail.length - this.tailBytes));
      out.tail = tail.toString('base64');
    }
    return out;
  }
}

function reply(message) {
  if (connected && process.connected) process.send(message, undefined, undefined, () => undefined);
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/** Runs one command for request `r` in folder `r.dir`. */
function start(r) {
  const startedAt = Date.now();
  mkdirSync(r.dir, { recursive: true });
  const record = {
    command: r.command,
    args: r.args,
    cwd: r.cwd,
    supervisor: self,
    startedAt: new Date(startedAt).toISOString(),
  };
  // durable before the command exists: after a crash of the whole machine, a command that may have run is never
  // taken for one that did not
  writeJson(join(r.dir, 'command.json'), record, true);
  syncDir(dirname(r.dir));
  const out = new Capture(join(r.dir, 'stdout'), r.fileCap, r.tailBytes);
  const err = new Capture(join(r.dir, 'stderr'), r.fileCap, r.tailBytes);
  let child;
  try {
    child = spawn(r.command, r.args, {
      cwd: r.cwd,
      env: r.env,
      detached: true,
      stdio: [r.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
  } catch (e) {
    return end(r, { exitCode: 127, spawnError: String(e?.message ?? e) }, out, err, startedAt);
  }
  let timedOut = false;
  let spawnError;
  let hardKill;
  const stop = (signal) => {
    if (child.pid === undefined) return;
    killGroup(child.pid, signal);
    hardKill ??= setTimeout(() => killGroup(child.pid, 'SIGKILL'), r.killGraceMs);
  };
  const timer = r.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        stop('SIGTERM');
      }, r.timeoutMs)
    : undefined;
  child.on('error', (e) => {
    spawnError = String(e?.message ?? e);
  });
  if (child.stdin) {
    child.stdin.on('error', () => undefined);
    child.stdin.end(r.input);
  }
  child.stdout.on('data', (b) => out.push(b));
  child.stderr.on('data', (b) => err.push(b));
  if (child.pid !== undefined) {
    running.set(r.id, { pid: child.pid, stop });
    writeJson(join(r.dir, 'command.json'), { ...record, pid: child.pid, pidStart: startTimeOf(child.pid) }, false);
    reply({ type: 'spawned', id: r.id, pid: child.pid });
  }
  child.on('close', (code, signal) => {
    if (timer) clearTimeout(timer);
    if (hardKill) clearTimeout(hardKill);
    // the leader may end before the rest of its group: nothing of a timed-out command may survive it
    if (timedOut && child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
    running.delete(r.id);
    const status =
      child.pid === undefined
        ? { exitCode: 127, spawnError: spawnError ?? 'spawn failed' }
        : { exitCode: code ?? 128, ...(signal ? { signal } : {}), timedOut };
    end(r, status, out, err, startedAt);
  });
}

function end(r, status, out, err, startedAt) {
  const full = {
    ...status,
    timedOut: status.timedOut === true,
    stdout: out.close(),
    stderr: err.close(),
    durationMs: Date.now() - startedAt,
    endedAt: new Date().toISOString(),
  };
  try {
    writeJson(join(r.dir, 'status.json'), full, true);
  } catch (e) {
    full.statusError = String(e?.message ?? e);
  }
  reply({ type: 'exit', id: r.id, status: full });
  maybeExit();
}

function maybeExit() {
  if (!connected && running.size === 0) process.exit(0);
}

process.on('message', (m) => {
  if (m?.type !== 'spawn') return;
  // the engine that asked is gone (this process was handed to another parent): start nothing it cannot know of
  if (process.ppid !== parent) return;
  if (running.size >= MAX_RUNNING) {
    reply({ type: 'refused', id: m.id, message: `the step supervisor already runs ${MAX_RUNNING} commands` });
    return;
  }
  try {
    start(m);
  } catch (e) {
    reply({ type: 'refused', id: m.id, message: String(e?.message ?? e) });
  }
});
process.on('disconnect', () => {
  connected = false;
  maybeExit();
});
process.on('SIGHUP', () => undefined);
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => {
  for (const c of running.values()) c.stop('SIGTERM');
  connected = false;
  maybeExit();
});
reply({ type: 'ready', pid: process.pid });
