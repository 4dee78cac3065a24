// The Camunda 7 dialect (what Kytes runs): external tasks by topic, camunda:inputOutput with JUEL, gravity-only data as properties.
import {
  calleeOf,
  callSrc,
  DefinitionError,
  isExpression,
  SEND_TASK,
  shortExpression,
  type EachConfig,
  type StateConfig,
} from '../../engine/index.js';
import { defineDialect, processIdFor, type TaskData } from '../dialect.js';
import type { ModdleElement } from '../moddle.js';
import descriptor from 'camunda-bpmn-moddle/resources/camunda.json' with { type: 'json' };
import {
  changedSpellings,
  juelCan,
  decodeOutput,
  decodeText,
  decodeValue,
  encodeValue,
  restoreSpellings,
} from './camunda-values.js';
import { feelOf } from './feel-literal.js';
import {
  commaList,
  messageNameOf,
  sendInputOf,
  sendKindOfElement,
  splitList,
  splitWaitInput,
  waitKindOf,
  waitKindOfElement,
  waitTaskOf,
  withoutName,
  type WaitKind,
} from './wait-tasks.js';
import { feelToJuel, isJuelTemplate, juelToFeel } from './juel.js';
import {
  eachExtras,
  eachFrom,
  isParamInput,
  parseRetryCycle,
  processProps,
  readProcessProps,
  readProps,
  readTaskMeta,
  retryCycle,
  taskProps,
  writeProps,
  type PropertyKind,
} from './vendor-props.js';

const PROPS: PropertyKind = { bag: 'camunda:Properties', item: 'camunda:Property', many: 'values' };

/** Why a service task is not an external task gravity can run. */
function notExternal(el: ModdleElement): string {
  const impl = ['class', 'delegateExpression', 'expression'].find((a) => el.get(`camunda:${a}`));
  const what = impl
    ? `a Java delegate (camunda:${impl})`
    : el.get('camunda:type')
      ? `camunda:type="${el.get('camunda:type')}" without a camunda:topic`
      : 'no implementation';
  return `<${el.id}> has ${what}: gravity runs external tasks (camunda:type="external" camunda:topic="<task id>")`;
}

/** Input of a call activity read from camunda:in mappings (`source` / `sourceExpression` -> `target`). */
function callInputs(exts: ModdleElement[], element: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of exts.filter((e) => e.$type === 'camunda:In' && e.target)) {
    out[m.target] =
      m.sourceExpression !== undefined
        ? decodeText(m.sourceExpression, element)
        : `=${juelToFeel(`\${${m.source}}`, element)}`;
  }
  return out;
}

/** A user task attribute for a value: a plain string as it is, FEEL as JUEL; undefined when JUEL cannot say it. */
function camundaAttribute(v: unknown, element: string): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  if (isExpression(v)) return juelCan(v, element) ? feelToJuel(v, element) : undefined;
  return /\$\{|#\{/.test(v) ? undefined : v;
}

/** A user task attribute read back: `${...}` as FEEL, anything else as written. */
const fromAttribute = (text: string, element: string): string =>
  isJuelTemplate(text.trim()) ? `=${juelToFeel(text.trim(), element)}` : text;

/** What a user task's attributes (assignee, candidate groups) or a message wait's message (its name) say. */
function waitAttributes(wait: WaitKind, el: ModdleElement, element: string): Record<string, unknown> {
  if (wait === 'message') return { name: messageNameOf(el, element) };
  const out: Record<string, unknown> = {};
  const assignee = el.get('camunda:assignee') as string | undefined;
  if (assignee?.trim()) out.assignee = fromAttribute(assignee, element);
  const groups = el.get('camunda:candidateGroups') as string | undefined;
  if (groups?.trim())
    out.candidateGroups = isJuelTemplate(groups.trim()) ? fromAttribute(groups, element) : splitList(groups);
  return out;
}

