// A cancel at any moment after a step starts aborts that step's work and its processes.
//
// The race this guards: a step journals `task.started` (awaiting a durable append) before it starts its work. A
// cancel that lands in that window aborted the step's signal before the attempt had added its abort listener; an
// AbortSignal dispatches 'abort' once, so the attempt never heard of it and its work ran to the end, unsupervised.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it, expect, afterEach } from 'vitest';
import { sequence, startRun, task, workflow, type JournalEntry, type RunEvent } from '../../engine/index.js';
import { execRun } from '../../tasks/exec/run.js';
import { echoTask, engineWith, journalOf, sleepTask, taskTrail, tempJsonStore } from './support.js';

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

const isStep = (e: RunEvent, type: string, step: string) => e.type === type && (e as { step?: string }).step === step;

/** Where the cancel lands: on an event (synchronously, inside the engine's own emit), or some ms after the step started. */
type Moment = { on: 'task.started' | 'task.process' } | { afterMs: number };
const moments: Moment[] = [
  { on: 'task.started' },
  { on: 'task.process' },
  { afterMs: 0 },
  { afterMs: 1 },
  { afterMs: 3 },
  { afterMs: 10 },
  { afterMs: 40 },
];
const label = (m: Moment) => ('on' in m ? `on ${m.on}` : `${m.afterMs} ms after task.started`);

describe('a cancel right after a step starts', () => {
  // an in-process task spawns nothing: no task.process moment for it
  it.each(moments.filter((m) => !('on' in m && m.on === 'task.process')).map((m) => [label(m), m] as const))(
    'aborts an in-process task cancelled %s: its work never runs to the end',
    async (_, m) => {
      // given a run over a durable store whose step sleeps 10 s while honouring its signal
      const tmp = await tempJsonStore();
      cleanups.push(tmp.cleanup);
      const nap = sleepTask();
      const echo = echoTask();
      const ac = new AbortController();
      const { engine } = engineWith([nap.task, echo.task], {
        store: tmp.store,
        onEvent: (e) => {
          if (!isStep(e, 'task.started', 'slow')) return;
          if ('on' in m) ac.abort();
          else setTimeout(() => ac.abort(), m.afterMs);
        },
      });
      const def = workflow({
        id: 'test:race',
        steps: sequence(
          task('slow', 'test.sleep', { ms: 10_000, label: 'slow' }),
          task('next', 'test.echo', { value: 'next' }),
        ),
      });
      // when the cancel lands at that moment
      const result = await startRun(engine, def, { params: {}, runId: 'r-race', signal: ac.signal });
      // then the run is cancelled, and the step's work either never started or saw its signal abort
      expect(result.status).toBe('cancelled');
      expect(nap.seen.every((s) => s.aborted)).toBe(true);
      expect(echo.calls).toEqual([]);
      // and the journal says the step was cancelled (not left open, not finished)
      expect(taskTrail(await journalOf(tmp.store, 'r-race'))).toEqual(['task.started:slow', 'task.cancelled:slow']);
    },
  );

  it.each(moments.map((m) => [label(m), m] as const))(
    'kills the process group of an exec.run step cancelled %s',
    async (_, m) => {
      // given a run whose step runs a real shell that starts a 30 s sleep in the background and waits for it
      const tmp = await tempJsonStore();
      cleanups.push(tmp.cleanup);
      const ac = new AbortController();
      const cancelOn = 'on' in m ? m.on : 'task.started';
      const { engine, events } = engineWith([execRun], {
        store: tmp.store,
        onEvent: (e) => {
          if (!isStep(e, cancelOn, 'sh')) return;
          if ('on' in m) ac.abort();
          else setTimeout(() => ac.abort(), m.afterMs);
        },
      });
      const def = workflow({
        id: 'test:race-exec',
        steps: task('sh', 'exec.run', {
          command: 'sh',
          args: ['-c', 'sleep 30 & echo $! > /dev/null; wait'],
          idempotent: true,
        }),
      });
      // when the cancel lands at that moment
      const result = await startRun(engine, def, { params: {}, runId: 'r-race-exec', signal: ac.signal });
      // then the run is cancelled and no process of the step's group is left (the group leader's pid is the group id)
      expect(result.status).toBe('cancelled');
      const pids = events
        .filter((e) => isStep(e, 'task.process', 'sh'))
        .map((e) => (e as JournalEntry & { pid: number }).pid);
      if (cancelOn === 'task.process') expect(pids).toHaveLength(1);
      for (const pid of pids) {
        // the hard kill follows the graceful one within its grace time: wait for it, bounded
        for (let i = 0; i < 100 && groupAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
        expect(groupAlive(pid), `process group ${pid} still alive after ${label(m)}`).toBe(false);
      }
      expect(taskTrail(await journalOf(tmp.store, 'r-race-exec'))).toEqual(['task.started:sh', 'task.cancelled:sh']);
    },
  );
});

/** True while a live (not zombie) process of the group `pgid` exists: an orphan killed here may stay a zombie until
 * whatever adopted it reaps it, and `kill(-pgid, 0)` still finds zombies. */
function groupAlive(pgid: number): boolean {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // fields after the command name (in parentheses): state, ppid, pgrp...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}
