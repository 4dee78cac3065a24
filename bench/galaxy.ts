// The five galaxy example scenarios through the engine vs the same git commands in plain bash scripts, and scenarios/min at --jobs 1 and 2.
import { pool } from '../cli/commands/test.js';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance as perfHooks } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createMemoryStore,
  exec,
  resolveParams,
  startRun,
  type Definition,
  type RunEvent,
  type RunResult,
} from '../engine/index.js';
import { createDefaultRegistry } from '../tasks/index.js';
import { GIT_ENV } from '../tasks/support/git.js';
import concurrentPush from '../workflows/galaxy/examples/concurrent-push.scenario.js';
import featureBranch from '../workflows/galaxy/examples/feature-branch.scenario.js';
import gitFlow from '../workflows/galaxy/examples/git-flow.scenario.js';
import protectedMain from '../workflows/galaxy/examples/protected-main.scenario.js';
import rebaseConflict from '../workflows/galaxy/examples/rebase-conflict.scenario.js';
import { findWorkflow } from '../workflows/index.js';
import { measure, median, round } from './harness.js';
import type { BenchResult, Cell } from './report.js';

const execFileP = promisify(execFile);

/** Folder of the shell twins: next to this file under tsx; from dist/bench, the sources' bench/galaxy. */
function scriptsDir(): string {
  const here = fileURLToPath(new URL('./galaxy/', import.meta.url));
  return existsSync(join(here, 'lib.sh')) ? here : resolve(here, '../../../bench/galaxy');
}

/** One example scenario and its plain-shell twin `bench/galaxy/<name>.sh`. */
interface GalaxyCase {
  name: string;
  definition: Definition;
  script: string;
}

function cases(): GalaxyCase[] {
  const dir = scriptsDir();
  const all: Array<[string, Definition]> = [
    ['concurrent-push', concurrentPush.definition],
    ['feature-branch', featureBranch.definition],
    ['git-flow', gitFlow.definition],
    ['protected-main', protectedMain.definition],
    ['rebase-conflict', rebaseConflict.definition],
  ];
  return all.map(([name, definition]) => ({ name, definition, script: join(dir, `${name}.sh`) }));
}

/** The "universe" every run uses: as `gravity test` with its defaults. */
const PARAMS = { transport: 'file', defaultBranch: 'main', keep: false };

const registry = createDefaultRegistry();

/** What one engine run's events say: git processes spawned and time spent inside task run() (sum of step durations). */
interface Tally {
  gitSpawns: number;
  inTaskMs: number;
}

/** Runs a scenario as `gravity test` does (memory store, no persistence, default registry and catalog); throws unless it passes. */
async function runEngine(def: Definition, tally?: Tally): Promise<RunResult> {
  const onEvent = tally
    ? (e: RunEvent) => {
        if (e.type === 'task.process' && e.command?.[0] === 'git') tally.gitSpawns++;
        if ((e.type === 'task.finished' || e.type === 'task.failed') && typeof e.durationMs === 'number')
          tally.inTaskMs += e.durationMs;
      }
    : undefined;
  const params = resolveParams(def, PARAMS);
  const r = await startRun(
    {
      store: createMemoryStore(),
      registry,
      resolveWorkflow: findWorkflow,
      persist: false,
      root: process.cwd(),
      onEvent,
    },
    def,
    { params },
  );
  if (r.status !== 'succeeded') {
    const failed = r.steps.find((s) => s.status === 'failed' && s.task !== 'galaxy.stop');
    throw new Error(`scenario ${def.id} ended ${r.status}: ${failed?.error?.message ?? r.error?.message ?? ''}`);
  }
  return r;
}

/** Runs a shell twin with bash (argument array, no shell in between); throws with its stderr unless it exits 0. */
async function runShell(script: string, bashFlags: string[] = []): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileP('bash', [...bashFlags, script], { encoding: 'utf8', maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as { code?: unknown; stderr?: string };
    throw new Error(
      `bash ${script} exited with ${String(err.code)}:\n${(err.stderr ?? '').split('\n').slice(-15).join('\n')}`,
    );
  }
}

