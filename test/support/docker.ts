// A real Docker engine for tests: dockerd started by the test itself, with no bridge, no iptables and its own data and
// exec roots and socket, stopped by its pid (its netns mount undone); plus a tiny image built from Debian's static
// busybox. Containers run with --network host on a 127.0.0.x address. A missing dockerd or busybox fails (CI installs
// them: .ci/run); it is never a skip.
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The static busybox binary of Debian's busybox-static (the only program of the test images). */
export const BUSYBOX = process.env.GRAVITY_BUSYBOX ?? '/bin/busybox';

/** A running test dockerd. */
export interface TestDocker {
  /** DOCKER_HOST for it (`unix://<dir>/docker.sock`). */
  host: string;
  dir: string;
  pid: number;
  /** Runs `docker <args>` against it, returns stdout (throws on a non-zero exit). */
  docker(args: string[], input?: string): string;
  stop(): Promise<void>;
}

const READY_CHECKS = 100;

/** Starts dockerd (ready in about a second); `stop()` kills it by its pid, waits for it to go and removes its folder. */
export async function startDocker(): Promise<TestDocker> {
  for (const tool of ['/usr/sbin/dockerd', BUSYBOX])
    if (!existsSync(tool))
      throw new Error(`${tool} is missing: install Debian's docker.io and busybox-static (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'gravity-dockerd-'));
  const data = join(dir, 'data');
  const execRoot = join(dir, 'exec');
  mkdirSync(data, { recursive: true });
  mkdirSync(execRoot, { recursive: true });
  const sock = join(dir, 'docker.sock');
  const child = spawn(
    '/usr/sbin/dockerd',
    [
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--bridge=none',
      '--data-root',
      data,
      '--exec-root',
      execRoot,
      '--pidfile',
      join(dir, 'docker.pid'),
      '--host',
      `unix://${sock}`,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'], detached: true },
  );
  const pid = child.pid!;
  const host = `unix://${sock}`;
  const docker = (args: string[], input?: string) =>
    execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: host }, input, encoding: 'utf8' });
  let ready = false;
  for (let i = 0; i < READY_CHECKS && !ready; i++) {
    try {
      docker(['version', '--format', '{{.Server.Version}}']);
      ready = true;
    } catch {
      await sleep(100);
    }
  }
  const stop = async () => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
        await sleep(100);
      } catch {
        break;
      }
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    try {
      execFileSync('umount', [join(execRoot, 'netns', 'default')], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
  if (!ready) {
    await stop();
    throw new Error(`dockerd did not answer on ${host} within ${READY_CHECKS / 10} s`);
  }
  return { host, dir, pid, docker, stop };
}

/**
 * Builds image `tag` from busybox and `files` (path in the image -> content; an executable when the path is under a
 * bin folder), with an optional Dockerfile tail (HEALTHCHECK, CMD...).
 */
export function buildBusyboxImage(d: TestDocker, tag: string, files: Record<string, string>, tail = ''): void {
  const ctx = join(d.dir, `image-${tag.replace(/[^a-z0-9]+/g, '-')}`);
  mkdirSync(ctx, { recursive: true });
  copyFileSync(BUSYBOX, join(ctx, 'busybox'));
  const lines = ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "--install", "-s", "/bin"]'];
  Object.entries(files).forEach(([path, content], i) => {
    const name = `f${i}`;
    writeFileSync(join(ctx, name), content, { mode: /\/bin\//.test(path) ? 0o755 : 0o644 });
    lines.push(`COPY ${name} ${path}`);
  });
  writeFileSync(join(ctx, 'Dockerfile'), `${lines.join('\n')}\n${tail}\n`);
  d.docker(['build', '--quiet', '--tag', tag, ctx]);
}
