// Sub-workflow calls: a call step runs a child run (`<run>.<step>`), persisted and resumed on its own.
import type { TaskRequest } from './compile.js';
import { calleeOf } from './definition.js';
import { CancelledError, DetachedError, GravityError, ErrorCode, NotFoundError, serializeError } from './errors.js';
import { RunStatus } from './journal.js';
import { resolveParams } from './params.js';
import { getRun } from './run-store.js';
import type { RunResult, StepHost } from './run-types.js';
import { untilAborted } from './wait.js';

/** Runs the child workflow of a call step and returns its output (or throws its error). */
export async function runCall(ex: StepHost, req: TaskRequest, signal: AbortSignal): Promise<unknown> {
  // a for-each item over a sub-sequence runs the body it carries; a call, the catalog's workflow
  const workflowId = req.body?.id ?? calleeOf(req.src)!;
  const def = req.body ?? ex.engine.resolveWorkflow?.(workflowId);
  if (!def)
    throw new NotFoundError(`step <${req.step}> calls workflow "${workflowId}", which is not in the catalog`, {
      step: req.step,
    });
  const done = ex.journal.filter(
    (e) => e.step === req.step && (e.type === 'task.finished' || e.type === 'task.failed'),
  ).length;
  const childId = done === 0 ? `${ex.record.id}.${req.step}` : `${ex.record.id}.${req.step}-${done + 1}`;
  const base = { step: req.step, task: req.src, child: childId };
  const existing = ex.engine.persist === false ? undefined : await getRun(ex.engine.store, childId);
  // an existing child run is resumed by the same execution of the step (crash, or a wait on the child's attention),
  // unless a cancel closed that execution: then a new one starts (else the run's summary would end on the cancel)
  const last = [...ex.journal]
    .reverse()
    .find((e) => e.step === req.step && (e.type === 'task.started' || e.type === 'task.cancelled'));
  if (!existing || last?.type === 'task.cancelled')
    await ex.log({ type: 'task.started', ...base, attempt: 1, idempotent: true, input: req.input });

  let result: RunResult;
  const status = existing?.status;
  if (
    status === RunStatus.Running ||
    status === RunStatus.Cancelled ||
    status === RunStatus.Detached ||
    status === RunStatus.NeedsAttention ||
    status === RunStatus.Waiting
  ) {
    result = await ex.children.resume(childId, { definition: def, signal, force: ex.force });
  } else if (status) {
    result = { runId: childId, workflow: def.id, status, steps: [], output: existing!.output, error: existing!.error };
  } else {
    let params: Record<string, unknown>;
    try {
      params = req.body
        ? ((req.input ?? {}) as Record<string, unknown>)
        : resolveParams(def, (req.input ?? {}) as Record<string, unknown>);
    } catch (e) {
      await ex.log({ type: 'task.failed', ...base, attempt: 1, error: serializeError(e) });
      throw e;
    }
    result = await ex.children.start(def, {
      params,
      runId: childId,
      parent: ex.record.id,
      signal,
      source: { kind: req.body ? 'inline' : 'catalog', ref: workflowId },
    });
  }

  switch (result.status) {
    case RunStatus.Succeeded:
      await ex.log({ type: 'task.finished', ...base, attempt: 1, output: result.output ?? null });
      return result.output ?? null;
    case RunStatus.Detached:
      // the child was let go of with this run: the step stays open, a resume of this run resumes the child
      throw new DetachedError(`step <${req.step}> detached`);
    case RunStatus.Cancelled:
      await ex.log({ type: 'task.cancelled', ...base, attempt: 1, ...(ex.leftByMachine() ? { left: true } : {}) });
      throw new CancelledError(`step <${req.step}> cancelled`);
    case RunStatus.NeedsAttention: {
      // a child that ended on an attention() end has a result for its caller to act on
      if (!result.attention?.steps?.length) {
        const out = {
          ...(result.output && typeof result.output === 'object'
            ? (result.output as object)
            : result.output !== undefined
              ? { value: result.output }
              : {}),
          attention: result.attention?.message ?? 'needs attention',
        };
        await ex.log({ type: 'task.finished', ...base, attempt: 1, output: out });
        return out;
      }
      // an interrupted child waits for a person: so does this run (resume --force re-runs the child's interrupted steps)
      ex.requestAttention(
        `step <${req.step}> calls workflow ${workflowId}, whose run ${childId} needs attention: ${result.attention?.message ?? ''}`,
        req.step,
      );
      throw new CancelledError(`step <${req.step}> waits for its child run ${childId}`);
    }
    case RunStatus.Waiting: {
      // the child waits for a person or a message: so does this run, at this step (answers are passed on to the child)
      const w = result.waiting?.[0];
      ex.park({
        step: req.step,
        kind: w?.kind ?? 'approval',
        message: w?.message ?? `child run ${childId} waits`,
        since: w?.since ?? new Date().toISOString(),
        ...(w?.assignee ? { assignee: w.assignee } : {}),
        ...(w?.candidateGroups ? { candidateGroups: w.candidateGroups } : {}),
        ...(w?.key !== undefined ? { key: w.key } : {}),
        ...(w?.until ? { until: w.until } : {}),
        child: childId,
      });
      await untilAborted(signal).catch(async (e: unknown) => {
        if (ex.parked(req.step)) throw new CancelledError(`step <${req.step}> waits for its child run ${childId}`);
        await ex.log({ type: 'task.cancelled', ...base, attempt: 1, ...(ex.leftByMachine() ? { left: true } : {}) });
        throw e;
      });
      throw new CancelledError(`step <${req.step}> cancelled`);
    }
    default: {
      const err = new GravityError(
        (result.error?.code as ErrorCode) ?? ErrorCode.TaskFailed,
        `called workflow ${workflowId} failed: ${result.error?.message ?? result.status}`,
        { child: childId },
      );
      await ex.log({ type: 'task.failed', ...base, attempt: 1, error: err.toJSON() });
      throw err;
    }
  }
}
