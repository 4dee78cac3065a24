// The inbox of a run's message boundaries. `gravity signal` posts a message for a step that listens for it (the run's
// record lists it: `listening`) to `inbox/<run>/<time>-<random>` in the store, without the run's lock when another
// process drives the run; that process's execution reads its inbox while a step listens (engine/execution.ts), and for
// a message a step still listens for journals it, leaves the step for the boundary's target and deletes the message
// once the new state's snapshot is durable: a crash in between delivers it again (at least once). A message no step
// listens for any more is dropped, journaled. A parked run is resumed by the signal, under its lock (engine/answer.ts).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BadInputError } from './errors.js';
import { RunStatus, type JournalEntry, type Listening, type RunRecord, type Waiting } from './journal.js';
import { isRunLive } from './liveness.js';
import { keyMatches } from './message-boundaries.js';
import { keys, loadRun, readJournal } from './run-store.js';
import type { AnswerRequest, EngineOptions } from './run-types.js';
import type { Store } from './store/types.js';
import { localUser, waitingFor } from './wait.js';

/** A message in a run's inbox: for which listening step, its name, key and data, who sent it and when. */
export interface InboxMessage {
  /** Its id, the last segment of its key: `<ISO time>-<random>`, so that the inbox lists messages in the order they came. */
  id: string;
  step: string;
  message: string;
  key?: string;
  data?: unknown;
  by: string;
  at: string;
}

/** One entry of an inbox: its store key and the message, or what is wrong with it. */
export interface InboxItem {
  key: string;
  message?: InboxMessage;
  problem?: string;
}

/** Why a stored value is not an inbox message, or undefined. */
function messageProblem(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
  const m = v as Record<string, unknown>;
  for (const f of ['id', 'step', 'message', 'by', 'at'])
    if (typeof m[f] !== 'string') return `its ${f} is not a string`;
  if (m.key !== undefined && typeof m.key !== 'string') return 'its key is not a string';
  return undefined;
}

