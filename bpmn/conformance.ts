// Conformance of BPMN files to the gravity subset: which ones import, which are executable, and why not (by element id).
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { z } from 'zod';
import {
  BadInputError,
  calleeOf,
  DefinitionError,
  TaskRegistry,
  checkDefinition,
  defineTask,
  type Definition,
  type StateConfig,
  type TaskDefinition,
} from '../engine/index.js';
import { createModdle, type ModdleElement } from './moddle.js';
import { readBpmnFile } from './read-xml.js';
import { importBpmn, NotExecutableError, type ImportProblem } from './import.js';

/** BPMN task types that are not service tasks: conformance runs each of them as {@link CONFORMANCE_NOOP}. */
export const NON_SERVICE_TASKS = [
  'bpmn:Task',
  'bpmn:UserTask',
  'bpmn:ManualTask',
  'bpmn:ScriptTask',
  'bpmn:ReceiveTask',
  'bpmn:SendTask',
  'bpmn:BusinessRuleTask',
] as const;

/** Every task-like BPMN type (the activities whose completion the differential test compares). */
export const TASK_TYPES: ReadonlySet<string> = new Set([...NON_SERVICE_TASKS, 'bpmn:ServiceTask']);

/** Id of the no-op task node conformance maps tasks to. */
export const CONFORMANCE_NOOP = 'conformance.noop';

/** Import mappings of conformance: every non-service task type, and service tasks that name no task node, run the no-op. */
export function conformanceMappings(): Record<string, string> {
  return Object.fromEntries([...TASK_TYPES].map((t) => [t, CONFORMANCE_NOOP]));
}

/** A task node that does nothing and accepts any input. */
export const conformanceNoop = defineTask({
  id: CONFORMANCE_NOOP,
  title: 'Do nothing (conformance runs)',
  input: z.unknown(),
  output: z.unknown(),
  idempotent: true,
  async run() {
    return {};
  },
});

/**
 * A registry holding {@link conformanceNoop}, plus a no-op under every other task id `def` invokes.
 * @param onRun called with the step id each time one of these no-ops runs.
 */
export function createConformanceRegistry(def?: Definition, onRun?: (step: string) => void): TaskRegistry {
  const noop = (id: string): TaskDefinition => ({
    ...conformanceNoop,
    id,
    run: async (ctx) => (onRun?.(ctx.stepId), {}),
  });
  const registry = new TaskRegistry().register(noop(CONFORMANCE_NOOP));
  const walk = (states: Record<string, StateConfig> = {}): void => {
    for (const s of Object.values(states)) {
      const src = s.invoke?.src;
      if (src && calleeOf(src) === undefined && !registry.has(src)) registry.register(noop(src));
      walk(s.states);
    }
  };
  if (def) walk(def.machine.states);
  return registry;
}

/** One file's result. */
export interface ConformanceRow {
  file: string;
  /** Passed the input gate and the bpmn-moddle parse. */
  imported: boolean;
  /** importBpmn produced a definition (with {@link conformanceMappings}) that the engine's validation accepts. */
  executable: boolean;
  /** Why not: the first problems, with element ids. */
  reason?: string;
  /** Flow elements (sequence flows excluded) of every process, sub-processes included. */
  elements: number;
  /** Task-like elements among them. */
  tasks: number;
}

/** The first `n` problems as one line, root causes before their "not reachable" consequences. */
export function formatProblems(problems: ImportProblem[], n = 2): string {
  const sorted = [...problems].sort(
    (a, b) => Number(/not reachable/.test(a.message)) - Number(/not reachable/.test(b.message)),
  );
  const shown = sorted.slice(0, n).map((p) => `<${p.element}> (${p.type}): ${p.message}`);
  return shown.join('; ') + (problems.length > n ? ` (+${problems.length - n} more)` : '');
}

/** Flow elements of the given processes (or sub-processes), recursively. */
export function flowElementsOf(containers: ModdleElement[]): ModdleElement[] {
  return containers.flatMap((c) =>
    ((c.flowElements ?? []) as ModdleElement[]).flatMap((e) => [e, ...flowElementsOf([e])]),
  );
}

/** Runs one file through the gate, the parser and import. Throws only on a crash (an error that is not a gravity input/definition error). */
export async function conformanceOf(path: string, file = path): Promise<ConformanceRow> {
  const row: ConformanceRow = { file, imported: false, executable: false, elements: 0, tasks: 0 };
  let xml: string;
  try {
    xml = await readBpmnFile(path);
  } catch (e) {
    if (e instanceof BadInputError) return { ...row, reason: e.message };
    throw e;
  }
  try {
    const { rootElement } = await createModdle().fromXML(xml);
    const els = flowElementsOf(
      ((rootElement.rootElements ?? []) as ModdleElement[]).filter((p) => p.$type === 'bpmn:Process'),
    ).filter((e) => e.$type !== 'bpmn:SequenceFlow');
    Object.assign(row, {
      imported: true,
      elements: els.length,
      tasks: els.filter((e) => TASK_TYPES.has(e.$type)).length,
    });
  } catch (e) {
    return { ...row, reason: `not readable XML: ${(e as Error).message.split('\n')[0]}` };
  }
  try {
    await importExecutable(xml, file);
    return { ...row, executable: true };
  } catch (e) {
    if (e instanceof NotExecutableError) return { ...row, reason: formatProblems(e.problems) };
    if (e instanceof DefinitionError || e instanceof BadInputError)
      return { ...row, reason: e.message.split('\n').slice(0, 3).join(' ') };
    throw e;
  }
}

