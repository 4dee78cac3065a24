// The conventions every command keeps: --version, help with no command, numeric options checked by one parser, filters
// that say they matched nothing, one JSON style (keys, formatting, usage errors), true durations, rollback lines that
// say what was done, and a `--help` that loads no engine.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadedModules } from '../../bench/loaded-modules.js';
import { sequence, task, workflow, type Definition } from '../../engine/index.js';
import { sandbox } from '../support/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const hello: Definition = workflow({ id: 'test:hello', steps: task('say', 'log.info', { message: 'hello' }) });

/** A sandbox with one finished run of test:hello; its id. */
async function withRun() {
  const sb = sandbox();
  const r = await sb.run('run', sb.writeDefinition('hello', hello), '--json');
  expect(r.code, r.stderr).toBe(0);
  return { sb, runId: JSON.parse(r.stdout).runId as string };
}

describe('gravity --version and gravity alone', () => {
  it.each([['--version'], ['-V']])('%s prints the version of package.json on stdout, exit 0', async (flag) => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await sandbox().run(flag);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each([[[]], [['--data-dir', 'elsewhere']]])('gravity %j prints the help on stdout, exit 0', async (args) => {
    const r = await sandbox().run(...args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: gravity \[options\] \[command\]/);
    expect(r.stdout).toMatch(/^\s+runs \[options\]\s+list runs, newest first$/m);
  });
});

describe('numeric options', () => {
  it.each([
    ['runs', '--limit', 'abc', 'a whole number of at least 1'],
    ['runs', '--limit', '-1', 'a whole number of at least 1'],
    ['runs', '--limit', '0', 'a whole number of at least 1'],
    ['runs', '--limit', '1.5', 'a whole number of at least 1'],
    ['runs', '--limit', '1e3', 'a whole number of at least 1'],
    ['test', '--jobs', 'two', 'a whole number from 1 to 64'],
    ['test', '--jobs', '65', 'a whole number from 1 to 64'],
    ['resume', '--wait', 'soon', 'seconds from 0 to 86400'],
    ['resume', '--wait', '86401', 'seconds from 0 to 86400'],
  ])('%s %s %s: exit 2 naming the option and what it expects', async (cmd, option, value, expected) => {
    const r = await sandbox().run(cmd, ...(cmd === 'resume' ? ['some-run'] : []), option, value);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`option '${option}`);
    expect(r.stderr).toContain(`argument '${value}' is invalid. expected ${expected}`);
  });

  it('--limit n lists the n newest runs', async () => {
    const { sb, runId: first } = await withRun();
    const second = JSON.parse((await sb.run('run', join(sb.base, 'hello.json'), '--json')).stdout).runId as string;
    const json = JSON.parse((await sb.run('runs', '--limit', '1', '--json')).stdout);
    expect(json.runs.map((r: { runId: string }) => r.runId)).toEqual([second]);
    const all = JSON.parse((await sb.run('runs', '--json')).stdout);
    expect(all.runs.map((r: { runId: string }) => r.runId)).toEqual([second, first]);
  });
});

describe('filters that match nothing', () => {
  it('runs --workflow of an id nothing knows: exit 2 with the closest ids', async () => {
    const { sb } = await withRun();
    const r = await sb.run('runs', '--workflow', 'test:helo');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no runs of workflow "test:helo": no catalog workflow and no run has that id');
    // the closest first (catalog ids as near, such as env:halt, may follow)
    expect(r.stderr).toMatch(/did you mean "test:hello"[,?]/);
  });

  it('runs --workflow of a catalog workflow never run: says so, exit 0', async () => {
    const { sb } = await withRun();
    const r = await sb.run('runs', '--workflow', 'host:doctor');
    expect(r).toMatchObject({ code: 0, stdout: 'no runs of workflow "host:doctor" yet\n' });
    expect(r.stdout).not.toContain('no runs yet');
  });
});

