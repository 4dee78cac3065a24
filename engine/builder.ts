// The authoring builder: sequence / task / decide / parallel / retry / call / wait / cleanup, emitting the gravity subset.
import type { TaskDefinition } from './define-task.js';
import type {
  Definition,
  EachConfig,
  ParamSpec,
  ReminderConfig,
  RetryPolicy,
  StateConfig,
  StateMeta,
} from './definition.js';
import { callSrc, CANCEL_EVENT, RETHROW } from './definition.js';
import { closest, DefinitionError } from './errors.js';
import { messageEvent, messageNameProblem } from './message-boundaries.js';

/** A piece of a workflow under construction. */
export type Node =
  TaskNode | SequenceNode | DecideNode | ParallelNode | WaitNode | FailNode | AttentionNode | CleanupNode | EachNode;

/** Options of a task step. */
export interface TaskOptions {
  title?: string;
  documentation?: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** variable -> FEEL expression (over the scope plus `output`), stored after the step. */
  outputs?: Record<string, string>;
  /** What to do when the step fails: a node to run instead (then carry on), 'continue', or `{ goto: <step id> }` (a step emitted elsewhere, e.g. a shared clean-up). Default: the run fails. */
  onError?: Node | 'continue' | { goto: string };
  /** Interrupting timer: after this many ms, cancel the step and go to `timeout.then` (or carry on). */
  timeout?: { ms: number; then?: Node };
  /** Run the step once per item of a list (see {@link forEach}). */
  each?: EachConfig;
  /** Side paths that timers start while the step runs or waits, the step going on (see {@link reminder}). */
  reminders?: ReminderNode[];
  /**
   * Interrupting message boundaries: message name -> where the run goes when that message is delivered while the step
   * runs or waits (`gravity signal <run> <name>`): a step id (a step emitted elsewhere, as `{ goto }` says too), or a
   * node to run instead (then carry on). The step is stopped as on a cancel; the message's data, an object, joins the
   * variables.
   */
  onMessage?: Record<string, MessageHandler>;
  /** Correlation keys of `onMessage`'s messages: message name -> the key (`=FEEL` or a literal) it must be sent with. */
  messageKeys?: Record<string, string>;
}

/** Where a message boundary leads: a step id, `{ goto: <step id> }`, or a node to run instead (then carry on). */
export type MessageHandler = Node | string | { goto: string };

/** A reminder of a step: see {@link reminder}. */
export interface ReminderNode {
  kind: 'reminder';
  id: string;
  after: number | string;
  body: Node;
  times?: number;
  title?: string;
}

/**
 * A reminder (BPMN's non-interrupting timer boundary), given to a step's `reminders` option: `after` the step started
 * (milliseconds, an ISO-8601 duration, or `=FEEL`), while the step still runs or waits, `body` runs as a child run
 * `<run>.<id>` with the run's variables, and the step goes on. `times` (default 1) fires it again `after` apart, 0 as
 * long as the step runs. The step's outcome is taken once its side paths have ended; one that fails fails the step.
 *
 * @example task('wait-doc', 'gravity.message', { name: 'document' }, { reminders: [reminder('nudge', 'P1D', task('mail', 'mail.send', {...}), { times: 6 })] })
 */
export function reminder(
  id: string,
  after: number | string,
  body: Node,
  options: { times?: number; title?: string } = {},
): ReminderNode {
  if (typeof id !== 'string' || id === '')
    throw new DefinitionError(`reminder(): the id must be a non-empty string, got ${JSON.stringify(id)}`);
  refuseUnknownOptions(`reminder <${id}>`, options, ['times', 'title']);
  assertNodes([body], `reminder <${id}>`);
  return { kind: 'reminder', id, after, body, ...options };
}

export interface TaskNode {
  kind: 'task';
  id: string;
  src: string;
  input?: unknown;
  options: TaskOptions;
}
export interface SequenceNode {
  kind: 'sequence';
  nodes: Node[];
}
export interface DecideNode {
  kind: 'decide';
  id: string;
  branches: DecideBranch[];
  otherwise?: Node;
  title?: string;
}
/** One branch of a decision: its FEEL condition, what runs when it holds, and what it means in words (diagrams show it). */
export interface DecideBranch {
  when: string;
  then: Node;
  label?: string;
}
export interface ParallelNode {
  kind: 'parallel';
  id: string;
  branches: Node[];
  title?: string;
}
export interface WaitNode {
  kind: 'wait';
  id: string;
  delay: number | string;
  title?: string;
}
export interface FailNode {
  kind: 'fail';
  id: string;
  message: string;
}
export interface AttentionNode {
  kind: 'attention';
  id: string;
  message: string;
  output?: unknown;
}
/** A body and the steps that run after it whatever happens: see {@link cleanup}. */
export interface CleanupNode {
  kind: 'cleanup';
  id: string;
  body: Node;
  steps: Node;
  title?: string;
}

