// GitLab backups and restores: the copies gitlab:backup and gitlab:restore make of an instance's volumes (streamed,
// hashed for the manifest, owner, mode and times kept) against `tar -c | tar -x` and `cp -a` of the same tree, in the
// same run, as ratios to the faster of the two; the tree is 200 MB of mixed sizes (many small files, a few large).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { TreeCopy } from '../tasks/gitlab/backup-copy.js';
import { copyTree } from '../tasks/gitlab/support-restore.js';
import { createTempRoot, measure, round, type Repetitions } from './harness.js';
import type { BenchResult } from './report.js';

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

export async function gitlabBench(o: { mb?: number; reps?: Repetitions } = {}): Promise<BenchResult> {
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
    const rows = [
      { case: 'tar -c | tar -x (reference)', ms: tar.medianMs },
      { case: 'cp -a (reference)', ms: cp.medianMs },
      { case: 'gitlab:backup copy (sha256 per file, manifest lists)', ms: backup.medianMs },
      { case: 'gitlab:restore copy (staging from a backup)', ms: restore.medianMs },
    ].map((r) => ({
      ...r,
      ms: round(r.ms, 0),
      ratio: round(r.ms / ref, 2),
      mbps: round(tree.bytes / 1e6 / (r.ms / 1000), 0),
    }));
    return {
      name: 'gitlab',
      title: `GitLab backup and restore copies of a ${mb} MB tree (${tree.files} files: ${tree.files - 8} of 1-32 KiB, 8 large)`,
      explain: [
        'Each case copies the same tree into a fresh folder (page cache warm: a warm-up copy first); median of the samples.',
        'x faster ref = ms / the faster of tar|tar and cp -a in this run (goal: <= 1.2).',
      ],
      columns: [
        { key: 'case', label: 'case' },
        { key: 'ms', label: 'ms' },
        { key: 'mbps', label: 'MB/s' },
        { key: 'ratio', label: 'x faster ref', digits: 2 },
      ],
      rows,
      notes: [
        'the stopped time of a cold backup is the backup copy of the instance volumes: this copy, at the MB/s above',
      ],
      elapsedMs: performance.now() - t0,
    };
  } finally {
    await tmp.dispose();
  }
}