describe('JSON output', () => {
  it('names a run runId and a workflow workflow in every document', async () => {
    const { sb, runId } = await withRun();
    const runs = JSON.parse((await sb.run('runs', '--json')).stdout);
    expect(runs.runs[0]).toMatchObject({ runId, workflow: 'test:hello', status: 'succeeded' });
    expect(runs.runs[0]).not.toHaveProperty('id');
    const show = JSON.parse((await sb.run('show', runId, '--json')).stdout);
    expect(show).toMatchObject({ runId, workflow: 'test:hello', status: 'succeeded' });
    const list = JSON.parse((await sb.run('list', '--json')).stdout);
    expect(list[0]).toEqual({ workflow: expect.any(String), title: expect.any(String), params: expect.any(Array) });
    const described = JSON.parse((await sb.run('describe', 'host:doctor', '--json')).stdout);
    expect(described.workflow).toBe('host:doctor');
    expect(described).not.toHaveProperty('id');
  });

  it('pretty-prints every document the same way (export -o --json too)', async () => {
    const sb = sandbox();
    const out = join(sb.base, 'doctor.bpmn');
    const r = await sb.run('export', 'host:doctor', '-o', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data).toEqual({ workflow: 'host:doctor', dialect: 'gravity', file: out });
    expect(r.stdout).toBe(`${JSON.stringify(data, null, 2)}\n`);
  });

  it.each([
    [['runs', '--nope', '--json'], "unknown option '--nope'"],
    [['runs', '--limit', 'x', '--json'], "option '--limit <n>' argument 'x' is invalid"],
    [['show', '--json'], "missing required argument 'run'"],
    [['export', 'host:doctor', '--dialect', 'bpel', '--json'], "argument 'bpel' is invalid"],
  ])('a usage error with --json (%j) is a JSON error on stdout, exit 2', async (args, message) => {
    const r = await sandbox().run(...args);
    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.stdout);
    expect(error).toMatchObject({ name: 'BadInputError', code: 'BAD_INPUT' });
    expect(error.message).toContain(message);
    // the same shape as the JSON errors of the commands
    const unknown = JSON.parse((await sandbox().run('show', 'nosuch', '--json')).stdout);
    expect(Object.keys(error).sort()).toEqual(Object.keys(unknown.error).sort());
  });

  it('gravity test --json is --reporter json, and refuses another --reporter', async () => {
    const sb = sandbox();
    const file = join(sb.base, 'hello.scenario.json');
    writeFileSync(file, JSON.stringify(hello));
    const r = await sb.run('test', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ passed: 1, failed: 0, results: [{ status: 'passed' }] });
    const both = await sb.run('test', file, '--json', '--reporter', 'junit');
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout).error.message).toContain("option '--json' cannot be used with option '--reporter");
  });
});

describe('durations', () => {
  /** Rewrites the run's record and journal as if it had run at these times (ms from a fixed start). */
  function rewrite(
    sb: ReturnType<typeof sandbox>,
    runId: string,
    status: string,
    journal: Array<[number, string]>,
    end?: number,
  ) {
    const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
    const file = join(sb.dataDir, 'kv', 'runs', `${runId}.json`);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    const { finishedAt: _, pid: __, ...rest } = stored.value;
    // a dead pid: the run is no longer driven (a running record is then shown as interrupted)
    stored.value = {
      ...rest,
      status,
      createdAt: t(0),
      updatedAt: t(0),
      ...(end !== undefined ? { finishedAt: t(end) } : { pid: 2 ** 22 + 1 }),
    };
    writeFileSync(file, JSON.stringify(stored));
    const lines = journal.map(([ms, type]) =>
      JSON.stringify({
        at: t(ms),
        type,
        ...(type.startsWith('task.') ? { step: 'say', task: 'log.info', attempt: 1 } : {}),
      }),
    );
    writeFileSync(join(sb.dataDir, 'logs', 'journal', `${runId}.jsonl`), `${lines.join('\n')}\n`);
  }

  it('an interrupted run lasted from its start to its last journal entry', async () => {
    const { sb, runId } = await withRun();
    rewrite(sb, runId, 'running', [
      [10, 'run.started'],
      [20, 'task.started'],
      [2510, 'task.finished'],
    ]);
    const runs = await sb.run('runs');
    expect(runs.stdout).toMatch(
      new RegExp(`${runId}\\s+test:hello\\s+⚠ interrupted\\s+2026-01-01 00:00:00\\s+2\\.5 s`),
    );
    expect((await sb.run('show', runId)).stdout).toContain('started 2026-01-01T00:00:00.000Z (ran 2.5 s)');
    expect(JSON.parse((await sb.run('runs', '--json')).stdout).runs[0].durationMs).toBe(2500);
  });

  it('a resumed run counts the time it ran, not the time it stood interrupted', async () => {
    const { sb, runId } = await withRun();
    rewrite(
      sb,
      runId,
      'succeeded',
      [
        [0, 'run.started'],
        [1000, 'task.started'],
        // killed here; resumed an hour later
        [3_600_000, 'run.resumed'],
        [3_600_500, 'task.started'],
        [3_601_500, 'task.finished'],
        [3_602_000, 'run.finished'],
        // a rollback a day later is not run time
        [90_000_000, 'run.rolled-back'],
      ],
      3_602_000,
    );
    expect((await sb.run('runs')).stdout).toMatch(
      new RegExp(`${runId}\\s+test:hello\\s+✔ succeeded\\s+\\S+ \\S+\\s+3\\.0 s`),
    );
    expect((await sb.run('show', runId)).stdout).toContain(
      'started 2026-01-01T00:00:00.000Z, finished 2026-01-01T01:00:02.000Z (ran 3.0 s)',
    );
  });
});

