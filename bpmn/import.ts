// BPMN 2.0 XML -> definition: structured processes map onto the gravity subset; anything else is refused by element id.
import { DefinitionError, LIMITS, limitOf, parseDelay, type Definition, type StateConfig } from '../engine/index.js';
import { createModdle, type ModdleElement, type ModdleWarning } from './moddle.js';
import type { ReadContext } from './dialect.js';
import { detectDialect, dialectNamed, type DialectName } from './dialects/index.js';
import { captureDiagram, captureForeign } from './preserve.js';
import type { ImportContext, ImportProblem } from './import-context.js';
import { convertLevel } from './import-level.js';

/** Options of import. */
export interface ImportOptions {
  /** Force a dialect; by default it is detected from the namespaces the file declares. */
  dialect?: DialectName;
  /** Workflow id to give the definition (default: from the file, else the process id). */
  as?: string;
  /** Element id or BPMN type (`bpmn:ScriptTask`) -> task id, for task elements that are not service tasks (and service tasks that name no task node). */
  mappings?: Record<string, string>;
  /** Process id, when the file has several executable processes. */
  processId?: string;
  /** Where the XML came from, for messages. */
  source?: string;
}

export type { ImportProblem };

/** Thrown when a process cannot be mapped: lists every problem. */
export class NotExecutableError extends DefinitionError {
  constructor(
    readonly source: string,
    readonly problems: ImportProblem[],
  ) {
    super(
      `${source} is not executable here because:\n${problems.map((p) => `  <${p.element}> (${p.type}): ${p.message}`).join('\n')}`,
      { problems },
    );
  }
}

/** What import returns: the definition, and the parser's warnings (lax import) as problems. */
export interface ImportResult {
  definition: Definition;
  dialect: DialectName;
  warnings: ImportProblem[];
}

const KEY_OK = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Turns moddle warnings into problems naming the element. */
export function warningsToProblems(warnings: ModdleWarning[]): ImportProblem[] {
  return warnings.map((w) => {
    const el = w.element as ModdleElement | undefined;
    // moddle puts the cause of unparsable content (a duplicate id...) on a later line: keep it
    const cause = /nested error: (.+)/.exec(w.message)?.[1];
    const first = w.message.split('\n')[0];
    return {
      element: el?.id ?? (w.property ? String(w.property) : 'xml'),
      type: el?.$type ?? 'xml',
      message: cause ? `${first}: ${cause}` : first,
    };
  });
}

/**
 * The first flow element nested deeper than `GRAVITY_MAX_NESTING` levels (sub-processes inside sub-processes; the
 * process's own elements are level 1, as a definition's top states are), found with a stack of its own before the
 * import walks the levels recursively: a file nesting 10,000 sub-processes is refused with an element id, not a stack
 * overflow. (bpmn-moddle reads such a file without trouble: its parser keeps its own stack too.)
 */
function nestingProblem(process: ModdleElement): ImportProblem | undefined {
  const limit = limitOf('nesting');
  let first: ModdleElement | undefined;
  let deepest = 0;
  const stack: Array<[ModdleElement, number]> = [[process, 0]];
  while (stack.length) {
    const [el, depth] = stack.pop()!;
    for (const child of (el.flowElements ?? []) as ModdleElement[]) {
      deepest = Math.max(deepest, depth + 1);
      // the first element past the limit, a sub-process if there is one there (it is what nests)
      if (depth + 1 === limit + 1 && (!first || (!first.flowElements && child.flowElements))) first = child;
      if (child.flowElements) stack.push([child, depth + 1]);
    }
  }
  if (!first) return undefined;
  return {
    element: first.id ?? 'process',
    type: first.$type,
    message: `nested ${limit + 1} levels deep (sub-processes inside sub-processes), more than the limit of ${limit}; the process goes ${deepest} levels deep; raise ${LIMITS.nesting.env}`,
  };
}

/** The processes of a BPMN file (participants of a collaboration included), in document order. */
export async function listProcesses(
  xml: string,
  o: Pick<ImportOptions, 'dialect'> = {},
): Promise<Array<{ id: string; executable: boolean }>> {
  const dialect = dialectNamed(o.dialect ?? detectDialect(xml));
  let parsed;
  try {
    parsed = await createModdle(dialect.packages).fromXML(xml);
  } catch {
    // not readable: importBpmn says why, naming the file
    return [];
  }
  return ((parsed.rootElement.rootElements ?? []) as ModdleElement[])
    .filter((e) => e.$type === 'bpmn:Process' && e.id)
    .map((e) => ({ id: e.id!, executable: e.isExecutable === true }));
}

