// Small task nodes and engine fixtures shared by the engine tests: counters, gates and recorded events.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  createJsonStore,
  createMemoryStore,
  createRegistry,
  defineTask,
  keys,
  TaskError,
  type EngineOptions,
  type JournalEntry,
  type RunEvent,
  type RunLockHolder,
  type RunRecord,
  type Store,
  type TaskDefinition,
} from '../../engine/index.js';

/** Echoes its `value` back; counts its calls. Idempotent. */
export function echoTask(id = 'test.echo') {
  const calls: unknown[] = [];
  const task = defineTask({
    id,
    title: 'Echo',
    input: z.object({ value: z.unknown() }),
    output: z.object({ value: z.unknown() }),
    idempotent: true,
    async run({ input }) {
      calls.push(input.value);
      return { value: input.value };
    },
  });
  return { task, calls };
}

/** Adds two numbers. */
export const addTask = defineTask({
  id: 'test.add',
  title: 'Add',
  input: z.object({ a: z.number(), b: z.number() }),
  output: z.object({ sum: z.number() }),
  idempotent: true,
  async run({ input }) {
    return { sum: input.a + input.b };
  },
});

/** Sleeps `ms` (honouring its signal) and records when it started and ended; remembers whether its signal aborted. */
export function sleepTask(id = 'test.sleep') {
  const seen: Array<{ label: string; aborted: boolean }> = [];
  const task = defineTask({
    id,
    title: 'Sleep',
    input: z.object({ ms: z.number(), label: z.string().default('') }),
    output: z.object({ label: z.string() }),
    idempotent: true,
    async run({ input, signal }) {
      const record = { label: input.label, aborted: false };
      seen.push(record);
      signal.addEventListener('abort', () => (record.aborted = true), { once: true });
      await sleep(input.ms, undefined, { signal });
      return { label: input.label };
    },
  });
  return { task, seen };
}

/** Throws a TaskError with `message` every time. */
export function failTask(id = 'test.fail') {
  let calls = 0;
  const task = defineTask({
    id,
    title: 'Fail',
    input: z.object({ message: z.string().default('boom') }),
    output: z.object({}),
    async run({ input }) {
      calls++;
      throw new TaskError(input.message);
    },
  });
  return { task, calls: () => calls };
}

/** Fails its first `failures` attempts, then returns the attempt number. */
export function flakyTask(failures: number, id = 'test.flaky') {
  const attempts: number[] = [];
  const task = defineTask({
    id,
    title: 'Flaky',
    input: z.object({}),
    output: z.object({ attempt: z.number() }),
    async run({ attempt }) {
      attempts.push(attempt);
      if (attempts.length <= failures) throw new TaskError(`failure ${attempts.length}`);
      return { attempt };
    },
  });
  return { task, attempts };
}

/**
 * A task that blocks until `release()` is called (or its signal aborts); `started` resolves on each call.
 * With `hangFirst`, the first call never settles at all (a process that died mid-step).
 */
export function gateTask(o: { id?: string; idempotent?: boolean; hangFirst?: boolean } = {}) {
  let calls = 0;
  let sawAbort = false;
  let onStart: () => void = () => undefined;
  let started = new Promise<void>((r) => (onStart = r));
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => (open = r));
  const task = defineTask({
    id: o.id ?? 'test.gate',
    title: 'Gate',
    input: z.object({ value: z.string().default('gated') }),
    output: z.object({ value: z.string() }),
    idempotent: o.idempotent ?? false,
    compensate: async () => undefined,
    async run({ input, signal }) {
      calls++;
      onStart();
      if (o.hangFirst && calls === 1) return new Promise<never>(() => undefined);
      await new Promise<void>((resolve, reject) => {
        signal.addEventListener(
          'abort',
          () => {
            sawAbort = true;
            reject(signal.reason);
          },
          { once: true },
        );
        void gate.then(resolve);
      });
      return { value: input.value };
    },
  });
  return {
    task,
    calls: () => calls,
    sawAbort: () => sawAbort,
    /** Resolves when the task has been called (again, after `rearm()`). */
    started: () => started,
    rearm: () => (started = new Promise<void>((r) => (onStart = r))),
    release: () => open(),
  };
}

/** A task with a compensate() that records the order of undos; `failUndo` makes its compensate throw. */
export function undoableTask(undone: string[], id = 'test.undoable') {
  return defineTask({
    id,
    title: 'Undoable',
    input: z.object({ name: z.string(), failUndo: z.boolean().default(false) }),
    output: z.object({ made: z.string() }),
    idempotent: true,
    async run({ input }) {
      return { made: input.name };
    },
    async compensate({ input, output }) {
      if (input.failUndo) throw new TaskError(`cannot undo ${input.name}`);
      undone.push(`${input.name}:${output.made}`);
    },
  });
}

/** An engine over a memory store (or the given store) that records every event. */
export function engineWith(tasks: TaskDefinition[], o: Partial<EngineOptions> = {}) {
  const events: RunEvent[] = [];
  const engine: EngineOptions = {
    store: o.store ?? createMemoryStore(),
    registry: createRegistry(...tasks),
    ...o,
    onEvent: (e) => {
      events.push(e);
      o.onEvent?.(e);
    },
  };
  return { engine, events };
}

/** A JSON store in a fresh temp folder, with its cleanup. */
export async function tempJsonStore(): Promise<{ dir: string; store: Store; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'gravity-engine-'));
  const store = await createJsonStore(dir);
  return {
    dir,
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The journal of a run as stored. */
export async function journalOf(store: Store, runId: string): Promise<JournalEntry[]> {
  return store.readLog<JournalEntry>(`journal/${runId}`);
}

/** `type:step` of the task entries of a journal, in order. */
export function taskTrail(journal: Array<Pick<JournalEntry, 'type' | 'step'>>): string[] {
  return journal
    .filter((e) => e.type.startsWith('task.') && e.type !== 'task.process')
    .map((e) => `${e.type}:${e.step}`);
}

/** A pid no process has (above the kernel's pid_max of 2^22). */
export const DEAD_PID = 2 ** 22 + 11;

/**
 * What the death of this process would leave for the runs it drives, for tests that simulate a crash in-process (a step
 * that never settles): their run locks held, and their records owned, by a pid that no longer exists. Another engine
 * (another "process") may then take them over, as it would after a real crash.
 */
export async function processDied(store: Store): Promise<void> {
  for (const e of await store.list<RunLockHolder>(keys.locks))
    if (e.value.pid === process.pid) await store.put(e.key, { ...e.value, pid: DEAD_PID, pidStart: 1 });
  for (const e of await store.list<RunRecord>(keys.runs))
    if (e.value.pid === process.pid) await store.put(e.key, { ...e.value, pid: DEAD_PID, pidStart: 1 });
}
