// The Zeebe (Camunda 8) dialect: zeebe:taskDefinition jobs, zeebe:ioMapping in FEEL, gravity-only data as zeebe:properties.
import { calleeOf, callSrc, DefinitionError, SEND_TASK, type StateConfig } from '../../engine/index.js';
import { defineDialect, processIdFor, type ReadContext, type TaskData, type WriteContext } from '../dialect.js';
import type { ModdleElement } from '../moddle.js';
import descriptor from 'zeebe-bpmn-moddle/resources/zeebe.json' with { type: 'json' };
import { decodeFeel, decodeFeelOutput, encodeFeel } from './feel-literal.js';
import {
  commaList,
  messageNameOf,
  messageOf,
  sendInputOf,
  sendKindOfElement,
  splitList,
  splitWaitInput,
  waitKindOf,
  waitKindOfElement,
  waitTaskOf,
  withoutName,
  type WaitAttributes,
  type WaitKind,
} from './wait-tasks.js';
import {
  eachExtras,
  eachFrom,
  isParamInput,
  processProps,
  readProcessProps,
  readProps,
  readTaskMeta,
  taskProps,
  writeProps,
  type PropertyKind,
} from './vendor-props.js';

const PROPS: PropertyKind = { bag: 'zeebe:Properties', item: 'zeebe:Property', many: 'properties' };

const find = (exts: ModdleElement[], type: string) => exts.find((e) => e.$type === type);

/** Attempts of a job from `retries` (Zeebe's default is 3); gravity's "no retry" is written as retries="1". */
function readRetries(text: string | undefined, element: string): number {
  if (text === undefined || text.trim() === '') return 3;
  if (!/^\d+$/.test(text.trim()))
    throw new DefinitionError(
      `<${element}>: retries "${text}" is not a whole number (retries expressions are not supported)`,
      { element },
    );
  return Math.max(1, Number(text));
}

/** The external form reference of an exported approval: answered with `gravity approve|reject`. */
const GRAVITY_FORM = 'gravity:approve';

/** An approval's assignee and candidate groups as the user task's zeebe:assignmentDefinition (FEEL as `=expr`). */
function writeAssignment(a: WaitAttributes, el: ModdleElement, w: WriteContext, element: string): void {
  w.extend(el, w.moddle.create('zeebe:UserTask'));
  // Camunda 8 wants a form on a user task (bpmnlint's user-task-definition): the answer is given outside, with
  // `gravity approve|reject`, which this external reference names; import ignores it
  w.extend(el, w.moddle.create('zeebe:FormDefinition', { externalReference: GRAVITY_FORM }));
  const assignee =
    a.assignee === undefined
      ? undefined
      : typeof a.assignee === 'string'
        ? a.assignee
        : encodeFeel(a.assignee, element);
  // static groups are a comma-separated list; anything else (an expression, names with commas) a FEEL list
  const groups =
    a.candidateGroups === undefined
      ? undefined
      : (commaList(a.candidateGroups) ??
        (typeof a.candidateGroups === 'string' && a.candidateGroups.startsWith('=')
          ? a.candidateGroups
          : encodeFeel(a.candidateGroups, element)));
  if (assignee !== undefined || groups !== undefined)
    w.extend(
      el,
      w.moddle.create('zeebe:AssignmentDefinition', {
        ...(assignee !== undefined ? { assignee } : {}),
        ...(groups !== undefined ? { candidateGroups: groups } : {}),
      }),
    );
}

/** A message wait's correlation key as its message's zeebe:subscription (one key per message: Zeebe has no other place). */
function subscribe(message: ModdleElement, key: unknown, w: WriteContext, element: string): void {
  const correlationKey = encodeFeel(key, element);
  const values = (message.extensionElements?.values ?? []) as ModdleElement[];
  const known = values.find((e) => e.$type === 'zeebe:Subscription');
  if (known && known.correlationKey !== correlationKey)
    throw new DefinitionError(
      `cannot export <${element}> to Zeebe: message "${message.name}" is already correlated by ${known.correlationKey}, and Zeebe keeps one correlation key per message (give the message another name)`,
      { element },
    );
  if (!known) w.extend(message, w.moddle.create('zeebe:Subscription', { correlationKey }));
}

/** What a user task's assignment, or a message wait's message (its name and subscription), say. */
function waitAttributes(
  wait: WaitKind,
  el: ModdleElement,
  exts: ModdleElement[],
  r: ReadContext,
  element: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (wait === 'message') {
    out.name = messageNameOf(el, element);
    // a wait that names no message (read by its id) has no subscription either
    const message = messageOf(el);
    const sub = message ? find(r.extensions(message), 'zeebe:Subscription') : undefined;
    const key = typeof sub?.correlationKey === 'string' ? sub.correlationKey.trim() : '';
    if (key) out.key = decodeFeel(key.startsWith('=') ? key : `=${key}`);
    return out;
  }
  const a = find(exts, 'zeebe:AssignmentDefinition');
  const assignee = typeof a?.assignee === 'string' ? a.assignee.trim() : '';
  if (assignee) out.assignee = assignee;
  const groups = typeof a?.candidateGroups === 'string' ? a.candidateGroups.trim() : '';
  if (groups) {
    const decoded = groups.startsWith('=') ? decodeFeel(groups) : undefined;
    out.candidateGroups = Array.isArray(decoded) ? decoded : groups.startsWith('=') ? groups : splitList(groups);
  }
  return out;
}

