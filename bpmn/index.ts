// The bpmn/ barrel: export, import, strict validation of BPMN files, and loading one as a runnable definition.
import { checkDefinition, type Definition, type TaskRegistry } from '../engine/index.js';
import { importBpmn, NotExecutableError, type ImportOptions, type ImportProblem, type ImportResult } from './import.js';
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
 * Strict validation: every problem of a BPMN file (parse warnings, unsupported elements, unstructured joins,
 * missing default flows, unknown task ids, bad expressions), each with element id, type and XML line.
 */
export async function validateBpmnFile(
  path: string,
  registry: TaskRegistry,
  o: ImportOptions = {},
): Promise<{ problems: ValidationProblem[]; definition?: Definition }> {
  const xml = await readBpmnFile(path);
  const withLine = (p: ImportProblem): ValidationProblem => {
    const line = findElementLine(xml, p.element);
    return line ? { ...p, line } : p;
  };
  let result: ImportResult;
  try {
    result = await importBpmn(xml, { source: path, ...o });
  } catch (e) {
    if (e instanceof NotExecutableError) return { problems: e.problems.map(withLine) };
    throw e;
  }
  const def = result.definition;
  const problems: ValidationProblem[] = result.warnings.map(withLine);
  for (const p of checkDefinition(def, registry)) {
    const id = bpmnIdOf(def, p.element);
    problems.push(withLine({ element: id, type: 'definition', message: p.message }));
  }
  return { problems, definition: def };
}

/** One line per problem: `file:line: <id> (type): message`. */
export function formatProblems(path: string, problems: ValidationProblem[]): string {
  return problems
    .map((p) => `${path}${p.line ? `:${p.line}` : ''}: <${p.element}> (${p.type}) ${p.message}`)
    .join('\n');
}
