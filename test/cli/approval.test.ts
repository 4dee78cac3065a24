// Approvals and messages through the real binary: a parked run exits 4 and holds no process, `runs --status waiting`
// says what it waits for, approve / reject / signal drive it once (exit 2 with the reason otherwise), and on a terminal
// `gravity run` asks inline unless --no-input.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { approval, receive, sequence, task, workflow } from '../../engine/index.js';
import { BIN, sandbox } from '../support/cli.js';

const destroy = workflow({
  id: 'test:destroy',
  params: { env: { type: 'string' }, yes: { type: 'boolean', default: false } },
  steps: sequence(
    approval('confirm', '="Destroy environment " + params.env + "?"', {
      skip: '=params.yes',
      assignee: 'ops',
      onReject: task('kept', 'fs.write', { path: 'kept.txt', content: 'kept' }),
    }),
    receive('deployed', 'deploy-done', { key: '=params.env' }),
    task('report', 'fs.write', { path: 'report.txt', content: '=steps.deployed.data.url' }),
  ),
});

const runIdOf = (stdout: string) => /run (\d{6}-\d{6}-[0-9a-f]{6})/.exec(stdout)![1];

describe('approvals and messages from the CLI', () => {
  it('parks with exit 4, lists what it waits for, and answers drive it to the end', async () => {
    const sb = sandbox();
    const file = sb.writeDefinition('destroy', destroy);
    const r = await sb.run('run', file, '-p', 'env=1161');
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/⏸ confirm waits: Destroy environment 1161\?/);
    expect(r.stdout).toMatch(/<confirm> asks: Destroy environment 1161\? \(assignee ops\)/);
    const id = runIdOf(r.stdout);

    const listed = await sb.run('runs', '--status', 'waiting', '--json');
    const runs = JSON.parse(listed.stdout).runs as Array<{ runId: string; waiting: Array<{ step: string }> }>;
    expect(runs.map((x) => x.runId)).toEqual([id]);
    expect(runs[0].waiting[0].step).toBe('confirm');
    expect((await sb.run('runs', '--status', 'succeeded', '--json')).stdout).not.toContain(id);

    // the wrong answers: exit 2 with the reason, nothing changes
    const wrong = await sb.run('signal', id, 'deploy-done');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/is not waiting for message "deploy-done"; it waits at <confirm>/);
    const noReason = await sb.run('reject', id);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason/);

    const approved = await sb.run('approve', id, '--reason', 'ticket closed');
    expect(approved.code).toBe(4);
    expect(approved.stdout).toMatch(/<deployed> waits for message "deploy-done" with key 1161/);

    const again = await sb.run('approve', id);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is not waiting for an approval; it waits at <deployed>/);

    const otherKey = await sb.run('signal', '--message', 'deploy-done', '--key', '1170');
    expect(otherKey.code).toBe(2);
    expect(otherKey.stderr).toMatch(/no waiting run waits for message "deploy-done" with key 1170/);
    const badData = await sb.run('signal', id, 'deploy-done', '--key', '1161', '--data', '{url');
    expect(badData.code).toBe(2);
    expect(badData.stderr).toMatch(/--data is not JSON/);

    const done = await sb.run('signal', '--message', 'deploy-done', '--key', '1161', '--data', '{"url":"http://x"}');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/succeeded/);

    const show = await sb.run('show', id, '--journal');
    expect(show.stdout).toMatch(/step\.answered <confirm> approved by \S+@\S+: ticket closed/);
    expect(show.stdout).toMatch(
      /step\.answered <deployed> message "deploy-done" key 1161 by \S+ data \{"url":"http:\/\/x"\}/,
    );
  });

  it('reject takes the reject path; --param yes=true skips the approval', async () => {
    const sb = sandbox();
    const file = sb.writeDefinition('destroy', destroy);
    const id = runIdOf((await sb.run('run', file, '-p', 'env=7')).stdout);
    const rejected = await sb.run('reject', id, '--reason', 'still in use', '--json');
    expect(rejected.code).toBe(4);
    const result = JSON.parse(rejected.stdout);
    expect(result.steps.find((s: { id: string }) => s.id === 'confirm').error).toMatchObject({
      code: 'REJECTED',
      message: expect.stringMatching(/rejected by .*: still in use/),
    });
    expect(result.steps.map((s: { id: string }) => s.id)).toContain('kept');

    const skipped = await sb.run('run', file, '-p', 'env=8', '-p', 'yes=true', '--json');
    expect(skipped.code).toBe(4);
    expect(JSON.parse(skipped.stdout).waiting[0].step).toBe('deployed');
  });

  it('cancel marks a waiting run cancelled; it stays resumable', async () => {
    const sb = sandbox();
    const id = runIdOf((await sb.run('run', sb.writeDefinition('destroy', destroy), '-p', 'env=9')).stdout);
    const c = await sb.run('cancel', id);
    expect(c.code).toBe(0);
    expect((await sb.run('approve', id)).code).toBe(2);
    const resumed = await sb.run('resume', id);
    expect(resumed.code).toBe(4);
  });

  it('asks inline on a terminal (y approves), and parks with --no-input', async () => {
    const sb = sandbox();
    const file = sb.writeDefinition('destroy', destroy);
    // a pseudo-terminal through script(1): stdin and stdout are a tty, as for a person at a shell
    const env = { ...process.env, GRAVITY_HOME: sb.dataDir, FORCE_COLOR: '0' } as Record<string, string>;
    delete env.CI;
    const cmd = `${process.execPath} ${BIN} run ${file} -p env=5`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: sb.base, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      if (/\[y = approve, N = reject, p = park for later\]/.test(out) && !child.stdin.writableEnded)
        child.stdin.end('y\n');
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(out).toMatch(/\? <confirm> Destroy environment 5\?/);
    expect(code).toBe(4);
    expect(out).toMatch(/<deployed> waits for message "deploy-done"/);

    const noInput = spawn('script', ['-qec', `${cmd} --no-input`, '/dev/null'], {
      cwd: sb.base,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out2 = '';
    noInput.stdout.on('data', (b) => (out2 += b));
    const code2 = await new Promise<number | null>((res) => noInput.on('close', res));
    expect(code2).toBe(4);
    expect(out2).not.toMatch(/\[y = approve/);
    expect(out2).toMatch(/<confirm> asks: Destroy environment 5\?/);
  });
});

describe('gravity resume --due', () => {
  const late = workflow({
    id: 'test:late',
    steps: sequence(
      receive('deployed', 'deploy-done', {
        timeout: { ms: 1500, then: task('late', 'fs.write', { path: 'late.txt', content: 'too late' }) },
      }),
    ),
  });

  it('resumes the waiting runs whose timeout has passed, and only those, printing one document', async () => {
    const sb = sandbox();
    const file = sb.writeDefinition('late', late);
    const first = await sb.run('run', file, '--json');
    expect(first.code).toBe(4);
    const { runId, waiting } = JSON.parse(first.stdout) as { runId: string; waiting: Array<{ until: string }> };
    const early = await sb.run('resume', '--due', '--json');
    expect(early.code).toBe(0);
    expect(JSON.parse(early.stdout)).toEqual({ runs: [] });
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(waiting[0].until) - Date.now()) + 100));
    const due = await sb.run('resume', '--due', '--json');
    expect(due.code).toBe(0);
    const runs = JSON.parse(due.stdout).runs as Array<{ runId: string; status: string; steps: Array<{ id: string }> }>;
    expect(runs.map((r) => [r.runId, r.status])).toEqual([[runId, 'succeeded']]);
    expect(runs[0].steps.map((s) => s.id)).toContain('late');
  });

  it('needs a run id or --due, not both', async () => {
    const sb = sandbox();
    const none = await sb.run('resume');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing argument 'run'/);
    const both = await sb.run('resume', '261205-000000-000000', '--due');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give a run id or --due, not both/);
  });
});
