// A real Apache for tests: Debian's /usr/sbin/apache2 started by the test itself in the foreground (-D FOREGROUND -f
// <its own config>, no Debian envvars) listening on one loopback address of the test's, including the *.conf of one
// folder, its children running as www-data; stopped by its pid. A missing apache2 fails (CI installs it: .ci/run); it
// is never a skip.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../../engine/process.js';

export const APACHE = '/usr/sbin/apache2';
export const MODULES_DIR = '/usr/lib/apache2/modules';

/** A running test Apache. */
export interface TestApache {
  pid: number;
  /** Its main configuration (what apache2 -k graceful -f takes). */
  conf: string;
  /** What its error log holds. */
  log(): string;
  stop(): Promise<void>;
}

const listening = (address: string, port: number) =>
  new Promise<boolean>((res) => {
    const s = connect(port, address);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });

/** Starts Apache in `dir` on `address`:`port`, including `sitesDir`/*.conf; resolves once it accepts connections. */
export async function startApache(dir: string, sitesDir: string, address: string, port: number): Promise<TestApache> {
  if (!existsSync(APACHE)) throw new Error(`${APACHE} is missing: install apache2 (.ci/run does)`);
  const conf = join(dir, 'apache2.conf');
  const errorLog = join(dir, 'error.log');
  writeFileSync(
    conf,
    [
      `ServerRoot "${dir}"`,
      `PidFile "${join(dir, 'apache2.pid')}"`,
      `ErrorLog "${errorLog}"`,
      `Mutex file:${dir} default`,
      'User www-data',
      'Group www-data',
      'ServerName localhost',
      ...['mpm_event', 'authz_core', 'proxy', 'proxy_http', 'dir'].map(
        (m) => `LoadModule ${m}_module ${MODULES_DIR}/mod_${m}.so`,
      ),
      `Listen ${address}:${port}`,
      `IncludeOptional "${sitesDir}/*.conf"`,
      '',
    ].join('\n'),
  );
  const child = spawn(APACHE, ['-D', 'FOREGROUND', '-f', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr = `${stderr}${b}`.slice(-4000)));
  const pid = child.pid!;
  child.unref();
  const log = () => `${stderr}${existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''}`;
  const stop = async () => {
    if (!isAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  };
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    if (child.exitCode !== null) break;
    up = await listening(address, port);
    if (!up) await sleep(50);
  }
  if (!up) {
    await stop();
    throw new Error(`apache2 did not start on ${address}:${port}:\n${log().trim()}`);
  }
  return { pid, conf, log, stop };
}
