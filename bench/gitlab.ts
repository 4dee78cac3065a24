// GitLab backups and restores: the copies gitlab:backup and gitlab:restore make of an instance's volumes (streamed,
// hashed for the manifest, owner, mode and times kept) against `tar -c | tar -x` and `cp -a` of the same tree, in the
// same run, as ratios to the faster of the two; the tree is 200 MB of mixed sizes (many small files, a few large).
// Then the seconds an instance is stopped during a cold backup, on a real container: a dockerd started here (as the
// tests start theirs), the GitLab stand-in image commissioned on 127.0.0.119 by the real CLI, the same tree in its data
// volume, `gitlab:backup mode=cold` run by the CLI; measured by docker (State.FinishedAt -> State.StartedAt) and by the
// run's journal (stop step started -> healthy step finished), against cp -a of the same tree.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TreeCopy } from '../tasks/gitlab/backup-copy.js';
import { copyTree } from '../tasks/gitlab/support-restore.js';
import { BUSYBOX, startDocker, type TestDocker } from '../test/support/docker.js';
import { buildGitlabStandIn } from '../test/support/gitlab-image.js';
import { createTempRoot, median, measure, round, type Repetitions } from './harness.js';
import { GRAVITY_BIN } from './loaded-modules.js';
import type { BenchResult, Cell } from './report.js';

const execFileP = promisify(execFile);

/** Runs a command (argument array), resolving on exit 0. */
function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
}

