// Shared timing machinery for every benchmark: warm-up, repeated samples under a time budget, medians, temp dirs.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How many samples one measurement takes: at least `min`, at most `max`, stopping once `budgetMs` is spent. */
export interface Repetitions {
  min: number;
  max: number;
  budgetMs: number;
  /** Untimed runs before the samples (JIT, caches, first file creation). Default 1. */
  warmup?: number;
}

/** The samples of one measurement, in ms. */
export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  samples: number;
}

/**
 * One timed case. `prepare` (untimed) builds what a sample needs, `run` is timed, `cleanup` (untimed)
 * inspects and discards it. `inner` repeats `run` inside one sample and divides, for sub-millisecond cases.
 */
export interface Case<C> {
  prepare?: () => Promise<C> | C;
  run: (ctx: C) => Promise<unknown>;
  cleanup?: (ctx: C) => Promise<void> | void;
  inner?: number;
}

/** The median of a non-empty list of numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function sampleOnce<C>(c: Case<C>): Promise<number> {
  const ctx = (await c.prepare?.()) as C;
  const inner = c.inner ?? 1;
  try {
    const t0 = performance.now();
    for (let k = 0; k < inner; k++) await c.run(ctx);
    return (performance.now() - t0) / inner;
  } finally {
    await c.cleanup?.(ctx);
  }
}

/** Warms a case up, then samples it until the repetition policy says stop; reports the median. */
export async function measure<C>(c: Case<C>, reps: Repetitions): Promise<Timing> {
  for (let w = 0; w < (reps.warmup ?? 1); w++) await sampleOnce(c);
  const samples: number[] = [];
  const started = performance.now();
  while (samples.length < reps.max) {
    samples.push(await sampleOnce(c));
    if (samples.length >= reps.min && performance.now() - started >= reps.budgetMs) break;
  }
  return {
    medianMs: median(samples),
    minMs: Math.min(...samples),
    maxMs: Math.max(...samples),
    samples: samples.length,
  };
}

/** Total size in bytes of every file under `dir` (recursively). */
export async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await bytesUnder(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

/** A root temp folder for a benchmark's data; removed by `dispose()`, or on Ctrl-C / exit if the bench dies. */
export interface TempRoot {
  path: string;
  /** A fresh, empty sub-folder (not yet created) for one sample. */
  fresh(): string;
  /** Removes one sample folder. */
  remove(dir: string): Promise<void>;
  dispose(): Promise<void>;
}

/** Creates a temp root under the OS temp folder. */
export async function createTempRoot(prefix = 'gravity-bench-'): Promise<TempRoot> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  let next = 0;
  const sweep = () => rmSync(path, { recursive: true, force: true });
  const onSignal = () => {
    sweep();
    process.exit(130);
  };
  process.on('exit', sweep);
  process.once('SIGINT', onSignal);
  return {
    path,
    fresh: () => join(path, `s${String(next++).padStart(5, '0')}`),
    remove: (dir) => rm(dir, { recursive: true, force: true }),
    async dispose() {
      process.off('exit', sweep);
      process.off('SIGINT', onSignal);
      await rm(path, { recursive: true, force: true });
    },
  };
}

/** Round to `digits` decimals (for printing and JSON). */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
