// Human text for results, runs, definitions: tables and trees; `--json` bypasses all of it.
import type { Definition, JournalEntry, PlanItem, RunRecord, RunResult, StepSummary } from '../engine/index.js';
// the light entry point: `gravity runs` and `show` format runs without loading the engine that makes them
import { RunStatus } from '../engine/records.js';
import { Exit, jsonText } from './output.js';

export { Exit };

/** Writes a command's result: the human text, or with `--json` the data as one JSON document. */
export function print(json: boolean | undefined, human: string, data: unknown): void {
  process.stdout.write(json ? jsonText(data) : `${human}\n`);
}

/** Exit code of a run result. */
export function exitCodeOf(status: string): number {
  switch (status) {
    case RunStatus.Succeeded:
    case RunStatus.RolledBack:
      return Exit.Ok;
    case RunStatus.NeedsAttention:
      return Exit.NeedsAttention;
    case RunStatus.Waiting:
      return Exit.Waiting;
    case RunStatus.Cancelled:
    case RunStatus.Detached:
      return Exit.Cancelled;
    default:
      return Exit.Failed;
  }
}

const icon: Record<string, string> = {
  succeeded: '✔',
  failed: '✖',
  cancelled: '■',
  interrupted: '⚠',
  running: '…',
  compensated: '↶',
  'needs-attention': '⚠',
  'rolled-back': '↶',
  detached: '⇥',
  waiting: '⏸',
};