/** A FEEL expression in a definition: a string that starts with `=`. */
export type Expr = `=${string}`;

/** An input as authored: every value of the task's input type may be a FEEL expression instead. */
export type Templated<T> = T extends string | number | boolean | bigint | null | undefined
  ? T | Expr
  : T extends ReadonlyArray<infer U>
    ? ReadonlyArray<Templated<U>> | Expr
    : T extends object
      ? { [K in keyof T]: Templated<T[K]> } | Expr
      : T | Expr;

/**
 * A step that runs a task node with `input` (literals and `=FEEL` strings). Given the node itself, the input is typed by
 * its schema (an unknown or mistyped key is a TypeScript error); given its id (a string), as in JSON definitions, the
 * input is checked when the run starts.
 */
export function task<In>(
  id: string,
  node: TaskDefinition<any, any, In>,
  input: NoInfer<Templated<In>>,
  options?: TaskOptions,
): TaskNode;
export function task(id: string, src: string, input?: unknown, options?: TaskOptions): TaskNode;
export function task(id: string, src: string | TaskDefinition, input?: unknown, options: TaskOptions = {}): TaskNode {
  if (typeof id !== 'string' || id === '')
    throw new DefinitionError(`task(): the step id must be a non-empty string, got ${JSON.stringify(id)}`);
  const taskId = typeof src === 'string' ? src : src?.id;
  if (typeof taskId !== 'string' || taskId === '')
    throw new DefinitionError(`step <${id}>: expected a task id or a task node, got ${JSON.stringify(src)}`, {
      element: id,
    });
  refuseUnknownOptions(`step <${id}>`, options, TASK_OPTIONS);
  checkMessageOptions(`step <${id}>`, options);
  return { kind: 'task', id, src: taskId, input, options };
}

/**
 * Throws a DefinitionError naming `where` when `onMessage` or `messageKeys` is malformed: a bad message name, a handler
 * that is neither a step id nor a node, a key for a message `onMessage` does not name (with the closest), an empty key.
 */
function checkMessageOptions(where: string, o: Pick<TaskOptions, 'onMessage' | 'messageKeys'>): void {
  const fail = (message: string, option: string) => {
    throw new DefinitionError(`${where}: ${message}`, { element: where, option });
  };
  const { onMessage, messageKeys } = o;
  if (onMessage !== undefined) {
    if (!onMessage || typeof onMessage !== 'object' || Array.isArray(onMessage))
      fail('onMessage must be an object: message name -> step id or node', 'onMessage');
    for (const [name, h] of Object.entries(onMessage)) {
      const bad = messageNameProblem(name);
      if (bad) fail(`onMessage: ${bad}`, 'onMessage');
      if (typeof h === 'string') {
        if (h === '') fail(`onMessage "${name}": the step id is empty`, 'onMessage');
      } else if (h && typeof h === 'object' && !('kind' in h) && 'goto' in h) {
        if (typeof h.goto !== 'string' || h.goto === '')
          fail(`onMessage "${name}": goto needs a step id, got ${JSON.stringify(h.goto)}`, 'onMessage');
      } else assertNodes([h], `${where}: onMessage "${name}"`);
    }
  }
  if (messageKeys === undefined) return;
  if (!messageKeys || typeof messageKeys !== 'object' || Array.isArray(messageKeys))
    fail('messageKeys must be an object: message name -> correlation key', 'messageKeys');
  const names = Object.keys(onMessage ?? {});
  for (const [name, k] of Object.entries(messageKeys)) {
    if (!names.includes(name)) {
      const near = closest(name, names);
      fail(
        `messageKeys "${name}": no onMessage for message "${name}"${near.length ? `; did you mean "${near[0]}"?` : names.length ? ` (onMessage names ${names.map((n) => `"${n}"`).join(', ')})` : ''}`,
        'messageKeys',
      );
    }
    if (typeof k !== 'string' || k.trim() === '')
      fail(
        `messageKeys "${name}" must be a non-empty string (a key, or =FEEL), got ${JSON.stringify(k)}`,
        'messageKeys',
      );
  }
}

/** The keys of TaskOptions (a JavaScript author's misspelt option is an error, not silently ignored). */
export const TASK_OPTIONS: readonly string[] = [
  'title',
  'documentation',
  'retry',
  'timeoutMs',
  'outputs',
  'onError',
  'timeout',
  'each',
  'reminders',
  'onMessage',
  'messageKeys',
];

/** Throws a DefinitionError naming `where`, the first key of `options` not in `known`, and the closest known key. */
export function refuseUnknownOptions(where: string, options: object | undefined, known: readonly string[]): void {
  for (const k of Object.keys(options ?? {})) {
    if (known.includes(k)) continue;
    const near = closest(k, [...known]);
    throw new DefinitionError(
      `${where}: unknown option "${k}"${near.length ? `; did you mean "${near[0]}"?` : ''} (options: ${known.join(', ')})`,
      { element: where, option: k },
    );
  }
}

