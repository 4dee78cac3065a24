// `gravity test`: runs git-workflow scenarios as a suite (filter, jobs, keep, matrix, plain/json/junit reporters).
import {
  BadInputError,
  createJsonStore,
  resolveParams,
  startRun,
  type RunResult,
  type Store,
} from '../../engine/index.js';
import type { App } from '../app.js';
import { Exit } from '../format.js';
import { examplesDir, findScenarioFiles, loadScenario, type LoadedScenario } from '../scenarios.js';
import { reporters, type CaseResult } from '../reporters.js';

/** Options of `gravity test`. */
export interface TestOptions {
  filter?: string;
  /** Scenarios run at once (1 to 64). */
  jobs?: number;
  keep?: boolean;
  reporter?: string;
  matrix?: boolean;
  transport?: string;
  branch?: string;
}

/** One run of one scenario in one "universe" (transport x default branch). */
interface Case {
  scenario: LoadedScenario;
  transport: string;
  branch: string;
}

const TRANSPORTS = ['file', 'daemon', 'http'];
const BRANCHES = ['main', 'master'];

/** Runs `fn` over `items` with at most `n` running at once, keeping result order. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

async function runCase(app: App, store: Store, c: Case, keep: boolean): Promise<CaseResult> {
  const started = performance.now();
  const def = c.scenario.definition;
  let result: RunResult;
  try {
    const params = resolveParams(
      def,
      def.params?.transport ? { transport: c.transport, defaultBranch: c.branch, keep } : {},
    );
    // persisted in the data dir like any run, so a failed scenario can be inspected with `gravity show <run>`
    result = await startRun({ ...(await app.engine()), store }, def, {
      params,
      source: { kind: 'file', ref: c.scenario.file },
    });
  } catch (e) {
    return {
      name: c.scenario.name,
      file: c.scenario.file,
      transport: c.transport,
      branch: c.branch,
      status: 'failed',
      durationMs: performance.now() - started,
      message: (e as Error).message,
    };
  }
  // the last failure is the one that ended the run (an earlier one may have been expected, see expectFailure)
  const failedStep = [...result.steps].reverse().find((s) => s.status === 'failed' && s.task !== 'galaxy.stop');
  const root =
    (result.output as { root?: string } | undefined)?.root ??
    (result.steps.find((s) => s.id === 'galaxy')?.output as { root?: string } | undefined)?.root;
  return {
    name: c.scenario.name,
    file: c.scenario.file,
    transport: c.transport,
    branch: c.branch,
    runId: result.runId,
    status: result.status === 'succeeded' ? 'passed' : 'failed',
    durationMs: performance.now() - started,
    steps: result.steps.length,
    ...(result.status !== 'succeeded'
      ? {
          step: failedStep?.id ?? result.error?.step,
          message: failedStep?.error?.message ?? result.error?.message ?? result.status,
        }
      : {}),
    ...(keep && root ? { kept: root } : {}),
  };
}

/** `gravity test [paths...]`. Exit 1 when any scenario fails, 2 on bad input. */
export async function testCommand(app: App, paths: string[], o: TestOptions): Promise<number> {
  const reporter = reporters[o.reporter ?? 'plain'];
  if (!reporter) throw new BadInputError(`unknown reporter "${o.reporter}": expected plain, json or junit`);
  // checked by the option's parser (cli/options.ts) when it comes from the command line
  const jobs = o.jobs ?? 1;
  const files = findScenarioFiles(paths.length ? paths : [examplesDir()]);
  let scenarios = await Promise.all(files.map(async (f) => loadScenario(f, await app.loader())));
  if (o.filter) {
    const f = o.filter.toLowerCase();
    scenarios = scenarios.filter(
      (s) => s.name.toLowerCase().includes(f) || s.file.toLowerCase().includes(f) || s.definition.id.includes(f),
    );
  }
  if (!scenarios.length)
    throw new BadInputError(
      `no scenario found${o.filter ? ` matching "${o.filter}"` : ''} in ${paths.join(', ') || examplesDir()}`,
    );
  for (const [flag, v, allowed] of [
    ['--transport', o.transport, TRANSPORTS],
    ['--branch', o.branch, null],
  ] as const) {
    if (v !== undefined && allowed && !allowed.includes(v))
      throw new BadInputError(`${flag} must be one of ${allowed.join(', ')}, got "${v}"`);
  }
  const cases: Case[] = scenarios.flatMap((scenario) =>
    o.matrix
      ? TRANSPORTS.flatMap((transport) => BRANCHES.map((branch) => ({ scenario, transport, branch })))
      : [{ scenario, transport: o.transport ?? 'file', branch: o.branch ?? 'main' }],
  );
  // scenario runs are tests: kept in the data dir (gravity show works) but not fsynced, which would dominate their time
  const store = await createJsonStore(app.dataDir, { durable: false });
  const started = performance.now();
  reporter.start?.(cases.length, process.stdout);
  const results = await pool(cases, jobs, async (c) => {
    const r = await runCase(app, store, c, o.keep === true);
    reporter.case?.(r, process.stdout);
    return r;
  });
  reporter.end(results, performance.now() - started, process.stdout);
  await store.close();
  return results.every((r) => r.status === 'passed') ? Exit.Ok : Exit.Failed;
}
