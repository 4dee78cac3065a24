// A real OpenSSH server for tests: Debian's /usr/sbin/sshd started by the test itself (-D -e -f <its own config>) on
// 127.0.0.101 and a free port, with its own host key and an authorized_keys for root holding a client key made here,
// stopped by its pid. The client side trusts that host key only (its own known_hosts, StrictHostKeyChecking=yes), never
// blindly. A missing sshd or ssh-keygen fails (CI installs openssh-server: .ci/run); it is never a skip.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from './git-fixtures.js';

export const SSHD = '/usr/sbin/sshd';

/** A running test sshd. */
export interface TestSshd {
  address: string;
  port: number;
  pid: number;
  /** The client's private key (root's key on this server). */
  identity: string;
  /** A known_hosts file holding this server's host key for [address]:port. */
  knownHosts: string;
  /** The ssh options a client needs (batch mode, strict host key checking with knownHosts, the key, the port). */
  sshArgs: string[];
  stop(): Promise<void>;
}

/** A free TCP port on `address` (bound once, then closed). */
export async function freePort(address: string): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res, rej) => srv.listen(0, address, res).once('error', rej));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

/** Whether a pid is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts sshd on `address` (127.0.0.101 by default); `stop()` kills it by its pid and waits for it to go. */
export async function startSshd(address = '127.0.0.101'): Promise<TestSshd> {
  for (const tool of [SSHD, '/usr/bin/ssh-keygen', '/usr/bin/ssh'])
    if (!existsSync(tool))
      throw new Error(`${tool} is missing: install openssh-server and openssh-client (.ci/run does)`);
  // sshd's privilege separation folder
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = tempDir('gravity-sshd-');
  const hostKey = join(dir, 'host_ed25519');
  const identity = join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'gravity-test-host', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'gravity-test-client', '-f', identity]);
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${identity}.pub`), { mode: 0o600 });
  const pidFile = join(dir, 'sshd.pid');
  const config = join(dir, 'sshd_config');
  let port = 0;
  let pid = 0;
  let lastLog = '';
  // the port is found free and then bound by sshd: another process may take it between, so a few tries
  for (let attempt = 0; attempt < 5 && !pid; attempt++) {
    port = await freePort(address);
    writeFileSync(
      config,
      [
        `ListenAddress ${address}:${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${pidFile}`,
        `AuthorizedKeysFile ${authorized}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'StrictModes no',
        'UsePAM no',
        'X11Forwarding no',
        'Subsystem sftp internal-sftp',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    child.stderr!.on('data', (b) => (lastLog = `${lastLog}${b}`.slice(-2000)));
    const started = child.pid!;
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) break;
      const listening = await new Promise<boolean>((res) => {
        const s = connect(port, address);
        s.once('connect', () => {
          s.destroy();
          res(true);
        });
        s.once('error', () => res(false));
      });
      if (listening) {
        pid = started;
        break;
      }
      await sleep(50);
    }
    if (!pid && alive(started)) process.kill(started, 'SIGKILL');
    child.unref();
  }
  if (!pid) throw new Error(`sshd did not start on ${address}: ${lastLog.trim()}`);
  const knownHosts = join(dir, 'known_hosts');
  const [type, key] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  writeFileSync(knownHosts, `[${address}]:${port} ${type} ${key}\n`);
  const sshArgs = [
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'IdentitiesOnly=yes',
    '-i',
    identity,
    '-p',
    String(port),
  ];
  const stop = async () => {
    if (!alive(pid)) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(50);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  };
  return { address, port, pid, identity, knownHosts, sshArgs, stop };
}