/** Imports BPMN XML (already through readBpmnFile/checkBpmnText) into a definition. */
export async function importBpmn(xml: string, o: ImportOptions = {}): Promise<ImportResult> {
  const source = o.source ?? 'BPMN input';
  const dialect = dialectNamed(o.dialect ?? detectDialect(xml));
  const moddle = createModdle(dialect.packages);
  let parsed;
  try {
    parsed = await moddle.fromXML(xml);
  } catch (e) {
    throw new DefinitionError(`${source}: not a readable BPMN file: ${(e as Error).message.split('\n')[0]}`, {
      source,
    });
  }
  const warnings = warningsToProblems(parsed.warnings);
  const defs = parsed.rootElement;
  const processes = ((defs.rootElements ?? []) as ModdleElement[]).filter((e) => e.$type === 'bpmn:Process');
  const executable = processes.filter((p) => p.isExecutable);
  const process = o.processId ? processes.find((p) => p.id === o.processId) : (executable[0] ?? processes[0]);
  if (!process)
    throw new NotExecutableError(source, [
      {
        element: defs.id ?? 'definitions',
        type: 'bpmn:Definitions',
        message: o.processId
          ? `no process with id ${o.processId}`
          : 'the file holds no process (a collaboration or choreography only?)',
      },
    ]);
  if (!o.processId && executable.length > 1)
    warnings.push({
      element: process.id!,
      type: 'bpmn:Process',
      message: `${executable.length} executable processes; importing the first`,
    });

  const tooDeep = nestingProblem(process);
  if (tooDeep) throw new NotExecutableError(source, [tooDeep]);

  const r: ReadContext = { extensions: (el) => (el.extensionElements?.values ?? []) as ModdleElement[] };
  // two elements with one id: references resolve to either, so nothing read after it can be trusted
  const problems: ImportProblem[] = warnings
    .filter((w) => /duplicate ID <[^>]*>/.test(w.message))
    .map((w) => ({
      ...w,
      element: /duplicate ID <([^>]*)>/.exec(w.message)![1],
      message: `${w.message}: two elements share this id, so the flows that name it are ambiguous`,
    }));
  const keyOf = (el: ModdleElement) =>
    KEY_OK.test(el.id!) ? el.id! : el.id!.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^([^A-Za-z_])/, '_$1');
  const flowIds: Record<string, string> = {};
  const ctx = { dialect, r, problems, warnings, keyOf, flowIds, mappings: o.mappings ?? {} };
  const machine = convertLevel(process, ctx);

  const info = dialect.readProcess(process, r);
  const docs = (process.documentation ?? []) as ModdleElement[];
  const bpmn: Record<string, unknown> = { processId: process.id, definitionsId: defs.id, flows: flowIds };
  const start = ((process.flowElements ?? []) as ModdleElement[]).find((e) => e.$type === 'bpmn:StartEvent');
  if (start) bpmn.start = start.id;
  // a message start event's message (its name, or '' for none), written back by export
  const startMessage = ((start?.eventDefinitions ?? []) as ModdleElement[]).find(
    (d) => d.$type === 'bpmn:MessageEventDefinition',
  );
  if (startMessage) {
    const ref = startMessage.messageRef as ModdleElement | undefined;
    bpmn.startMessage = typeof ref?.name === 'string' ? ref.name : '';
  }
  const diagram = captureDiagram(defs);
  if (diagram) bpmn.diagram = diagram;
  const foreign = captureForeign(process);
  if (foreign) bpmn.foreign = foreign;
  const ns = Object.fromEntries(
    Object.entries(defs.$attrs ?? {})
      .filter(([k]) => k.startsWith('xmlns:'))
      .map(([k, v]) => [k.slice(6), v]),
  );
  if (Object.keys(ns).length) bpmn.namespaces = ns;
  if (problems.length) throw new NotExecutableError(source, problems);
  const definition: Definition = {
    id: o.as ?? info.id ?? `bpmn:${process.id}`,
    ...(info.version ? { version: info.version } : {}),
    ...(process.name ? { title: process.name } : {}),
    ...(docs.length ? { description: docs.map((d) => d.text).join('\n') } : {}),
    ...(info.params ? { params: info.params } : {}),
    ...(info.root !== undefined ? { root: info.root } : {}),
    machine,
    meta: { ...(info.meta ?? {}), bpmn },
  };
  return { definition, dialect: dialect.name, warnings };
}

type Ctx = ImportContext;
