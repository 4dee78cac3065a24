// Answers for waiting runs: an approval, a rejection or a message is journaled on the run (and on the child run a call
// step waits for), under the run's lock, before the run is resumed to take it (engine/runner.ts). A message for a step
// that listens for it (a message boundary of a parked step) goes to the run's inbox instead, which the resumed run reads
// before it parks again (engine/inbox.ts).
import { messageRoute, postMessage } from './inbox.js';
import { lockRun } from './run-lock.js';
import { loadRun, readJournal, RunWriter } from './run-store.js';
import type { AnswerRequest, EngineOptions } from './run-types.js';
import { answerEntry, waitingFor } from './wait.js';

/**
 * Journals `req` for the step run `runId` waits at (the caller holds the run's lock), or posts a message to the inbox
 * of the parked run when a step of it listens for that message rather than waits for it. Throws BadInputError (exit 2)
 * when the run neither waits for it (engine/wait.ts waitingFor) nor listens for it: nothing is written then.
 */
export async function deliverAnswer(engine: EngineOptions, runId: string, req: AnswerRequest): Promise<void> {
  const record = await loadRun(engine, runId);
  if (req.kind === 'message') {
    // under the lock nobody else drives the run: only a parked run's listeners take a message here
    const route = messageRoute(record, req, { running: false });
    if (route.kind === 'listener') {
      await postMessage(engine.store, record.id, route.listener, req);
      return;
    }
  }
  const w = waitingFor(record, req);
  if (w.child) {
    // the call step waits because its child run does: the child takes the answer (its own step is the one it names)
    const lock = await lockRun(engine.store, w.child, { purpose: req.kind });
    try {
      await deliverAnswer(engine, w.child, { ...req, step: undefined });
    } finally {
      await lock.release();
    }
  }
  const journal = await readJournal(engine.store, record.id);
  const task = [...journal].reverse().find((e) => e.step === w.step && e.type === 'task.started')?.task;
  await new RunWriter(engine, record).log(answerEntry(w, req, task));
}
