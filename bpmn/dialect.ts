// What differs between BPMN flavours (gravity, Camunda 7, Zeebe): how task data, conditions, timers and metadata are written and read.
import type { Definition, StateConfig } from '../engine/index.js';
import type { Moddle, ModdleElement } from './moddle.js';

/** Names of the dialects. */
export const DialectName = { Gravity: 'gravity', Camunda7: 'camunda7', Zeebe: 'zeebe' } as const;
export type DialectName = (typeof DialectName)[keyof typeof DialectName];

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
}

/** Import-side helpers handed to a dialect. */
export interface ReadContext {
  /** Extension elements of `el` (the `values` of its extensionElements). */
  extensions(el: ModdleElement): ModdleElement[];
}

/** One BPMN flavour. */
export interface Dialect {
  name: DialectName;
  /** Moddle extension packages (prefix -> descriptor) this dialect needs. */
  packages: Record<string, object>;
  /** Extension elements of the dialect's own namespace that it reads; any other one is reported as ignored on import. */
  understands?: string[];
  /** Workflow-level data on the process (id, version, params...). */
  writeProcess(def: Definition, process: ModdleElement, w: WriteContext): void;
  readProcess(process: ModdleElement, r: ReadContext): Partial<Pick<Definition, 'id' | 'version' | 'params' | 'meta'>>;
  /** A task state (service task, or call activity when `src` is `workflow:<id>`). */
  writeTask(key: string, state: StateConfig, el: ModdleElement, w: WriteContext): void;
  readTask(el: ModdleElement, r: ReadContext, element: string): TaskData;
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