/** Camunda 7 (camunda-bpmn-moddle): the dialect of the Kytes platform and the reading of plain BPMN files. */
export const camunda7Dialect = defineDialect({
  name: 'camunda7',
  title: 'Camunda 7',
  note: 'Kytes',
  namespace: 'http://camunda.org/schema/1.0/bpmn',
  prefix: 'camunda',
  descriptor,
  precedence: 0,
  readsPlainBpmn: true,
  understands: [
    'camunda:InputOutput',
    'camunda:Properties',
    'camunda:In',
    'camunda:Out',
    'camunda:FailedJobRetryTimeCycle',
  ],

  writeProcess(def, process, w) {
    if (def.version) process.set('camunda:versionTag', def.version);
    // Camunda 7.20+ refuses to deploy a process without a history time to live (enforceHistoryTimeToLive)
    process.set('camunda:historyTimeToLive', '180');
    writeProps(process, w, PROPS, processProps(def));
  },

  readProcess(process, r) {
    const version = process.get('camunda:versionTag') as string | undefined;
    return { ...readProcessProps(readProps(process, r, PROPS, process.id!)), ...(version ? { version } : {}) };
  },

  writeTask(_key, state, el, w) {
    const inv = state.invoke!;
    const m = state.meta ?? {};
    const id = el.id!;
    const callee = calleeOf(inv.src);
    const call = callee !== undefined;
    const wait = waitKindOf(inv.src);
    // an approval's assignee and candidate groups are the user task's attributes (when JUEL can say them), a message
    // wait's name is its message's: the rest are input parameters (Camunda 7 correlates by API: the key stays one)
    let taskInput = inv.input;
    if (wait) {
      const { attributes, rest } = splitWaitInput(wait, inv.input);
      const params: Record<string, unknown> = { ...rest };
      if (wait === 'message' && attributes.key !== undefined) params.key = attributes.key;
      if (wait === 'approval') {
        const assignee = camundaAttribute(attributes.assignee, id);
        if (assignee !== undefined) el.set('camunda:assignee', assignee);
        else if (attributes.assignee !== undefined) params.assignee = attributes.assignee;
        const groups = commaList(attributes.candidateGroups) ?? camundaAttribute(attributes.candidateGroups, id);
        if (groups !== undefined) el.set('camunda:candidateGroups', groups);
        else if (attributes.candidateGroups !== undefined) params.candidateGroups = attributes.candidateGroups;
      }
      taskInput = Object.keys(params).length ? params : undefined;
    }
    // a send is an external task of topic gravity.send; its name is its message's (key, data, signal: input parameters)
    const send = inv.src === SEND_TASK;
    if (send) taskInput = withoutName(inv.input);
    // engines resolve a call by process id: write the id the workflow's process has (`host:doctor` -> `host_doctor`)
    if (callee !== undefined) el.calledElement = processIdFor(callee);
    else if (!wait) {
      el.set('camunda:type', 'external');
      el.set('camunda:topic', inv.src);
    }
    if (m.retry) el.set('camunda:asyncBefore', true);
    const inputs = isParamInput(taskInput)
      ? Object.entries(taskInput).map(([name, v]) =>
          w.moddle.create('camunda:InputParameter', { name, ...encodeValue(w.moddle, v, id) }),
        )
      : [];
    const outputs = Object.entries(m.outputs ?? {}).map(([name, v]) =>
      w.moddle.create('camunda:OutputParameter', { name, ...encodeValue(w.moddle, v, id) }),
    );
    // a call merges the child's output through <camunda:out variables="all"/>; a task merges unless it has output parameters
    const feel = changedSpellings(
      { ...(isParamInput(taskInput) ? { input: taskInput } : {}), outputs: m.outputs ?? {} },
      id,
    );
    const propState = wait || send ? { ...state, invoke: { ...inv, input: taskInput } } : state;
    writeProps(el, w, PROPS, {
      ...taskProps(propState, call ? m.mergeOutput === true : outputs.length === 0, call),
      // JUEL has no list literal: a literal list travels here
      each: eachExtras(m.each, true),
      feel: feel.length ? feel : undefined,
      call: callee !== undefined && callee !== processIdFor(callee) ? callee : undefined,
    });
    if (inputs.length || outputs.length)
      w.extend(el, w.moddle.create('camunda:InputOutput', { inputParameters: inputs, outputParameters: outputs }));
    if (call && inputs.length) w.extend(el, w.moddle.create('camunda:In', { variables: 'all', local: true }));
    if (call && m.mergeOutput) w.extend(el, w.moddle.create('camunda:Out', { variables: 'all' }));
    if (m.retry && m.retry.max > 1)
      w.extend(el, w.moddle.create('camunda:FailedJobRetryTimeCycle', { body: retryCycle(m.retry) }));
  },

  writeLoop(each, mi, el, w, element) {
    if (el.$type === 'bpmn:SubProcess') writeProps(el, w, PROPS, { each: eachExtras(each, true) });
    if (typeof each.items === 'string') {
      if (!juelCan(each.items, element))
        throw new DefinitionError(
          `cannot export <${element}> to camunda7: its list ${each.items} has no JUEL form (camunda:collection)`,
          { element },
        );
      mi.set('camunda:collection', feelToJuel(each.items, element));
    } else {
      // a literal list (in gravity.each): Camunda runs as many instances
      mi.loopCardinality = w.moddle.create('bpmn:FormalExpression', { body: String(each.items.length) });
    }
    mi.set('camunda:elementVariable', each.as ?? 'item');
  },

  readLoop(mi, el, r, _meta, element) {
    const extras = readProps(el, r, PROPS, element).each as Record<string, unknown> | undefined;
    const collection = mi.get('camunda:collection');
    let items: EachConfig['items'];
    if (typeof collection === 'string' && collection.trim())
      // an expression, or (as Camunda allows) the name of a variable
      items = isJuelTemplate(collection) ? `=${juelToFeel(collection, element)}` : `=${collection.trim()}`;
    else if (Array.isArray(extras?.items)) items = extras.items;
    else return undefined;
    return eachFrom(items, mi.get('camunda:elementVariable'), mi.isSequential === true, extras);
  },

  readTask(el, r, element): TaskData {
    const exts = r.extensions(el);
    const props = readProps(el, r, PROPS, element);
    const call = el.$type === 'bpmn:CallActivity';
    const wait = waitKindOfElement(el);
    const send = sendKindOfElement(el);
    let src: string;
    if (call) {
      if (!el.calledElement)
        throw new DefinitionError(`<${element}> has no calledElement: which workflow does it call?`, { element });
      src = callSrc(typeof props.call === 'string' ? props.call : el.calledElement);
    } else if (wait) {
      src = waitTaskOf(wait);
    } else if (
      send &&
      !(el.get('camunda:type') === 'external' && el.get('camunda:topic')) &&
      !['class', 'delegateExpression', 'expression'].some((a) => el.get(`camunda:${a}`))
    ) {
      // a send (task, message or signal throw) is gravity's send unless an external topic names another task node (a
      // Java delegate is refused as on any task: gravity would not run it)
      src = SEND_TASK;
    } else {
      if (el.get('camunda:type') !== 'external' || !el.get('camunda:topic'))
        throw new DefinitionError(notExternal(el), { element });
      src = el.get('camunda:topic');
    }
    const io = exts.find((e) => e.$type === 'camunda:InputOutput');
    const ins = (io?.inputParameters ?? []) as ModdleElement[];
    const outs = (io?.outputParameters ?? []) as ModdleElement[];
    let input: unknown = ins.length
      ? Object.fromEntries(ins.map((p) => [p.name, decodeValue(p, element)]))
      : props.input;
    const mapped = call ? callInputs(exts, element) : {};
    if (Object.keys(mapped).length) input = { ...(isParamInput(input) ? input : {}), ...mapped };
    else if (call) input ??= {};
    // a list or map as an output parameter becomes the FEEL list or context it stands for
    const outputs = Object.fromEntries(
      outs.map((p) => [
        p.name,
        p.definition ? `=${feelOf(decodeValue(p, element), element)}` : decodeOutput(p.value, element),
      ]),
    );
    restoreSpellings({ input, outputs }, props.feel, element);
    if (wait) input = { ...(isParamInput(input) ? input : {}), ...waitAttributes(wait, el, element) };
    if (send && src === SEND_TASK) input = sendInputOf(el, element, input);
    const outAll = exts.some((e) => e.$type === 'camunda:Out' && e.variables === 'all');
    const cycle = exts.find((e) => e.$type === 'camunda:FailedJobRetryTimeCycle')?.body as string | undefined;
    const retry = props.retry ?? (cycle ? parseRetryCycle(cycle, element) : undefined);
    const meta: StateConfig['meta'] = {
      ...readTaskMeta({ ...props, retry }, call ? outAll : outs.length === 0),
      ...(outs.length ? { outputs: outputs as Record<string, string> } : {}),
    };
    return { src, ...(input !== undefined ? { input } : {}), meta };
  },

  // conditions JUEL cannot say are written in FEEL (language="feel"), which Camunda 7.13+ evaluates
  writeCondition: (feel, element) =>
    juelCan(`=${feel}`, element) ? { body: feelToJuel(feel, element) } : { body: feel, language: 'feel' },
  readCondition(expr, element) {
    const body = (expr.body ?? '').trim();
    if (!body) throw new DefinitionError(`<${element}>: empty condition`, { element });
    const lang = (expr.language ?? '').toLowerCase();
    if (lang === 'feel') return body.replace(/^=/, '');
    if (lang && lang !== 'juel')
      throw new DefinitionError(
        `<${element}>: ${expr.language} script conditions are not supported (write a \${...} expression)`,
        { element, expression: shortExpression(body) },
      );
    if (!isJuelTemplate(body))
      throw new DefinitionError(
        `<${element}>: condition "${shortExpression(body)}" is not an expression (write it as \${...})`,
        { element, expression: shortExpression(body) },
      );
    return juelToFeel(body, element);
  },

  writeDelay: (delay, element) => (delay.startsWith('=') ? feelToJuel(delay, element) : delay),
  readDelay(body, element) {
    const t = body.trim();
    if (isJuelTemplate(t)) return `=${juelToFeel(t, element)}`;
    if (/^\d+(\.\d+)?$/.test(t)) return t;
    throw new DefinitionError(
      `<${element}>: timer duration "${t}" is neither an ISO-8601 duration nor a \${...} expression`,
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
});