/** A call of another workflow by id, with its params. */
export function call(
  id: string,
  workflowId: string,
  params?: Record<string, unknown>,
  options: TaskOptions = {},
): TaskNode {
  refuseUnknownOptions(`step <${id}>`, options, TASK_OPTIONS);
  checkMessageOptions(`step <${id}>`, options);
  return { kind: 'task', id, src: callSrc(workflowId), input: params ?? {}, options };
}

/** A for-each whose body is a whole sub-sequence (each item runs it as a child run `<run>.<id>:<i>`). */
export interface EachNode {
  kind: 'each';
  id: string;
  body: Node;
  each: EachConfig;
  options: Pick<TaskOptions, 'title' | 'documentation' | 'outputs' | 'onError'>;
}

/** Options of {@link forEach}: the list's item and index names, concurrency, failure policy, and the step's own options. */
export interface ForEachOptions extends Omit<EachConfig, 'items'>, Omit<TaskOptions, 'each' | 'timeout'> {}

const EACH_OPTIONS = ['as', 'index', 'concurrency', 'onFailure', 'until'] as const;

/**
 * Runs `body` (a task or a call of a workflow, made with task() or call()) once per item of `items` (a FEEL expression
 * giving a list, or a list), with the item and its index in scope (`item` and `index` unless renamed with `as` /
 * `index`); one at a time unless `concurrency` says more. The step's output is the list of the items' outputs, in item
 * order. `body`'s retry and timeoutMs apply to each item; title, onError and outputs are the for-each's own options.
 * `until` (a FEEL condition, see {@link EachConfig.until}) ends it early: once it holds after an item, no further item
 * starts, the running ones are cancelled, and the items that did not finish give null.
 *
 * @example forEach('backups', '=instances', task('backup', 'gitlab.backup', { instance: '=item' }), { concurrency: 2 })
 */
