// engine/step.ts driven directly through a recording step host: sleep and abort races, task log levels, the journal
// entries of bad inputs and outputs, errors of every kind, cancel in backoff, timeouts, detach, ctx.exec, ctx.scope,
// ctx.once, and supervised attempts made afresh or adopted.
import { getEventListeners } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CancelledError,
  createMemoryStore,
  createRegistry,
  defineTask,
  DetachedError,
  GravityError,
  isAlive,
  TaskError,
  ValidationError,
  type JournalEntry,
  type RunRecord,
  type TaskDefinition,
} from '../../engine/index.js';
import type { TaskRequest } from '../../engine/compile.js';
import type { StepHost } from '../../engine/run-types.js';
import { runTaskStep, sleep } from '../../engine/step.js';
import { attemptFolder } from '../../engine/supervisor.js';
import { tempDir } from '../support/git-fixtures.js';

type Logged = { entry: Omit<JournalEntry, 'at'>; opts?: { sync?: boolean } };

/** A step host that records what the step journals and logs, with the resume answers and folder given. */
function hostFor(
  tasks: TaskDefinition[],
  o: {
    filesDir?: string;
    interrupted?: number;
    adopt?: boolean;
    scope?: Record<string, unknown>;
    onLog?: (entry: Omit<JournalEntry, 'at'>) => void;
  } = {},
) {
  const logged: Logged[] = [];
  const lines: Array<{ step: string; level: string; text: string }> = [];
  let scopeReads = 0;
  const filesDir = o.filesDir;
  const host: StepHost = {
    engine: {
      store: createMemoryStore(),
      registry: createRegistry(...tasks),
      ...(filesDir ? { filesDir: () => filesDir } : {}),
    },
    record: { id: 'r-step' } as RunRecord,
    journal: [],
    force: false,
    children: {} as StepHost['children'],
    async log(entry, opts) {
      logged.push(opts ? { entry, opts } : { entry });
      o.onLog?.(entry);
    },
    emitLog: (step, level, text) => lines.push({ step, level, text }),
    checkpoint: async () => undefined,
    takeInterruptedAttempt: () => o.interrupted ?? 0,
    takeAdoption: () => o.adopt ?? false,
    scope: () => {
      scopeReads++;
      return { ...(o.scope ?? {}) };
    },
    requestAttention: () => undefined,
    park: () => undefined,
    parked: () => false,
    holdOpen: () => undefined,
    leftByMachine: () => false,
    sidePath: () => undefined,
    remindAt: () => undefined,
    runTask: () => Promise.reject(new Error('no for-each here')),
  };
  return {
    host,
    lines,
    scopeReads: () => scopeReads,
    entries: () => logged.map((l) => l.entry),
    of: (type: string) => logged.filter((l) => l.entry.type === type),
  };
}

const request = (src: string, input: unknown, meta: TaskRequest['meta'] = {}, step = 's'): TaskRequest => ({
  step,
  src,
  input,
  meta,
});

/** Settles with the promise, or with 'pending' if it has not settled after `ms` (a wait that should be over). */
function within<T>(p: Promise<T>, ms = 1500): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits on its signal and rejects with its reason; what the signal said is kept. */
function waiterTask(id = 'test.waiter', spec: { supervised?: boolean; timeoutMs?: number } = {}) {
  const seen: { reason?: unknown; signal?: AbortSignal } = {};
  const task = defineTask({
    id,
    title: 'Waiter',
    input: z.object({}),
    output: z.object({}),
    ...spec,
    async run({ signal }) {
      seen.signal = signal;
      return new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => {
          seen.reason = signal.reason;
          reject(signal.reason as Error);
        }),
      );
    },
  });
  return { task, seen };
}

/** Runs a task body given inline. */
function inline(run: TaskDefinition['run'], spec: { id?: string; timeoutMs?: number; output?: z.ZodType } = {}) {
  return defineTask({
    id: spec.id ?? 'test.inline',
    title: 'Inline',
    input: z.object({}).passthrough(),
    output: spec.output ?? z.unknown(),
    timeoutMs: spec.timeoutMs,
    run: (ctx) => run(ctx) as Promise<never>,
  });
}

const pids: number[] = [];
afterEach(() => {
  for (const pid of pids.splice(0))
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
});

