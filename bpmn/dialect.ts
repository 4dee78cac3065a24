// What a BPMN flavour (gravity, Camunda 7, Zeebe) is: its declaration (name, namespace, moddle package) and how it writes and reads
// task data, conditions, timers and metadata. The dialects themselves are declared in bpmn/dialects/, listed in bpmn/dialects/index.ts.
import type { Definition, EachConfig, StateConfig } from '../engine/index.js';
import type { Moddle, ModdleElement, ModdlePackage } from './moddle.js';

/** Task data read back from an element. */
export interface TaskData {
  src: string;
  input?: unknown;
  meta?: StateConfig['meta'];
}

/** Export-side helpers handed to a dialect. */
export interface WriteContext {
  moddle: Moddle;
  /** Adds an extension element to `el`'s extensionElements. */
  extend(el: ModdleElement, ext: ModdleElement): void;
  /** Root elements to add next to the process (bpmn:Error...). */
  errors: ModdleElement[];
  /** The process starts on a message (an imported message start event): its name, '' for none. */
  startMessage?: string;
}

/** Import-side helpers handed to a dialect. */
export interface ReadContext {
  /** Extension elements of `el` (the `values` of its extensionElements). */
  extensions(el: ModdleElement): ModdleElement[];
}

/** What a dialect declares about itself; everything else (detection, CLI choices, known namespaces, moddle packages) derives from it. */
export interface DialectDeclaration<N extends string = string> {
  /** Its name: the value of `--dialect`, and the `dialect` an import reports. */
  name: N;
  /** How prose names it (`Camunda 7`). */
  title: string;
  /** A word on it in the CLI's `--dialect` help (`Kytes`). */
  note?: string;
  /** Namespace URI of its extension elements and attributes: a file declaring it is read in this dialect. */
  namespace: string;
  /** The prefix its moddle package gives that namespace (`camunda`): its extensions are never foreign data. */
  prefix: string;
  /** The moddle package (descriptor) of its extensions; its `uri` and `prefix` are {@link namespace} and {@link prefix}. */
  descriptor: ModdlePackage;
  /** When a file declares the namespaces of several dialects, the one with the highest precedence reads it. */
  precedence: number;
  /** Reads the files that declare no dialect's namespace (plain BPMN, other modelers); exactly one dialect does. */
  readsPlainBpmn?: boolean;
  /** The dialect export writes when none is asked for; exactly one dialect is. */
  exportDefault?: boolean;
  /** Export puts back other vendors' attributes, extension elements and namespace declarations kept on import. */
  keepsForeign?: boolean;
  /** Extension elements of the dialect's own namespace that it reads; any other one is reported as ignored on import. */
  understands?: readonly string[];
  /** Extension elements the dialect's export writes for other tools only (nothing to read back): never reported. */
  writesOnly?: (x: ModdleElement) => boolean;
}

/** How a dialect writes a definition's data into BPMN elements and reads it back. */
export interface DialectCodec {
  /** Workflow-level data on the process (id, version, params, run root...). */
  writeProcess(def: Definition, process: ModdleElement, w: WriteContext): void;
  readProcess(
    process: ModdleElement,
    r: ReadContext,
  ): Partial<Pick<Definition, 'id' | 'version' | 'params' | 'root' | 'meta'>>;
  /** A task state (service task, or call activity when `src` is `workflow:<id>`). */
  writeTask(key: string, state: StateConfig, el: ModdleElement, w: WriteContext): void;
  readTask(el: ModdleElement, r: ReadContext, element: string): TaskData;
  /**
   * A for-each (`meta.each`) on the multi-instance element `mi` of a task or sub-process `el`: its list and item name
   * in the engine's own terms (isSequential is written by export; what the engine has no word for travels in the
   * element's properties: a task's are written by writeTask, a sub-process's here).
   */
  writeLoop(each: EachConfig, mi: ModdleElement, el: ModdleElement, w: WriteContext, element: string): void;
  /** The for-each of the multi-instance element `mi` of task `el` (`meta`: what readTask found), or undefined if it has no list. */
  readLoop(
    mi: ModdleElement,
    el: ModdleElement,
    r: ReadContext,
    meta: StateConfig['meta'],
    element: string,
  ): EachConfig | undefined;
  /** A FEEL guard -> the body (and language) of a bpmn:FormalExpression, and back. */
  writeCondition(feel: string, element: string): { body: string; language?: string };
  readCondition(expr: { body?: string; language?: string }, element: string): string;
  /** A timer delay (ms, ISO duration or `=FEEL`) -> timeDuration body, and back. */
  writeDelay(delay: string, element: string): string;
  readDelay(body: string, element: string): string;
  /** The output template of a final state. */
  writeResult(key: string, state: StateConfig, el: ModdleElement, w: WriteContext): void;
  readResult(el: ModdleElement, r: ReadContext): unknown;
  /** Meta of an end event beyond its output (an attention() end's message). */
  readEndMeta(el: ModdleElement, r: ReadContext): StateConfig['meta'];
  /**
   * A message boundary's correlation key, where the dialect keeps one on the root message (Zeebe's subscription), and
   * back; dialects without such a place keep `meta.messageKeys` in the task's own properties.
   */
  writeMessageKey?(message: ModdleElement, key: unknown, w: WriteContext, element: string): void;
  readMessageKey?(message: ModdleElement, r: ReadContext): unknown;
}

/** One BPMN flavour: its declaration, its codec, and the moddle packages (prefix -> descriptor) that read and write it. */
export interface Dialect<N extends string = string> extends DialectDeclaration<N>, DialectCodec {
  /** `{ [prefix]: descriptor }`: what the moddle of an import or export in this dialect loads. */
  readonly packages: Readonly<Record<string, ModdlePackage>>;
}

/** Declares a dialect (its name kept as a literal type, so that the list of dialects yields the union of names). */
export function defineDialect<const N extends string>(d: DialectDeclaration<N> & DialectCodec): Dialect<N> {
  return { ...d, packages: { [d.prefix]: d.descriptor } };
}

/** ms -> ISO-8601 duration (`PT1.5S`, `PT2M`), the form BPMN timers use. */
export function msToIso(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `PT${ms / 3_600_000}H`;
  if (ms % 60_000 === 0 && ms > 0) return `PT${ms / 60_000}M`;
  return `PT${ms / 1000}S`;
}

/** The process id a workflow id becomes in BPMN (`host:doctor` -> `host_doctor`): what engines resolve calls by. */
export function processIdFor(workflowId: string): string {
  return workflowId.replace(/[^A-Za-z0-9_-]/g, '_');
}