/** What a waiting run waits for, one line per parked step, with the command that answers it. */
export function formatWaiting(runId: string, waiting: RunRecord['waiting'] = []): string[] {
  return waiting.map((w) => {
    const who = [
      w.assignee ? `assignee ${w.assignee}` : '',
      w.candidateGroups?.length ? `groups ${w.candidateGroups.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    const due = w.until
      ? `; a timer of the run (a timeout or a reminder) is due ${w.until} (then: gravity resume ${runId}, or resume --due)`
      : '';
    const step = waiting.length > 1 ? ` --step ${w.step}` : '';
    return w.kind === 'approval'
      ? `  <${w.step}> asks: ${w.message}${who ? ` (${who})` : ''}${due}\n    answer: gravity approve ${runId}${step}  |  gravity reject ${runId}${step} --reason "..."`
      : `  <${w.step}> waits for message "${w.message}"${w.key === undefined ? '' : ` with key ${w.key}`}${due}\n    deliver: gravity signal ${runId} ${w.message}${step} [--data '{...}']`;
  });
}

/** What the steps of a run listen for (message boundaries), one line per message, with the command that sends it. */
export function formatListening(runId: string, listening: RunRecord['listening'] = []): string[] {
  return listening.map(
    (l) =>
      `  <${l.step}> listens for message "${l.message}"${l.key === undefined ? '' : ` with key ${l.key}`}: it leaves the step\n    interrupt: gravity signal ${runId} ${l.message}${l.key === undefined ? '' : ` --key ${l.key}`} [--data '{...}']`,
  );
}

/** Milliseconds as `850 ms` / `12.3 s` / `4 m 02 s`. */
export function duration(ms?: number): string {
  if (ms === undefined || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}

/** Journal entries written after a run stopped, by a command that does not drive it: a rollback. */
const AFTER_THE_RUN = new Set(['task.compensated', 'task.compensate-failed', 'run.rolled-back']);

/** The `run.cancelled` that `gravity cancel` writes for a run whose process is gone (engine/cancel.ts). */
const markedCancelled = (e: JournalEntry) => e.type === 'run.cancelled' && /marked cancelled/.test(e.message ?? '');

/**
 * How long a run was driven, from its journal: from its start, and from each resume, to the last entry its driver wrote
 * before it stopped (it ended, or was interrupted, cancelled or detached). The time a run spent stopped before a resume
 * is not counted, nor what a rollback or a `gravity cancel` of a dead run wrote later: an interrupted run shows the time
 * it ran until it died, a resumed one the time actually spent on it. Undefined when the journal has no start.
 */
export function drivenMs(journal: JournalEntry[]): number | undefined {
  let total: number | undefined;
  let segment: JournalEntry[] = [];
  const close = () => {
    // what `gravity cancel` wrote for a dead run (its task.cancelled lines, then run.cancelled) is not run time
    let end = segment.length;
    if (end > 1 && markedCancelled(segment[end - 1])) {
      end--;
      while (end > 1 && segment[end - 1].type === 'task.cancelled') end--;
    }
    if (segment.length) total = (total ?? 0) + Date.parse(segment[end - 1].at) - Date.parse(segment[0].at);
    segment = [];
  };
  for (const e of journal) {
    if (e.type === 'run.started' || e.type === 'run.resumed') close();
    else if (!segment.length || AFTER_THE_RUN.has(e.type)) continue;
    segment.push(e);
  }
  close();
  return total;
}

/** The duration of a run as `runs` and `show` print it: driven time (drivenMs), else its record's start to end. */
export function runDuration(r: RunRecord, journal: JournalEntry[] | undefined): number | undefined {
  const driven = journal && drivenMs(journal);
  if (driven !== undefined) return driven;
  return r.finishedAt ? Date.parse(r.finishedAt) - Date.parse(r.createdAt) : undefined;
}

/** Left-aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const short = (v: unknown, max = 100) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};

/** The closing lines after a run, resume or rollback. */
export function formatResult(r: RunResult): string {
  const lines: string[] = [];
  const total = r.steps.reduce((a, s) => a + (s.durationMs ?? 0), 0);
  switch (r.status) {
    case RunStatus.Succeeded: {
      lines.push(`✔ ${r.workflow} succeeded (${r.steps.length} steps, ${duration(total)} in tasks) — run ${r.runId}`);
      const out = r.output as { report?: unknown } | undefined;
      if (out && typeof out === 'object' && typeof out.report === 'string') lines.push('', out.report);
      else if (out !== undefined && out !== null) lines.push(`output: ${JSON.stringify(out, null, 2)}`);
      break;
    }
    case RunStatus.NeedsAttention:
      lines.push(`⚠ ${r.workflow} needs attention — run ${r.runId}`, `  ${r.attention?.message ?? ''}`);
      break;
    case RunStatus.Waiting:
      lines.push(
        `⏸ ${r.workflow} is waiting (parked, no process holds it) — run ${r.runId}`,
        ...formatWaiting(r.runId, r.waiting),
        ...formatListening(r.runId, r.listening),
      );
      break;
    case RunStatus.Cancelled:
      // a cancel inside a cleanup() body ran the cleanup and ended the run (its error says so): nothing to resume
      lines.push(
        r.error
          ? `■ ${r.workflow} cancelled; its cleanup ran, so the run is over (start a new run) — run ${r.runId}`
          : `■ ${r.workflow} cancelled — resume with: gravity resume ${r.runId}`,
      );
      break;
    case RunStatus.Detached:
      lines.push(
        `⇥ ${r.workflow} detached: its running step goes on under the step supervisor — re-attach with: gravity resume ${r.runId}`,
      );
      break;
    case RunStatus.RolledBack:
      lines.push(`↶ ${r.workflow} rolled back — run ${r.runId}`);
      break;
    default:
      lines.push(
        `✖ ${r.workflow} ${r.status}${r.error?.step ? ` at <${r.error.step}>` : ''}: ${r.error?.message ?? ''}`,
        `  details: gravity show ${r.runId}`,
      );
  }
  if (r.rollback) {
    const rb = r.rollback;
    lines.push(
      rb.failed
        ? `↶ rollback stopped: the compensation of <${rb.failed.step}> failed: ${rb.failed.error.message}`
        : `↶ rolled back: ${rb.compensated.length ? `undid ${rb.compensated.map((x) => `<${x}>`).join(', ')}` : 'nothing to undo'}${rb.skipped.length ? `; nothing to undo for ${rb.skipped.map((x) => `<${x}>`).join(', ')}` : ''}`,
    );
  }
  return lines.join('\n');
}

/** Steps of a run with status, attempts, durations, outputs and errors. */
export function formatSteps(steps: StepSummary[]): string {
  if (!steps.length) return '  (no step ran)';
  const rows = [['', 'step', 'task', 'attempts', 'duration', 'result']];
  for (const s of steps) {
    const result = `${s.error ? `error: ${short(s.error.message, 120)}` : s.output !== undefined ? short(s.output) : ''}${s.child ? ` (child run ${s.child})` : ''}`;
    rows.push([icon[s.status] ?? '?', s.id, s.task, String(s.attempts), duration(s.durationMs), result]);
  }
  return table(rows)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** `gravity runs` rows (`durationMs` from runDuration). */
export function formatRuns(runs: Array<RunRecord & { shownStatus: string; durationMs?: number }>): string {
  if (!runs.length) return 'no runs yet (start one with `gravity run <workflow>`)';
  const waits = runs.some((r) => r.waiting?.length);
  // what a running or parked run's steps listen for (message boundaries); a finished run listens for nothing
  const listensFor = (r: RunRecord & { shownStatus: string }) =>
    r.shownStatus === RunStatus.Running || r.shownStatus === RunStatus.Waiting
      ? (r.listening ?? [])
          .map((l) => `message "${l.message}"${l.key === undefined ? '' : ` key ${l.key}`} <${l.step}>`)
          .join(', ')
      : '';
  const listens = runs.some((r) => listensFor(r) !== '');
  const rows = [
    [
      'run',
      'workflow',
      'status',
      'started',
      'duration',
      ...(waits ? ['waits for'] : []),
      ...(listens ? ['listens for'] : []),
    ],
  ];
  for (const r of runs) {
    rows.push([
      r.id,
      r.workflow,
      `${icon[r.shownStatus] ?? ''} ${r.shownStatus}`,
      r.createdAt.replace('T', ' ').slice(0, 19),
      duration(r.durationMs),
      ...(waits
        ? [
            (r.waiting ?? [])
              .map((w) =>
                w.kind === 'approval'
                  ? `approval <${w.step}>`
                  : `message "${w.message}"${w.key === undefined ? '' : ` key ${w.key}`}`,
              )
              .join(', '),
          ]
        : []),
      ...(listens ? [listensFor(r)] : []),
    ]);
  }
  return table(rows);
}

/** The tree of `describe` and `--dry-run`. */
export function formatPlan(items: PlanItem[]): string {
  const lines: string[] = [];
  for (const it of items) {
    const pad = '  '.repeat(it.depth + 1);
    const what = it.kind === 'task' || it.kind === 'call' ? `${it.task}` : it.kind;
    lines.push(
      `${pad}${it.kind === 'parallel' ? '⫴' : it.kind === 'decision' ? '◇' : it.kind === 'end' ? '◉' : it.kind === 'fail' ? '⊗' : '•'} ${it.id} — ${what}${it.title ? `: ${it.title}` : ''}`,
    );
    for (const n of it.notes) lines.push(`${pad}    ${n}`);
    for (const l of it.lines) lines.push(`${pad}    $ ${l}`);
  }
  return lines.join('\n');
}

/** Params table of `describe`. */
export function formatParams(def: Definition): string {
  const params = Object.entries(def.params ?? {});
  if (!params.length) return '  (none)';
  const rows = [['name', 'type', 'default', 'description']];
  for (const [name, p] of params)
    rows.push([
      name,
      p.type +
        (p.enum ? ` (${p.enum.join('|')})` : '') +
        (p.path ? ' (path)' : '') +
        (p.choices ? ` (from ${p.choices})` : ''),
      p.default !== undefined ? JSON.stringify(p.default) : p.required === false ? '(optional)' : '(required)',
      p.description ?? '',
    ]);
  return table(rows)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
