// A real BIND for tests: Debian's /usr/sbin/named started by the test itself (-g -c <its own config>) on 127.0.0.1
// port 5353 only, with its control channel on 127.0.0.143:9530 under a key made here (rndc.conf next to it), reading
// the zone statements of one include file; stopped by its pid. named, dig and rndc missing fail (CI installs bind9,
// bind9-utils and bind9-dnsutils: .ci/run); it is never a skip.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../../engine/process.js';

export const NAMED = '/usr/sbin/named';
export const NAMED_ADDRESS = '127.0.0.1';
export const NAMED_PORT = 5353;
/** Where rndc reaches the test named. */
export const CONTROL_ADDRESS = '127.0.0.143';
export const CONTROL_PORT = 9530;

/** A running test named. */
export interface TestNamed {
  pid: number;
  pidFile: string;
  /** An rndc.conf holding the control channel's key, server and port. */
  rndcConf: string;
  /** What named logged so far (its stderr). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts named in `dir`, reading the zone statements of `include`; resolves once it is serving. */
export async function startNamed(
  dir: string,
  include: string,
  at: { address?: string; port?: number; controlAddress?: string; controlPort?: number } = {},
): Promise<TestNamed> {
  const address = at.address ?? NAMED_ADDRESS;
  const port = at.port ?? NAMED_PORT;
  const controlAddress = at.controlAddress ?? CONTROL_ADDRESS;
  const controlPort = at.controlPort ?? CONTROL_PORT;
  for (const tool of [NAMED, '/usr/bin/dig', '/usr/sbin/rndc'])
    if (!existsSync(tool))
      throw new Error(`${tool} is missing: install bind9, bind9-utils and bind9-dnsutils (.ci/run does)`);
  const secret = randomBytes(32).toString('base64');
  const key = `key "gravity-test" { algorithm hmac-sha256; secret "${secret}"; };`;
  const pidFile = join(dir, 'named.pid');
  const conf = join(dir, 'named.conf');
  writeFileSync(
    conf,
    [
      'options {',
      `  directory "${dir}";`,
      `  listen-on port ${port} { ${address}; };`,
      '  listen-on-v6 { none; };',
      `  pid-file "${pidFile}";`,
      `  session-keyfile "${join(dir, 'session.key')}";`,
      `  managed-keys-directory "${dir}";`,
      '  recursion no;',
      '  dnssec-validation no;',
      '  notify no;',
      '};',
      key,
      // an explicit control channel: without one, named opens 127.0.0.1:953 and ::1:953 with Debian's rndc.key
      `controls { inet ${controlAddress} port ${controlPort} allow { 127.0.0.1; ${controlAddress}; } keys { "gravity-test"; }; };`,
      `include "${include}";`,
      '',
    ].join('\n'),
  );
  const rndcConf = join(dir, 'rndc.conf');
  writeFileSync(
    rndcConf,
    `${key}\noptions { default-key "gravity-test"; default-server ${controlAddress}; default-port ${controlPort}; };\n`,
  );
  const child = spawn(NAMED, ['-g', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  child.stderr!.on('data', (b) => (log = `${log}${b}`.slice(-20000)));
  const pid = child.pid!;
  child.unref();
  const stop = async () => {
    if (!isAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  };
  for (let i = 0; i < 200 && !/\brunning\b/.test(log); i++) {
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  if (!/\brunning\b/.test(log)) {
    await stop();
    throw new Error(`named did not start on ${address}#${port}:\n${log.trim()}`);
  }
  return { pid, pidFile, rndcConf, log: () => log, stop };
}

/** What the test named answers for `name` (dig +short), one record a line. */
export function dig(name: string, type = 'A', server = { address: NAMED_ADDRESS, port: NAMED_PORT }): string {
  return execFileSync(
    'dig',
    [`@${server.address}`, '-p', String(server.port), '+short', '+time=1', '+tries=2', name, type],
    { encoding: 'utf8' },
  ).trim();
}

/** Waits (at most `ms`) until `dig(name, type)` gives `expected` (or passes it); returns what it gave last. */
export async function digUntil(
  name: string,
  expected: string | ((answer: string) => boolean),
  type = 'A',
  ms = 10_000,
): Promise<string> {
  const ok = typeof expected === 'string' ? (a: string) => a === expected : expected;
  let last = '';
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    last = dig(name, type);
    if (ok(last)) break;
  }
  return last;
}