/** External processes a shell twin starts, counted from one `bash -x` run: git ones, and the rest (mktemp, mkdir, cat...). */
async function shellSpawns(script: string): Promise<{ git: number; other: number }> {
  const { stderr } = await runShell(script, ['-x']);
  const traced = stderr
    .split('\n')
    .filter((l) => /^\++ /.test(l))
    .map((l) => l.replace(/^\++ /, '').split(' ')[0]);
  return {
    git: traced.filter((c) => c === 'git').length,
    other: traced.filter((c) => ['mktemp', 'mkdir', 'rm', 'chmod', 'cat'].includes(c)).length,
  };
}

/** Per-command cost of a cheap git command, alone and with two at once (ms of wall time per command). */
interface SpawnCosts {
  execMs: number;
  execPar2Ms: number;
  execFileMs: number;
  bashMs: number;
  bashPar2Ms: number;
}

/** Times `git rev-parse --verify -q HEAD^{commit}` through the engine's exec (execa), plain execFile, and a bash loop. */
async function spawnCosts(perSample: number): Promise<SpawnCosts> {
  const dir = await mkdtemp(join(tmpdir(), 'gravity-bench-git-'));
  try {
    await execFileP('git', ['init', '-q', '-b', 'main', dir]);
    await execFileP(
      'git',
      ['-c', 'user.name=b', '-c', 'user.email=b@bench.invalid', 'commit', '-q', '--allow-empty', '-m', 'x'],
      { cwd: dir },
    );
    const args = ['rev-parse', '--verify', '-q', 'HEAD^{commit}'];
    const env = { ...process.env, ...GIT_ENV };
    const reps = { min: 3, max: 3, budgetMs: 0, warmup: 1 };
    const viaExec = () => exec('git', args, { cwd: dir, env: GIT_ENV });
    const execAlone = await measure({ inner: perSample, run: viaExec }, reps);
    const execPar2 = await measure({ inner: perSample / 2, run: () => Promise.all([viaExec(), viaExec()]) }, reps);
    const viaExecFile = await measure({ inner: perSample, run: () => execFileP('git', args, { cwd: dir, env }) }, reps);
    const loop = (n: number) =>
      `for ((i = 0; i < ${n}; i++)); do git rev-parse --verify -q 'HEAD^{commit}' >/dev/null; done`;
    const bash = async (script: string) =>
      (await measure({ run: () => execFileP('bash', ['-c', script], { cwd: dir, env }) }, reps)).medianMs;
    const empty = await bash(loop(0));
    const alone = await bash(loop(perSample));
    const par2 = await bash(`(${loop(perSample / 2)}) & (${loop(perSample / 2)}) & wait`);
    return {
      execMs: execAlone.medianMs,
      execPar2Ms: execPar2.medianMs / 2,
      execFileMs: viaExecFile.medianMs,
      bashMs: (alone - empty) / perSample,
      bashPar2Ms: (par2 - empty) / perSample,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Options: samples per scenario and side, rounds of the five scenarios in the throughput runs. */
export interface GalaxyBenchOptions {
  samples?: number;
  rounds?: number;
}

/** Per scenario engine vs shell (medians, alternating samples), then throughput of the suite at --jobs 1 and 2. */
export async function galaxyBench(options: GalaxyBenchOptions = {}): Promise<BenchResult> {
  const t0 = performance.now();
  const samples = options.samples ?? 5;
  const rounds = options.rounds ?? 4;
  const all = cases();
  for (const c of all) if (!existsSync(c.script)) throw new Error(`missing shell twin ${c.script}`);
  const rows: Array<Record<string, Cell>> = [];
  const empty = {
    jobs: null,
    runs: null,
    engineMs: null,
    shellMs: null,
    ratio: null,
    steps: null,
    gitEngine: null,
    gitShell: null,
    extraGitMs: null,
    inTaskMs: null,
    glueMs: null,
    enginePerMin: null,
    shellPerMin: null,
    speedup: null,
    nodeBusyPct: null,
  };

  const spawn = await spawnCosts(20);

  let sumEngine = 0;
  let sumShell = 0;
  let sumGlue = 0;
  let sumSteps = 0;
  let shellOther = 0;
  for (const c of all) {
    // warm-up, once each: the engine run, and the shell run traced with bash -x to count its processes
    await runEngine(c.definition);
    const sh = await shellSpawns(c.script);
    shellOther += sh.other;
    const engineMs: number[] = [];
    const shellMs: number[] = [];
    const inTask: number[] = [];
    const glue: number[] = [];
    let gitEngine = 0;
    let steps = 0;
    for (let k = 0; k < samples; k++) {
      const tally: Tally = { gitSpawns: 0, inTaskMs: 0 };
      let s = performance.now();
      const r = await runEngine(c.definition, tally);
      const ms = performance.now() - s;
      engineMs.push(ms);
      inTask.push(tally.inTaskMs);
      glue.push(ms - tally.inTaskMs);
      gitEngine = tally.gitSpawns;
      steps = r.steps.length;
      s = performance.now();
      await runShell(c.script);
      shellMs.push(performance.now() - s);
    }
    const e = median(engineMs);
    const sh1 = median(shellMs);
    sumEngine += e;
    sumShell += sh1;
    sumGlue += median(glue);
    sumSteps += steps;
    rows.push({
      case: c.name,
      ...empty,
      jobs: 1,
      runs: samples,
      engineMs: round(e, 0),
      shellMs: round(sh1, 0),
      ratio: round(e / sh1, 2),
      steps,
      gitEngine,
      gitShell: sh.git,
      extraGitMs: round((gitEngine - sh.git) * spawn.execMs, 0),
      inTaskMs: round(median(inTask), 0),
      glueMs: round(median(glue), 0),
    });
  }
  rows.push({
    case: 'all 5 (sum of medians)',
    ...empty,
    jobs: 1,
    runs: samples,
    engineMs: round(sumEngine, 0),
    shellMs: round(sumShell, 0),
    ratio: round(sumEngine / sumShell, 2),
    steps: sumSteps,
    gitEngine: rows.reduce((a, r) => a + (r.gitEngine as number), 0),
    gitShell: rows.reduce((a, r) => a + (r.gitShell as number), 0),
    extraGitMs: rows.reduce((a, r) => a + (r.extraGitMs as number), 0),
    inTaskMs: rows.reduce((a, r) => a + (r.inTaskMs as number), 0),
    glueMs: round(sumGlue, 0),
  });

  // throughput: `rounds` x the five scenarios through a pool of 1 and of 2, engine then shell
  const items = Array.from({ length: rounds }, () => all).flat();
  const wall: Record<string, number> = {};
  const busy: Record<string, number> = {};
  for (const side of ['engine', 'shell'] as const) {
    for (const jobs of [1, 2]) {
      const elu = perfHooks.eventLoopUtilization();
      const s = performance.now();
      await pool(items, jobs, async (c): Promise<unknown> =>
        side === 'engine' ? runEngine(c.definition) : runShell(c.script),
      );
      wall[`${side}${jobs}`] = performance.now() - s;
      busy[`${side}${jobs}`] = perfHooks.eventLoopUtilization(elu).utilization;
    }
  }
  const perMin = (ms: number) => round((items.length * 60_000) / ms, 1);
  for (const jobs of [1, 2]) {
    const e = wall[`engine${jobs}`];
    const s = wall[`shell${jobs}`];
    rows.push({
      case: `suite x${rounds} (${items.length} runs)`,
      ...empty,
      jobs,
      runs: items.length,
      engineMs: round(e, 0),
      shellMs: round(s, 0),
      ratio: round(e / s, 2),
      enginePerMin: perMin(e),
      shellPerMin: perMin(s),
      speedup: jobs === 1 ? null : round(wall.engine1 / e, 2),
      nodeBusyPct: round(busy[`engine${jobs}`] * 100, 0),
    });
  }

  // where the engine's extra time goes: extra git processes, dearer spawns of the shared ones, glue between steps
  const total = rows.find((r) => r.case === 'all 5 (sum of medians)')!;
  const gitE = total.gitEngine as number;
  const gitS = total.gitShell as number;
  const gap = sumEngine - sumShell;
  const extraMs = (gitE - gitS) * spawn.execMs;
  const dearerMs = gitS * (spawn.execMs - spawn.bashMs);
  const notes = [
    `one cheap git command (rev-parse), ms per command: engine exec (execa, own process group) ${round(spawn.execMs, 2)} alone, ${round(spawn.execPar2Ms, 2)} with 2 at once` +
      ` (x${round(spawn.execMs / spawn.execPar2Ms, 2)}); plain execFile ${round(spawn.execFileMs, 2)}; bash loop ${round(spawn.bashMs, 2)} alone, ${round(spawn.bashPar2Ms, 2)} with 2 at once (x${round(spawn.bashMs / spawn.bashPar2Ms, 2)})`,
    `the engine takes ${round(gap, 0)} ms more than bash over the five scenarios (sum of medians), estimated as:`,
    `  ${round(extraMs, 0)} ms for its ${gitE - gitS} extra git processes (${gitE} vs ${gitS}: rev-parse/symbolic-ref/remote/diff --cached checks around each command) x ${round(spawn.execMs, 2)} ms`,
    `  ${round(dearerMs, 0)} ms for spawning the ${gitS} shared git commands from node (execa) instead of bash: ${gitS} x (${round(spawn.execMs, 2)} - ${round(spawn.bashMs, 2)}) ms`,
    `  ${round(sumGlue, 0)} ms of engine glue between steps (${round(sumGlue / sumSteps, 2)} ms/step over ${sumSteps} steps: validation, xstate, FEEL inputs, zod, journal in RAM)`,
    `  ${round(gap - extraMs - dearerMs - sumGlue, 0)} ms not accounted for (in-task node work besides spawning, heavier git commands spawned from a bigger process, noise;` +
      ` the scripts also start ${shellOther} non-git processes in all: mktemp, mkdir, rm, chmod, cat)`,
    `suite: engine ${perMin(wall.engine1)} -> ${perMin(wall.engine2)} scenarios/min with jobs 1 -> 2 (x${round(wall.engine1 / wall.engine2, 2)}, node main thread busy` +
      ` ${round(busy.engine1 * 100, 0)}% -> ${round(busy.engine2 * 100, 0)}%); shell ${perMin(wall.shell1)} -> ${perMin(wall.shell2)} (x${round(wall.shell1 / wall.shell2, 2)})`,
  ];

  return {
    name: 'galaxy',
    title: 'galaxy scenarios: the five examples through the engine vs the same git commands in bash',
    explain: [
      'engine = startRun() of workflows/galaxy/examples/<name>.scenario.ts as `gravity test` runs it (memory store, persist: false,',
      '         default registry, catalog resolver; params transport=file, defaultBranch=main, keep=false); must succeed.',
      'shell  = `bash bench/galaxy/<name>.sh` (execFile, argument array): the same galaxy and git commands (init, seed commit and push,',
      "         clones with the actors' identities, each step's commit/push/fetch/pull/merge/rebase/tag), assertions as rev-parse/cat/test;",
      '         must exit 0. Per scenario: one warm-up each, then samples alternating engine/shell; ms are medians.',
      'x shell = engine ms / shell ms. git procs = git processes per run (engine: task.process events; shell: counted with bash -x).',
      `extra git ms = (engine git procs - shell git procs) x ${round(spawn.execMs, 2)} ms, the measured cost of one cheap git command through`,
      "         the engine's exec; in-task ms = sum of step durations (inside task run()); glue ms = engine ms - in-task ms.",
      `suite rows: ${rounds} rounds of the five scenarios (${items.length} runs) through the pool of cli/commands/test.ts with jobs 1 and 2;`,
      '         engine/shell ms are wall times of the whole batch, /min = scenarios per minute, speed-up = engine jobs 1 wall / jobs 2 wall,',
      '         node busy % = event-loop utilization of this process during the engine batch (the thread that spawns every git process).',
    ],
    columns: [
      { key: 'case', label: 'case' },
      { key: 'jobs', label: 'jobs' },
      { key: 'runs', label: 'runs' },
      { key: 'engineMs', label: 'engine ms' },
      { key: 'shellMs', label: 'shell ms' },
      { key: 'ratio', label: 'x shell', digits: 2 },
      { key: 'steps', label: 'steps' },
      { key: 'gitEngine', label: 'git procs engine' },
      { key: 'gitShell', label: 'git procs shell' },
      { key: 'extraGitMs', label: 'extra git ms' },
      { key: 'inTaskMs', label: 'in-task ms' },
      { key: 'glueMs', label: 'glue ms' },
      { key: 'enginePerMin', label: 'engine /min', digits: 1 },
      { key: 'shellPerMin', label: 'shell /min', digits: 1 },
      { key: 'speedup', label: 'speed-up', digits: 2 },
      { key: 'nodeBusyPct', label: 'node busy %' },
    ],
    rows,
    notes,
    elapsedMs: performance.now() - t0,
  };
}
