// Live progress of a run: listr2 on a TTY, plain lines otherwise; both fed by the engine's run events. listr2 is
// imported when a TTY display starts: the plain lines of CI, pipes and rollback do without it.
import type { Definition, RunEvent } from '../engine/index.js';
import { listSteps } from '../engine/index.js';

/** Receives run events and shows them. */
export interface Renderer {
  onEvent(e: RunEvent): void;
  /** Call once the run is over (flushes and stops the live display). */
  done(): Promise<void>;
}

const ms = (n?: number) => (n === undefined ? '' : n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`);
const lastLine = (s: string) => s.trimEnd().split('\n').pop() ?? '';

/**
 * Plain lines (CI logs, pipes): one line per step event, task output indented. For a rollback (`compensation`), what a
 * step's compensation logged (`removed x`, `kept x: not empty`, `x already gone`) is held and printed on its line, since
 * only the compensation knows what it did: a bare "compensated" after "kept x" would say the opposite.
 */
export function plainRenderer(
  out: NodeJS.WritableStream,
  rootRunId: () => string | undefined,
  o: { compensation?: boolean } = {},
): Renderer {
  const held = new Map<string, string[]>();
  const said = (step: string) => {
    const lines = held.get(step) ?? [];
    held.delete(step);
    return lines;
  };
  return {
    onEvent(e) {
      const nested = rootRunId() !== undefined && e.runId !== rootRunId() ? '  ' : '';
      if (o.compensation && e.type === 'task.log' && e.step) {
        held.set(e.step, [...(held.get(e.step) ?? []), ...e.text.trimEnd().split('\n').filter(Boolean)]);
        return;
      }
      switch (e.type) {
        case 'task.started':
          out.write(`${nested}▶ ${e.step} (${e.task})\n`);
          break;
        case 'task.retrying':
          out.write(`${nested}↻ ${e.step}: attempt ${e.attempt} in ${ms(e.delayMs)} after: ${e.error?.message}\n`);
          break;
        case 'task.finished':
          out.write(`${nested}✔ ${e.step} ${ms(e.durationMs)}\n`);
          break;
        case 'task.failed':
          out.write(`${nested}✖ ${e.step}: ${e.error?.message}\n`);
          break;
        case 'task.cancelled':
          out.write(`${nested}■ ${e.step} cancelled${e.message ? `: ${e.message}` : ''}\n`);
          break;
        case 'step.interrupted':
          out.write(
            `${nested}✉ ${e.step}: message "${e.answer?.name}" by ${e.answer?.by}: ${(e.message ?? '').replace(/ on$/, '')}\n`,
          );
          break;
        case 'message.dropped':
          out.write(
            `${nested}✉ message "${e.answer?.name ?? '?'}" by ${e.answer?.by ?? '?'}: ${(e.message ?? 'dropped').replace(/:$/, '')}\n`,
          );
          break;
        case 'step.waiting':
          out.write(`${nested}⏸ ${e.step} waits: ${e.message}\n`);
          break;
        case 'step.answered':
          out.write(
            `${nested}✎ ${e.step}: ${e.answer?.kind === 'approve' ? 'approved' : e.answer?.kind === 'reject' ? 'rejected' : 'message'} by ${e.answer?.by}${e.answer?.reason ? ` (${e.answer.reason})` : ''}\n`,
          );
          break;
        case 'task.compensated': {
          const lines = said(e.step!);
          out.write(`${nested}↶ ${e.step}: ${lines.length ? lines.join('; ') : 'compensation done'}\n`);
          break;
        }
        case 'task.compensate-failed':
          for (const l of said(e.step!)) out.write(`${nested}    ${l}\n`);
          out.write(`${nested}✖ ${e.step} compensation failed: ${e.error?.message}\n`);
          break;
        case 'task.log':
          for (const l of e.text.trimEnd().split('\n'))
            if (l) out.write(`${nested}    ${e.level === 'stderr' ? '! ' : ''}${l}\n`);
          break;
      }
    },
    async done() {},
  };
}

type Outcome = { status: string; message?: string; durationMs?: number };
interface Pending {
  resolve: (v: Outcome) => void;
  promise: Promise<Outcome>;
  started: boolean;
  /** It parked the run (an approval or a message wait): shown as waiting if the run stops there. */
  waiting?: boolean;
  output?: (s: string) => void;
}

/** listr2 display: one line per step of the definition, in order; parallel branches advance together. */
export async function ttyRenderer(def: Definition, rootRunId: () => string | undefined): Promise<Renderer> {
  const { Listr } = await import('listr2');
  const steps = listSteps(def);
  const pending = new Map<string, Pending>();
  for (const s of steps) {
    let resolve!: Pending['resolve'];
    const promise = new Promise<Outcome>((r) => (resolve = r));
    pending.set(s.id, { resolve, promise, started: false });
  }
  const list = new Listr(
    steps.map((s) => ({
      title: `${s.state.meta?.title ?? s.id} ${s.id !== (s.state.meta?.title ?? s.id) ? `(${s.id})` : ''}`.trim(),
      task: async (_: unknown, t: { output: string; skip(m?: string): void; title: string }) => {
        const p = pending.get(s.id)!;
        p.output = (line) => (t.output = line);
        const r = await p.promise;
        if (r.status === 'skipped') return t.skip(`${t.title} (not taken)`);
        if (r.status === 'failed') throw new Error(r.message ?? 'failed');
        if (r.status === 'cancelled') return t.skip(`${t.title} (cancelled)`);
        if (r.status === 'waiting') return t.skip(`${t.title} (waiting: ${r.message ?? ''})`);
        t.title = `${t.title} ${ms(r.durationMs)}`;
      },
      rendererOptions: { outputBar: 1 },
    })),
    {
      concurrent: false,
      exitOnError: false,
      rendererOptions: { collapseErrors: false } as never,
      silentRendererCondition: false,
    },
  );
  const running = list.run().catch(() => undefined);
  const order = steps.map((s) => s.id);
  return {
    onEvent(e) {
      if (e.runId !== rootRunId() || !('step' in e) || !e.step) return;
      const p = pending.get(e.step);
      if (!p) return;
      switch (e.type) {
        case 'task.started': {
          p.started = true;
          // steps before this one (in document order, outside parallel branches) that never started were not taken
          const idx = order.indexOf(e.step);
          for (const s of steps.slice(0, idx)) {
            const q = pending.get(s.id)!;
            if (!q.started && !s.parallel) q.resolve({ status: 'skipped' });
          }
          break;
        }
        case 'task.finished':
          p.resolve({ status: 'succeeded', durationMs: e.durationMs });
          break;
        case 'task.failed':
          p.resolve({ status: 'failed', message: e.error?.message });
          break;
        case 'task.cancelled':
          p.resolve({ status: 'cancelled' });
          break;
        case 'step.waiting':
          p.waiting = true;
          p.output?.(`waiting: ${e.message ?? ''}`);
          break;
        case 'step.answered':
          p.waiting = false;
          break;
        case 'task.retrying':
          p.output?.(`retrying (attempt ${e.attempt}) after: ${e.error?.message}`);
          break;
        case 'task.log':
          p.output?.(lastLine(e.text));
          break;
      }
    },
    async done() {
      for (const p of pending.values())
        p.resolve(
          p.waiting
            ? { status: 'waiting', message: 'answer with gravity approve|reject|signal' }
            : { status: 'skipped' },
        );
      await running;
    },
  };
}
