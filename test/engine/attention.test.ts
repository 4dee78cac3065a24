// Runs that end on purpose in "needs attention": the work is done, a person must look at what is left.
import { describe, expect, it } from 'vitest';
import { attention, decide, sequence, startRun, task, workflow } from '../../engine/index.js';
import { echoTask, engineWith } from './support.js';

describe('attention ends', () => {
  it('ends the run in needs-attention with the evaluated message and keeps the output', async () => {
    // given a workflow whose decision leads to an attention end when differences remain
    const { task: echo } = echoTask();
    const { engine } = engineWith([echo]);
    const def = workflow({
      id: 'test:attention',
      params: { left: { type: 'integer' } },
      steps: sequence(
        task('count', 'test.echo', { value: '=left' }),
        decide('any', [
          {
            when: 'steps.count.value > 0',
            then: attention('review', '=string(steps.count.value) + " file(s) differ: resolve them by hand"', {
              left: '=steps.count.value',
            }),
          },
        ]),
      ),
      output: { left: 0 },
    });
    // when it runs with differences, then it needs attention, with message and output
    const r = await startRun(engine, def, { params: { left: 2 } });
    expect(r.status).toBe('needs-attention');
    expect(r.attention?.message).toBe('2 file(s) differ: resolve them by hand');
    expect(r.output).toEqual({ left: 2 });
    // and without differences it succeeds
    expect((await startRun(engine, def, { params: { left: 0 } })).status).toBe('succeeded');
  });
});