export function forEach(id: string, items: string | unknown[], body: TaskNode, options?: ForEachOptions): TaskNode;
export function forEach(id: string, items: string | unknown[], body: Node, options?: ForEachOptions): EachNode;
export function forEach(
  id: string,
  items: string | unknown[],
  body: Node,
  options: ForEachOptions = {},
): TaskNode | EachNode {
  refuseUnknownOptions(`forEach <${id}>`, options, [
    ...TASK_OPTIONS.filter((k) => k !== 'each' && k !== 'timeout'),
    ...EACH_OPTIONS,
  ]);
  assertNodes([body], `forEach <${id}>`);
  checkMessageOptions(`forEach <${id}>`, options);
  const { as: asName, index: indexName, concurrency: c, onFailure: policy, until: done, ...mine } = options;
  if (body.kind !== 'task') {
    for (const k of ['retry', 'timeoutMs', 'onMessage', 'messageKeys'] as const)
      if (mine[k] !== undefined)
        throw new DefinitionError(
          `forEach <${id}>: "${k}" applies to a task: give it to the body's steps (a sub-sequence's items are child runs)`,
          { element: id },
        );
    const each: EachConfig = {
      items,
      ...(asName !== undefined ? { as: asName } : {}),
      ...(indexName !== undefined ? { index: indexName } : {}),
      ...(c !== undefined ? { concurrency: c } : {}),
      ...(policy !== undefined ? { onFailure: policy } : {}),
      ...(done !== undefined ? { until: done } : {}),
    };
    return { kind: 'each', id, body, each, options: mine };
  }
  for (const k of ['onError', 'timeout', 'outputs', 'each', 'onMessage', 'messageKeys'] as const)
    if (body.options[k] !== undefined)
      throw new DefinitionError(
        `forEach <${id}>: the body's "${k}" is not supported; give it to forEach (it applies to the whole for-each)`,
        { element: id },
      );
  const { as, index, concurrency, onFailure, until, ...own } = options;
  const each: EachConfig = {
    items,
    ...(as !== undefined ? { as } : {}),
    ...(index !== undefined ? { index } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(onFailure !== undefined ? { onFailure } : {}),
    ...(until !== undefined ? { until } : {}),
  };
  return {
    kind: 'task',
    id,
    src: body.src,
    input: body.input,
    options: {
      ...(body.options.title && !own.title ? { title: body.options.title } : {}),
      ...body.options,
      ...own,
      each,
    },
  };
}

const KINDS = new Set(['task', 'sequence', 'decide', 'parallel', 'wait', 'fail', 'attention', 'cleanup', 'each']);

/** Throws a coded error unless `n` is a builder node (a JavaScript author may pass anything). */
function assertNodes(nodes: unknown[], where: string): void {
  nodes.forEach((n, i) => {
    if (!n || typeof n !== 'object' || !KINDS.has((n as { kind?: unknown }).kind as string)) {
      throw new DefinitionError(
        `${where}: item ${i + 1} is not a step (expected task(), sequence(), decide(), parallel(), wait(), fail(), attention() or cleanup()), got ${JSON.stringify(n) ?? String(n)}`,
      );
    }
  });
}

/** Steps one after the other. */
export function sequence(...nodes: Node[]): SequenceNode {
  assertNodes(nodes, 'sequence()');
  if (nodes.length === 0) throw new DefinitionError('sequence() needs at least one node');
  return { kind: 'sequence', nodes };
}

/** An exclusive decision: the first branch whose FEEL condition holds, else `otherwise` (else carry on). */
export function decide(id: string, branches: DecideBranch[], otherwise?: Node, title?: string): DecideNode {
  if (!Array.isArray(branches))
    throw new DefinitionError(`decide <${id}>: branches must be a list of { when, then }`, { element: id });
  branches.forEach((b, i) => {
    if (typeof b?.when !== 'string')
      throw new DefinitionError(`decide <${id}>: branch ${i + 1} needs a FEEL condition in "when"`, { element: id });
    refuseUnknownOptions(`decide <${id}> branch ${i + 1}`, b, ['when', 'then', 'label']);
    if (b.label !== undefined && typeof b.label !== 'string')
      throw new DefinitionError(`decide <${id}>: branch ${i + 1}'s label must be a string`, { element: id });
  });
  assertNodes([...branches.map((b) => b.then), ...(otherwise === undefined ? [] : [otherwise])], `decide <${id}>`);
  return { kind: 'decide', id, branches, otherwise, title };
}

/** Branches that run concurrently; the next step starts when all are done. */
export function parallel(id: string, ...branches: Node[]): ParallelNode {
  if (branches.length < 2) throw new DefinitionError(`parallel <${id}> needs at least two branches`, { element: id });
  assertNodes(branches, `parallel <${id}>`);
  return { kind: 'parallel', id, branches };
}

/** The same task step with a retry policy (max attempts, exponential backoff). */
export function retry(node: TaskNode, policy: RetryPolicy): TaskNode {
  return { ...node, options: { ...node.options, retry: policy } };
}

/** A timer: ms, an ISO-8601 duration (`PT5S`) or a FEEL expression (`=params.delay`). */
export function wait(id: string, delay: number | string, title?: string): WaitNode {
  return { kind: 'wait', id, delay, title };
}

/** Options of an approval step (see {@link approval}). */
export interface ApprovalOptions {
  title?: string;
  documentation?: string;
  /** Who is expected to answer, and the groups whose members may (kept as BPMN assignee / candidate groups). */
  assignee?: string;
  candidateGroups?: string[];
  /** A FEEL expression (or a boolean): when true, the step approves at once without asking, e.g. `=params.yes`. */
  skip?: string | boolean;
  /** The path of a rejection (or 'continue', or `{ goto }`); default: a rejection fails the run. */
  onReject?: TaskOptions['onError'];
  /** After this many ms without an answer, take `timeout.then` (or carry on). */
  timeout?: TaskOptions['timeout'];
  outputs?: Record<string, string>;
  /** Side paths started while it waits (see {@link reminder}): a nudge to the approvers. */
  reminders?: TaskOptions['reminders'];
  /** Messages that interrupt the wait for another path (see {@link TaskOptions.onMessage}), and their keys. */
  onMessage?: TaskOptions['onMessage'];
  messageKeys?: TaskOptions['messageKeys'];
}

const APPROVAL_OPTIONS = [
  'title',
  'documentation',
  'assignee',
  'candidateGroups',
  'skip',
  'onReject',
  'timeout',
  'outputs',
  'reminders',
  'onMessage',
  'messageKeys',
];

/**
 * A step that waits for a person: the run parks as *waiting* (exit 4) until `gravity approve <run>` (the step outputs
 * `{ approved, by, at, reason }`) or `gravity reject <run> --reason` (the step fails with code REJECTED: `onReject` runs,
 * else the run fails). `message` may be FEEL, e.g. `'="Destroy " + params.env + "?"'`.
 */
export function approval(id: string, message: string, options: ApprovalOptions = {}): TaskNode {
  refuseUnknownOptions(`approval <${id}>`, options, APPROVAL_OPTIONS);
  const { assignee, candidateGroups, skip, onReject, ...rest } = options;
  return task(
    id,
    'gravity.approval',
    {
      message,
      ...(assignee !== undefined ? { assignee } : {}),
      ...(candidateGroups !== undefined ? { candidateGroups } : {}),
      ...(skip !== undefined ? { skip } : {}),
    },
    { ...rest, ...(onReject !== undefined ? { onError: onReject } : {}) },
  );
}

/** Options of a message wait (see {@link receive}). */
export interface ReceiveOptions {
  title?: string;
  documentation?: string;
  /** Correlation key (FEEL or a value): only a message delivered with this key is taken. */
  key?: string | number;
  /** After this many ms without the message, take `timeout.then` (or carry on). */
  timeout?: TaskOptions['timeout'];
  outputs?: Record<string, string>;
  onError?: TaskOptions['onError'];
  /** Side paths started while it waits (see {@link reminder}): a nudge to whoever should send the message. */
  reminders?: TaskOptions['reminders'];
  /** Other messages that interrupt the wait for another path (see {@link TaskOptions.onMessage}), and their keys. */
  onMessage?: TaskOptions['onMessage'];
  messageKeys?: TaskOptions['messageKeys'];
}

const RECEIVE_OPTIONS = [
  'title',
  'documentation',
  'key',
  'timeout',
  'outputs',
  'onError',
  'reminders',
  'onMessage',
  'messageKeys',
];

/**
 * A step that waits for message `name`: the run parks as *waiting* until `gravity signal <run> <name> [--data json]` (or
 * `gravity signal --message <name> --key <k>`) delivers it; the step outputs `{ name, key, data, by, at }`.
 */
export function receive(id: string, name: string, options: ReceiveOptions = {}): TaskNode {
  refuseUnknownOptions(`receive <${id}>`, options, RECEIVE_OPTIONS);
  const { key, ...rest } = options;
  return task(id, 'gravity.message', { name, ...(key !== undefined ? { key } : {}) }, rest);
}

/** Options of a send (see {@link send}). */
export interface SendOptions {
  title?: string;
  documentation?: string;
  /** Correlation key (FEEL or a value): only waits for this key (or for none) receive it. */
  key?: string | number;
  /** What the message carries (FEEL or a value): the receiving step outputs it as `data`. */
  data?: unknown;
  /** A signal: every waiting run receives it (default: a message, to the oldest waiting run). */
  signal?: boolean;
  outputs?: Record<string, string>;
  onError?: TaskOptions['onError'];
}

const SEND_OPTIONS = ['title', 'documentation', 'key', 'data', 'signal', 'outputs', 'onError'];

/**
 * A step that sends message `name` to the runs of this store waiting for it (`receive()` steps), as `gravity signal`
 * does, and drives each receiver on in this process; it outputs `{ delivered: [{ runId, step, status }] }`.
 */
export function send(id: string, name: string, options: SendOptions = {}): TaskNode {
  refuseUnknownOptions(`send <${id}>`, options, SEND_OPTIONS);
  const { key, data, signal, ...rest } = options;
  return task(
    id,
    'gravity.send',
    {
      name,
      ...(key !== undefined ? { key } : {}),
      ...(data !== undefined ? { data } : {}),
      ...(signal !== undefined ? { signal } : {}),
    },
    rest,
  );
}

/** An end that leaves the run in *needs attention* (exit 3): work is done but a person must look (message may be `=FEEL`). */
export function attention(id: string, message: string, output?: unknown): AttentionNode {
  return { kind: 'attention', id, message, output };
}

/** An end that fails the run with a message. */
export function fail(id: string, message: string): FailNode {
  return { kind: 'fail', id, message };
}

/**
 * `body`, then `steps` whatever happened, like `finally`: after the body succeeds (then the run carries on), after it
 * fails or after the run is cancelled inside it (then the run ends failed with the body's error, or cancelled, once
 * `steps` ran). It emits the compound state `<id>` (the body, ending in `<id>_end`; a BPMN sub-process with an error
 * boundary and a cancel signal boundary), `steps` after it, and a second copy of `steps` for the failure path, each of
 * its ids suffixed `_failed`, ending in the fail end `<id>_rethrow` (it fails the run with the body's error). FEEL in `steps` should not read the outputs of
 * `steps` by id (there are two copies). Cannot sit inside a parallel branch (put the parallel inside the body), nor in
 * the steps of another cleanup (nest it in that one's body).
 */
export function cleanup(id: string, body: Node, steps: Node, title?: string): CleanupNode {
  if (typeof id !== 'string' || id === '')
    throw new DefinitionError(`cleanup(): the id must be a non-empty string, got ${JSON.stringify(id)}`);
  assertNodes([body, steps], `cleanup <${id}>`);
  const nested = cleanupIn(steps);
  if (nested)
    throw new DefinitionError(
      `cleanup <${nested.id}> cannot sit in the steps of cleanup <${id}>: the failure copy of those steps would copy its own failure copy; nest it in the body of <${id}>, or after it`,
      { element: nested.id },
    );
  return { kind: 'cleanup', id, body, steps, ...(title ? { title } : {}) };
}

function entryOf(n: Node): string {
  return n.kind === 'sequence' ? entryOf(n.nodes[0]) : n.id;
}

/** Every step id a node emits (the states it adds at any level). */
function idsOf(n: Node, out = new Set<string>()): Set<string> {
  switch (n.kind) {
    case 'sequence':
      n.nodes.forEach((c) => idsOf(c, out));
      break;
    case 'task':
      out.add(n.id);
      if (n.options.onError && typeof n.options.onError === 'object' && !('goto' in n.options.onError))
        idsOf(n.options.onError, out);
      if (n.options.timeout?.then) idsOf(n.options.timeout.then, out);
      for (const h of messageNodes(n.options)) idsOf(h, out);
      break;
    case 'decide':
      out.add(n.id);
      n.branches.forEach((b) => idsOf(b.then, out));
      if (n.otherwise) idsOf(n.otherwise, out);
      break;
    case 'parallel':
      out.add(n.id);
      n.branches.forEach((b) => idsOf(b, out));
      break;
    case 'cleanup':
      out.add(n.id);
      idsOf(n.body, out);
      idsOf(n.steps, out);
      break;
    case 'each':
      out.add(n.id);
      idsOf(n.body, out);
      if (n.options.onError && typeof n.options.onError === 'object' && !('goto' in n.options.onError))
        idsOf(n.options.onError, out);
      break;
    default:
      out.add(n.id);
  }
  return out;
}

/** A step's onError in a renamed copy: a node renamed, a `goto` to a step of the copy renamed with it. */
function renamedOnError(onError: TaskOptions['onError'], suffix: string, own: Set<string>): TaskOptions['onError'] {
  if (!onError || typeof onError !== 'object') return onError;
  if (!('goto' in onError)) return renamed(onError, suffix, own);
  return own.has(onError.goto) ? { goto: `${onError.goto}${suffix}` } : onError;
}

/** Where a step's failure goes: the next step ('continue'), a `goto` step, or the first step of its handler node. */
function errorTarget(onError: TaskOptions['onError'], next: string): string | undefined {
  if (onError === 'continue') return next;
  if (onError && 'goto' in onError) return onError.goto;
  return onError ? entryOf(onError) : undefined;
}

/** Emits the handler node of a step's onError, if it has one (after the step's own state, keeping document order). */
function emitHandler(onError: TaskOptions['onError'], next: string, states: Record<string, StateConfig>): void {
  if (onError && onError !== 'continue' && !('goto' in onError)) emit(onError, next, states);
}

/** A copy of `n` whose ids (and `goto`s to them) end with `suffix`, and whose titles say it runs after a failure. */
function renamed(n: Node, suffix: string, own: Set<string>): Node {
  const r = (c: Node) => renamed(c, suffix, own);
  switch (n.kind) {
    case 'sequence':
      return { ...n, nodes: n.nodes.map(r) };
    case 'task': {
      const o = n.options;
      const onError = renamedOnError(o.onError, suffix, own);
      const options: TaskOptions = {
        ...o,
        ...(o.title ? { title: `${o.title} (after a failure)` } : {}),
        ...(onError !== undefined ? { onError } : {}),
      };
      if (o.timeout?.then) options.timeout = { ...o.timeout, then: r(o.timeout.then) };
      if (o.reminders) options.reminders = o.reminders.map((x) => ({ ...x, id: `${x.id}${suffix}`, body: r(x.body) }));
      if (o.onMessage)
        options.onMessage = Object.fromEntries(
          Object.entries(o.onMessage).map(([name, h]) => {
            const to = handlerTarget(h);
            return [name, to === undefined ? r(h as Node) : own.has(to) ? `${to}${suffix}` : to];
          }),
        );
      return { ...n, id: `${n.id}${suffix}`, options };
    }
    case 'decide':
      return {
        ...n,
        id: `${n.id}${suffix}`,
        branches: n.branches.map((b) => ({ ...b, then: r(b.then) })),
        ...(n.otherwise ? { otherwise: r(n.otherwise) } : {}),
      };
    case 'parallel':
      return { ...n, id: `${n.id}${suffix}`, branches: n.branches.map(r) };
    case 'cleanup':
      return { ...n, id: `${n.id}${suffix}`, body: r(n.body), steps: r(n.steps) };
    case 'each': {
      const o = n.options;
      const onError = renamedOnError(o.onError, suffix, own);
      return {
        ...n,
        id: `${n.id}${suffix}`,
        body: r(n.body),
        options: {
          ...o,
          ...(o.title ? { title: `${o.title} (after a failure)` } : {}),
          ...(onError ? { onError } : {}),
        },
      };
    }
    default:
      return { ...n, id: `${n.id}${suffix}` };
  }
}

/** The step id a message handler names (a string or `{ goto }`), or undefined when it is a node to run. */
function handlerTarget(h: MessageHandler): string | undefined {
  if (typeof h === 'string') return h;
  return !('kind' in h) && 'goto' in h ? h.goto : undefined;
}

/** The handlers of a step's `onMessage` that are nodes (emitted after the step, as an onError node is). */
function messageNodes(o: TaskOptions): Node[] {
  return Object.values(o.onMessage ?? {}).flatMap((h) => (handlerTarget(h) === undefined ? [h as Node] : []));
}

/** The first cleanup() inside `n`, if any. */
function cleanupIn(n: Node): CleanupNode | undefined {
  switch (n.kind) {
    case 'cleanup':
      return n;
    case 'sequence':
      return n.nodes.map(cleanupIn).find(Boolean);
    case 'parallel':
      return n.branches.map(cleanupIn).find(Boolean);
    case 'decide':
      return [...n.branches.map((b) => b.then), ...(n.otherwise ? [n.otherwise] : [])].map(cleanupIn).find(Boolean);
    case 'task': {
      const o = n.options;
      return [
        ...(o.onError && typeof o.onError === 'object' && !('goto' in o.onError) ? [o.onError] : []),
        ...(o.timeout?.then ? [o.timeout.then] : []),
        ...messageNodes(o),
      ]
        .map(cleanupIn)
        .find(Boolean);
    }
    default:
      return undefined;
  }
}

function emit(n: Node, next: string, states: Record<string, StateConfig>): void {
  const add = (key: string, s: StateConfig) => {
    if (key in states) throw new DefinitionError(`duplicate step id <${key}>`, { element: key });
    states[key] = s;
  };
  switch (n.kind) {
    case 'sequence':
      n.nodes.forEach((c, i) => emit(c, i + 1 < n.nodes.length ? entryOf(n.nodes[i + 1]) : next, states));
      return;
    case 'task': {
      const o = n.options;
      const meta: StateMeta = {};
      if (o.title) meta.title = o.title;
      if (o.documentation) meta.documentation = o.documentation;
      if (o.retry) meta.retry = o.retry;
      if (o.timeoutMs) meta.timeoutMs = o.timeoutMs;
      if (o.outputs) meta.outputs = o.outputs;
      if (o.each) meta.each = o.each;
      if (o.reminders?.length) meta.reminders = o.reminders.map(emitReminder);
      if (o.messageKeys && Object.keys(o.messageKeys).length) meta.messageKeys = o.messageKeys;
      const s: StateConfig = {
        invoke: { src: n.src, ...(n.input !== undefined ? { input: n.input } : {}) },
        onDone: next,
      };
      const onError = errorTarget(o.onError, next);
      if (onError !== undefined) s.onError = onError;
      if (o.timeout) s.after = { [String(o.timeout.ms)]: o.timeout.then ? entryOf(o.timeout.then) : next };
      if (o.onMessage && Object.keys(o.onMessage).length)
        s.on = Object.fromEntries(
          Object.entries(o.onMessage).map(([name, h]) => [messageEvent(name), handlerTarget(h) ?? entryOf(h as Node)]),
        );
      if (Object.keys(meta).length) s.meta = meta;
      add(n.id, s);
      emitHandler(o.onError, next, states);
      if (o.timeout?.then) emit(o.timeout.then, next, states);
      for (const h of messageNodes(o)) emit(h, next, states);
      return;
    }
    case 'decide':
      add(n.id, {
        always: [
          ...n.branches.map((b) => ({
            target: entryOf(b.then),
            guard: { type: 'expr' as const, params: { expr: b.when } },
            ...(b.label ? { description: b.label } : {}),
          })),
          { target: n.otherwise ? entryOf(n.otherwise) : next },
        ],
        ...(n.title ? { meta: { title: n.title } } : {}),
      });
      for (const b of n.branches) emit(b.then, next, states);
      if (n.otherwise) emit(n.otherwise, next, states);
      return;
    case 'parallel': {
      const nested = n.branches.map(cleanupIn).find(Boolean);
      if (nested) {
        throw new DefinitionError(
          `cleanup <${nested.id}> is inside parallel <${n.id}>: a cancel would leave the other branches running while it cleans up; put the parallel inside the cleanup's body instead`,
          { element: nested.id },
        );
      }
      const regions: Record<string, StateConfig> = {};
      n.branches.forEach((b, i) => {
        const inner: Record<string, StateConfig> = {};
        const end = `${n.id}_${i + 1}_end`;
        emit(b, end, inner);
        inner[end] = { type: 'final' };
        regions[`${n.id}_${i + 1}`] = { initial: entryOf(b), states: inner };
      });
      add(n.id, { type: 'parallel', states: regions, onDone: next, ...(n.title ? { meta: { title: n.title } } : {}) });
      return;
    }
    case 'wait':
      add(n.id, { after: { [String(n.delay)]: next }, ...(n.title ? { meta: { title: n.title } } : {}) });
      return;
    case 'fail':
      add(n.id, { type: 'final', meta: { fail: { message: n.message } } });
      return;
    case 'attention':
      add(n.id, {
        type: 'final',
        ...(n.output !== undefined ? { output: n.output } : {}),
        meta: { attention: { message: n.message } },
      });
      return;
    case 'each': {
      // the body is a level of its own, run per item as a child run: its steps never run in this machine
      const inner: Record<string, StateConfig> = {};
      const end = `${n.id}_end`;
      emit(n.body, end, inner);
      if (end in inner)
        throw new DefinitionError(`step id <${end}> is reserved (it names the end of for-each <${n.id}>'s body)`, {
          element: end,
        });
      inner[end] = { type: 'final' };
      const o = n.options;
      const meta: StateMeta = { each: n.each };
      if (o.title) meta.title = o.title;
      if (o.documentation) meta.documentation = o.documentation;
      if (o.outputs) meta.outputs = o.outputs;
      const s: StateConfig = { initial: entryOf(n.body), states: inner, onDone: next, meta };
      const onError = errorTarget(o.onError, next);
      if (onError !== undefined) s.onError = onError;
      add(n.id, s);
      emitHandler(o.onError, next, states);
      return;
    }
    case 'cleanup': {
      const inner: Record<string, StateConfig> = {};
      const end = `${n.id}_end`;
      // not `<id>_failed`: that is the id of this cleanup's own copy when it sits in another cleanup's steps
      const failed = `${n.id}_rethrow`;
      emit(n.body, end, inner);
      if (end in inner)
        throw new DefinitionError(`step id <${end}> is reserved (it names the end of cleanup <${n.id}>'s body)`, {
          element: end,
        });
      inner[end] = { type: 'final' };
      const copy = renamed(n.steps, '_failed', idsOf(n.steps));
      add(n.id, {
        initial: entryOf(n.body),
        states: inner,
        onDone: entryOf(n.steps),
        onError: entryOf(copy),
        on: { [CANCEL_EVENT]: entryOf(copy) },
        ...(n.title ? { meta: { title: n.title } } : {}),
      });
      emit(n.steps, next, states);
      emit(copy, failed, states);
      add(failed, { type: 'final', meta: { fail: { message: RETHROW } } });
      return;
    }
  }
}

/** A reminder as the definition holds it: its body is a level of its own (its child runs run it). */
function emitReminder(r: ReminderNode): ReminderConfig {
  if (r?.kind !== 'reminder')
    throw new DefinitionError(`reminders: expected reminder() nodes, got ${JSON.stringify(r) ?? String(r)}`);
  const inner: Record<string, StateConfig> = {};
  const end = `${r.id}_end`;
  emit(r.body, end, inner);
  if (end in inner)
    throw new DefinitionError(`step id <${end}> is reserved (it names the end of reminder <${r.id}>'s path)`, {
      element: end,
    });
  inner[end] = { type: 'final' };
  return {
    id: r.id,
    after: r.after,
    ...(r.times !== undefined ? { times: r.times } : {}),
    initial: entryOf(r.body),
    states: inner,
    ...(r.title ? { meta: { title: r.title } } : {}),
  };
}

/** Throws when a state key is used twice at any level (the engine and BPMN name steps by key alone). */
function assertUniqueKeys(states: Record<string, StateConfig>, seen = new Set<string>()): void {
  for (const [k, s] of Object.entries(states)) {
    if (seen.has(k)) throw new DefinitionError(`duplicate step id <${k}>`, { element: k });
    seen.add(k);
    if (s.states) assertUniqueKeys(s.states, seen);
  }
}

/** What `workflow()` takes. */
export interface WorkflowSpec {
  id: string;
  title?: string;
  description?: string;
  version?: string;
  params?: Record<string, ParamSpec>;
  /** The run root (see {@link Definition.root}): a folder path or `=FEEL` over the params. */
  root?: string;
  steps: Node;
  /** Run output: a template of literals and `=FEEL` strings. */
  output?: unknown;
  /**
   * A failed run is rolled back at once: the compensations of its finished steps run, newest first (what `gravity
   * rollback` does), so that a failure leaves nothing half made. The run still ends failed, saying what was undone.
   */
  rollbackOnFailure?: boolean;
}

/** Builds a definition from a tree of nodes. Step ids must be unique in the workflow. */
export function workflow(spec: WorkflowSpec): Definition {
  const states: Record<string, StateConfig> = {};
  emit(spec.steps, 'done', states);
  if ('done' in states)
    throw new DefinitionError('step id <done> is reserved (it names the end of the workflow)', { element: 'done' });
  states.done = { type: 'final', ...(spec.output !== undefined ? { output: spec.output } : {}) };
  assertUniqueKeys(states);
  const def: Definition = { id: spec.id, machine: { initial: entryOf(spec.steps), states } };
  if (spec.title) def.title = spec.title;
  if (spec.description) def.description = spec.description;
  if (spec.version) def.version = spec.version;
  if (spec.params) def.params = spec.params;
  if (spec.root !== undefined) def.root = spec.root;
  if (spec.rollbackOnFailure) def.meta = { ...def.meta, rollbackOnFailure: true };
  return def;
}
