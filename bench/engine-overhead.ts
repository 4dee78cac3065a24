// What the engine costs per step: N no-op task steps run in memory and persisted, against a plain await loop, a
// hand-written xstate machine of N invoked promise actors, and the disk's floor (the same appends and snapshot writes,
// done bare).
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { createActor, createMachine, fromPromise, toPromise } from 'xstate';
import { z } from 'zod';
import {
  createJsonStore,
  createMemoryStore,
  createRegistry,
  defineTask,
  forEach,
  sequence,
  startRun,
  task,
  workflow,
} from '../engine/index.js';
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
  return workflow({
    id: `bench:noop-${n}`,
    steps: sequence(...Array.from({ length: n }, (_, k) => task(`s${k}`, 'bench.noop', { i: k }))),
  });
}

/** The same `n` no-ops as one for-each over the items 0 .. n-1: each item a step of its own (`each:<i>`). */
export function noopForEach(n: number): Definition {
  return workflow({
    id: `bench:each-${n}`,
    steps: forEach(
      'each',
      Array.from({ length: n }, (_, k) => k),
      task('s', 'bench.noop', { i: '=item' }),
    ),
  });
}

/**
 * The xstate reference: a machine written by hand with N states `s0 .. s<n-1>`, each invoking the same no-op as a
 * promise actor and moving on when it resolves. What the engine adds on top of it is its own cost.
 */
export function xstateMachine(n: number) {
  const states: Record<string, object> = {};
  for (let k = 0; k < n; k++) {
    states[`s${k}`] = {
      invoke: { src: 'noop', input: { i: k }, onDone: { target: k + 1 < n ? `s${k + 1}` : 'done' } },
    };
  }
  states.done = { type: 'final' };
  return createMachine(
    { id: `noop-${n}`, initial: 's0', states },
    { actors: { noop: fromPromise(({ input }: { input: { i: number } }) => noop(input)) } },
  );
}

/** Runs the hand-written xstate machine to its final state. */
async function runXstate(machine: ReturnType<typeof xstateMachine>): Promise<void> {
  const actor = createActor(machine);
  const done = toPromise(actor);
  actor.start();
  await done;
}

/** What one persisted run asks of the store: appends (journal lines) and puts (snapshots, records), with their bytes. */
interface Tally {
  appends: number;
  appendBytes: number;
  puts: number;
  putBytes: number;
}

/**
 * The disk's floor for `n` durable steps: `n` appends of a journal-line-sized record to one open file, each followed by
 * fdatasync. A step that survives a crash cannot cost less: its start must be on disk before its work begins (its end
 * can ride with the next step's start). No JSON, no locks, no snapshot: what durability cannot go below.
 */
async function diskFloor(dir: string, n: number, lineBytes: number): Promise<void> {
  const line = Buffer.alloc(Math.max(1, lineBytes), 'x');
  line[line.length - 1] = 10;
  const log = await open(join(dir, 'journal.jsonl'), 'a');
  try {
    for (let k = 0; k < n; k++) {
      await log.write(line);
      await log.datasync();
    }
  } finally {
    await log.close();
  }
}

/** Sample counts per mode and N: cheap cases get many samples, persisted N=1000 (fsync per write) only a few. */
const REPS: Record<'reference' | 'memory' | 'persisted', (n: number) => Repetitions> = {
  reference: () => ({ min: 15, max: 60, budgetMs: 300, warmup: 3 }),
  memory: (n) =>
    n <= 10
      ? { min: 30, max: 400, budgetMs: 1500, warmup: 20 }
      : n <= 100
        ? { min: 15, max: 100, budgetMs: 2500, warmup: 3 }
        : { min: 7, max: 20, budgetMs: 4000 },
  persisted: (n) =>
    n <= 10
      ? { min: 15, max: 60, budgetMs: 3000, warmup: 3 }
      : n <= 100
        ? { min: 7, max: 25, budgetMs: 6000 }
        : { min: 3, max: 5, budgetMs: 12000, warmup: 0 },
};

