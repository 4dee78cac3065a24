// What the engine costs per step: N no-op task steps run in memory and persisted, against a plain await loop.
import { z } from 'zod';
import { createJsonStore, createMemoryStore, createRegistry, defineTask, sequence, startRun, task, workflow } from '../engine/index.js';
import type { Definition, Store } from '../engine/index.js';
import { bytesUnder, createTempRoot, measure, median, round, type Repetitions } from './harness.js';
import type { BenchResult, Cell } from './report.js';

/** The no-op task node every step runs. */
export const noopTask = defineTask({
  id: 'bench.noop',
  title: 'Do nothing',
  input: z.object({ i: z.number() }),
  output: z.object({ i: z.number() }),
  idempotent: true,
  async run({ input }) {
    return { i: input.i };
  },
});

/** The reference: the same no-op as a plain async function. */
async function noop(input: { i: number }): Promise<{ i: number }> {
  return { i: input.i };
}

/** A workflow of `n` sequential no-op steps `s0 .. s<n-1>`. */
export function noopWorkflow(n: number): Definition {
  return workflow({ id: `bench:noop-${n}`, steps: sequence(...Array.from({ length: n }, (_, k) => task(`s${k}`, 'bench.noop', { i: k }))) });
}

/** Sample counts per mode and N: cheap cases get many samples, persisted N=1000 (fsync per write) only a few. */
const REPS: Record<'reference' | 'memory' | 'persisted', (n: number) => Repetitions> = {
  reference: () => ({ min: 15, max: 60, budgetMs: 300, warmup: 3 }),
  memory: (n) => (n <= 10 ? { min: 30, max: 400, budgetMs: 1500, warmup: 20 } : n <= 100 ? { min: 15, max: 100, budgetMs: 2500, warmup: 3 } : { min: 7, max: 20, budgetMs: 4000 }),
  persisted: (n) => (n <= 10 ? { min: 15, max: 60, budgetMs: 3000, warmup: 3 } : n <= 100 ? { min: 7, max: 25, budgetMs: 6000 } : { min: 3, max: 5, budgetMs: 12000, warmup: 0 }),
};

/** Wraps a store to count the put/append calls and the (approximate) JSON bytes they carry, rewrites included. */
function countingStore(inner: Store, tally: { writes: number; bytes: number }): Store {
  const size = (v: unknown, indent?: number) => Buffer.byteLength(JSON.stringify(v, null, indent) ?? '');
  return {
    location: inner.location,
    get: (k) => inner.get(k),
    put: (k, v, o) => (tally.writes++, (tally.bytes += size(v, 2)), inner.put(k, v, o)),
    update: (k, fn) => inner.update(k, fn),
    delete: (k, o) => inner.delete(k, o),
    list: (p) => inner.list(p),
    append: (k, r) => (tally.writes++, (tally.bytes += size(r) + 1), inner.append(k, r)),
    readLog: (k) => inner.readLog(k),
    lock: (n, o) => inner.lock(n, o),
    close: () => inner.close(),
  };
}

/** How per-step figures change from the smallest to the largest N (constant per-step cost means flat). */
function growthNotes(rows: Array<Record<string, Cell>>): string[] {
  const notes: string[] = [];
  for (const [mode, key, what] of [
    ['memory', 'perStepUs', 'memory overhead us/step'],
    ['persisted', 'perStepUs', 'persisted overhead us/step'],
    ['persisted', 'writtenBytesPerStep', 'persisted written B/step'],
  ] as const) {
    const of = rows.filter((r) => r.mode === mode && typeof r[key] === 'number');
    if (of.length < 2) continue;
    const [first, last] = [of[0], of[of.length - 1]];
    const factor = (last[key] as number) / (first[key] as number);
    notes.push(`${what}: ${first[key]} at N=${first.n} -> ${last[key]} at N=${last.n} (x${factor.toFixed(1)} per step for x${(last.n as number) / (first.n as number)} steps)`);
  }
  return notes;
}

/** Options: which step counts to run. */
export interface EngineOverheadOptions {
  sizes?: number[];
}

