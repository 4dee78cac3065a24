// Starts the galaxy's smart-HTTP server (support-http-server.ts) as its own detached Node process on 127.0.0.x.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CancelledError, TaskError, type TaskLogger } from '../../engine/index.js';
import type { ServerInfo } from './support-schema.js';
import { assertGalaxyAddress, closeLog, killStarting, logTail, openLog, waitForPort } from './support-servers.js';

/** What `startHttpServer` needs. */
export interface HttpOptions {
  root: string;
  address: string;
  signal: AbortSignal;
  log: TaskLogger;
  /** How long to wait for the server's `{ port, pid }` line, ms. Default 15 000. */
  startTimeoutMs?: number;
}

/** Node arguments that run the server script: the compiled .js next to this file, else the .ts source through tsx. */
export function serverCommand(): string[] {
  const js = fileURLToPath(new URL('./support-http-server.js', import.meta.url));
  if (existsSync(js)) return [js];
  const ts = fileURLToPath(new URL('./support-http-server.ts', import.meta.url));
  if (!existsSync(ts))
    throw new TaskError(`cannot find the galaxy http server: neither ${js} nor ${ts} exists`, { js, ts });
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, ts];
}

// Resolves with the first stdout line of `child`, or rejects when it exits, the signal aborts or `ms` pass.
function firstLine(child: ChildProcess, signal: AbortSignal, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (err: Error | undefined, line?: string) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      child.stdout?.removeAllListeners('data');
      child.removeListener('exit', onExit);
      if (err) reject(err);
      else resolve(line!);
    };
    const onAbort = () => finish(new CancelledError('cancelled: starting the galaxy http server'));
    const onExit = (code: number | null, sig: string | null) =>
      finish(
        new TaskError(
          `the galaxy http server exited before listening (${sig ? `killed by ${sig}` : `exit code ${code}`})`,
        ),
      );
    const timer = setTimeout(
      () => finish(new TaskError(`the galaxy http server did not report its port within ${ms} ms`)),
      ms,
    );
    signal.addEventListener('abort', onAbort, { once: true });
    // an abort that came before this listener is not dispatched again
    if (signal.aborted) return onAbort();
    child.once('exit', onExit);
    child.once('error', (e) => finish(e));
    child.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(undefined, buf.slice(0, nl));
      else if (buf.length > 4096)
        finish(new TaskError('the galaxy http server printed something else than its { port, pid } line'));
    });
  });
}

/** Starts the http server for `<root>/remotes` on `address`, waits until it accepts connections, returns its pid and port. */
export async function startHttpServer(o: HttpOptions): Promise<ServerInfo> {
  assertGalaxyAddress(o.address);
  const logFile = join(o.root, 'http.log');
  const fd = openLog(logFile);
  const args = [...serverCommand(), '--address', o.address, '--root', join(o.root, 'remotes')];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', fd] });
  closeLog(fd);
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = sig ? `killed by ${sig}` : `exit code ${code}`));
  const pid = child.pid;
  try {
    if (pid === undefined) throw new TaskError('the galaxy http server did not start');
    const line = await firstLine(child, o.signal, o.startTimeoutMs ?? 15_000);
    const ready = JSON.parse(line) as { port?: unknown; pid?: unknown };
    if (typeof ready.port !== 'number' || ready.pid !== pid)
      throw new TaskError(`the galaxy http server reported ${line}, expected { "port": N, "pid": ${pid} }`);
    await waitForPort(o.address, ready.port, {
      signal: o.signal,
      exited: () => exited,
      what: 'the galaxy http server',
    });
    child.stdout?.destroy();
    child.unref();
    const server: ServerInfo = { kind: 'http', pid, address: o.address, port: ready.port };
    o.log.info(`http server serving ${o.root}/remotes on http://${o.address}:${ready.port}/ (pid ${pid})`, {
      ...server,
    });
    return server;
  } catch (e) {
    if (pid !== undefined) await killStarting(pid);
    child.stdout?.destroy();
    const tail = logTail(logFile);
    if (e instanceof TaskError && tail)
      throw new TaskError(`${e.message}\nhttp server log:\n${tail}`, { ...e.details, log: logFile });
    throw e;
  }
}