/** Wraps a store to count the put/append calls and the (approximate) JSON bytes they carry, rewrites included. */
function countingStore(inner: Store, tally: Tally): Store {
  const size = (v: unknown, indent?: number) => Buffer.byteLength(JSON.stringify(v, null, indent) ?? '');
  return {
    location: inner.location,
    get: (k) => inner.get(k),
    put: (k, v, o) => (tally.puts++, (tally.putBytes += size(v, 2)), inner.put(k, v, o)),
    update: (k, fn) => (
      tally.puts++,
      inner.update(k, (old) => {
        const next = fn(old);
        tally.putBytes += size(next, 2);
        return next;
      })
    ),
    delete: (k, o) => inner.delete(k, o),
    list: (p) => inner.list(p),
    scan: (p) => inner.scan(p),
    locate: (k, kind) => inner.locate(k, kind),
    append: (k, r, o) => (tally.appends++, (tally.appendBytes += size(r) + 1), inner.append(k, r, o)),
    syncLog: (k) => inner.syncLog(k),
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
    notes.push(
      `${what}: ${first[key]} at N=${first.n} -> ${last[key]} at N=${last.n} (x${factor.toFixed(1)} per step for x${(last.n as number) / (first.n as number)} steps)`,
    );
  }
  return notes;
}