/** `tar -C from -cf - . | tar -C to -xf -`, the two processes piped to each other (no shell). */
function tarPipe(from: string, to: string): Promise<void> {
  mkdirSync(to, { recursive: true });
  return new Promise((resolve, reject) => {
    const c = spawn('tar', ['-C', from, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const x = spawn('tar', ['-C', to, '-xpf', '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
    c.stdout.pipe(x.stdin);
    let left = 2;
    const done = (code: number | null) => {
      if (code !== 0) return reject(new Error(`tar exited ${code}`));
      if (--left === 0) resolve();
    };
    c.on('close', done);
    x.on('close', done);
    c.on('error', reject);
    x.on('error', reject);
  });
}

/** A tree of `mb` megabytes: `small` files of 1-32 KiB in folders of 100, the rest in `large` files. */
function makeTree(dir: string, mb: number, small: number, large: number): { files: number; bytes: number } {
  let bytes = 0;
  const buf = Buffer.alloc(32 * 1024);
  for (let i = 0; i < small; i++) {
    const sub = join(dir, 'repositories', `group-${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    const size = 1024 + ((i * 7919) % (31 * 1024));
    randomFillSync(buf, 0, size);
    writeFileSync(join(sub, `object-${i}`), buf.subarray(0, size));
    bytes += size;
  }
  const each = Math.floor((mb * 1024 * 1024 - bytes) / large);
  const chunk = Buffer.alloc(1024 * 1024);
  mkdirSync(join(dir, 'backups'), { recursive: true });
  for (let i = 0; i < large; i++) {
    const parts: Buffer[] = [];
    for (let left = each; left > 0; left -= chunk.length)
      parts.push(randomFillSync(Buffer.alloc(Math.min(left, chunk.length))));
    writeFileSync(join(dir, 'backups', `archive-${i}.tar`), Buffer.concat(parts));
    bytes += each;
  }
  return { files: small + large, bytes };
}

// The address of the bench's instance (loopback; port 80). test/workflows/gitlab-e2e.test.ts runs its WebDAV server on
// the same address but on a free high port, so a bench and that test running at once never meet.
const BENCH_ADDRESS = '127.0.0.119';
/** The bench's instance, its container gitlab-<name>. */
const BENCH_INSTANCE = 'bench';

/** The medians of the cold backups' timings, in ms, or why the measure did not run. */
type ColdDowntime =
  | { skipped: string }
  | {
      /** docker: the container's State.FinishedAt (it exited) to its State.StartedAt (running again). */
      containerDownMs: number;
      /** The journal: the stop step started to the healthy step finished (GitLab unavailable to its users). */
      unavailableMs: number;
      /** The stop step: docker stop until the container exited. */
      stopMs: number;
      /** The copy step: data, config and log copied and hashed, manifest written. */
      copyMs: number;
      /** The start step started to the healthy step finished. */
      startMs: number;
      /** cp -a of the instance's mapping-volumes (what the cold copy copies), right after each backup: the reference. */
      cpMs: number;
      samples: number;
    };

/** Why this machine cannot run a real dockerd for the measure, or undefined when it can. */
async function dockerMissing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root (the bench starts its own dockerd, which needs root)';
  if (!existsSync('/usr/sbin/dockerd')) return "no /usr/sbin/dockerd (Debian's docker.io)";
  if (!existsSync(BUSYBOX)) return `no ${BUSYBOX} (Debian's busybox-static: the stand-in image is built from it)`;
  try {
    await execFileP('docker', ['--version']);
  } catch {
    return 'no docker command on the PATH';
  }
  if (!existsSync(join(GRAVITY_BIN, '../../dist/cli/main.js'))) return 'gravity is not built (npm run build)';
  return undefined;
}

/** A docker timestamp (nanoseconds) in ms since the epoch (Date.parse reads at most milliseconds). */
const dockerTime = (t: string): number => Date.parse(t.trim().replace(/(\.\d{3})\d*Z$/, '$1Z'));

/** One journal entry, as the engine writes it (engine/journal.ts); only what the measure reads. */
interface Entry {
  type: string;
  at: string;
  step?: string;
}

/** Every journal entry of `home` written at or after `since` (the runs of one backup: the run and its item runs). */
function journalSince(home: string, since: string): Entry[] {
  const dir = join(home, 'logs', 'journal');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Entry),
    )
    .filter((e) => e.at >= since);
}

/** When step `step` logged `type`, in ms (a for-each item is a child run, its steps named as in the body). */
function stepAt(entries: Entry[], step: string, type: 'task.started' | 'task.finished'): number {
  const e = entries.find((x) => x.type === type && x.step === step);
  if (!e) throw new Error(`the journal has no ${type} of step ${step}`);
  return Date.parse(e.at);
}

/**
 * Commissions the stand-in on a dockerd of its own, puts the tree `src` in its data volume and times `samples` cold
 * backups (after one warm-up); the medians.
 */
async function coldDowntime(src: string, base: string, samples: number): Promise<ColdDowntime> {
  const missing = await dockerMissing();
  if (missing) return { skipped: missing };
  let d: TestDocker | undefined;
  let stopOnExit: (() => void) | undefined;
  try {
    try {
      d = await startDocker();
    } catch (e) {
      // the tools are there but dockerd does not come up (a container without the privileges it needs...)
      return { skipped: `dockerd did not start: ${(e as Error).message}` };
    }
    // a bench stopped by Ctrl-C (the temp root's handler exits) or an error still stops its dockerd
    const { pid } = d;
    stopOnExit = () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone already
      }
    };
    process.once('exit', stopOnExit);
    const image = buildGitlabStandIn(d);
    const home = join(base, 'gravity-home');
    const root = join(base, 'gitlab');
    mkdirSync(root);
    // the CLI as a user runs it, against this dockerd, its state in a folder of the bench
    const env = { ...process.env, GRAVITY_HOME: home, DOCKER_HOST: d.host, CI: 'true', FORCE_COLOR: '0' };
    const gravity = async (...args: string[]) => {
      const { stdout } = await execFileP(process.execPath, [GRAVITY_BIN, 'run', ...args, '--json'], {
        env,
        cwd: base,
        maxBuffer: 64 * 1024 * 1024,
      });
      return JSON.parse(stdout) as { output: Record<string, unknown> };
    };
    const made = await gravity(
      'gitlab:commission',
      ...['--param', `name=${BENCH_INSTANCE}`, '--param', `root=${root}`, '--param', `ip=${BENCH_ADDRESS}`],
      ...['--param', 'network=host', '--param', `image=${image}`, '--param', 'healthTimeoutMs=120000'],
      // no crontab block: the bench never touches the crontab of the user running it
      ...['--param', 'schedule='],
    );
    const dir = made.output.dir as string;
    const container = made.output.container as string;
    // the same tree in the data volume, where GitLab keeps its repositories (untimed)
    await execFileP('cp', ['-a', src, join(dir, 'mapping-volumes', 'data', 'git-data', 'bench-tree')]);
    const times: Array<Omit<Extract<ColdDowntime, { containerDownMs: number }>, 'samples'>> = [];
    for (let i = 0; i <= samples; i++) {
      const since = new Date().toISOString();
      const r = await gravity(
        'gitlab:backup',
        ...['--param', `instance=${BENCH_INSTANCE}`, '--param', 'mode=cold', '--param', `root=${root}`],
        ...['--param', 'healthTimeoutMs=120000'],
      );
      const [{ dir: backup }] = r.output.backups as Array<{ dir: string }>;
      const [finished, started] = d
        .docker(['inspect', '--format', '{{.State.FinishedAt}} {{.State.StartedAt}}', container])
        .trim()
        .split(' ');
      const j = journalSince(home, since);
      // the first backup warms the page cache and the CLI's files up: not a sample
      if (i > 0)
        times.push({
          containerDownMs: dockerTime(started) - dockerTime(finished),
          unavailableMs: stepAt(j, 'healthy', 'task.finished') - stepAt(j, 'stop', 'task.started'),
          stopMs: stepAt(j, 'stop', 'task.finished') - stepAt(j, 'stop', 'task.started'),
          copyMs: stepAt(j, 'copy_cold', 'task.finished') - stepAt(j, 'copy_cold', 'task.started'),
          startMs: stepAt(j, 'healthy', 'task.finished') - stepAt(j, 'start', 'task.started'),
          cpMs: 0,
        });
      // each backup is 200 MB: only one at a time on disk
      await rm(backup, { recursive: true, force: true });
      // the reference, paired with each sample: cp -a of the same volumes at the same moment (this machine's disks
      // and neighbours vary from minute to minute; a reference timed minutes before would not tell the ratio)
      const ref = join(base, 'cp-reference');
      const c0 = performance.now();
      await execFileP('cp', ['-a', join(dir, 'mapping-volumes'), ref]);
      const cpMs = performance.now() - c0;
      await rm(ref, { recursive: true, force: true });
      if (i > 0) times[times.length - 1].cpMs = cpMs;
    }
    const med = (k: keyof (typeof times)[number]) => median(times.map((t) => t[k]));
    return {
      containerDownMs: med('containerDownMs'),
      unavailableMs: med('unavailableMs'),
      stopMs: med('stopMs'),
      copyMs: med('copyMs'),
      startMs: med('startMs'),
      cpMs: med('cpMs'),
      samples: times.length,
    };
  } finally {
    if (d) {
      try {
        d.docker(['rm', '--force', `gitlab-${BENCH_INSTANCE}`]);
      } catch {
        // never made
      }
      await d.stop();
    }
    if (stopOnExit) process.off('exit', stopOnExit);
  }
}

export async function gitlabBench(
  o: { mb?: number; reps?: Repetitions; coldSamples?: number } = {},
): Promise<BenchResult> {
  const t0 = performance.now();
  const mb = o.mb ?? 200;
  const reps = o.reps ?? { min: 3, max: 5, budgetMs: 20_000, warmup: 1 };
  const tmp = await createTempRoot('gravity-bench-gitlab-');
  try {
    const src = join(tmp.path, 'data');
    mkdirSync(src);
    const tree = makeTree(src, mb, 3000, 8);
    const out = () => join(tmp.path, `out-${Math.random().toString(36).slice(2)}`);
    const clean = async (dir: string) => rm(dir, { recursive: true, force: true });
    const sample = (copy: (to: string) => Promise<unknown>) =>
      measure<string>({ prepare: out, run: (to) => copy(to), cleanup: clean }, reps);
    const tar = await sample((to) => tarPipe(src, to));
    const cp = await sample((to) => run('cp', ['-a', src, to]));
    const backup = await sample(async (to) => {
      mkdirSync(to);
      await new TreeCopy(to, new AbortController().signal).copy(src, 'data');
    });
    const restore = await sample((to) => copyTree(src, to));
    const ref = Math.min(tar.medianMs, cp.medianMs);
    const rows: Array<Record<string, Cell>> = [
      { case: 'tar -c | tar -x (reference)', ms: tar.medianMs },
      { case: 'cp -a (reference)', ms: cp.medianMs },
      { case: 'gitlab:backup copy (sha256 per file, manifest lists)', ms: backup.medianMs },
      { case: 'gitlab:restore copy (staging from a backup)', ms: restore.medianMs },
    ].map((r) => ({
      ...r,
      ms: round(r.ms, 0),
      ratio: round(r.ms / ref, 2),
      vsCp: round(r.ms / cp.medianMs, 2),
      mbps: round(tree.bytes / 1e6 / (r.ms / 1000), 0),
    }));
    // the instance stopped during a cold backup of the same tree, on a real container, against cp -a of this run
    const cold = await coldDowntime(src, tmp.path, o.coldSamples ?? 3);
    const notes: string[] = [];
    if ('skipped' in cold) {
      rows.push({ case: 'cold backup: instance stopped (skipped)', ms: null, mbps: null, ratio: null, vsCp: null });
      notes.push(`the stopped time of a cold backup was not measured: ${cold.skipped}`);
    } else {
      const coldRow = (label: string, ms: number, copied = false): Record<string, Cell> => ({
        case: label,
        ms: round(ms, 0),
        // MB/s only where the tree is what the time moves; the stopped times also wait for docker and GitLab
        mbps: copied ? round(tree.bytes / 1e6 / (ms / 1000), 0) : null,
        ratio: null,
        vsCp: round(ms / cold.cpMs, 2),
      });
      rows.push(
        coldRow("cold backup's reference: cp -a of the instance's volumes after each backup", cold.cpMs, true),
        coldRow('cold backup: container down (docker FinishedAt -> StartedAt)', cold.containerDownMs),
        coldRow('cold backup: unavailable (stop step -> healthy again)', cold.unavailableMs),
        coldRow('  of which docker stop', cold.stopMs),
        coldRow('  of which the copy step (copy_cold)', cold.copyMs, true),
        coldRow('  of which start and wait until healthy', cold.startMs),
      );
      const sec = (ms: number) => (ms / 1000).toFixed(2);
      notes.push(
        `a cold backup of an instance whose data volume holds this tree stops it for ${sec(cold.containerDownMs)} s ` +
          `(container down), ${sec(cold.unavailableMs)} s from docker stop to healthy again: ` +
          `${round(cold.containerDownMs / cold.cpMs, 2)}x and ${round(cold.unavailableMs / cold.cpMs, 2)}x ` +
          `cp -a of the same volumes right after each backup (${sec(cold.cpMs)} s; the cp -a row above: ` +
          `${sec(cp.medianMs)} s); medians of ${cold.samples} cold backups after a warm-up`,
        `(the GitLab stand-in image: its services stop in about a second and its HEALTHCHECK runs every second; a real ` +
          'GitLab takes minutes to start, which the copy does not change)',
      );
    }
    return {
      name: 'gitlab',
      title: `GitLab backup and restore copies of a ${mb} MB tree (${tree.files} files: ${tree.files - 8} of 1-32 KiB, 8 large)`,
      explain: [
        'Each case copies the same tree into a fresh folder (page cache warm: a warm-up copy first); median of the samples.',
        'x faster ref = ms / the faster of tar|tar and cp -a in this run (goal: <= 1.2); x cp -a = ms / cp -a in this run.',
        `The cold backup rows: gitlab:backup mode=cold run by the CLI on the stand-in GitLab container (own dockerd, ${BENCH_ADDRESS}), the tree in its data volume;`,
        "their x cp -a is against cp -a of the instance's volumes (the tree, and GitLab's few files) timed right after each backup.",
      ],
      columns: [
        { key: 'case', label: 'case' },
        { key: 'ms', label: 'ms' },
        { key: 'mbps', label: 'MB/s' },
        { key: 'ratio', label: 'x faster ref', digits: 2 },
        { key: 'vsCp', label: 'x cp -a', digits: 2 },
      ],
      rows,
      notes,
      elapsedMs: performance.now() - t0,
    };
  } finally {
    await tmp.dispose();
  }
}