/**
 * Imports with {@link conformanceMappings}, then validates the definition as startRun would, against
 * {@link createConformanceRegistry}. A default id the engine refuses (`bpmn:Process_1`) is made valid first.
 * @throws NotExecutableError from import, DefinitionError (`imported, but ...`) from validation.
 */
export async function importExecutable(xml: string, source: string): Promise<Definition> {
  const { definition } = await importBpmn(xml, { mappings: conformanceMappings(), source });
  definition.id = definition.id.replace(/[^A-Za-z0-9:-]+/g, '-').replace(/(^|:)-+/g, '$1');
  const problems = checkDefinition(definition, createConformanceRegistry(definition));
  if (problems.length)
    throw new DefinitionError(
      `imported, but the definition does not validate: ${problems
        .slice(0, 2)
        .map((p) => `<${p.element}> ${p.message}`)
        .join('; ')}`,
      { problems },
    );
  return definition;
}

/**
 * Checks every file; rows keep the order of `files`.
 * @param o.root shown file names are relative to it.
 */
export async function runConformance(files: string[], o: { root?: string } = {}): Promise<ConformanceRow[]> {
  const rows: ConformanceRow[] = [];
  for (const f of files) rows.push(await conformanceOf(f, o.root ? relative(o.root, f) : f));
  return rows;
}

/** The totals of a set of rows, as one line. */
export function conformanceTotals(rows: ConformanceRow[]): string {
  const count = (p: (r: ConformanceRow) => boolean) => rows.filter(p).length;
  const sum = (k: 'elements' | 'tasks') => rows.reduce((n, r) => n + r[k], 0);
  return (
    `${rows.length} files: ${count((r) => r.imported)} imported, ${count((r) => r.executable)} executable, ` +
    `${count((r) => r.imported && !r.executable)} not executable, ${count((r) => !r.imported)} not imported (${sum('elements')} flow elements, ${sum('tasks')} tasks)`
  );
}

/** A markdown table (file | imported | executable | reason) followed by a totals line. */
export function formatConformanceTable(rows: ConformanceRow[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
  const yn = (b: boolean) => (b ? 'yes' : 'no');
  const lines = ['| file | imported | executable | reason |', '|---|---|---|---|'];
  for (const r of rows)
    lines.push(`| ${cell(r.file)} | ${yn(r.imported)} | ${yn(r.executable)} | ${cell(r.reason ?? '')} |`);
  return [...lines, '', `**totals**: ${conformanceTotals(rows)}`].join('\n');
}

/** The BPMN corpus (MIWG models, bpmn-engine fixtures): `GRAVITY_CORPUS` if set, else the repository's `corpus/`. */
export function corpusDir(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.GRAVITY_CORPUS ? resolve(env.GRAVITY_CORPUS) : resolve(repoRoot, 'corpus');
}

/** Every `.bpmn` file under `dir`, recursively, sorted by path. */
export function findBpmnFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findBpmnFiles(p));
    else if (name.endsWith('.bpmn')) out.push(p);
  }
  return out;
}

/** Whether a file's behaviour can be compared with bpmn-engine's; `reason` says why not. */
export type SubsetVerdict = { xml: string; reason?: string; definition?: Definition; processId?: string };

const ENGINE_EXPR = /\b(environment|content|properties)\./;

/**
 * Decides whether a file falls inside the behavioural subset: importBpmn succeeds with {@link conformanceMappings},
 * no script decides anything (a script of just `next()` is allowed) and no condition or input is a JavaScript or
 * bpmn-elements expression (`${environment.variables.x}`), which gravity cannot evaluate the same way.
 */
export async function subsetVerdict(path: string, source = path): Promise<SubsetVerdict> {
  const xml = await readBpmnFile(path);
  let definition: Definition;
  try {
    definition = await importExecutable(xml, source);
  } catch (e) {
    if (!(e instanceof DefinitionError)) throw e;
    return { xml, reason: e instanceof NotExecutableError ? formatProblems(e.problems, 1) : e.message.split('\n')[0] };
  }
  const processId = String((definition.meta?.bpmn as { processId?: string } | undefined)?.processId);
  const { elementsById } = await createModdle().fromXML(xml);
  const out = (reason: string): SubsetVerdict => ({ xml, processId, reason });
  for (const el of flowElementsOf([elementsById[processId]])) {
    if (el.$type === 'bpmn:CallActivity')
      return out(
        `<${el.id}> (bpmn:CallActivity): calls ${el.calledElement}, which gravity looks up in its workflow catalog, not in the file`,
      );
    if (el.$type === 'bpmn:ScriptTask' && !/^next\(\);?$/.test(String(el.script ?? '').trim()))
      return out(`<${el.id}> (bpmn:ScriptTask): its JavaScript decides the outcome and gravity never runs scripts`);
    const cond = el.conditionExpression as ModdleElement | undefined;
    if (cond && /^(java|ecma)script$|^js$/i.test(cond.language ?? ''))
      return out(`<${el.id}> (${el.$type}): ${cond.language} condition \`${String(cond.body).trim()}\``);
    if (cond && ENGINE_EXPR.test(cond.body ?? ''))
      return out(
        `<${el.id}> (${el.$type}): bpmn-elements expression \`${String(cond.body).trim()}\` does not translate`,
      );
  }
  const evaluated = JSON.stringify(definition.machine, (k, v) =>
    k === 'bpmn' || k === 'documentation' || k === 'title' ? undefined : v,
  );
  if (ENGINE_EXPR.test(evaluated))
    return out(
      `an imported input or condition reads bpmn-elements' environment/content: ${ENGINE_EXPR.exec(evaluated)![0]}…`,
    );
  return { xml, processId, definition };
}
