// A real WebDAV server for tests: `rclone serve webdav <dir>` started by the test on 127.0.0.102 and a free port, with a
// user and password, and an rclone config file naming it as remote `dav` (its password obscured by `rclone obscure`);
// stopped by its pid. A missing rclone fails (CI installs it: .ci/run); it is never a skip.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from './git-fixtures.js';
import { freePort } from './sshd.js';

/** A running test WebDAV server. */
export interface TestWebdav {
  /** The folder it serves. */
  dir: string;
  url: string;
  pid: number;
  /** An rclone config file defining remote `dav` for it. */
  config: string;
  /** The remote's name in `config`. */
  remote: string;
  stop(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts `rclone serve webdav` on `address` (127.0.0.102 by default). */
export async function startWebdav(address = '127.0.0.102'): Promise<TestWebdav> {
  try {
    execFileSync('rclone', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error("rclone is missing: install Debian's rclone (.ci/run does)");
  }
  const base = tempDir('gravity-webdav-');
  const dir = join(base, 'served');
  mkdirSync(dir);
  const user = 'gravity';
  const pass = `pw-${process.pid}-${Date.now()}`;
  const config = join(base, 'rclone.conf');
  const empty = join(base, 'empty.conf');
  writeFileSync(empty, '');
  let lastLog = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort(address);
    const url = `http://${address}:${port}/`;
    const child = spawn(
      'rclone',
      [
        '--config',
        empty,
        'serve',
        'webdav',
        dir,
        '--addr',
        `${address}:${port}`,
        '--user',
        user,
        '--pass',
        pass,
        '--dir-cache-time',
        '0s',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    child.stderr!.on('data', (b) => (lastLog = `${lastLog}${b}`.slice(-2000)));
    const pid = child.pid!;
    let up = false;
    for (let i = 0; i < 100 && child.exitCode === null && !up; i++) {
      try {
        const r = await fetch(url, { headers: { authorization: `Basic ${btoa(`${user}:${pass}`)}` } });
        up = r.status < 500;
      } catch {
        await sleep(50);
      }
    }
    if (!up) {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      continue;
    }
    child.unref();
    const obscured = execFileSync('rclone', ['--config', empty, 'obscure', pass], { encoding: 'utf8' }).trim();
    writeFileSync(
      config,
      ['[dav]', 'type = webdav', `url = ${url}`, 'vendor = other', `user = ${user}`, `pass = ${obscured}`, ''].join(
        '\n',
      ),
      { mode: 0o600 },
    );
    const stop = async () => {
      if (!alive(pid)) return;
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 50 && alive(pid); i++) await sleep(50);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    };
    return { dir, url, pid, config, remote: 'dav', stop };
  }
  throw new Error(`rclone serve webdav did not start on ${address}: ${lastLog.trim()}`);
}
