// What the step supervisor costs per step: persisted runs of N `exec.run` steps of `true`, supervised (the default)
// and not (`supervised: false`), against the bare spawn of the same command in the same process.
import { join } from 'node:path';
import { createJsonStore, createRegistry, exec, sequence, startRun, task, workflow } from '../engine/index.js';
import type { Definition } from '../engine/index.js';
import { superviseCommand, supervisorPid } from '../engine/supervisor.js';
import { execRun } from '../tasks/exec/run.js';
import { createTempRoot, measure, round, type Repetitions } from './harness.js';
import type { BenchResult } from './report.js';

function trueSteps(n: number, supervised: boolean): Definition {
  return workflow({
    id: `bench:true-${n}-${supervised ? 'sup' : 'plain'}`,
    steps: sequence(...Array.from({ length: n }, (_, k) => task(`s${k}`, 'exec.run', { command: 'true', supervised }))),
  });
}

export async function supervisorBench(o: { steps?: number; reps?: Repetitions } = {}): Promise<BenchResult> {
  const t0 = performance.now();
  const n = o.steps ?? 10;
  const reps = o.reps ?? { min: 5, max: 30, budgetMs: 4000, warmup: 1 };
  const tmp = await createTempRoot('gravity-bench-sup-');
  try {
    const store = await createJsonStore(join(tmp.path, 'data'));
    const engine = {
      store,
      registry: createRegistry(execRun),
      filesDir: (id: string) => join(tmp.path, 'files', id),
    };
    // the one-time start of the supervisor process (first supervised command of an engine process)
    const started = performance.now();
    await superviseCommand(join(tmp.path, 'first'), 'true', []);
    const startMs = performance.now() - started;
    const supervisor = supervisorPid();

    const bare = await measure({ run: () => exec('true', []), inner: n }, reps);
    const supervisedBare = await measure(
      { run: async () => superviseCommand(tmp.fresh(), 'true', []), inner: n },
      reps,
    );
    const runOf = (def: Definition) => measure({ run: () => startRun(engine, def, { params: {} }) }, reps);
    const plain = await runOf(trueSteps(n, false));
    const sup = await runOf(trueSteps(n, true));
    await store.close();
    const perStep = (ms: number) => ms / n;
    const rows = [
      { case: 'spawn `true` (execa, the reference)', ms: bare.medianMs, ratio: 1 },
      {
        case: 'spawn `true` under the supervisor',
        ms: supervisedBare.medianMs,
        ratio: supervisedBare.medianMs / bare.medianMs,
      },
      {
        case: 'exec.run step, supervised: false',
        ms: perStep(plain.medianMs),
        ratio: perStep(plain.medianMs) / bare.medianMs,
      },
      {
        case: 'exec.run step, supervised (default)',
        ms: perStep(sup.medianMs),
        ratio: perStep(sup.medianMs) / bare.medianMs,
      },
    ].map((r) => ({ ...r, ms: round(r.ms, 2), ratio: round(r.ratio, 2) }));
    const added = perStep(sup.medianMs) - perStep(plain.medianMs);
    return {
      name: 'supervisor',
      title: `The step supervisor: cost per exec.run step (${n} steps of \`true\`, persisted, JSON store)`,
      explain: [
        'A supervised step has its command spawned by the step supervisor (a detached process, over IPC), with its',
        'command.json (fsync’ed before the spawn) and status.json (fsync’ed) in the run’s folder, so it outlives the CLI.',
        'Ratios are against spawning the same command directly from this process (median per command).',
      ],
      columns: [
        { key: 'case', label: 'case' },
        { key: 'ms', label: 'ms per step', digits: 2 },
        { key: 'ratio', label: 'x spawn', digits: 2 },
      ],
      rows,
      notes: [
        `supervision adds ${round(added, 2)} ms per exec.run step (${round(perStep(sup.medianMs) / perStep(plain.medianMs), 2)}x an unsupervised one)`,
        `starting the supervisor (once per engine process, pid ${supervisor}) took ${round(startMs, 1)} ms`,
      ],
      elapsedMs: performance.now() - t0,
    };
  } finally {
    await tmp.dispose();
  }
}