/** The two ratios the design is held to: memory vs the hand-written xstate machine, persisted vs the disk's floor. */
function ratioNotes(rows: Array<Record<string, Cell>>): string[] {
  const pick = (mode: string, key: string) =>
    rows.filter((r) => r.mode === mode && typeof r[key] === 'number').map((r) => `${r[key]} at N=${r.n}`);
  // what one more step costs, between the two largest N: the run's fixed start and end (its lock, record and
  // definition, written durably once) left out
  const at = (mode: string) => rows.filter((r) => r.mode === mode).slice(-2);
  const [p1, p2] = at('persisted');
  const [f1, f2] = at('floor');
  const marginal =
    p1 && p2 && f1 && f2
      ? [
          `persisted per extra step vs floor per step (N=${p1.n} -> ${p2.n}): ${round(
            ((p2.totalMs as number) - (p1.totalMs as number)) / ((f2.totalMs as number) - (f1.totalMs as number)),
            2,
          )} (${round((((p2.totalMs as number) - (p1.totalMs as number)) * 1000) / ((p2.n as number) - (p1.n as number)), 0)} us vs ${round((((f2.totalMs as number) - (f1.totalMs as number)) * 1000) / ((f2.n as number) - (f1.n as number)), 0)} us)`,
        ]
      : [];
  return [
    `memory vs hand-written xstate (goal <= 1.5): ${pick('memory', 'vsXstate').join(', ')}`,
    `persisted vs disk floor (goal <= 2): ${pick('persisted', 'vsFloor').join(', ')}`,
    `for-each of N items vs N steps, memory (goal <= 1): ${pick('each-memory', 'vsSequence').join(', ')}`,
    `for-each of N items vs N steps, persisted (goal <= 1): ${pick('each-persisted', 'vsSequence').join(', ')}`,
    ...marginal,
  ];
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
    rows.push({
      n,
      mode,
      totalMs: round(ms, 5),
      perStepUs: mode === 'reference' ? null : round(((ms - refMs) * 1000) / n, 1),
      ratio: round(ms / refMs, 1),
      vsXstate: null,
      vsFloor: null,
      vsSequence: null,
      samples,
      diskBytesPerStep: null,
      writesPerStep: null,
      writtenBytesPerStep: null,
      ...extra,
    });
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

      const machine = xstateMachine(n);
      const xs = await measure({ run: () => runXstate(machine) }, REPS.memory(n));
      row(n, 'xstate', xs.medianMs, ref.medianMs, xs.samples);

      const mem = await measure(
        { run: () => check(startRun({ store: createMemoryStore(), registry, persist: false }, def, { params: {} })) },
        REPS.memory(n),
      );
      row(n, 'memory', mem.medianMs, ref.medianMs, mem.samples, { vsXstate: round(mem.medianMs / xs.medianMs, 2) });

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
      const tally: Tally = { appends: 0, appendBytes: 0, puts: 0, putBytes: 0 };
      const dir = tmp.fresh();
      const store = countingStore(await createJsonStore(dir), tally);
      await check(startRun({ store, registry }, def, { params: {} }));
      await store.close();
      await tmp.remove(dir);

      // the floor: one synced append of a journal line (of the run's mean size) per step, done bare
      const floor = await measure(
        {
          prepare: async () => {
            const d = tmp.fresh();
            await mkdir(d, { recursive: true });
            return d;
          },
          run: (d) => diskFloor(d, n, Math.round(tally.appendBytes / Math.max(1, tally.appends))),
          cleanup: (d) => tmp.remove(d),
        },
        REPS.persisted(n),
      );
      row(n, 'floor', floor.medianMs, ref.medianMs, floor.samples, {
        writesPerStep: round((tally.appends + tally.puts) / n, 2),
        writtenBytesPerStep: round((tally.appendBytes + tally.putBytes) / n, 0),
      });
      row(n, 'persisted', persisted.medianMs, ref.medianMs, persisted.samples, {
        diskBytesPerStep: round(median(diskBytes) / n, 0),
        writesPerStep: round((tally.appends + tally.puts) / n, 2),
        writtenBytesPerStep: round((tally.appendBytes + tally.putBytes) / n, 0),
        vsFloor: round(persisted.medianMs / floor.medianMs, 2),
      });

      // the same no-ops as the items of one for-each: per item, no more than a step (x sequence <= 1)
      const each = noopForEach(n);
      const eachMem = await measure(
        { run: () => check(startRun({ store: createMemoryStore(), registry, persist: false }, each, { params: {} })) },
        REPS.memory(n),
      );
      row(n, 'each-memory', eachMem.medianMs, ref.medianMs, eachMem.samples, {
        vsSequence: round(eachMem.medianMs / mem.medianMs, 2),
      });
      const eachPersisted = await measure(
        {
          prepare: async () => {
            const dir = tmp.fresh();
            return { dir, store: await createJsonStore(dir) };
          },
          run: ({ store }) => check(startRun({ store, registry }, each, { params: {} })),
          cleanup: async ({ dir, store }) => {
            await store.close();
            await tmp.remove(dir);
          },
        },
        REPS.persisted(n),
      );
      row(n, 'each-persisted', eachPersisted.medianMs, ref.medianMs, eachPersisted.samples, {
        vsSequence: round(eachPersisted.medianMs / persisted.medianMs, 2),
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
      "persisted = startRun() with createJsonStore(<fresh temp dir>): each step's start synced in the journal (its end",
      "            written, synced with the next start), snapshots as checkpoints (start, end, every 128 states), the run's",
      '            record, definition and lock written durably at its start and end.',
      'overhead us/step = (run ms - reference ms) * 1000 / N (empty for the reference itself);',
      'x reference = run ms / reference ms; every time is the median of its samples, after a warm-up.',
      'disk B/step = size of all files left in the data dir / N; writes/step and written B/step come from one extra',
      'untimed run through a counting store wrapper (puts + appends, JSON bytes incl. every snapshot rewrite, approximate).',
      'xstate    = a hand-written xstate machine of N states, each invoking the same no-op as a promise actor;',
      '            x xstate (memory rows) = memory ms / xstate ms: what the engine adds to xstate itself (goal: at most 1.5).',
      "floor     = N appends of a journal-line-sized record (the run's mean) to one file, each followed by fdatasync:",
      '            a durable step cannot cost less (its start is on disk before its work; its end rides with the next start);',
      "            x floor (persisted rows) = persisted ms / floor ms: the whole engine against the disk's own cost (goal <= 2).",
      'each-*    = the same N no-ops as the items of one forEach (each item a journaled step <id>:<i>); x sequence =',
      '            for-each ms / the N-step sequence ms in the same mode: a for-each costs no more per item than a step (goal <= 1).',
    ],
    columns: [
      { key: 'n', label: 'N' },
      { key: 'mode', label: 'mode' },
      { key: 'totalMs', label: 'total ms', digits: 4 },
      { key: 'perStepUs', label: 'overhead us/step', digits: 1 },
      { key: 'ratio', label: 'x reference', digits: 1 },
      { key: 'vsXstate', label: 'x xstate', digits: 2 },
      { key: 'vsFloor', label: 'x floor', digits: 2 },
      { key: 'vsSequence', label: 'x sequence', digits: 2 },
      { key: 'samples', label: 'samples' },
      { key: 'diskBytesPerStep', label: 'disk B/step' },
      { key: 'writesPerStep', label: 'writes/step', digits: 2 },
      { key: 'writtenBytesPerStep', label: 'written B/step' },
    ],
    rows,
    notes: [...growthNotes(rows), ...ratioNotes(rows)],
    elapsedMs: performance.now() - t0,
  };
}
