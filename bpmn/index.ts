// The bpmn/ barrel: export, import, strict validation of BPMN files, and loading one as a runnable definition.
import { checkDefinition, type Definition, type TaskRegistry } from '../engine/index.js';
import {
  importBpmn,
  listProcesses,
  NotExecutableError,
  type ImportOptions,
  type ImportProblem,
  type ImportResult,
} from './import.js';
import { findElementLine, readBpmnFile } from './read-xml.js';

export { exportBpmn, processIdOf, type ExportOptions } from './export.js';
export { importBpmn, NotExecutableError, type ImportOptions, type ImportProblem, type ImportResult } from './import.js';
export { readBpmnFile, checkBpmnText, findElementLine } from './read-xml.js';
export {
  dialects,
  dialectNames,
  defaultDialect,
  dialectNamed,
  detectDialect,
  orList,
  type DialectName,
} from './dialects/index.js';

/** A problem of `gravity validate`: element id, BPMN type, XML line when found. */
export interface ValidationProblem extends ImportProblem {
  line?: number;
}

/** Reads and imports a BPMN file (gate, parse, map); lax: warnings come back with the definition. */
export async function loadBpmnFile(path: string, o: ImportOptions = {}): Promise<ImportResult> {
  const xml = await readBpmnFile(path);
  return importBpmn(xml, { source: path, ...o });
}

// Finds the BPMN element behind a definition element name (state key or `key.input...`).
function bpmnIdOf(def: Definition | undefined, element: string): string {
  const key = element.split(/[.[]/)[0];
  let found: string | undefined;
  const walk = (states: Record<string, { meta?: { bpmn?: unknown }; states?: Record<string, never> }>) => {
    for (const [k, s] of Object.entries(states)) {
      if (k === key) found = (s.meta?.bpmn as { id?: string } | undefined)?.id ?? k;
      if (s.states) walk(s.states);
    }
  };
  if (def) walk(def.machine.states as never);
  return found ?? key;
}

/**
 * Strict validation: every problem of every process of a BPMN file (parse warnings, unsupported elements, unstructured
 * joins, missing default flows, unknown task ids, bad expressions, task inputs the step would refuse), each with element
 * id, type and XML line. `notes` say what is worth knowing without being wrong: a process marked isExecutable="false"
 * (gravity runs it all the same), which process `run` takes when there are several. `definition`: the process `run`
 * takes, when it imports.
 */
export async function validateBpmnFile(
  path: string,
  registry: TaskRegistry,
  o: ImportOptions = {},
): Promise<{ problems: ValidationProblem[]; notes: ValidationProblem[]; definition?: Definition }> {
  const xml = await readBpmnFile(path);
  const withLine = (p: ImportProblem): ValidationProblem => {
    const line = findElementLine(xml, p.element);
    return line ? { ...p, line } : p;
  };
  const processes = await listProcesses(xml, o);
  const chosen = o.processId ?? (processes.find((p) => p.executable) ?? processes[0])?.id;
  const problems: ValidationProblem[] = [];
  const seen = new Set<string>();
  const add = (p: ImportProblem) => {
    const k = `${p.element}\n${p.type}\n${p.message}`;
    if (!seen.has(k)) problems.push(withLine(p));
    seen.add(k);
  };
  let definition: Definition | undefined;
  // every process: `run` takes one, but a file with a broken second participant is not a valid file
  for (const id of o.processId || processes.length === 0 ? [o.processId] : processes.map((p) => p.id)) {
    let result: ImportResult;
    try {
      result = await importBpmn(xml, { source: path, ...o, ...(id !== undefined ? { processId: id } : {}) });
    } catch (e) {
      if (e instanceof NotExecutableError) {
        e.problems.forEach(add);
        continue;
      }
      throw e;
    }
    result.warnings.forEach(add);
    const def = result.definition;
    for (const p of checkDefinition(def, registry))
      add({ element: bpmnIdOf(def, p.element), type: 'definition', message: p.message });
    if (id === chosen || id === undefined) definition = def;
  }
  const notes: ValidationProblem[] = [];
  for (const p of processes.filter((x) => !x.executable))
    notes.push(
      withLine({
        element: p.id,
        type: 'bpmn:Process',
        message:
          'isExecutable="false": the modeler marked it as documentation only (Camunda would not deploy it); gravity runs it all the same',
      }),
    );
  if (processes.length > 1 && chosen && !o.processId)
    notes.push(
      withLine({
        element: chosen,
        type: 'bpmn:Process',
        message: `the file holds ${processes.length} processes (${processes.map((p) => p.id).join(', ')}); run takes this one, the first executable one`,
      }),
    );
  return { problems, notes, definition };
}

/** One line per problem: `file:line: <id> (type): message`. */
export function formatProblems(path: string, problems: ValidationProblem[]): string {
  return problems
    .map((p) => `${path}${p.line ? `:${p.line}` : ''}: <${p.element}> (${p.type}) ${p.message}`)
    .join('\n');
}
