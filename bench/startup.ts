// How fast `gravity` starts: `--help`, `list`, `runs` and `show <run>` (a real run made here, in a temp data dir),
// each a fresh process, against `node -e 0` spawned the same way from the same process; plus the files each one loads.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempRoot, median, round, type Repetitions } from './harness.js';
import { GRAVITY_BIN, loadedModules, packageOf } from './loaded-modules.js';
import type { BenchResult } from './report.js';

/** The ratio to `node -e 0` each command should stay under. */
const GOAL = 2.5;

export async function startupBench(o: { reps?: Repetitions } = {}): Promise<BenchResult> {
  const t0 = performance.now();
  const reps = o.reps ?? { min: 15, max: 41, budgetMs: 15000, warmup: 2 };
  const tmp = await createTempRoot('gravity-bench-start-');
  try {
    const env = { ...process.env, GRAVITY_HOME: join(tmp.path, 'data'), CI: 'true', FORCE_COLOR: '0' };
    const node = (args: string[]) => {
      const r = spawnSync(process.execPath, args, { env, encoding: 'utf8', cwd: tmp.path });
      if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      return r.stdout;
    };
    // one real run, so that `runs` and `show` read a record and a journal
    const def = join(tmp.path, 'hello.json');
    writeFileSync(
      def,
      JSON.stringify({
        id: 'bench:hello',
        machine: {
          id: 'bench:hello',
          initial: 'say',
          states: {
            say: { invoke: { src: 'log.info', input: { message: 'hello' } }, onDone: 'done' },
            done: { type: 'final' },
          },
        },
      }),
    );
    const { runId } = JSON.parse(node([GRAVITY_BIN, 'run', def, '--json'])) as { runId: string };

    const cases: Array<{ case: string; args: string[]; gravity?: string[] }> = [
      { case: 'node -e 0 (the reference)', args: ['-e', '0'] },
      { case: 'gravity --help', args: [GRAVITY_BIN, '--help'], gravity: ['--help'] },
      { case: 'gravity list', args: [GRAVITY_BIN, 'list'], gravity: ['list'] },
      { case: 'gravity runs', args: [GRAVITY_BIN, 'runs'], gravity: ['runs'] },
      { case: 'gravity show <run>', args: [GRAVITY_BIN, 'show', runId], gravity: ['show', runId] },
    ];
    // in rounds, each running every case once: the reference and the commands share the machine's load, which drifts
    // over seconds on a busy machine; a case's ratio is the median of its ratios to the reference of the same round
    const timeOnce = (args: string[]) => {
      const t0 = performance.now();
      node(args);
      return performance.now() - t0;
    };
    for (let w = 0; w < (reps.warmup ?? 1); w++) for (const c of cases) node(c.args);
    const samples: number[][] = cases.map(() => []);
    const started = performance.now();
    for (let n = 1; n <= reps.max; n++) {
      for (const [i, c] of cases.entries()) samples[i].push(timeOnce(c.args));
      if (n >= reps.min && performance.now() - started >= reps.budgetMs) break;
    }
    const timed = cases.map((c, i) => ({
      ...c,
      ms: median(samples[i]),
      ratio: median(samples[i].map((ms, k) => ms / samples[0][k])),
    }));
    const heaviest: string[] = [];
    const rows = timed.map((c) => {
      let modules: number | null = null;
      if (c.gravity) {
        const loaded = loadedModules(join(tmp.path, 'modules'), c.gravity, env);
        modules = loaded.files.length;
        const byPackage = new Map<string, number>();
        for (const f of loaded.files) byPackage.set(packageOf(f), (byPackage.get(packageOf(f)) ?? 0) + 1);
        const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 5);
        heaviest.push(`${c.case}: ${top.map(([p, n]) => `${p} ${n}`).join(', ')}`);
      }
      const ratio = c.ratio;
      return {
        case: c.case,
        ms: round(c.ms, 1),
        ratio: round(ratio, 2),
        modules,
        goal: c.gravity ? (ratio <= GOAL ? 'ok' : `> ${GOAL}x`) : '',
      };
    });
    return {
      name: 'startup',
      title: 'Start time of the CLI: a fresh process per command, against `node -e 0`',
      explain: [
        'Each case spawns node and waits for it to exit (the same spawnSync for the reference); the cases run in turn,',
        `round after round (${samples[0].length} rounds): ms is the median of a case, the ratio the median of its ratios to the reference of the same round.`,
        `modules: the files the command loads (ES and CommonJS, ours and node_modules'); the goal is ${GOAL}x node -e 0.`,
      ],
      columns: [
        { key: 'case', label: 'case' },
        { key: 'ms', label: 'ms', digits: 1 },
        { key: 'ratio', label: 'x node -e 0', digits: 2 },
        { key: 'modules', label: 'modules' },
        { key: 'goal', label: `goal ${GOAL}x` },
      ],
      rows,
      notes: ['most files loaded, by package:', ...heaviest.map((h) => `  ${h}`)],
      elapsedMs: performance.now() - t0,
    };
  } finally {
    await tmp.dispose();
  }
}
