// Every run can be resumed: the CLI is SIGKILLed at 30 moments spread from its spawn to its end (several before the
// first step ends, some before the run record or the first snapshot exists), and every run then finishes with each
// step's line exactly once: resumed (its interrupted supervised step adopted or re-attached), or started afresh when it
// was killed before its record existed; an interrupted step that cannot be adopted needs a person, then --force.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sequence, task, workflow } from '../../engine/index.js';
import { sandbox, type CliResult } from '../support/cli.js';

const STEPS = ['s1', 's2', 's3'];

/** Three steps, not idempotent, each sleeping a little then appending its name to `file`. */
function appending(file: string) {
  return workflow({
    id: 'test:kill-anywhere',
    steps: sequence(
      ...STEPS.map((id) =>
        task(id, 'exec.run', { command: 'sh', args: ['-c', `sleep 0.2; echo ${id} >> "$1"`, 'append', file] }),
      ),
    ),
  });
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kills a run of `appending` after `delayMs`, then brings it to its end; what happened on the way. */
async function killAndFinish(delayMs: number) {
  const sb = sandbox();
  const file = join(sb.base, 'lines.txt');
  const def = sb.writeDefinition('appending', appending(file));
  const child = sb.spawn(['run', def]);
  const done = sb.collect(child);
  await sleep(delayMs);
  child.kill('SIGKILL');
  const first = await done;
  const linesAtKill = lines(file);
  const firstStepEnded = linesAtKill.length > 0;
  const ids = sb.runIds();
  const how: string[] = [];
  let last: CliResult = first;
  if (first.code === 0) how.push('finished before the kill');
  else if (ids.length > 0 && sb.record(ids[0]).status === 'succeeded') {
    // killed after recording its success, before exiting: nothing is left to do (a resume says so, exit 2)
    how.push('recorded succeeded, killed on its way out');
    last = await sb.run('show', ids[0]);
  } else if (ids.length === 0) {
    // killed before its record existed: nothing to resume, nothing had started
    expect(linesAtKill).toEqual([]);
    how.push('started afresh');
    last = await sb.run('run', def);
  } else {
    last = await sb.run('resume', ids[0]);
    how.push('resumed');
    if (last.code === 3) {
      how.push('forced');
      last = await sb.run('resume', ids[0], '--force');
    }
  }
  return { last, lines: lines(file), how: how.join(', '), firstStepEnded, record: ids[0] && sb.record(ids[0]) };
}

describe('a run killed at any moment', () => {
  it('resumes (or starts) to completion with each step once, from 30 kill moments', async () => {
    // how long a whole run takes here, spawn to exit
    const probe = sandbox();
    const t0 = performance.now();
    const whole = await probe.run('run', probe.writeDefinition('appending', appending(join(probe.base, 'l.txt'))));
    const total = performance.now() - t0;
    expect(whole.code, whole.stderr).toBe(0);

    const outcomes: Array<{ delay: number; how: string; firstStepEnded: boolean }> = [];
    for (let i = 0; i < 30; i++) {
      // from the spawn to past the end, denser at the start (node's start-up, the record, the first snapshot)
      const delay = Math.round(total * 1.05 * (i / 29) ** 1.3);
      const r = await killAndFinish(delay);
      expect(r.last.code, `killed at ${delay} ms (${r.how}): ${r.last.stderr}`).toBe(0);
      expect(r.lines, `killed at ${delay} ms (${r.how})`).toEqual(STEPS);
      outcomes.push({ delay, how: r.how, firstStepEnded: r.firstStepEnded });
    }
    // the moments really were spread: several before the first step ended, some resumed
    const seen = JSON.stringify(outcomes);
    expect(outcomes.filter((o) => !o.firstStepEnded).length, seen).toBeGreaterThanOrEqual(5);
    expect(outcomes.filter((o) => o.how.startsWith('resumed')).length, seen).toBeGreaterThanOrEqual(5);
  }, 300_000);
});