/** Measures reference / memory / persisted runs for each N and returns the table. */
export async function engineOverhead(options: EngineOverheadOptions = {}): Promise<BenchResult> {
  const t0 = performance.now();
  const sizes = options.sizes ?? [10, 100, 1000];
  const registry = createRegistry(noopTask);
  const tmp = await createTempRoot();
  const rows: Array<Record<string, Cell>> = [];
  const row = (n: number, mode: string, ms: number, refMs: number, samples: number, extra: Record<string, Cell> = {}) =>
    rows.push({ n, mode, totalMs: round(ms, 5), perStepUs: mode === 'reference' ? null : round(((ms - refMs) * 1000) / n, 1), ratio: round(ms / refMs, 1), samples, diskBytesPerStep: null, writesPerStep: null, writtenBytesPerStep: null, ...extra });
  try {
    for (const n of sizes) {
      const def = noopWorkflow(n);
      const check = async (p: Promise<{ status: string }>) => {
        const r = await p;
        if (r.status !== 'succeeded') throw new Error(`bench:noop-${n} ended ${r.status}`);
      };

      const ref = await measure(
        {
          inner: Math.ceil(20_000 / n),
          run: async () => {
            for (let i = 0; i < n; i++) await noop({ i });
          },
        },
        REPS.reference(n),
      );
      row(n, 'reference', ref.medianMs, ref.medianMs, ref.samples);

      const mem = await measure({ run: () => check(startRun({ store: createMemoryStore(), registry, persist: false }, def, { params: {} })) }, REPS.memory(n));
      row(n, 'memory', mem.medianMs, ref.medianMs, mem.samples);

      const diskBytes: number[] = [];
      const persisted = await measure(
        {
          prepare: async () => {
            const dir = tmp.fresh();
            return { dir, store: await createJsonStore(dir) };
          },
          run: ({ store }) => check(startRun({ store, registry }, def, { params: {} })),
          cleanup: async ({ dir, store }) => {
            await store.close();
            diskBytes.push(await bytesUnder(dir));
            await tmp.remove(dir);
          },
        },
        REPS.persisted(n),
      );
      // one extra, untimed run through a counting wrapper: how many writes and bytes the store is asked for
      const tally = { writes: 0, bytes: 0 };
      const dir = tmp.fresh();
      const store = countingStore(await createJsonStore(dir), tally);
      await check(startRun({ store, registry }, def, { params: {} }));
      await store.close();
      await tmp.remove(dir);
      row(n, 'persisted', persisted.medianMs, ref.medianMs, persisted.samples, {
        diskBytesPerStep: round(median(diskBytes) / n, 0),
        writesPerStep: round(tally.writes / n, 2),
        writtenBytesPerStep: round(tally.bytes / n, 0),
      });
    }
  } finally {
    await tmp.dispose();
  }
  return {
    name: 'engine-overhead',
    title: 'engine overhead: N sequential no-op task steps',
    explain: [
      'reference = a plain for loop of N awaited no-op async functions (median, many loops per sample).',
      'memory    = startRun() with createMemoryStore() and persist: false (validation, compile, xstate actor, zod, journal in RAM).',
      'persisted = startRun() with createJsonStore(<fresh temp dir>): every snapshot put and journal append is fsynced.',
      'overhead us/step = (run ms - reference ms) * 1000 / N (empty for the reference itself);',
      'x reference = run ms / reference ms; every time is the median of its samples, after a warm-up.',
      'disk B/step = size of all files left in the data dir / N; writes/step and written B/step come from one extra',
      'untimed run through a counting store wrapper (puts + appends, JSON bytes incl. every snapshot rewrite, approximate).',
    ],
    columns: [
      { key: 'n', label: 'N' },
      { key: 'mode', label: 'mode' },
      { key: 'totalMs', label: 'total ms', digits: 4 },
      { key: 'perStepUs', label: 'overhead us/step', digits: 1 },
      { key: 'ratio', label: 'x reference', digits: 1 },
      { key: 'samples', label: 'samples' },
      { key: 'diskBytesPerStep', label: 'disk B/step' },
      { key: 'writesPerStep', label: 'writes/step', digits: 2 },
      { key: 'writtenBytesPerStep', label: 'written B/step' },
    ],
    rows,
    notes: growthNotes(rows),
    elapsedMs: performance.now() - t0,
  };
}