/** A message's correlation key, from its zeebe:subscription (FEEL), or undefined. */
function subscriptionKey(message: ModdleElement | undefined, r: ReadContext): unknown {
  const sub = message ? find(r.extensions(message), 'zeebe:Subscription') : undefined;
  const key = typeof sub?.correlationKey === 'string' ? sub.correlationKey.trim() : '';
  return key ? decodeFeel(key.startsWith('=') ? key : `=${key}`) : undefined;
}

/** Zeebe (zeebe-bpmn-moddle): Camunda 8's dialect. Every mapping source is FEEL, so literals are written as FEEL literals. */
export const zeebeDialect = defineDialect({
  name: 'zeebe',
  title: 'Zeebe',
  namespace: 'http://camunda.org/schema/zeebe/1.0',
  prefix: 'zeebe',
  descriptor,
  precedence: 2,
  understands: [
    'zeebe:TaskDefinition',
    'zeebe:IoMapping',
    'zeebe:Properties',
    'zeebe:CalledElement',
    'zeebe:VersionTag',
    'zeebe:UserTask',
    'zeebe:AssignmentDefinition',
  ],
  writesOnly: (x) => x.$type === 'zeebe:FormDefinition' && x.externalReference === GRAVITY_FORM,

  writeProcess(def, process, w) {
    if (def.version) w.extend(process, w.moddle.create('zeebe:VersionTag', { value: def.version }));
    writeProps(process, w, PROPS, processProps(def));
  },

  readProcess(process, r) {
    const version = find(r.extensions(process), 'zeebe:VersionTag')?.value as string | undefined;
    return { ...readProcessProps(readProps(process, r, PROPS, process.id!)), ...(version ? { version } : {}) };
  },

  writeTask(_key, state, el, w) {
    const inv = state.invoke!;
    const m = state.meta ?? {};
    const id = el.id!;
    const callee = calleeOf(inv.src);
    const call = callee !== undefined;
    const wait = waitKindOf(inv.src);
    // an approval is a Camunda user task (zeebe:userTask) whose assignment says who answers; a message wait's name and
    // key are its message's (name, zeebe:subscription correlationKey): the rest are input mappings
    let taskInput = inv.input;
    if (wait) {
      const { attributes, rest } = splitWaitInput(wait, inv.input);
      taskInput = rest;
      if (wait === 'approval') writeAssignment(attributes, el, w, id);
      else if (attributes.key !== undefined) subscribe(el.messageRef as ModdleElement, attributes.key, w, id);
    }
    // a send is a job of type gravity.send; its name is its message's (key, data, signal: input mappings; the key is
    // not the message's subscription, which says how a catching element correlates)
    const send = inv.src === SEND_TASK;
    if (send) taskInput = withoutName(inv.input);
    const outputs = Object.entries(m.outputs ?? {}).map(([target, v]) =>
      w.moddle.create('zeebe:Output', { source: encodeFeel(v, id), target }),
    );
    const inputs = isParamInput(taskInput)
      ? Object.entries(taskInput).map(([target, v]) =>
          w.moddle.create('zeebe:Input', { source: encodeFeel(v, id), target }),
        )
      : [];
    // job variables (or a child's variables) are merged unless output mappings exist; a call can opt out of that
    const noMergeCall = call && !outputs.length && !m.mergeOutput;
    if (call) {
      w.extend(
        el,
        w.moddle.create('zeebe:CalledElement', {
          processId: processIdFor(callee!),
          propagateAllParentVariables: false,
          ...(noMergeCall ? { propagateAllChildVariables: false } : {}),
        }),
      );
    } else if (!wait) {
      w.extend(el, w.moddle.create('zeebe:TaskDefinition', { type: inv.src, retries: String(m.retry?.max ?? 1) }));
    }
    if (inputs.length || outputs.length)
      w.extend(el, w.moddle.create('zeebe:IoMapping', { inputParameters: inputs, outputParameters: outputs }));
    const propState = wait || send ? { ...state, invoke: { ...inv, input: taskInput } } : state;
    writeProps(el, w, PROPS, {
      ...taskProps(propState, !outputs.length && !noMergeCall, call),
      call: callee !== undefined && callee !== processIdFor(callee) ? callee : undefined,
    });
  },

  writeLoop(each, mi, el, w, element) {
    if (el.$type === 'bpmn:SubProcess') writeProps(el, w, PROPS, { each: eachExtras(each) });
    w.extend(
      mi,
      w.moddle.create('zeebe:LoopCharacteristics', {
        inputCollection: encodeFeel(each.items, element),
        inputElement: each.as ?? 'item',
      }),
    );
  },

  readLoop(mi, el, r, _meta, element) {
    const loop = r.extensions(mi).find((e) => e.$type === 'zeebe:LoopCharacteristics');
    const source = typeof loop?.inputCollection === 'string' ? loop.inputCollection.trim() : '';
    if (!source) return undefined;
    // a literal list comes back as the list; anything else as its expression
    const decoded = decodeFeel(source.startsWith('=') ? source : `=${source}`);
    const items = Array.isArray(decoded) ? decoded : `=${source.replace(/^=/, '').trim()}`;
    const extras = readProps(el, r, PROPS, element).each as Record<string, unknown> | undefined;
    return eachFrom(items, loop!.inputElement, mi.isSequential === true, extras);
  },

  readTask(el, r, element): TaskData {
    const exts = r.extensions(el);
    const props = readProps(el, r, PROPS, element);
    const call = el.$type === 'bpmn:CallActivity';
    const wait = waitKindOfElement(el);
    const send = sendKindOfElement(el);
    let src: string;
    let impliedMerge = true;
    let retry = props.retry;
    if (call) {
      const ce = find(exts, 'zeebe:CalledElement');
      if (!ce?.processId)
        throw new DefinitionError(
          `<${element}> has no zeebe:calledElement processId${ce?.processIdExpression ? ' (processIdExpression is not supported)' : ''}: which workflow does it call?`,
          { element },
        );
      src = callSrc(typeof props.call === 'string' ? props.call : ce.processId);
      impliedMerge = ce.propagateAllChildVariables !== false;
    } else if (wait) {
      src = waitTaskOf(wait);
    } else if (send && !find(exts, 'zeebe:TaskDefinition')?.type) {
      // a send (task, message or signal throw) without a job type is gravity's send
      src = SEND_TASK;
    } else {
      const td = find(exts, 'zeebe:TaskDefinition');
      if (!td?.type)
        throw new DefinitionError(`<${element}> has no zeebe:taskDefinition type: which task node should run it?`, {
          element,
        });
      if (td.type.startsWith('='))
        throw new DefinitionError(
          `<${element}>: a job type expression (${td.type}) is not supported; name the task node`,
          { element },
        );
      src = td.type;
      const max = readRetries(td.retries, element);
      retry ??= max > 1 ? { max } : undefined;
    }
    const io = find(exts, 'zeebe:IoMapping');
    const ins = (io?.inputParameters ?? []) as ModdleElement[];
    const outs = (io?.outputParameters ?? []) as ModdleElement[];
    let input: unknown = ins.length
      ? Object.fromEntries(ins.map((p) => [p.target, decodeFeel(p.source)]))
      : (props.input ?? (call ? {} : undefined));
    if (wait) input = { ...(isParamInput(input) ? input : {}), ...waitAttributes(wait, el, exts, r, element) };
    if (send && src === SEND_TASK) input = sendInputOf(el, element, input);
    const meta: StateConfig['meta'] = {
      ...readTaskMeta({ ...props, retry }, impliedMerge && outs.length === 0),
      ...(outs.length ? { outputs: Object.fromEntries(outs.map((p) => [p.target, decodeFeelOutput(p.source)])) } : {}),
    };
    return { src, ...(input !== undefined ? { input } : {}), meta };
  },

  writeCondition: (feel) => ({ body: `=${feel.replace(/^=/, '')}` }),
  readCondition(expr, element) {
    const body = (expr.body ?? '').trim().replace(/^=/, '').trim();
    if (!body) throw new DefinitionError(`<${element}>: empty condition`, { element });
    return body;
  },

  writeDelay: (delay) => delay,
  readDelay(body, element) {
    const t = body.trim();
    if (t.startsWith('=') || /^\d+(\.\d+)?$/.test(t)) return t;
    throw new DefinitionError(
      `<${element}>: timer duration "${t}" is neither an ISO-8601 duration nor a =FEEL expression`,
      { element },
    );
  },

  writeResult(_key, state, el, w) {
    writeProps(el, w, PROPS, { output: state.output, attention: state.meta?.attention });
  },
  readResult: (el, r) => readProps(el, r, PROPS, el.id!).output,
  readEndMeta(el, r) {
    const attention = readProps(el, r, PROPS, el.id!).attention as { message: string } | undefined;
    return attention ? { attention } : {};
  },
  writeMessageKey: (message, key, w, element) => subscribe(message, key, w, element),
  readMessageKey: (message, r) => subscriptionKey(message, r),
});
