// Two `gravity resume` of one interrupted run started at the same moment: one drives it, the other is refused, and no
// step's work happens twice (the attack found 3 double runs in 18 tries before runs had a lock).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sequence, task, workflow } from '../../engine/index.js';
import { sandbox, waitFor } from '../support/cli.js';

/**
 * Five steps that each append their name to `file` after a short sleep: not idempotent (a re-run appends again). The
 * first run of s2 sleeps 30 s first, so the resumes always find its orphaned command still sleeping (resume kills it
 * before re-running s2). The steps are not supervised: a command that runs on after its engine died, and is adopted,
 * is supervised.test.ts's subject; here a resume would wait the 30 s for it.
 */
function appending(file: string) {
  const step = (id: string) =>
    task(id, 'exec.run', {
      command: 'sh',
      args: [
        '-c',
        `${id === 's2' ? '[ -e "$2" ] || { : > "$2"; sleep 30; }; ' : ''}sleep 0.1; echo ${id} >> "$1"`,
        'append',
        file,
        `${file}.s2-started`,
      ],
      idempotent: false,
      supervised: false,
    });
  return workflow({ id: 'test:appending', steps: sequence(...['s1', 's2', 's3', 's4', 's5'].map(step)) });
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

describe('two resumes of one run at once', () => {
  it('lets one drive the run and refuses the other, 20 rounds, every step once', async () => {
    const outcomes = new Map<string, number>();
    // 20 rounds, 4 at a time (each in its own data dir)
    const round = async (round: number) => {
      // given a run killed while its second step sleeps (its line not written yet)
      const sb = sandbox();
      const file = join(sb.base, 'lines.txt');
      const defFile = sb.writeDefinition('appending', appending(file));
      const child = sb.spawn(['run', defFile]);
      const done = sb.collect(child);
      const runId = await waitFor(() => sb.runIds()[0]);
      await waitFor(() => sb.journal(runId).some((e) => e.type === 'task.process' && e.step === 's2'));
      child.kill('SIGKILL');
      await done;
      expect(lines(file), `round ${round}`).toEqual(['s1']);
      // when two resumes (forcing the interrupted step) start at the same moment
      const [a, b] = await Promise.all([
        sb.run('resume', runId, '--force', '--json'),
        sb.run('resume', runId, '--force', '--json'),
      ]);
      // then one completes the run and the other exits 2: locked by the first, or, if it came after, nothing to resume
      const codes = [a.code, b.code].sort();
      expect(codes, `round ${round}: ${a.stderr} | ${b.stderr}`).toEqual([0, 2]);
      const refused = a.code === 2 ? a : b;
      expect(refused.stderr).toMatch(
        new RegExp(`run ${runId} (is being driven by pid \\d+ on .+|has already succeeded)`),
      );
      const kind = /being driven/.test(refused.stderr) ? 'locked' : 'after';
      outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
      // and every step's line is there exactly once
      expect(lines(file), `round ${round}`).toEqual(['s1', 's2', 's3', 's4', 's5']);
    };
    for (let batch = 0; batch < 5; batch++) await Promise.all([0, 1, 2, 3].map((k) => round(batch * 4 + k)));
    // the race was real: most second resumes met the first one still driving the run
    expect(outcomes.get('locked') ?? 0).toBeGreaterThan(0);
  }, 600_000);
});
