// Entry point of `npm run bench`: runs every registered benchmark in one process and prints tables plus BENCH_JSON.
import { cpus, platform, release } from 'node:os';
import { benchJsonLine, printResult, type BenchResult, type Benchmark } from './report.js';

/**
 * Every benchmark, in the order they run. To add one: write `bench/<name>.ts` exporting an async
 * function that returns a BenchResult (see bench/report.ts; time it with bench/harness.ts), then list it here.
 * Each is imported when it runs: `npm run bench -- startup` loads neither the engine nor the galaxy scenarios.
 */
export const benchmarks: Benchmark[] = [
  { name: 'engine-overhead', run: async () => (await import('./engine-overhead.js')).engineOverhead() },
  { name: 'bpmn', run: async () => (await import('./bpmn.js')).bpmnBench() },
  { name: 'galaxy', run: async () => (await import('./galaxy.js')).galaxyBench() },
  { name: 'supervisor', run: async () => (await import('./supervisor.js')).supervisorBench() },
  { name: 'startup', run: async () => (await import('./startup.js')).startupBench() },
  { name: 'gitlab', run: async () => (await import('./gitlab.js')).gitlabBench() },
  { name: 'serve', run: async () => (await import('./serve.js')).serveBench() },
];

const USAGE = `usage: npm run bench [-- [--list] [name ...]]
  name ...  run only these benchmarks (default: all, in order)
  --list    print the benchmark names and exit`;

/** `npm run bench [-- name ...]`: runs the named benchmarks (default all). */
async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  if (argv.includes('--list')) {
    for (const b of benchmarks) console.log(b.name);
    return;
  }
  const wanted = argv.filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !benchmarks.some((b) => b.name === w));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`);
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const selected = wanted.length ? benchmarks.filter((b) => wanted.includes(b.name)) : benchmarks;
  const env = {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
  };

  console.log('gravity benchmarks');
  console.log('Each benchmark measures a reference in the same process and reports ratios against it,');
  console.log('so numbers compare across machines only as ratios. Times are medians after a warm-up.');
  console.log(`node ${env.node} on ${env.platform}, ${env.cores} x ${env.cpu}`);
  console.log('');

  const t0 = performance.now();
  const results: BenchResult[] = [];
  for (const b of selected) {
    const r = await b.run();
    results.push(r);
    printResult(r);
  }
  const totalMs = performance.now() - t0;
  console.log(`all benchmarks took ${(totalMs / 1000).toFixed(1)} s`);
  console.log(benchJsonLine(results, { at: new Date().toISOString(), ...env, totalMs: Math.round(totalMs) }));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
