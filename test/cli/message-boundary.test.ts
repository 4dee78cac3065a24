// Message boundaries through the real binary: `gravity signal` from another process interrupts a running step (its
// command is killed, the run takes the boundary's path with the message's data), resumes a parked step to interrupt it,
// refuses what nobody listens for (exit 2, nothing written), and a crash after the message was taken resumes on the
// boundary's path with the message acted on once.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { approval, isAlive, sequence, task, workflow } from '../../engine/index.js';
import { sandbox, waitFor } from '../support/cli.js';

type Sandbox = ReturnType<typeof sandbox>;

/**
 * A long backup (its shell writes its pid, then becomes `sleep 60`: the pid is the command's), left on message
 * "abort-backup" with key `=env` for a cleanup that writes the message's `why`, sleeping `cleanupSleep` seconds first.
 */
function backupWorkflow(base: string, cleanupSleep = 0) {
  return workflow({
    id: 'test:backup',
    params: { env: { type: 'string', default: '7' } },
    steps: sequence(
      task(
        'backup',
        'exec.run',
        {
          command: 'sh',
          args: ['-c', 'echo $$ >> "$1"; exec sleep 60', 'backup', join(base, 'backup.pids')],
          idempotent: false,
        },
        {
          onMessage: {
            'abort-backup': task('cleanup', 'exec.run', {
              command: 'sh',
              args: [
                '-c',
                `echo start >> "$1"; sleep ${cleanupSleep}; echo "$2" >> "$1"`,
                'cleanup',
                join(base, 'cleanup.log'),
                '=why',
              ],
              idempotent: true,
            }),
          },
          messageKeys: { 'abort-backup': '=env' },
        },
      ),
      task('report', 'fs.write', { path: 'report.txt', content: '=string(why)' }),
    ),
  });
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const record = (sb: Sandbox, id: string) =>
  sb.record(id) as ReturnType<Sandbox['record']> & {
    listening?: Array<{ step: string; message: string; key?: string }>;
  };
const inbox = (sb: Sandbox, id: string) => {
  const dir = join(sb.dataDir, 'kv', 'inbox', id);
  return existsSync(dir) ? readdirSync(dir) : [];
};
const count = (sb: Sandbox, id: string, type: string) => sb.journal(id).filter((e) => e.type === type).length;

/** Starts the backup run in a CLI process of its own and waits until its backup step listens. */
async function startBackup(sb: Sandbox, cleanupSleep = 0) {
  const child = sb.spawn(['run', sb.writeDefinition('backup', backupWorkflow(sb.base, cleanupSleep))]);
  const done = sb.collect(child);
  const runId = await waitFor(() => sb.runIds()[0]);
  await waitFor(() => record(sb, runId).listening?.length && lines(join(sb.base, 'backup.pids')).length);
  const pid = Number(lines(join(sb.base, 'backup.pids'))[0]);
  expect(isAlive(pid)).toBe(true);
  return { child, done, runId, pid };
}

describe('gravity signal interrupts a running step', () => {
  it('from another process: the command is killed, the run takes the boundary path with the data', async () => {
    const sb = sandbox();
    const { done, runId, pid } = await startBackup(sb);
    expect(record(sb, runId).listening).toEqual([{ step: 'backup', message: 'abort-backup', key: '7' }]);
    const listed = await sb.run('runs');
    expect(listed.stdout).toMatch(/listens for/);
    expect(listed.stdout).toMatch(/message "abort-backup" key 7 <backup>/);

    const signal = await sb.run('signal', runId, 'abort-backup', '--key', '7', '--data', '{"why":"disk full"}');
    expect(signal.code, signal.stderr).toBe(0);
    expect(signal.stdout).toMatch(
      new RegExp(
        `message "abort-backup" \\(key 7\\) delivered to run ${runId}, running in process \\d+: <backup> was interrupted, the run goes on at <cleanup>`,
      ),
    );
    const run = await done;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/■ backup cancelled: interrupted by message "abort-backup"/);
    // the backup's command is gone, the cleanup ran with the message's data, and the data is a variable of the run
    await waitFor(() => !isAlive(pid));
    expect(lines(join(sb.base, 'cleanup.log'))).toEqual(['start', 'disk full']);
    expect(readFileSync(join(sb.base, 'report.txt'), 'utf8')).toBe('disk full');
    expect(lines(join(sb.base, 'backup.pids'))).toHaveLength(1);
    expect(record(sb, runId)).toMatchObject({ status: 'succeeded' });
    expect(record(sb, runId).listening).toBeUndefined();
    expect(inbox(sb, runId)).toEqual([]);

    const show = await sb.run('show', runId, '--journal');
    expect(show.stdout).toMatch(
      /step\.interrupted <backup> left for <cleanup> on message "abort-backup" key 7 by \S+@\S+ data \{"why":"disk full"\}/,
    );
    expect(show.stdout).toMatch(/task\.cancelled <backup> #1 interrupted by message "abort-backup"/);
  });

  it('refuses a key that does not match (exit 2) and changes nothing; the correlated form finds the listener', async () => {
    const sb = sandbox();
    const { done, runId, pid } = await startBackup(sb);
    // what the refused signals may not write (the run itself still journals its command's pid meanwhile)
    const messageLines = () =>
      sb.journal(runId).filter((e) => ['step.interrupted', 'message.dropped', 'step.answered'].includes(e.type));
    const wrong = await sb.run('signal', runId, 'abort-backup', '--key', '8');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /is not waiting for anything \(it is running\): nothing to signal; it listens for <backup> \(message "abort-backup" key 7\)/,
    );
    const none = await sb.run('signal', '--message', 'abort-backup', '--key', '8');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /no waiting run waits for message "abort-backup" with key 8, and no run listens for it/,
    );
    expect(inbox(sb, runId)).toEqual([]);
    expect(messageLines()).toEqual([]);
    expect(record(sb, runId).status).toBe('running');
    expect(isAlive(pid)).toBe(true);

    const right = await sb.run('signal', '--message', 'abort-backup', '--key', '7', '--data', '{"why":"k7"}', '--json');
    expect(right.code, right.stderr).toBe(0);
    const out = JSON.parse(right.stdout) as { runs: Array<{ runId: string; delivered: unknown }> };
    expect(out.runs).toEqual([
      expect.objectContaining({
        runId,
        delivered: { step: 'backup', message: 'abort-backup', key: '7', outcome: 'interrupted' },
      }),
    ]);
    expect((await done).code).toBe(0);
    expect(lines(join(sb.base, 'cleanup.log'))).toEqual(['start', 'k7']);
  });

  it('two signals at once interrupt the step once', async () => {
    const sb = sandbox();
    const { done, runId } = await startBackup(sb);
    const both = await Promise.all([
      sb.run('signal', runId, 'abort-backup', '--key', '7', '--data', '{"why":"one"}'),
      sb.run('signal', runId, 'abort-backup', '--key', '7', '--data', '{"why":"two"}'),
    ]);
    // one is delivered; the other came too late (dropped, journaled) or found nobody listening any more
    expect(both.map((r) => r.code).sort()).toEqual([0, 2]);
    expect(both.find((r) => r.code === 2)!.stderr).toMatch(/came too late|listens for no message/);
    expect((await done).code).toBe(0);
    expect(count(sb, runId, 'step.interrupted')).toBe(1);
    expect(lines(join(sb.base, 'cleanup.log'))).toHaveLength(2);
    expect(inbox(sb, runId)).toEqual([]);
  });

  it('a run that listens for nothing refuses the message (exit 2) with what it waits for and listens for', async () => {
    const sb = sandbox();
    const plain = workflow({ id: 'test:plain', steps: sequence(approval('ok', 'Go?')) });
    const parked = await sb.run('run', sb.writeDefinition('plain', plain));
    expect(parked.code).toBe(4);
    const runId = sb.runIds()[0];
    const r = await sb.run('signal', runId, 'abort-backup');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /is not waiting for message "abort-backup"; it waits at <ok> \(approval: Go\?\); it listens for no message/,
    );
    expect(inbox(sb, runId)).toEqual([]);
    expect(record(sb, runId).status).toBe('waiting');
  });
});

