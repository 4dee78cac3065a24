// Starts `git daemon` for a galaxy: 127.0.0.x only, its own process group, ready once `git ls-remote` answers (bounded).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, TaskError, type TaskLogger } from '../../engine/index.js';
import type { ServerInfo } from './support-schema.js';
import {
  assertGalaxyAddress,
  closeLog,
  freePort,
  killStarting,
  logTail,
  openLog,
  throwIfCancelled,
} from './support-servers.js';
import type { Git } from './support.js';

/** What `startDaemon` needs. */
export interface DaemonOptions {
  root: string;
  address: string;
  /** A remote to `ls-remote` as the readiness check. */
  probe: string;
  git: Git;
  signal: AbortSignal;
  log: TaskLogger;
}

const PORT_ATTEMPTS = 3;
const READY_ATTEMPTS = 50;

/** The `git daemon` arguments serving `<root>/remotes` (read and push) on address:port. */
export function daemonArgs(root: string, address: string, port: number): string[] {
  const base = join(root, 'remotes');
  return [
    'daemon',
    '--reuseaddr',
    '--export-all',
    '--informative-errors',
    '--enable=receive-pack',
    `--base-path=${base}`,
    `--listen=${address}`,
    `--port=${port}`,
    base,
  ];
}

// One try on one port; kills the daemon's group when it does not become ready.
async function tryPort(o: DaemonOptions, port: number, logFile: string): Promise<ServerInfo> {
  assertGalaxyAddress(o.address);
  const fd = openLog(logFile);
  let exited: string | undefined;
  const child = spawn('git', daemonArgs(o.root, o.address, port), { detached: true, stdio: ['ignore', fd, fd] });
  closeLog(fd);
  child.once('error', (e) => (exited = e.message));
  child.once('exit', (code, sig) => (exited = sig ? `killed by ${sig}` : `exit code ${code}`));
  const pid = child.pid;
  try {
    if (pid === undefined) throw new TaskError(`git daemon did not start`, { port });
    // readiness: a real request (a bare TCP probe would only make the daemon log "hung up unexpectedly")
    const url = `git://${o.address}:${port}/${o.probe}.git`;
    for (let i = 1; ; i++) {
      throwIfCancelled(o.signal, 'waiting for git daemon');
      if (exited) throw new TaskError(`git daemon exited before serving ${o.address}:${port} (${exited})`, { port });
      try {
        await o.git(['ls-remote', '--heads', url]);
        break;
      } catch (e) {
        if (e instanceof CancelledError || i >= READY_ATTEMPTS) throw e;
        await sleep(100);
      }
    }
    child.unref();
    return { kind: 'daemon', pid, address: o.address, port };
  } catch (e) {
    if (pid !== undefined) await killStarting(pid);
    throw e;
  }
}

/** Starts `git daemon` on a free port of `address` (a few ports are tried if one is taken meanwhile); returns its pid and port. */
export async function startDaemon(o: DaemonOptions): Promise<ServerInfo> {
  assertGalaxyAddress(o.address);
  const logFile = join(o.root, 'daemon.log');
  for (let attempt = 1; ; attempt++) {
    throwIfCancelled(o.signal, 'starting git daemon');
    const port = await freePort(o.address);
    try {
      const server = await tryPort(o, port, logFile);
      o.log.info(`git daemon serving ${o.root}/remotes on git://${o.address}:${port}/ (pid ${server.pid})`, {
        ...server,
      });
      return server;
    } catch (e) {
      if (e instanceof CancelledError || attempt >= PORT_ATTEMPTS) {
        const tail = logTail(logFile);
        if (e instanceof TaskError && tail)
          throw new TaskError(`${e.message}\ngit daemon log:\n${tail}`, { ...e.details, log: logFile });
        throw e;
      }
      o.log.warn(`git daemon on port ${port} failed (${(e as Error).message}); trying another port`);
    }
  }
}
