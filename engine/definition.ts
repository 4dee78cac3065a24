// The definition: a workflow as JSON (the gravity subset of xstate machine configs) plus params and metadata.
import { createHash } from 'node:crypto';

/** Declared type of a workflow param; `--param k=v` strings are coerced to it. */
export const ParamType = {
  String: 'string',
  Number: 'number',
  Integer: 'integer',
  Boolean: 'boolean',
  Array: 'array',
  Object: 'object',
  Json: 'json',
} as const;
export type ParamType = (typeof ParamType)[keyof typeof ParamType];

/** One declared param: a small JSON schema that survives serialization. */
export interface ParamSpec {
  type: ParamType;
  description?: string;
  default?: unknown;
  /** Required unless a default exists. Default: true when no default is given. */
  required?: boolean;
  enum?: unknown[];
  /** Regex source a string value must match (for names that become paths). */
  pattern?: string;
  /**
   * A file or folder path (type string): a relative value is made absolute when the run starts, from the folder it
   * starts in (`--root`, default the current directory), and recorded so; the declared `root` and resume see it absolute.
   */
  path?: boolean;
  /**
   * The id of a registered choice list (engine/choices.ts, e.g. `gitlab.instances`): where the values offered come from
   * when the CLI asks for this param at a terminal. An offer only: the value is validated as any `--param`.
   */
  choices?: string;
}

/** A transition target: a sibling state key or `#id` / `#root.x`. */
export type Target = string | { target: string; meta?: Record<string, unknown> };

/** A guard in the subset: a FEEL expression. */
export interface ExprGuard {
  type: 'expr';
  params: { expr: string };
}

/** Retry policy of a task state. */
export interface RetryPolicy {
  /** Attempts in all (1 = no retry). */
  max: number;
  backoffMs?: number;
  factor?: number;
  maxBackoffMs?: number;
}

