// Process plumbing of the galaxy servers: loopback address, free port, bounded readiness polling, stop by pid.
import { randomInt } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, commandLineOf, isAlive, killGroup, TaskError } from '../../engine/index.js';
import { isGalaxyAddress } from './support-address.js';
import type { ServerInfo } from './support-schema.js';

/** Throws unless `address` is 127.0.0.x with x in 2..250: galaxy servers never bind anything else. */
export function assertGalaxyAddress(address: string): void {
  if (!isGalaxyAddress(address))
    throw new TaskError(
      `refusing to bind ${JSON.stringify(address)}: galaxy servers bind 127.0.0.x with x in 2..250 only`,
      { address },
    );
}

/** A random 127.0.0.x address, x in 2..250. */
export function pickAddress(): string {
  const address = `127.0.0.${randomInt(2, 251)}`;
  assertGalaxyAddress(address);
  return address;
}

/** Throws CancelledError when `signal` is aborted. */
export function throwIfCancelled(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new CancelledError(`cancelled: ${what}`);
}

/** A port nobody listens on at `address` right now (bind port 0, read it, close). */
export async function freePort(address: string): Promise<number> {
  assertGalaxyAddress(address);
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ host: address, port: 0, exclusive: true }, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** True when a TCP connection to address:port opens within `timeoutMs`. */
export function canConnect(address: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Options of `waitForPort`. */
export interface WaitOptions {
  signal: AbortSignal;
  /** Why the server process is gone, or undefined while it runs. */
  exited: () => string | undefined;
  attempts?: number;
  delayMs?: number;
  what: string;
}

/** Polls until address:port accepts connections: at most `attempts` tries, failing early when the server exits. */
export async function waitForPort(address: string, port: number, o: WaitOptions): Promise<void> {
  const attempts = o.attempts ?? 60;
  for (let i = 0; i < attempts; i++) {
    throwIfCancelled(o.signal, `waiting for ${o.what}`);
    const gone = o.exited();
    if (gone)
      throw new TaskError(`${o.what} exited before accepting connections on ${address}:${port} (${gone})`, {
        address,
        port,
      });
    if (await canConnect(address, port)) return;
    await sleep(o.delayMs ?? 100);
  }
  throw new TaskError(`${o.what} did not accept connections on ${address}:${port} after ${attempts} attempts`, {
    address,
    port,
    attempts,
  });
}

/** Opens `path` for appending and returns its fd, for a detached server's stdout/stderr; close it after spawning. */
export function openLog(path: string): number {
  return openSync(path, 'a');
}

/** Closes a log fd opened by `openLog`. */
export function closeLog(fd: number): void {
  closeSync(fd);
}

/** The last lines of a server's log file, or '' when unreadable. */
export function logTail(path: string, n = 5): string {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-n)
      .join('\n');
  } catch {
    return '';
  }
}

// A pid still running one of our servers (and not a recycled pid running something else).
function looksLikeOurs(s: ServerInfo): boolean {
  const cmd = commandLineOf(s.pid);
  if (!cmd) return true;
  if (s.kind === 'daemon') return cmd.some((a) => a === 'daemon' || a.endsWith('git-daemon'));
  // support-http-server.js, or http-server.js for a server started before the file was renamed
  return cmd.some((a) => /http-server\.(js|ts)$/.test(a));
}

// True when some process (a zombie too) holds `pid`.
function pidInUse(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Waits (bounded) until `pid` is gone or a zombie.
async function gone(pid: number, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

/** SIGKILLs the process group a server that failed to start leads, and waits (at most 2 s) until its leader is gone. */
export async function killStarting(pid: number): Promise<void> {
  if (!killGroup(pid, 'SIGKILL')) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
  }
  await gone(pid, 2000);
}

/**
 * Stops one server by its pid: SIGTERM to its process group (it leads one), SIGKILL after `graceMs`.
 * Returns true when it was running, false when it was already gone (or the pid now runs something else).
 */
export async function stopServer(s: ServerInfo, graceMs = 2000): Promise<boolean> {
  if (!isAlive(s.pid)) {
    // no process holds the pid: a group with that id can only be the server's leftover children (the id stays taken while it exists)
    if (!pidInUse(s.pid)) killGroup(s.pid, 'SIGKILL');
    return false;
  }
  if (!looksLikeOurs(s)) return false;
  if (!killGroup(s.pid, 'SIGTERM')) process.kill(s.pid, 'SIGTERM');
  if (await gone(s.pid, graceMs)) return true;
  if (!killGroup(s.pid, 'SIGKILL')) process.kill(s.pid, 'SIGKILL');
  if (await gone(s.pid, 1000)) return true;
  throw new TaskError(`${s.kind} server pid ${s.pid} on ${s.address}:${s.port} survived SIGTERM and SIGKILL`, { ...s });
}