describe('sleep', () => {
  it('sleeps without a signal', async () => {
    await expect(within(sleep(5))).resolves.toBeUndefined();
  });

  it('rejects at once with CancelledError when its signal aborted before', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(within(sleep(5000, ac.signal))).rejects.toBeInstanceOf(CancelledError);
  });

  it('rejects when its signal aborts meanwhile, and leaves no listener on the signal either way', async () => {
    const ac = new AbortController();
    await sleep(5, ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    const p = sleep(5000, ac.signal);
    ac.abort();
    await expect(within(p)).rejects.toBeInstanceOf(CancelledError);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});

describe('a step and its signal', () => {
  it('leaves no listener on the run signal once a step without a timeout ended', async () => {
    const h = hostFor([inline(async () => ({ ok: true }))]);
    const ac = new AbortController();
    expect(await runTaskStep(h.host, request('test.inline', {}), ac.signal)).toEqual({ ok: true });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('gives up at once on a task cancelled while it was starting, even one that never settles', async () => {
    const ac = new AbortController();
    const h = hostFor([
      inline(() => {
        ac.abort();
        return new Promise(() => undefined);
      }),
    ]);
    const e = await within(runTaskStep(h.host, request('test.inline', {}), ac.signal).catch((x: unknown) => x));
    expect(e).toBeInstanceOf(CancelledError);
    expect((e as Error).message).toBe('step <s> cancelled');
    expect(h.entries().at(-1)).toMatchObject({ type: 'task.cancelled', step: 's', attempt: 1 });
  });

  it('cancels at once a step whose task ignores its signal, and keeps no listener for it', async () => {
    const ac = new AbortController();
    const h = hostFor([inline(() => new Promise(() => undefined))], {
      onLog: (e) => e.type === 'task.started' && setTimeout(() => ac.abort(), 20),
    });
    const e = await within(runTaskStep(h.host, request('test.inline', {}), ac.signal).catch((x: unknown) => x));
    expect(e).toBeInstanceOf(CancelledError);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('hands the run signal’s reason to a task with a timeout, and cancels the step', async () => {
    const w = waiterTask('test.waiter', { timeoutMs: 10_000 });
    const h = hostFor([w.task], { onLog: (e) => e.type === 'task.started' && setTimeout(() => ac.abort(reason), 20) });
    const ac = new AbortController();
    const reason = new CancelledError('stopped by a person');
    const e = await within(runTaskStep(h.host, request('test.waiter', {}), ac.signal).catch((x: unknown) => x));
    expect(w.seen.reason).toBe(reason);
    expect(e).toBeInstanceOf(CancelledError);
    expect((e as Error).message).toBe('step <s> cancelled');
  });

  it('lets go of the timer and the run signal once a step with a timeout ended', async () => {
    let own: AbortSignal | undefined;
    const h = hostFor([
      inline(
        async (ctx) => {
          own = ctx.signal;
          return 1;
        },
        { timeoutMs: 80 },
      ),
    ]);
    const ac = new AbortController();
    expect(await runTaskStep(h.host, request('test.inline', {}), ac.signal)).toBe(1);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    await pause(200);
    expect(own!.aborted).toBe(false);
  });
});

describe('what a task sees', () => {
  it('logs each level under its own name, with data after the message', async () => {
    const h = hostFor([
      inline(async ({ log }) => {
        log.info('i');
        log.warn('w', { a: 1 });
        log.error('e');
        log.stream('stdout', 'out');
        return null;
      }),
    ]);
    await runTaskStep(h.host, request('test.inline', {}), new AbortController().signal);
    expect(h.lines).toEqual([
      { step: 's', level: 'info', text: 'i' },
      { step: 's', level: 'warn', text: 'w {"a":1}' },
      { step: 's', level: 'error', text: 'e' },
      { step: 's', level: 'stdout', text: 'out' },
    ]);
  });

  it('builds the scope once, on first read, with the step’s own names over the run’s', async () => {
    const h = hostFor(
      [
        inline(async (ctx) => {
          const first = ctx.scope;
          return { first, same: ctx.scope === first };
        }),
      ],
      { scope: { params: { p: 1 }, item: 'run' } },
    );
    const req = { ...request('test.inline', {}), vars: { item: 'mine', index: 0 } };
    const out = await runTaskStep(h.host, req, new AbortController().signal);
    expect(out).toEqual({ first: { params: { p: 1 }, item: 'mine', index: 0 }, same: true });
    expect(h.scopeReads()).toBe(1);
  });

  it('computes a once-decision directly outside supervision', async () => {
    const h = hostFor([inline(async ({ once }) => ({ v: await once('pick', () => 42) }))]);
    expect(await runTaskStep(h.host, request('test.inline', {}), new AbortController().signal)).toEqual({ v: 42 });
  });

  it('runs ctx.exec with no arguments when none are given, journaling the process without a sync', async () => {
    const h = hostFor([inline(async ({ exec }) => ({ out: (await exec('echo')).stdout }))]);
    expect(await runTaskStep(h.host, request('test.inline', {}), new AbortController().signal)).toEqual({
      out: '\n',
    });
    const [proc] = h.of('task.process');
    expect(proc.entry).toMatchObject({ type: 'task.process', step: 's', task: 'test.inline', command: ['echo'] });
    expect(proc.opts).toEqual({ sync: false });
  });

  it("stops ctx.exec's command when the step is cancelled, and only its own signal when one is given", async () => {
    // its own signal: the command stops, the step goes on
    const own = new AbortController();
    const h1 = hostFor(
      [
        inline(async ({ exec }) => {
          setTimeout(() => own.abort(), 100);
          const e = await exec('sleep', ['5'], { signal: own.signal, onSpawn: (p) => pids.push(p) }).catch(
            (x: unknown) => x,
          );
          return { stopped: e instanceof CancelledError };
        }),
      ],
      {},
    );
    const run = new AbortController();
    expect(await within(runTaskStep(h1.host, request('test.inline', {}), run.signal), 3000)).toEqual({
      stopped: true,
    });

    // the step's signal: the command's group is killed
    const step = new AbortController();
    let pid = 0;
    const h2 = hostFor([inline(async ({ exec }) => exec('sleep', ['5']))], {
      onLog: (e) => {
        if (e.type !== 'task.process') return;
        pid = e.pid!;
        pids.push(pid);
        step.abort();
      },
    });
    await expect(runTaskStep(h2.host, request('test.inline', {}), step.signal)).rejects.toBeInstanceOf(CancelledError);
    const until = Date.now() + 1500;
    while (isAlive(pid) && Date.now() < until) await pause(20);
    expect(isAlive(pid)).toBe(false);
  });
});

describe('bad inputs and outputs', () => {
  const echo = defineTask({
    id: 'test.echo',
    title: 'Echo',
    input: z.object({ value: z.number() }),
    output: z.object({ value: z.number() }),
    idempotent: false,
    async run({ input }) {
      return input;
    },
  });

  it('journals an input that could not be computed as a failed first attempt, and runs nothing', async () => {
    const h = hostFor([echo]);
    const inputError = { name: 'GravityError', code: 'EXPRESSION', message: 'no such name: x' };
    const e = await runTaskStep(
      h.host,
      { ...request('test.echo', undefined), inputError },
      new AbortController().signal,
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GravityError);
    expect(e).toMatchObject({ code: 'EXPRESSION', message: 'no such name: x' });
    expect(h.entries()).toEqual([
      { type: 'task.started', step: 's', task: 'test.echo', attempt: 1, idempotent: true },
      { type: 'task.failed', step: 's', task: 'test.echo', attempt: 1, error: inputError },
    ]);
  });

  it('journals an invalid input with the input, and fails with a ValidationError naming the step and task', async () => {
    const h = hostFor([echo]);
    const e = await runTaskStep(h.host, request('test.echo', { value: 'x' }), new AbortController().signal).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).details).toEqual({ step: 's', task: 'test.echo' });
    expect(h.entries()).toEqual([
      { type: 'task.started', step: 's', task: 'test.echo', attempt: 1, idempotent: true, input: { value: 'x' } },
      { type: 'task.failed', step: 's', task: 'test.echo', attempt: 1, error: (e as ValidationError).toJSON() },
    ]);
  });

  it('fails an invalid output with a ValidationError naming the step and task, without retrying', async () => {
    let calls = 0;
    const h = hostFor([
      inline(
        async () => {
          calls++;
          return { n: 'not a number' };
        },
        { output: z.object({ n: z.number() }) },
      ),
    ]);
    const e = await runTaskStep(
      h.host,
      request('test.inline', {}, { retry: { max: 3, backoffMs: 1 } }),
      new AbortController().signal,
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).details).toEqual({ step: 's', task: 'test.inline' });
    expect(calls).toBe(1);
  });
});

describe('how an attempt ends', () => {
  it('journals the end without a sync, with a duration within the time the step took', async () => {
    const h = hostFor([inline(async () => 'done')]);
    const t0 = performance.now();
    await runTaskStep(h.host, request('test.inline', {}), new AbortController().signal);
    const elapsed = performance.now() - t0;
    const [fin] = h.of('task.finished');
    expect(fin.opts).toEqual({ sync: false });
    expect(fin.entry).toMatchObject({ step: 's', task: 'test.inline', attempt: 1, output: 'done' });
    expect(fin.entry.durationMs).toBeGreaterThanOrEqual(0);
    expect(fin.entry.durationMs).toBeLessThanOrEqual(Math.ceil(elapsed));
  });

  it('fails with what a task threw: an Error as it is (its code kept), anything else made an Error', async () => {
    const denied = Object.assign(new Error('denied'), { code: 'EACCES' });
    const h1 = hostFor([
      inline(async () => {
        throw denied;
      }),
    ]);
    const t0 = performance.now();
    await expect(runTaskStep(h1.host, request('test.inline', {}), new AbortController().signal)).rejects.toBe(denied);
    const elapsed = performance.now() - t0;
    const [failed] = h1.of('task.failed');
    expect(failed.entry.error).toEqual({ name: 'Error', code: 'EACCES', message: 'denied' });
    expect(failed.entry.durationMs).toBeLessThanOrEqual(Math.ceil(elapsed));
    expect(failed.opts).toEqual({ sync: false });

    const h2 = hostFor([
      inline(async () => {
        throw 'boom';
      }),
    ]);
    const e = await runTaskStep(h2.host, request('test.inline', {}), new AbortController().signal).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toBe('boom');
    expect(h2.of('task.failed')[0].entry.error).toEqual({ name: 'Error', code: 'ERROR', message: 'boom' });
  });

  it('cancelled while waiting to retry: journals the attempt that failed as cancelled, and tries no more', async () => {
    let calls = 0;
    const ac = new AbortController();
    const h = hostFor(
      [
        inline(async () => {
          calls++;
          throw new TaskError('flaky');
        }),
      ],
      { onLog: (e) => e.type === 'task.retrying' && setTimeout(() => ac.abort(), 20) },
    );
    const e = await within(
      runTaskStep(h.host, request('test.inline', {}, { retry: { max: 3, backoffMs: 10_000 } }), ac.signal).catch(
        (x: unknown) => x,
      ),
    );
    expect(e).toBeInstanceOf(CancelledError);
    expect((e as Error).message).toBe('step <s> cancelled');
    expect(calls).toBe(1);
    expect(h.entries().at(-1)).toEqual({ type: 'task.cancelled', step: 's', task: 'test.inline', attempt: 1 });
  });

  it('journals a cancel with a duration within the time the step took', async () => {
    const w = waiterTask();
    const ac = new AbortController();
    const h = hostFor([w.task], { onLog: (e) => e.type === 'task.started' && setTimeout(() => ac.abort(), 20) });
    const t0 = performance.now();
    await expect(runTaskStep(h.host, request('test.waiter', {}), ac.signal)).rejects.toThrow('step <s> cancelled');
    const elapsed = performance.now() - t0;
    const cancelled = h.of('task.cancelled')[0].entry;
    expect(cancelled.durationMs).toBeGreaterThanOrEqual(0);
    expect(cancelled.durationMs).toBeLessThanOrEqual(Math.ceil(elapsed));
  });
});

describe('supervised steps', () => {
  /** A supervised task running one command that counts its runs in `counter`; fails its attempts below `failBelow`. */
  function counting(dir: string) {
    const counter = join(dir, 'counter');
    const task = defineTask({
      id: 'test.counting',
      title: 'Counting',
      input: z.object({ failBelow: z.number().default(0) }),
      output: z.object({ runs: z.number() }),
      supervised: true,
      async run({ exec, attempt, input }) {
        await exec('sh', ['-c', `echo run >> ${counter}`]);
        if (attempt < input.failBelow) throw new TaskError(`attempt ${attempt} fails`);
        return { runs: readFileSync(counter, 'utf8').split('\n').filter(Boolean).length };
      },
    });
    return { task, runs: () => readFileSync(counter, 'utf8').split('\n').filter(Boolean).length };
  }

  const stepDir = (filesDir: string) => join(attemptFolder(filesDir, 's', 1), '..');

  it('runs its commands under the supervisor, in the attempt folder, and journals the step as supervised', async () => {
    const filesDir = tempDir('gravity-step-');
    const c = counting(filesDir);
    const h = hostFor([c.task], { filesDir });
    expect(await runTaskStep(h.host, request('test.counting', {}), new AbortController().signal)).toEqual({ runs: 1 });
    expect(h.entries()[0]).toEqual({
      type: 'task.started',
      step: 's',
      task: 'test.counting',
      attempt: 1,
      idempotent: false,
      supervised: true,
      input: { failBelow: 0 },
    });
    expect(existsSync(join(attemptFolder(filesDir, 's', 1), 'c1', 'command.json'))).toBe(true);
  });

  it('makes an attempt afresh, its old folder set aside, when resume did not find it adoptable', async () => {
    const filesDir = tempDir('gravity-step-');
    const c = counting(filesDir);
    await runTaskStep(hostFor([c.task], { filesDir }).host, request('test.counting', {}), new AbortController().signal);
    const h = hostFor([c.task], { filesDir, interrupted: 1, adopt: false });
    expect(await runTaskStep(h.host, request('test.counting', {}), new AbortController().signal)).toEqual({ runs: 2 });
    expect(readdirSync(stepDir(filesDir)).filter((n) => n.startsWith('attempt-1.'))).toHaveLength(1);
  });

  it('adopts the commands of an interrupted attempt resume found adoptable, and a later attempt is made afresh', async () => {
    const filesDir = tempDir('gravity-step-');
    const c = counting(filesDir);
    // a first pass that failed its attempt 1 and made attempt 2: both folders hold a finished command
    const retry = { retry: { max: 2, backoffMs: 1 } };
    await runTaskStep(
      hostFor([c.task], { filesDir }).host,
      request('test.counting', { failBelow: 2 }, retry),
      new AbortController().signal,
    );
    expect(c.runs()).toBe(2);

    // resumed at attempt 1, adopted: its command is not run again; attempt 2 then runs its own, old folder set aside
    const h = hostFor([c.task], { filesDir, interrupted: 1, adopt: true });
    expect(
      await runTaskStep(h.host, request('test.counting', { failBelow: 2 }, retry), new AbortController().signal),
    ).toEqual({ runs: 3 });
    const names = readdirSync(stepDir(filesDir));
    expect(names.filter((n) => n.startsWith('attempt-1.'))).toHaveLength(0);
    expect(names.filter((n) => n.startsWith('attempt-2.'))).toHaveLength(1);
  });

  it('adopting an attempt that succeeds runs none of its commands again', async () => {
    const filesDir = tempDir('gravity-step-');
    const c = counting(filesDir);
    await runTaskStep(hostFor([c.task], { filesDir }).host, request('test.counting', {}), new AbortController().signal);
    const h = hostFor([c.task], { filesDir, interrupted: 1, adopt: true });
    expect(await runTaskStep(h.host, request('test.counting', {}), new AbortController().signal)).toEqual({ runs: 1 });
    expect(readdirSync(stepDir(filesDir))).toEqual(['attempt-1']);
  });

  it('is let go of, open in the journal, when detached; an unsupervised one is cancelled', async () => {
    const filesDir = tempDir('gravity-step-');
    const sup = waiterTask('test.sup', { supervised: true });
    const plain = waiterTask('test.plain');
    const detach = new DetachedError();

    const ac1 = new AbortController();
    const h1 = hostFor([sup.task], {
      filesDir,
      onLog: (e) => e.type === 'task.started' && setTimeout(() => ac1.abort(detach), 20),
    });
    await expect(within(runTaskStep(h1.host, request('test.sup', {}), ac1.signal))).rejects.toBe(detach);
    expect(h1.entries().map((e) => e.type)).toEqual(['task.started']);

    const ac2 = new AbortController();
    const h2 = hostFor([plain.task], {
      filesDir,
      onLog: (e) => e.type === 'task.started' && setTimeout(() => ac2.abort(detach), 20),
    });
    await expect(within(runTaskStep(h2.host, request('test.plain', {}), ac2.signal))).rejects.toThrow(
      'step <s> cancelled',
    );
    expect(h2.entries().map((e) => e.type)).toEqual(['task.started', 'task.cancelled']);
  });

  it('is cancelled like any step when cancelled, and fails like any step when its task fails', async () => {
    const filesDir = tempDir('gravity-step-');
    const sup = waiterTask('test.sup', { supervised: true });
    const ac = new AbortController();
    const h1 = hostFor([sup.task], {
      filesDir,
      onLog: (e) => e.type === 'task.started' && setTimeout(() => ac.abort(), 20),
    });
    const e = await within(runTaskStep(h1.host, request('test.sup', {}), ac.signal).catch((x: unknown) => x));
    expect(e).toBeInstanceOf(CancelledError);
    expect((e as Error).message).toBe('step <s> cancelled');

    const c = counting(filesDir);
    const h2 = hostFor([c.task], { filesDir });
    await expect(
      runTaskStep(h2.host, request('test.counting', { failBelow: 2 }), new AbortController().signal),
    ).rejects.toThrow('attempt 1 fails');
    expect(h2.entries().map((x) => x.type)).toEqual(['task.started', 'task.process', 'task.failed']);
  });
});
