// Commands that only read: list, describe, runs, show.
import type { JournalEntry, RunRecord } from '../../engine/index.js';
import {
  listRuns,
  loadRun,
  readJournal,
  planDefinition,
  printable,
  resultOf,
  RunStatus,
  isRunLive,
} from '../../engine/index.js';
import type { App } from '../app.js';
import { duration, Exit, formatParams, formatPlan, formatRuns, formatSteps, table, print } from '../format.js';

/** `gravity list`: the catalog. */
export async function listCommand(app: App, o: { json?: boolean }): Promise<number> {
  const rows = app.catalog.map((d) => ({ id: d.id, title: d.title ?? '', params: Object.keys(d.params ?? {}) }));
  const human = table([
    ['workflow', 'params', 'title'],
    ...rows.map((r) => [r.id, r.params.join(', ') || '-', r.title]),
  ]);
  print(o.json, human, rows);
  return Exit.Ok;
}

/** `gravity describe <workflow>`: title, params and the steps as a tree. */
export async function describeCommand(app: App, ref: string, o: { json?: boolean }): Promise<number> {
  const { def } = await app.load(ref);
  const steps = planDefinition(def, app.registry);
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
    id: def.id,
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

/**
 * `gravity runs`: newest first, then one line per run record that cannot be read (its file and what is wrong), whatever
 * the filters (its workflow and date are unknown). `--json`: `{ runs: [...], unreadable: [{ id, file, problem }] }`.
 */
export async function runsCommand(
  app: App,
  o: { json?: boolean; workflow?: string; limit?: string; all?: boolean },
): Promise<number> {
  const listing = await listRuns(app.store);
  let runs = listing.runs.filter((r) => o.all || !r.parent);
  if (o.workflow) runs = runs.filter((r) => r.workflow === o.workflow);
  runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  runs = runs.slice(0, Number(o.limit ?? 20));
  const rows = runs.map((r) => ({ ...r, shownStatus: shownStatus(r) }));
  const human = [
    ...(rows.length || !listing.unreadable.length ? [formatRuns(rows)] : []),
    ...listing.unreadable.map((u) => printable(`⚠ unreadable run record ${u.file}: ${u.problem}`)),
  ].join('\n');
  print(o.json, human, {
    runs: rows.map((r) => ({
      id: r.id,
      workflow: r.workflow,
      status: r.shownStatus,
      createdAt: r.createdAt,
      finishedAt: r.finishedAt,
      parent: r.parent,
    })),
    unreadable: listing.unreadable,
  });
  return Exit.Ok;
}

/** `gravity show <run>`: record, steps (durations, outputs, errors) and, with --journal, every journal entry. */
export async function showCommand(app: App, runId: string, o: { json?: boolean; journal?: boolean }): Promise<number> {
  const r = await loadRun(app.engine(), runId);
  const journal = await readJournal(app.store, r.id);
  const result = resultOf(r, journal);
  const human = [
    `run ${r.id}: ${r.workflow} — ${shownStatus(r)}`,
    `  started ${r.createdAt}${r.finishedAt ? `, finished ${r.finishedAt} (${duration(Date.parse(r.finishedAt) - Date.parse(r.createdAt))})` : ''}`,
    `  params ${JSON.stringify(r.params)}`,
    ...(r.root ? [`  root ${r.root} (declared by ${r.workflow})`] : []),
    ...(r.attention ? [`  ⚠ ${r.attention.message}`] : []),
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
              `  ${e.at} ${e.type}${e.step ? ` <${e.step}>` : ''}${e.attempt ? ` #${e.attempt}` : ''}${e.message ? ` ${e.message}` : ''}${e.error ? ` ${e.error.message}` : ''}`,
          ),
        ]
      : []),
  ].join('\n');
  print(o.json, human, { ...result, record: r, ...(o.journal ? { journal } : {}) });
  return Exit.Ok;
}