describe('rollback lines', () => {
  it('say what each compensation did: removed, kept (not empty, there before), already gone', async () => {
    const sb = sandbox();
    mkdirSync(join(sb.work, 'there'), { recursive: true });
    const def = workflow({
      id: 'test:undo-report',
      steps: sequence(
        task('before', 'fs.mkdir', { path: join(sb.work, 'there') }),
        task('dir', 'fs.mkdir', { path: join(sb.work, 'made') }),
        task('file', 'fs.write', { path: join(sb.work, 'made', 'f.txt'), content: 'x' }),
        task('gone', 'fs.write', { path: join(sb.work, 'g.txt'), content: 'g' }),
      ),
    });
    const r = await sb.run('run', sb.writeDefinition('undo', def), '--json');
    const { runId } = JSON.parse(r.stdout);
    // made/ holds a file no step wrote, and g.txt was removed by hand
    writeFileSync(join(sb.work, 'made', 'other.txt'), 'o');
    rmSync(join(sb.work, 'g.txt'));
    const rb = await sb.run('rollback', runId);
    expect(rb.code, rb.stderr).toBe(0);
    const lines = rb.stdout.split('\n').filter((l) => l.startsWith('↶ ') && !l.includes('rolled back'));
    expect(lines).toEqual([
      `↶ gone: ${join(sb.work, 'g.txt')} already gone`,
      `↶ file: removed ${join(sb.work, 'made', 'f.txt')}`,
      `↶ dir: kept ${join(sb.work, 'made')}: not empty`,
      `↶ before: kept ${join(sb.work, 'there')}: it was there before the step`,
    ]);
    expect(rb.stdout).not.toMatch(/compensated\n/);
    expect(readdirSync(join(sb.work, 'made'))).toEqual(['other.txt']);
  });
});

describe('start', () => {
  it('gravity --help loads commander and the CLI only: no engine, task registry, BPMN code, pino or listr2', () => {
    const sb = sandbox();
    const { files, status, stdout } = loadedModules(join(sb.base, 'probe'), ['--help'], {
      ...process.env,
      GRAVITY_HOME: sb.dataDir,
    });
    expect(status).toBe(0);
    expect(stdout).toContain('Usage: gravity');
    // the probe works: it saw the CLI itself and commander
    expect(files.some((f) => f.endsWith(join('dist', 'cli', 'main.js')))).toBe(true);
    expect(files.some((f) => f.includes(join('node_modules', 'commander')))).toBe(true);
    const heavy = files.filter((f) =>
      /node_modules\/(bpmn-moddle|bpmn-auto-layout|execa|zod|xstate|feelin|handlebars|pino|listr2)\/|dist\/(tasks|workflows|bpmn)\/|dist\/engine\/index\.js/.test(
        f,
      ),
    );
    expect(heavy).toEqual([]);
  });
});
