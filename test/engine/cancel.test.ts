// cancelRun from outside a run's process: a run whose process is gone is marked cancelled (journaled) and resumes;
// a run that is not running is refused by name.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  cancelRun,
  createMemoryStore,
  keys,
  resumeRun,
  RunStatus,
  sequence,
  startRun,
  task,
  workflow,
  type RunRecord,
} from '../../engine/index.js';
import { echoTask, engineWith, gateTask, journalOf, processDied } from './support.js';

describe('cancelRun', () => {
  it('marks a run whose process died as cancelled, journals it, and leaves it resumable', async () => {
    // given a run that was interrupted mid-step: its record says running, by a pid that no longer exists
    const store = createMemoryStore();
    const gate = gateTask({ idempotent: true, hangFirst: true });
    const { engine } = engineWith([gate.task, echoTask().task], { store });
    const def = workflow({
      id: 'test:cancel-dead',
      steps: sequence(task('wait', 'test.gate', {}), task('after', 'test.echo', { value: 1 })),
    });
    void startRun(engine, def, { params: {}, runId: 'r-dead' });
    await gate.started();
    await new Promise((r) => setTimeout(r, 20));
    const record = (await store.get<RunRecord>(keys.run('r-dead')))!.value;
    await store.put(keys.run('r-dead'), { ...record, pid: 2 ** 22 + 11, pidStart: 1, host: hostname() });
    await processDied(store);

    // when it is cancelled by its id prefix
    const report = await cancelRun(engine, 'r-de');

    // then it is cancelled without a signal sent, the journal says why, and resume finishes it
    expect(report).toEqual({ runId: 'r-dead', status: RunStatus.Cancelled, signalled: false });
    const after = (await store.get<RunRecord>(keys.run('r-dead')))!.value;
    expect(after.status).toBe('cancelled');
    expect(after.pid).toBeUndefined();
    expect((await journalOf(store, 'r-dead')).at(-1)).toMatchObject({
      type: 'run.cancelled',
      message: expect.stringMatching(/process is gone/),
    });
    gate.rearm();
    const resumed = resumeRun(engine, 'r-dead');
    await gate.started();
    gate.release();
    expect((await resumed).status).toBe('succeeded');
  });

  it.each(['succeeded', 'cancelled', 'failed'] as const)(
    'refuses a %s run with BAD_INPUT naming it, and changes nothing',
    async (status) => {
      const store = createMemoryStore();
      const { engine } = engineWith([], { store });
      const record: RunRecord = {
        id: 'r-x',
        workflow: 'w:x',
        definitionHash: 'h',
        source: { kind: 'inline' },
        params: {},
        status,
        createdAt: 'c',
        updatedAt: 'u',
      };
      await store.put(keys.run('r-x'), record);
      await expect(cancelRun(engine, 'r-x')).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: `run r-x is ${status}, not running: nothing to cancel`,
      });
      expect((await store.get<RunRecord>(keys.run('r-x')))!.value).toEqual(record);
      expect(await journalOf(store, 'r-x')).toEqual([]);
    },
  );
});
