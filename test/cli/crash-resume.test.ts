// End to end: a real `gravity run` killed with SIGKILL or interrupted with SIGINT, then resumed.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, sequence, task, workflow } from '../../engine/index.js';
import { sandbox, waitFor } from '../support/cli.js';

/**
 * A step that appends its name to the marker file after `sleep` seconds (so a kill during the sleep leaves no mark).
 * With `firstSleep`, its first run sleeps that long instead: the step's orphan outlives any resume, however loaded the
 * machine, so the tests see resume kill it. The steps are not supervised (`supervised: false`): what resume does with
 * a command that ran on under the step supervisor is test/reliability/supervised.test.ts.
 */
const mark = (id: string, file: string, sleep = 0, idempotent = true, firstSleep = 0) =>
  task(id, 'exec.run', {
    command: 'sh',
    args: [
      '-c',
      `${firstSleep ? `[ -e "$2" ] || { : > "$2"; sleep ${firstSleep}; }; ` : ''}${sleep ? `sleep ${sleep}; ` : ''}echo ${id} >> "$1"`,
      'mark',
      file,
      `${file}.${id}-started`,
    ],
    idempotent,
    supervised: false,
  });

const counts = (file: string) => {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  return Object.fromEntries(['s1', 's2', 's3', 's4'].map((s) => [s, lines.filter((l) => l === s).length]));
};

function crashWorkflow(file: string, s3Idempotent: boolean) {
  return workflow({
    id: 'test:crash',
    steps: sequence(mark('s1', file), mark('s2', file), mark('s3', file, 0.3, s3Idempotent, 60), mark('s4', file)),
  });
}

async function startAndWaitForS3(sb: ReturnType<typeof sandbox>, defFile: string) {
  const child = sb.spawn(['run', defFile]);
  const done = sb.collect(child);
  const runId = await waitFor(() => sb.runIds()[0]);
  // the step's process is recorded in the journal before we kill: resume must find and kill it
  await waitFor(() => sb.journal(runId).some((e) => e.type === 'task.process' && e.step === 's3'));
  return { child, done, runId };
}

describe('gravity run killed and resumed', () => {
  it('resumes a SIGKILLed run without repeating finished tasks', async () => {
    const sb = sandbox();
    const marks = join(sb.base, 'marks.txt');
    const defFile = sb.writeDefinition('crash', crashWorkflow(marks, true));
    const { child, done, runId } = await startAndWaitForS3(sb, defFile);

    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    expect(counts(marks)).toEqual({ s1: 1, s2: 1, s3: 0, s4: 0 });
    const listed = await sb.run('runs', '--json');
    expect(JSON.parse(listed.stdout).runs[0]).toMatchObject({ runId, status: 'interrupted' });

    const resumed = await sb.run('resume', runId, '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = JSON.parse(resumed.stdout);
    expect(result.status).toBe('succeeded');
    // read the side effects, not only the journal: every task ran exactly once
    // the first s3's command (sleeping 60 s) was killed by resume: it can never write its mark
    const orphan = sb.journal(runId).find((e) => e.type === 'task.process' && e.step === 's3') as unknown as {
      pid: number;
    };
    await waitFor(() => !isAlive(orphan.pid) || undefined);
    expect(counts(marks)).toEqual({ s1: 1, s2: 1, s3: 1, s4: 1 });
    expect(result.steps.map((s: { id: string }) => s.id)).toEqual(['s1', 's2', 's3', 's4']);
  });

  it('leaves a run killed in a non-idempotent step in needs-attention until resume --force', async () => {
    const sb = sandbox();
    const marks = join(sb.base, 'marks.txt');
    const defFile = sb.writeDefinition('crash', crashWorkflow(marks, false));
    const { child, done, runId } = await startAndWaitForS3(sb, defFile);
    child.kill('SIGKILL');
    await done;

    const first = await sb.run('resume', runId);
    expect(first.code).toBe(3);
    expect(first.stdout).toMatch(/<s3> \(exec\.run\) was interrupted and is not idempotent/);
    expect(sb.record(runId)).toMatchObject({ status: 'needs-attention', attention: { steps: ['s3'] } });
    const again = await sb.run('resume', runId, '--json');
    expect(again.code).toBe(3);
    expect(counts(marks)).toEqual({ s1: 1, s2: 1, s3: 0, s4: 0 });

    const forced = await sb.run('resume', runId, '--force');
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(counts(marks)).toEqual({ s1: 1, s2: 1, s3: 1, s4: 1 });
  });

  it('cancels gracefully on SIGINT, killing the step process group, and resumes', async () => {
    const sb = sandbox();
    const marks = join(sb.base, 'marks.txt');
    const defFile = sb.writeDefinition('crash', crashWorkflow(marks, true));
    const { child, done, runId } = await startAndWaitForS3(sb, defFile);
    const pid = sb.journal(runId).find((e) => e.type === 'task.process' && e.step === 's3') as unknown as {
      pid: number;
    };

    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/cancelled — resume with: gravity resume/);
    expect(sb.record(runId).status).toBe('cancelled');
    expect(() => process.kill(pid.pid, 0)).toThrow(); // the step's process group is gone

    const resumed = await sb.run('resume', runId);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(counts(marks)).toEqual({ s1: 1, s2: 1, s3: 1, s4: 1 });
  });

  it('cancels a run from another process with gravity cancel', async () => {
    const sb = sandbox();
    const marks = join(sb.base, 'marks.txt');
    const defFile = sb.writeDefinition('crash', crashWorkflow(marks, true));
    const { done, runId } = await startAndWaitForS3(sb, defFile);

    const cancelled = await sb.run('cancel', runId);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain('cancelled');
    expect((await done).code).toBe(130);
    expect(sb.record(runId).status).toBe('cancelled');
    expect((await sb.run('cancel', runId)).code).toBe(2);
  });

  it('refuses to resume when the definition changed since the run started', async () => {
    const sb = sandbox();
    const marks = join(sb.base, 'marks.txt');
    const def = crashWorkflow(marks, true);
    const defFile = sb.writeDefinition('crash', def);
    const { child, done, runId } = await startAndWaitForS3(sb, defFile);
    child.kill('SIGINT');
    await done;

    writeFileSync(defFile, JSON.stringify({ ...def, title: 'changed' }));
    const refused = await sb.run('resume', runId);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/definition of test:crash changed since run .* resume refused/);
    expect(counts(marks).s4).toBe(0);
    const allowed = await sb.run('resume', runId, '--allow-changed');
    expect(allowed.code).toBe(0);
    expect(counts(marks)).toEqual({ s1: 1, s2: 1, s3: 1, s4: 1 });
  });
});

describe('a BPMN file run interrupted and resumed', () => {
  it('resumes a run of a .bpmn file after SIGINT, re-reading the file', async () => {
    const sb = sandbox();
    const marks = join(sb.base, 'marks.txt');
    const bpmnFile = join(sb.base, 'crash.bpmn');
    const exported = await sb.run(
      'export',
      sb.writeDefinition('crash', crashWorkflow(marks, true)),
      '--dialect',
      'camunda7',
      '-o',
      bpmnFile,
    );
    expect(exported.code, exported.stderr).toBe(0);
    const { child, done, runId } = await startAndWaitForS3(sb, bpmnFile);
    child.kill('SIGINT');
    expect((await done).code).toBe(130);
    const resumed = await sb.run('resume', runId, '--json');
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).status).toBe('succeeded');
    expect(counts(marks)).toEqual({ s1: 1, s2: 1, s3: 1, s4: 1 });
  });
});