describe('gravity signal interrupts a parked step', () => {
  it('resumes the parked run, whose approval takes the message before parking again', async () => {
    const sb = sandbox();
    const gated = workflow({
      id: 'test:gated',
      steps: sequence(
        approval('confirm', 'Destroy?', {
          onMessage: { abort: task('kept', 'fs.write', { path: 'kept.txt', content: '=why' }) },
        }),
        task('report', 'fs.write', { path: 'report.txt', content: 'report' }),
      ),
    });
    const parked = await sb.run('run', sb.writeDefinition('gated', gated));
    expect(parked.code).toBe(4);
    expect(parked.stdout).toMatch(/<confirm> listens for message "abort"/);
    const runId = sb.runIds()[0];
    expect(record(sb, runId).listening).toEqual([{ step: 'confirm', message: 'abort' }]);

    const r = await sb.run('signal', runId, 'abort', '--data', '{"why":"window closed"}', '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { status: string; steps: Array<{ id: string; status: string }> };
    expect(result.status).toBe('succeeded');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['confirm', 'cancelled'],
      ['kept', 'succeeded'],
      ['report', 'succeeded'],
    ]);
    expect(readFileSync(join(sb.base, 'kept.txt'), 'utf8')).toBe('window closed');
    expect(count(sb, runId, 'step.interrupted')).toBe(1);
    expect(count(sb, runId, 'step.answered')).toBe(0);
    expect((await sb.run('approve', runId)).code).toBe(2);
  });
});

describe('a crash after the message was taken', () => {
  it('kill -9 of the running CLI on the boundary path: resume ends there, the message acted once', async () => {
    const sb = sandbox();
    const { child, done, runId, pid } = await startBackup(sb, 3);
    const signal = await sb.run('signal', runId, 'abort-backup', '--key', '7', '--data', '{"why":"crash"}');
    expect(signal.code, signal.stderr).toBe(0);
    // the cleanup started: the state past the message is durable (it waits for that snapshot)
    await waitFor(() => lines(join(sb.base, 'cleanup.log')).includes('start'));
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    await waitFor(() => !isAlive(pid));

    // the backup was not idempotent: a resume that took it for merely interrupted would need a person (exit 3)
    const resumed = await sb.run('resume', runId, '--json');
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).status).toBe('succeeded');
    expect(sb.journal(runId).find((e) => e.type === 'run.resumed')).toMatchObject({
      message: expect.stringMatching(/<backup> left by a message/),
    });
    // the backup never ran again; the cleanup's command ran on under its supervisor, and its end was adopted (or it ran
    // again: it is idempotent); the message was taken once
    expect(lines(join(sb.base, 'backup.pids'))).toHaveLength(1);
    expect(lines(join(sb.base, 'cleanup.log')).filter((l) => l === 'crash')).toHaveLength(1);
    expect(readFileSync(join(sb.base, 'report.txt'), 'utf8')).toBe('crash');
    expect(count(sb, runId, 'step.interrupted')).toBe(1);
    expect(inbox(sb, runId)).toEqual([]);
  }, 60_000);
});
