// Commands that only read: list, describe, runs, show. They import the engine's light entry points (records, errors):
// `runs` and `show` load no zod, execa, xstate or feelin; describe imports the planner (and FEEL) when it runs.
import { BadInputError, closest, ErrorCode, printable } from '../../engine/errors.js';
import type { JournalEntry, RunRecord } from '../../engine/records.js';
import { isRunLive, listRuns, loadRun, readJournal, resultOf, RunStatus } from '../../engine/records.js';
import type { App } from '../app.js';
import {
  duration,
  Exit,
  formatParams,
  formatPlan,
  formatRuns,
  formatSteps,
  formatListening,
  formatWaiting,
  print,
  runDuration,
  table,
} from '../format.js';

/** `gravity list`: the catalog. */
export async function listCommand(app: App, o: { json?: boolean }): Promise<number> {
  const { workflows } = await app.catalog();
  const rows = workflows.map((d) => ({ workflow: d.id, title: d.title ?? '', params: Object.keys(d.params ?? {}) }));
  const human = table([
    ['workflow', 'params', 'title'],
    ...rows.map((r) => [r.workflow, r.params.join(', ') || '-', r.title]),
  ]);
  print(o.json, human, rows);
  return Exit.Ok;
}

/** `gravity describe <workflow>`: title, params and the steps as a tree. */
export async function describeCommand(app: App, ref: string, o: { json?: boolean }): Promise<number> {
  const { def } = await app.load(ref);
  const { planDefinition } = await import('../../engine/index.js');
  const steps = planDefinition(def, await app.registry());
  const human = [
    `${def.id}${def.title ? ` — ${def.title}` : ''}`,
    ...(def.description ? [def.description] : []),
    ...(def.root !== undefined
      ? ['', `root: ${def.root} (declared: the folder its file tasks may not write outside of; --root is refused)`]
      : []),
    '',
    'params:',
    formatParams(def),
    '',
    'steps:',
    formatPlan(steps),
  ].join('\n');
  print(o.json, human, {
    workflow: def.id,
    title: def.title,
    description: def.description,
    params: def.params ?? {},
    ...(def.root !== undefined ? { root: def.root } : {}),
    steps,
    definition: def,
  });
  return Exit.Ok;
}

/** Status as shown: a `running` run whose process is gone is `interrupted`. */
function shownStatus(r: RunRecord): string {
  return r.status === RunStatus.Running && !isRunLive(r) && r.pid !== process.pid ? 'interrupted' : r.status;
}

/** The journal of a run for its duration; undefined when it cannot be read (`show <run>` names the problem). */
async function journalOrNothing(app: App, runId: string): Promise<JournalEntry[] | undefined> {
  try {
    return await readJournal(app.store, runId);
  } catch {
    return undefined;
  }
}

/**
 * Why `runs --workflow <id>` lists nothing: a known workflow (in the catalog, or run before) with no run (or only child
 * runs, shown with --all) is a line of text, exit 0; an id that nothing knows is bad input (exit 2) with the closest ids.
 */
