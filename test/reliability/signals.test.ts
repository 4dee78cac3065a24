// SIGTERM during a step: the run is recorded cancelled, the step's process group is stopped, nothing runs on, and resume
// finishes the run with every step's line once. (SIGHUP detaches instead: test/reliability/supervised.test.ts.)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, sequence, task, workflow } from '../../engine/index.js';
import { sandbox, waitFor } from '../support/cli.js';

/** Three steps appending their name to `file`; the first run of s2 sleeps 30 s first (the signal lands then). */
function slow(file: string) {
  const step = (id: string, firstSleep: number) =>
    task(id, 'exec.run', {
      command: 'sh',
      args: [
        '-c',
        `[ -e "$2" ] || { : > "$2"; sleep ${firstSleep}; }; echo ${id} >> "$1"`,
        'append',
        file,
        `${file}.${id}`,
      ],
      idempotent: true,
    });
  return workflow({ id: 'test:slow', steps: sequence(step('s1', 0), step('s2', 30), step('s3', 0)) });
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

describe('signals during a step', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s cancels gracefully: recorded, the step stopped, resumable',
    async (signal) => {
      // given a run in its 30 s step
      const sb = sandbox();
      const file = join(sb.base, 'lines.txt');
      const child = sb.spawn(['run', sb.writeDefinition('slow', slow(file))]);
      const done = sb.collect(child);
      const runId = await waitFor(() => sb.runIds()[0]);
      const proc = await waitFor(
        () =>
          sb.journal(runId).find((e) => e.type === 'task.process' && e.step === 's2') as unknown as
            { pid: number } | undefined,
      );
      // when the CLI gets the signal
      child.kill(signal);
      const r = await done;
      // then it exits as cancelled, having recorded the run, and the step's command is gone
      expect(r.code, r.stderr).toBe(130);
      expect(sb.record(runId).status).toBe('cancelled');
      expect(sb.journal(runId).map((e) => e.type)).toContain('run.cancelled');
      await waitFor(() => !isAlive(proc.pid) || undefined);
      expect(lines(file)).toEqual(['s1']);
      // and a resume finishes it, each step once
      const resumed = await sb.run('resume', runId);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(lines(file)).toEqual(['s1', 's2', 's3']);
    },
    60_000,
  );
});
