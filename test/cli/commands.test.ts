// End to end: every CLI command through the real binary, its output and its exit code.
import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sequence, task, workflow, decide } from '../../engine/index.js';
import { sandbox } from '../support/cli.js';

const greet = workflow({
  id: 'test:greet',
  title: 'Write a greeting',
  params: {
    name: { type: 'string', pattern: '^[a-z]+$', description: 'who to greet' },
    times: { type: 'integer', default: 1 },
  },
  steps: sequence(
    task('dir', 'fs.mkdir', { path: 'out' }, { title: 'create the folder' }),
    decide(
      'many',
      [
        {
          when: 'times > 1',
          then: task('loud', 'fs.write', { path: 'out/greeting.txt', content: '="HELLO " + upper case(name)' }),
        },
      ],
      task('quiet', 'fs.write', { path: 'out/greeting.txt', content: '="hello " + name' }),
    ),
  ),
  output: { file: '=steps.dir.path + "/greeting.txt"' },
});

describe('gravity CLI', () => {
  it('lists the catalog and describes a workflow with its params and steps', async () => {
    const sb = sandbox();
    const list = await sb.run('list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((w: { workflow: string }) => w.workflow)).toContain('host:doctor');
    const d = await sb.run('describe', sb.writeDefinition('greet', greet));
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/name\s+string\s+\(required\)\s+who to greet/);
    expect(d.stdout).toMatch(/◇ many — decision/);
    expect(d.stdout).toMatch(/if times > 1 -> loud/);
  });

  it('suggests the closest workflow for an unknown name and exits 2', async () => {
    const r = await sandbox().run('run', 'host:docter');
    expect(r.code).toBe(2);
    // the closest first (host:bootstrap, of the same family, may follow)
    expect(r.stderr).toMatch(/unknown workflow "host:docter"; did you mean "host:doctor"[,?]/);
  });

  it.each([
    [['--param', 'name=Bob'], /param name: must match/],
    [['--param', 'name=bob', '--param', 'times=many'], /param times: expected an integer, got "many"/],
    [['--param', 'nme=bob'], /unknown param "nme" for test:greet; did you mean "name"\?/],
    [[], /missing param "name" for test:greet: who to greet/],
    [['--param', 'oops'], /bad --param "oops": expected key=value/],
  ])('rejects bad params %j with exit 2 and a precise message', async (args, message) => {
    const sb = sandbox();
    const r = await sb.run('run', sb.writeDefinition('greet', greet), ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(sb.runIds()).toEqual([]);
  });

  it('prints the plan on --dry-run and changes nothing', async () => {
    const sb = sandbox();
    const r = await sb.run(
      'run',
      sb.writeDefinition('greet', greet),
      '--param',
      'name=ann',
      '--param',
      'times=2',
      '--dry-run',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\$ mkdir -p out/);
    expect(r.stdout).toMatch(/with these params: takes loud/);
    expect(existsSync(join(sb.base, 'out'))).toBe(false);
    expect(sb.runIds()).toEqual([]);
  });

  it('runs a definition file, prints one JSON object, and shows the run afterwards', async () => {
    const sb = sandbox();
    const r = await sb.run(
      'run',
      sb.writeDefinition('greet', greet),
      '--param',
      'name=ann',
      '--param',
      'times=3',
      '--root',
      sb.base,
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({
      workflow: 'test:greet',
      status: 'succeeded',
      output: { file: join(sb.base, 'out/greeting.txt') },
    });
    expect(
      res.steps.map((s: { id: string; status: string; attempts: number }) => [s.id, s.status, s.attempts]),
    ).toEqual([
      ['dir', 'succeeded', 1],
      ['loud', 'succeeded', 1],
    ]);
    expect(Object.keys(res.steps[0]).sort()).toEqual([
      'attempts',
      'durationMs',
      'finishedAt',
      'id',
      'output',
      'startedAt',
      'status',
      'task',
    ]);

    const show = await sb.run('show', res.runId.slice(0, 16), '--journal');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/✔\s+loud\s+fs\.write\s+1\s+\d+ ms/);
    expect(show.stdout).toMatch(/task\.finished <dir>/);
    const runs = await sb.run('runs');
    expect(runs.stdout).toMatch(new RegExp(`${res.runId}\\s+test:greet\\s+✔ succeeded`));
  });

  it('exits 1 on a failed run and names the step and the error', async () => {
    const sb = sandbox();
    const def = workflow({
      id: 'test:fail',
      steps: sequence(
        task('ok', 'log.info', { message: 'hi' }),
        task('boom', 'exec.run', { command: 'sh', args: ['-c', 'echo bad >&2; exit 4'] }),
      ),
    });
    const r = await sb.run('run', sb.writeDefinition('fail', def));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ test:fail failed at <boom>: .*exited with code 4/s);
    expect(r.stdout).toMatch(/bad/);
  });

  it.each([
    ['not JSON', '{ nope', /not valid JSON/],
    [
      'an unknown task',
      JSON.stringify(workflow({ id: 'test:x', steps: task('a', 'exec.rnu', {}) })),
      /<a> unknown task "exec\.rnu"; did you mean "exec\.run"\?/,
    ],
    [
      'a bad target',
      JSON.stringify({
        id: 'test:x',
        machine: {
          initial: 'a',
          states: { a: { invoke: { src: 'log.info', input: { message: 'x' } }, onDone: 'nowhere' } },
        },
      }),
      /<a> onDone target "nowhere" is not a sibling state/,
    ],
    [
      'a bad expression',
      JSON.stringify(workflow({ id: 'test:x', steps: task('a', 'log.info', { message: '=1 +' }) })),
      /<a> bad expression in input.message/,
    ],
  ])('refuses a definition file with %s (exit 2, file and element named)', async (_what, text, message) => {
    const sb = sandbox();
    const file = join(sb.base, 'bad.json');
    writeFileSync(file, text);
    const r = await sb.run('run', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.json');
    expect(r.stderr).toMatch(message);
  });

  it('rolls back the finished steps of a run, newest first', async () => {
    const sb = sandbox();
    mkdirSync(sb.work, { recursive: true });
    const def = workflow({
      id: 'test:undo',
      steps: sequence(
        task('dir', 'fs.mkdir', { path: join(sb.work, 'made') }),
        task('file', 'fs.write', { path: join(sb.work, 'made', 'f.txt'), content: 'x' }),
      ),
    });
    const r = await sb.run('run', sb.writeDefinition('undo', def), '--json');
    const { runId } = JSON.parse(r.stdout);
    expect(readdirSync(join(sb.work, 'made'))).toEqual(['f.txt']);
    const rb = await sb.run('rollback', runId);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout).toMatch(/compensations run: file, dir/);
    expect(rb.stdout).toMatch(/↶ file: removed .*f\.txt\n↶ dir: removed .*made\n/);
    expect(existsSync(join(sb.work, 'made'))).toBe(false);
    expect(sb.record(runId).status).toBe('rolled-back');
    expect((await sb.run('rollback', runId)).code).toBe(2);
  });

  it('runs host:doctor and reports every tool, exit 0 even with tools missing', async () => {
    const sb = sandbox();
    const r = await sb.run('run', 'host:doctor', '--json');
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.output.tools.map((t: { tool: string }) => t.tool.split(' ')[0])).toEqual([
      'git',
      'docker',
      'vagrant',
      'named-checkzone',
      'apache2',
      'crontab',
      'rsync',
      'rclone',
      'ssh',
      'etcd',
    ]);
    expect(res.output.tools[0]).toMatchObject({ found: true, ok: true, version: expect.stringMatching(/^\d+\.\d+/) });
    const human = await sb.run('run', 'host:doctor');
    expect(human.stdout).toMatch(/git\s+✔\s+\d+\.\d+/);
    expect(human.stdout).toMatch(/\d of 10 tools available/);
  });

  it('reports an unknown run id with exit 2', async () => {
    const r = await sandbox().run('show', 'nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no run "nope"/);
  });
});