async function noRunsOf(app: App, workflow: string, all: RunRecord[], withAll: boolean): Promise<string> {
  const { workflows } = await app.catalog();
  const known = [...new Set([...workflows.map((d) => d.id), ...all.map((r) => r.workflow)])];
  if (!known.includes(workflow)) {
    const near = closest(workflow, known);
    throw new BadInputError(
      `no runs of workflow "${workflow}": no catalog workflow and no run has that id${near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(', ')}?)` : ''}`,
      { workflow, suggestions: near },
      ErrorCode.UnknownWorkflow,
    );
  }
  const children = all.filter((r) => r.workflow === workflow && r.parent).length;
  return `no runs of workflow "${workflow}"${children && !withAll ? ` but ${children} child run(s) of call steps: add --all to list them` : ' yet'}`;
}

/**
 * `gravity runs`: newest first, then one line per run record that cannot be read (its file and what is wrong), whatever
 * the filters (its workflow and date are unknown). `--json`: `{ runs: [...], unreadable: [{ runId, file, problem }] }`.
 */
export async function runsCommand(
  app: App,
  o: { json?: boolean; workflow?: string; limit?: number; all?: boolean; status?: string },
): Promise<number> {
  const listing = await listRuns(app.store);
  let runs = listing.runs.filter((r) => o.all || !r.parent);
  if (o.workflow !== undefined) runs = runs.filter((r) => r.workflow === o.workflow);
  if (o.status !== undefined) runs = runs.filter((r) => shownStatus(r) === o.status);
  runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  runs = runs.slice(0, o.limit ?? 20);
  const empty =
    !runs.length && o.workflow !== undefined ? await noRunsOf(app, o.workflow, listing.runs, !!o.all) : undefined;
  const rows = await Promise.all(
    runs.map(async (r) => ({
      ...r,
      shownStatus: shownStatus(r),
      durationMs: runDuration(r, await journalOrNothing(app, r.id)),
    })),
  );
  const human = [
    ...(empty ? [empty] : rows.length || !listing.unreadable.length ? [formatRuns(rows)] : []),
    ...listing.unreadable.map((u) => printable(`⚠ unreadable run record ${u.file}: ${u.problem}`)),
  ].join('\n');
  print(o.json, human, {
    runs: rows.map((r) => ({
      runId: r.id,
      workflow: r.workflow,
      status: r.shownStatus,
      createdAt: r.createdAt,
      finishedAt: r.finishedAt,
      durationMs: r.durationMs,
      parent: r.parent,
      ...(r.waiting ? { waiting: r.waiting } : {}),
      ...(r.listening && (r.shownStatus === RunStatus.Running || r.shownStatus === RunStatus.Waiting)
        ? { listening: r.listening }
        : {}),
    })),
    unreadable: listing.unreadable.map(({ id, ...rest }) => ({ runId: id, ...rest })),
  });
  return Exit.Ok;
}

/** An answer to a parked step in words: what, by whom, why (and a message's key and data). */
function answerText(a: NonNullable<JournalEntry['answer']>): string {
  const what = a.kind === 'approve' ? 'approved' : a.kind === 'reject' ? 'rejected' : `message "${a.name ?? ''}"`;
  const key = a.key === undefined ? '' : ` key ${a.key}`;
  const data = a.data === undefined ? '' : ` data ${JSON.stringify(a.data)}`;
  return `${what}${key} by ${a.by}${a.reason ? `: ${a.reason}` : ''}${data}`;
}

/** `gravity show <run>`: record, steps (durations, outputs, errors) and, with --journal, every journal entry. */
export async function showCommand(app: App, runId: string, o: { json?: boolean; journal?: boolean }): Promise<number> {
  const r = await loadRun(app, runId);
  const journal = await readJournal(app.store, r.id);
  const result = resultOf(r, journal);
  const ran = runDuration(r, journal);
  const human = [
    `run ${r.id}: ${r.workflow} — ${shownStatus(r)}`,
    `  started ${r.createdAt}${r.finishedAt ? `, finished ${r.finishedAt}` : ''}${ran !== undefined ? ` (ran ${duration(ran)})` : ''}`,
    `  params ${JSON.stringify(r.params)}`,
    ...(r.root ? [`  root ${r.root} (declared by ${r.workflow})`] : []),
    ...(r.attention ? [`  ⚠ ${r.attention.message}`] : []),
    ...formatWaiting(r.id, r.waiting),
    ...(shownStatus(r) === RunStatus.Running || r.status === RunStatus.Waiting
      ? formatListening(r.id, r.listening)
      : []),
    ...(r.error ? [`  ✖ ${r.error.step ? `<${r.error.step}> ` : ''}${r.error.message}`] : []),
    ...(r.output !== undefined ? [`  output ${JSON.stringify(r.output)}`] : []),
    '',
    formatSteps(result.steps),
    ...(o.journal
      ? [
          '',
          'journal:',
          ...journal.map(
            (e) =>
              `  ${e.at} ${e.type}${e.step ? ` <${e.step}>` : ''}${e.attempt ? ` #${e.attempt}` : ''}${e.message ? ` ${e.message}` : ''}${e.error ? ` ${e.error.message}` : ''}${e.answer ? ` ${answerText(e.answer)}` : ''}`,
          ),
        ]
      : []),
  ].join('\n');
  print(o.json, human, { ...result, durationMs: ran, record: r, ...(o.journal ? { journal } : {}) });
  return Exit.Ok;
}
