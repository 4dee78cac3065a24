// Steps outlive the CLI: a supervised step's command runs on after a SIGKILL or a SIGHUP of the CLI, and resume adopts
// its end (it finished meanwhile) or re-attaches to it (it still runs): its work happens once, without --force. Only a
// step whose supervisor died too needs a person. Real CLI processes, real signals, real commands.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, sequence, task, workflow } from '../../engine/index.js';
import { sandbox, waitFor } from '../support/cli.js';

/** s1, s2, s3 append their name to `file`; s2 (not idempotent) first sleeps `seconds`. */
function appending(file: string, seconds: number) {
  const step = (id: string, sleep: number) =>
    task(id, 'exec.run', {
      command: 'sh',
      args: ['-c', `echo ${id} working; sleep ${sleep}; echo ${id} >> "$1"`, 'append', file],
    });
  return workflow({ id: 'test:appending', steps: sequence(step('s1', 0), step('s2', seconds), step('s3', 0)) });
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

interface CommandJson {
  pid?: number;
  supervisor: { pid: number };
}

/** Starts a run whose s2 sleeps `seconds`, and waits until s2's command runs; its files and processes. */
async function startInStep(seconds: number) {
  const sb = sandbox();
  const file = join(sb.base, 'lines.txt');
  const child = sb.spawn(['run', sb.writeDefinition('appending', appending(file, seconds))]);
  const done = sb.collect(child);
  const runId = await waitFor(() => sb.runIds()[0]);
  const dir = join(sb.dataDir, 'files', runId, 'steps', 's2', 'attempt-1', 'c1');
  const command = await waitFor(() => {
    try {
      const c = JSON.parse(readFileSync(join(dir, 'command.json'), 'utf8')) as CommandJson;
      return c.pid !== undefined && c;
    } catch {
      return undefined;
    }
  });
  return { sb, file, child, done, runId, dir, command };
}

const finished = (dir: string) => existsSync(join(dir, 'status.json'));

describe('a supervised step outlives the CLI', () => {
  it('SIGKILL, the command finishes meanwhile: resume adopts its end, no --force, its line once', async () => {
    const { sb, file, child, done, runId, dir, command } = await startInStep(2);
    child.kill('SIGKILL');
    await done;
    // the command goes on without the CLI and records its end
    expect(isAlive(command.pid!)).toBe(true);
    await waitFor(() => finished(dir));
    expect(lines(file)).toEqual(['s1', 's2']);
    // its supervisor, whose engine is gone, exits once its command has ended
    await waitFor(() => !isAlive(command.supervisor.pid) || undefined);

    const resumed = await sb.run('resume', runId);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(lines(file)).toEqual(['s1', 's2', 's3']);
    expect(sb.record(runId).status).toBe('succeeded');
    const journal = sb.journal(runId) as Array<{ type: string; step?: string; message?: string }>;
    expect(journal.find((e) => e.type === 'run.resumed')?.message).toContain('adopting <s2>');
    expect(journal.filter((e) => e.type === 'task.finished').map((e) => e.step)).toEqual(['s1', 's2', 's3']);
  }, 60_000);

  it('SIGKILL, the command still runs: resume re-attaches, waits for its end, its line once', async () => {
    const { sb, file, child, done, runId, dir, command } = await startInStep(3);
    child.kill('SIGKILL');
    await done;
    expect(finished(dir)).toBe(false);

    const resumed = await sb.run('resume', runId);
    expect(resumed.code, resumed.stderr).toBe(0);
    // it waited for the same command (not a second one): the line is there once
    expect(lines(file)).toEqual(['s1', 's2', 's3']);
    expect(isAlive(command.pid!)).toBe(false);
    // after the resume, s2's process is the one the killed CLI started
    const journal = sb.journal(runId) as Array<{ type: string; pid?: number; step?: string }>;
    const after = journal.slice(journal.findIndex((e) => e.type === 'run.resumed'));
    expect(after.filter((e) => e.type === 'task.process' && e.step === 's2').map((e) => e.pid)).toEqual([command.pid]);
  }, 60_000);

  it('SIGHUP detaches: recorded detached, the command runs on, resume adopts it once it ended', async () => {
    const { sb, file, child, done, runId, dir, command } = await startInStep(2);
    child.kill('SIGHUP');
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('detaching (SIGHUP)');
    expect(sb.record(runId).status).toBe('detached');
    const journal = sb.journal(runId) as Array<{ type: string; message?: string; step?: string }>;
    expect(journal.find((e) => e.type === 'run.detached')?.message).toContain('<s2> left running');
    // s2 was neither cancelled nor failed: it is left open for resume
    expect(journal.filter((e) => e.step === 's2').map((e) => e.type)).toEqual(['task.started', 'task.process']);
    expect(isAlive(command.pid!)).toBe(true);
    expect((await sb.run('runs')).stdout).toMatch(/detached/);

    await waitFor(() => finished(dir));
    const resumed = await sb.run('resume', runId);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(lines(file)).toEqual(['s1', 's2', 's3']);
    // what it printed while no CLI watched is shown by the resume that adopts it
    expect(resumed.stdout).toContain('s2 working');
  }, 60_000);

  it('SIGHUP, then resume while the command runs: re-attached, its output followed, its line once', async () => {
    const { sb, file, child, done, runId, dir } = await startInStep(3);
    child.kill('SIGHUP');
    expect((await done).code).toBe(130);
    expect(finished(dir)).toBe(false);
    const resumed = await sb.run('resume', runId);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(lines(file)).toEqual(['s1', 's2', 's3']);
    // what the command printed before the resume is shown by it (followed from its log file)
    expect(resumed.stdout).toContain('s2 working');
  }, 60_000);

  it('a detached run can be cancelled: its command is stopped, its work not done, and the step needs a person', async () => {
    const { sb, file, child, done, runId, command } = await startInStep(30);
    child.kill('SIGHUP');
    await done;
    const cancelled = await sb.run('cancel', runId);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(sb.record(runId).status).toBe('cancelled');
    await waitFor(() => !isAlive(command.pid!) || undefined, 5000);
    expect(lines(file)).toEqual(['s1']);
    // the stopped command is never adopted: s2 may have done part of its work, so a person decides
    const resumed = await sb.run('resume', runId);
    expect(resumed.code).toBe(3);
    expect(sb.record(runId).attention?.steps).toEqual(['s2']);
  }, 60_000);

  it('a rollback waits for no detached command: it is refused while one runs', async () => {
    const { sb, child, done, runId, command } = await startInStep(30);
    child.kill('SIGHUP');
    await done;
    const rb = await sb.run('rollback', runId);
    expect(rb.code).toBe(2);
    expect(rb.stderr).toMatch(/still running under the step supervisor.*gravity cancel/);
    expect(isAlive(command.pid!)).toBe(true);
    expect((await sb.run('cancel', runId)).code).toBe(0);
  }, 60_000);

  it('SIGKILL of the CLI and of the supervisor: the step is lost, needs a person, and --force runs it once', async () => {
    const { sb, file, child, done, runId, command } = await startInStep(3);
    child.kill('SIGKILL');
    await done;
    process.kill(command.supervisor.pid, 'SIGKILL');
    await waitFor(() => !isAlive(command.supervisor.pid) || undefined);

    const resumed = await sb.run('resume', runId);
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(sb.record(runId).attention?.steps).toEqual(['s2']);
    // what ran on unsupervised was stopped before a person is asked
    await waitFor(() => !isAlive(command.pid!) || undefined, 5000);
    const forced = await sb.run('resume', runId, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(lines(file)).toEqual(['s1', 's2', 's3']);
  }, 60_000);
});