/** The messages in run `runId`'s inbox, oldest first (and the entries that cannot be read, each with its problem). */
export async function readInbox(store: Store, runId: string): Promise<InboxItem[]> {
  const { entries, unreadable } = await store.scan<InboxMessage>(keys.inbox(runId));
  const items: InboxItem[] = entries.map((e) => {
    const problem = messageProblem(e.value);
    return problem ? { key: e.key, problem } : { key: e.key, message: e.value };
  });
  items.push(...unreadable.map((u) => ({ key: u.key, problem: `${u.location}: ${u.problem}` })));
  return items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** `<step> (message "m" key k)`. */
export function listeningText(l: Listening): string {
  return `<${l.step}> (message "${l.message}"${l.key === undefined ? '' : ` key ${l.key}`})`;
}

/** Where a message goes: a message wait the run is parked at (answered as before), or a step that listens for it. */
export type MessageRoute = { kind: 'wait'; waiting: Waiting } | { kind: 'listener'; listener: Listening };

/**
 * Where message `req` goes in run `record`: to a message wait of that name and key the run is parked at (the path of
 * message waits: engine/answer.ts), else to the step that listens for it (a message boundary) while the run is
 * parked, or runs: `running` says whether the listeners of a `running` run count (its process is alive: default
 * {@link isRunLive}; false under the run's lock, where nobody else drives it). Throws BadInputError (exit 2) naming
 * what the run waits for and what it listens for when neither takes it, or when several steps listen for it and
 * `req.step` names none of them.
 */
export function messageRoute(record: RunRecord, req: AnswerRequest, o: { running?: boolean } = {}): MessageRoute {
  let notWaiting: BadInputError;
  try {
    return { kind: 'wait', waiting: waitingFor(record, req) };
  } catch (e) {
    if (!(e instanceof BadInputError)) throw e;
    notWaiting = e;
  }
  const listening = record.listening ?? [];
  const matches = listening.filter(
    (l) => l.message === req.name && keyMatches(l.key, req.key) && (req.step === undefined || l.step === req.step),
  );
  const running = record.status === RunStatus.Running && (o.running ?? isRunLive(record));
  if (matches.length && (running || record.status === RunStatus.Waiting)) {
    if (matches.length > 1)
      throw new BadInputError(
        `run ${record.id} listens for message "${req.name}" at several steps: ${matches.map(listeningText).join(', ')}; name one with --step`,
        { run: record.id },
      );
    return { kind: 'listener', listener: matches[0] };
  }
  const listens =
    matches.length && record.status === RunStatus.Running
      ? `${matches.map(listeningText).join(', ')} listened for it, but the run is interrupted (its process is gone): resume it (\`gravity resume ${record.id}\`), then send the message again`
      : listening.length && (record.status === RunStatus.Running || record.status === RunStatus.Waiting)
        ? `it listens for ${listening.map(listeningText).join(', ')}`
        : 'it listens for no message';
  throw new BadInputError(`${notWaiting.message}; ${listens}`, {
    ...(notWaiting.details ?? {}),
    run: record.id,
    listening,
  });
}

/** Writes message `req` for listener `l` of run `runId` to the run's inbox (no lock: the run's driver takes it). */
export async function postMessage(
  store: Store,
  runId: string,
  l: Listening,
  req: AnswerRequest,
): Promise<{ key: string; message: InboxMessage }> {
  const at = new Date().toISOString();
  const id = `${at}-${randomBytes(4).toString('hex')}`;
  const message: InboxMessage = {
    id,
    step: l.step,
    message: l.message,
    ...(req.key === undefined ? {} : { key: req.key }),
    ...(req.data === undefined ? {} : { data: req.data }),
    by: req.by ?? localUser(),
    at,
  };
  const key = keys.inboxEntry(runId, id);
  await store.put(key, message, { ifVersion: null });
  return { key, message };
}

/** What became of a message posted to a run another process drives (see {@link signalRunningRun}). */
export interface MessageDelivery {
  runId: string;
  step: string;
  message: string;
  key?: string;
  /**
   * `interrupted`: the step was left for its boundary's target; `dropped`: the step ended before the message was taken;
   * `parked`: the run parked (waiting) before it took it: resume it, it takes it then; `pending`: not taken yet (the run
   * stopped, or did not take it in time): it is taken when the step listens again (a resume).
   */
  outcome: 'interrupted' | 'dropped' | 'parked' | 'pending';
  /** The journal line that says what became of it (interrupted or dropped). */
  entry?: JournalEntry;
  /** The run's record as it was last read. */
  record: RunRecord;
}

/**
 * Posts message `req` to run `runId`, which another process drives (`running` and live) and which has a step that
 * listens for it, then waits (up to `waitMs`, default 10 s) until that process took it: the step was interrupted, or
 * it had ended and the message was dropped; or until the run parked or stopped before taking it. Throws BadInputError
 * when the run does not listen for it (see {@link messageRoute}).
 */
export async function signalRunningRun(
  engine: Pick<EngineOptions, 'store'>,
  runId: string,
  req: AnswerRequest,
  o: { waitMs?: number; running?: boolean; pollMs?: number } = {},
): Promise<MessageDelivery> {
  const record = await loadRun(engine, runId);
  const route = messageRoute(record, req, { running: o.running });
  if (route.kind !== 'listener' || record.status !== RunStatus.Running)
    throw new BadInputError(`run ${record.id} is not running: deliver the message with a resume of the run`, {
      run: record.id,
    });
  const { key, message } = await postMessage(engine.store, record.id, route.listener, req);
  const base = { runId: record.id, step: message.step, message: message.message, key: message.key };
  const until = Date.now() + (o.waitMs ?? 10_000);
  for (;;) {
    const now = await loadRun(engine, record.id);
    if (!(await engine.store.get(key))) {
      const entry = [...(await readJournal(engine.store, record.id))]
        .reverse()
        .find((e) => (e.type === 'step.interrupted' || e.type === 'message.dropped') && e.answer?.id === message.id);
      return {
        ...base,
        outcome: entry?.type === 'step.interrupted' ? 'interrupted' : 'dropped',
        ...(entry ? { entry } : {}),
        record: now,
      };
    }
    if (now.status === RunStatus.Waiting) return { ...base, outcome: 'parked', record: now };
    const alive = now.status === RunStatus.Running && (o.running ?? isRunLive(now));
    if (!alive || Date.now() >= until) return { ...base, outcome: 'pending', record: now };
    await sleep(o.pollMs ?? 50);
  }
}