/** What a state carries besides xstate's own fields. */
export interface StateMeta {
  title?: string;
  documentation?: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** Output mappings: variable name -> FEEL expression over the scope plus `output`. */
  outputs?: Record<string, string>;
  /** Merge every field of the task output into the variables (Camunda's external-task semantics). */
  mergeOutput?: boolean;
  /** On a final state: reaching it fails the run, with this message (FEEL when it starts with `=`). */
  fail?: { message?: string } | true;
  /** On a final state: the run ends in *needs attention* (exit 3) with this message (FEEL when it starts with `=`); its output is kept. */
  attention?: { message: string };
  /** On a task or call: run it once per item of a list (a for-each), see {@link EachConfig}. */
  each?: EachConfig;
  /** On a task or call: side paths that a timer starts while the step goes on (reminders), see {@link ReminderConfig}. */
  reminders?: ReminderConfig[];
  /**
   * On a task or call with message boundaries (`on: { 'message:<name>': ... }`): message name -> correlation key, a
   * FEEL expression (`=params.env`) evaluated when the step starts, or a literal. A message with a key interrupts the
   * step only when it is sent with that key (`gravity signal --key`).
   */
  messageKeys?: Record<string, string>;
  bpmn?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What happens when an item of a for-each fails. */
export type EachFailure = 'stop' | 'all';

/**
 * A for-each: the step runs once per item of `items`, each run a step of its own (`<step>:<index>`, journaled and
 * resumed like any step), with the item and its index in scope; the step's output is the list of their outputs, in item
 * order.
 */
export interface EachConfig {
  /** The list: a FEEL expression (`=instances`) or a literal list. */
  items: string | unknown[];
  /** The name of the item in scope (default `item`). */
  as?: string;
  /** The name of its index in scope, from 0 (default `index`). */
  index?: string;
  /** How many items run at once (default 1: one after the other, in order). */
  concurrency?: number;
  /**
   * `stop` (default): the first failure starts no further item (the running ones finish), then the step fails;
   * `all`: every item runs, then the step fails naming every failed item.
   */
  onFailure?: EachFailure;
  /**
   * A completion condition (BPMN's `completionCondition`): a FEEL condition starting with `=`, evaluated after each item
   * that finishes, over the scope plus that item and its index, `outputs` (the outputs so far, in item order, null for
   * the others), `loopCounter` (its index) and the counts Camunda and Zeebe name: `nrOfInstances`,
   * `nrOfCompletedInstances`, `nrOfActiveInstances` (and `numberOfInstances`, `numberOfCompletedInstances`,
   * `numberOfActiveInstances`). Once it holds, no further item starts, the items still running are cancelled, and the
   * step succeeds with the outputs of the items that finished (null for the others).
   */
  until?: string;
}

/**
 * A reminder (BPMN's non-interrupting timer boundary): `after` the step started, while it still runs (or waits), its side
 * path runs as a child run of its own (`<run>.<id>`), with the run's variables; the step goes on meanwhile, and its
 * outcome is taken once every side path it started has ended. A side path that fails fails the step (its `onError`
 * catches that); a step that fails or is cancelled cancels the side paths still running.
 */
export interface ReminderConfig {
  /** The step id its side path runs under (unique among the workflow's state keys); the BPMN boundary event's id. */
  id: string;
  /** When it fires, from the step's start: milliseconds or an ISO-8601 duration (`PT1H`), or `=FEEL` giving one. */
  after: string | number;
  /** How many times it fires while the step runs, `after` apart (default 1; 0: as long as the step runs). */
  times?: number;
  /** The side path: a sub-sequence (its own states, ending in a final state). */
  initial: string;
  states: Record<string, StateConfig>;
  /** What the BPMN export needs to write it back (the boundary event's name, its end event's id...). */
  meta?: Record<string, unknown>;
}

const bodies = new WeakMap<ReminderConfig, Definition>();

/**
 * The workflow a reminder's side path runs as (its child runs' definition, `<workflow>:<id>`): the same object for the
 * same reminder, so that it compiles once.
 */
export function reminderBody(workflow: string, r: ReminderConfig): Definition {
  let body = bodies.get(r);
  if (!body || body.id !== `${workflow}:${r.id}`) {
    body = { id: `${workflow}:${r.id}`, machine: { initial: r.initial, states: r.states } };
    bodies.set(r, body);
  }
  return body;
}

/** A state node of the subset (see docs/architecture.md: "The definition is the hub"). */
export interface StateConfig {
  type?: 'atomic' | 'compound' | 'parallel' | 'final';
  initial?: string;
  states?: Record<string, StateConfig>;
  invoke?: { src: string; input?: unknown; id?: string };
  onDone?: Target;
  /**
   * On a task: where its failure goes. On a compound state: where any failure inside it that no inner state handles
   * goes (a BPMN error boundary on the sub-process); `context.error` names the failing step either way.
   */
  onError?: Target;
  /** Taken in order: the first whose guard holds (one without a guard always holds); `description` says what it means. */
  always?: Array<{ target: string; guard?: ExprGuard; description?: string }>;
  after?: Record<string, Target>;
  /**
   * Events. {@link CANCEL_EVENT} on a compound state: the run was cancelled inside it (a cleanup). `message:<name>` on a
   * task or call state (one with `invoke`, wait tasks included): an interrupting message boundary; when message `<name>`
   * is delivered while the step runs or waits (`gravity signal <run> <name>`, correlated by `meta.messageKeys` when it
   * has a key), the step is stopped (as on a cancel), the message's data, when it is an object, is merged into the
   * variables, and the run goes to the target, a sibling state key. Several names may be given.
   */
  on?: Record<string, Target>;
  /** On final states: the output (a template of literals and `=expr`). */
  output?: unknown;
  description?: string;
  meta?: StateMeta;
}

/** The serializable form of a workflow. */
export interface Definition {
  /** `family:verb`, e.g. `host:doctor`. */
  id: string;
  version?: string;
  title?: string;
  description?: string;
  params?: Record<string, ParamSpec>;
  /**
   * The run root: the folder the run's file tasks resolve relative paths from and may not write outside of. A folder
   * path, or `=FEEL` over the params, evaluated once when a run starts (relative: from `--root`, default the current
   * directory) and recorded with the run. Absent: `--root`.
   */
  root?: string;
  machine: StateConfig & { initial: string; states: Record<string, StateConfig> };
  meta?: Record<string, unknown>;
}

/** Canonical JSON (sorted keys) used for hashing and comparison. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** sha256 of the canonical JSON: stored with every run, compared on resume. */
export function definitionHash(def: Definition): string {
  return createHash('sha256').update(canonicalJson(def)).digest('hex');
}

/** Target key of a transition. */
export function targetOf(t: Target | undefined): string | undefined {
  return t === undefined ? undefined : typeof t === 'string' ? t : t.target;
}

/** What a call step's `invoke.src` starts with: `workflow:<id>` calls workflow `<id>`. */
export const CALL_PREFIX = 'workflow:';

/** The workflow id a step's `src` calls, or undefined when `src` is a task id. */
export function calleeOf(src: string): string | undefined {
  return src.startsWith(CALL_PREFIX) ? src.slice(CALL_PREFIX.length) : undefined;
}

/** The `invoke.src` of a call of workflow `id`. */
export function callSrc(id: string): string {
  return `${CALL_PREFIX}${id}`;
}

/**
 * The event a run's cancel becomes when a compound state that handles it is active (a `cleanup()`): the compound is
 * left (its running steps are cancelled) and its `on[CANCEL_EVENT]` target runs, instead of the run stopping at once.
 */
export const CANCEL_EVENT = 'gravity.cancel';

/** A fail end with this message re-throws the error being handled (`context.error`) as it is, code included. */
export const RETHROW = '=error.message';

/** The kinds of state of the subset, named once (plan, validate, BPMN graph and import speak of these). */
export const StateKind = {
  Task: 'task',
  Call: 'call',
  Decision: 'decision',
  Parallel: 'parallel',
  Wait: 'wait',
  Event: 'event',
  Compound: 'compound',
  End: 'end',
  Fail: 'fail',
  Attention: 'attention',
  Empty: 'empty',
} as const;
export type StateKind = (typeof StateKind)[keyof typeof StateKind];

/**
 * The kind of a state, from its fields: a final state is an end (failing, or asking for attention); a state that invokes
 * is a task or a call; then a decision (`always`), a parallel state, a compound state (`states`, a sub-process), a wait
 * (`after` alone), an event wait (`on`); a state with none of these does nothing (`empty`, refused by validation).
 */
export function stateKind(s: StateConfig): StateKind {
  if (s.type === 'final')
    return s.meta?.fail ? StateKind.Fail : s.meta?.attention ? StateKind.Attention : StateKind.End;
  if (s.invoke)
    return typeof s.invoke.src === 'string' && calleeOf(s.invoke.src) !== undefined ? StateKind.Call : StateKind.Task;
  if (s.always) return StateKind.Decision;
  if (s.type === 'parallel') return StateKind.Parallel;
  if (s.states) return StateKind.Compound;
  if (s.after) return StateKind.Wait;
  if (s.on) return StateKind.Event;
  return StateKind.Empty;
}

/** A state that invokes a task or a sub-workflow. */
export interface StepRef {
  /** State key, which is the step id (unique in a definition). */
  id: string;
  /** Key path from the root. */
  path: string[];
  state: StateConfig;
  /** Task id, or `workflow:<id>` for a call. */
  src: string;
  /** Inside a parallel region. */
  parallel: boolean;
}

/** Every invoking state in document order (depth first): the steps of a workflow. */
export function listSteps(def: Definition): StepRef[] {
  const out: StepRef[] = [];
  const walk = (states: Record<string, StateConfig> | undefined, path: string[], parallel: boolean) => {
    for (const [key, s] of Object.entries(states ?? {})) {
      if (s.invoke) out.push({ id: key, path: [...path, key], state: s, src: s.invoke.src, parallel });
      // a for-each over a sub-sequence is one step: its body runs in child runs, not here
      else if (s.meta?.each && s.states)
        out.push({ id: key, path: [...path, key], state: s, src: 'for-each', parallel });
      else walk(s.states, [...path, key], parallel || s.type === 'parallel');
    }
  };
  walk(def.machine.states, [], false);
  return out;
}
