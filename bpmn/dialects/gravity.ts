// The gravity dialect: our own namespace holds task ids, JSON inputs, retries and FEEL expressions exactly.
import {
  calleeOf,
  DefinitionError,
  SEND_TASK,
  type EachConfig,
  type ParamSpec,
  type StateConfig,
} from '../../engine/index.js';
import { defineDialect, processIdFor, type TaskData } from '../dialect.js';
import type { ModdleElement } from '../moddle.js';
import descriptor from './gravity-descriptor.json' with { type: 'json' };
import {
  messageNameOf,
  sendInputOf,
  sendKindOfElement,
  waitKindOf,
  waitKindOfElement,
  waitTaskOf,
} from './wait-tasks.js';

const parseJson = (text: string | undefined, element: string, what: string): unknown => {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DefinitionError(`<${element}>: ${what} is not valid JSON: ${(e as Error).message}`, { element });
  }
};

/** Meta keys written as attributes or elements of their own; the rest travels in gravity:meta. */
const OWN_META = new Set([
  'title',
  'documentation',
  'retry',
  'timeoutMs',
  'outputs',
  'mergeOutput',
  'fail',
  // drawn: boundary events and their paths (bpmn/graph.ts)
  'reminders',
  'bpmn',
]);

function restMeta(meta: StateConfig['meta'] | undefined): Record<string, unknown> | undefined {
  if (!meta) return undefined;
  const rest = Object.fromEntries(Object.entries(meta).filter(([k]) => !OWN_META.has(k)));
  return Object.keys(rest).length ? rest : undefined;
}

/** Reads the extra meta back (gravity:meta body). */
export function readRestMeta(ext: ModdleElement | undefined, element: string): Record<string, unknown> {
  return (parseJson(ext?.meta?.value, element, 'gravity:meta') as Record<string, unknown>) ?? {};
}

/** gravity's own dialect: lossless (JSON inputs, FEEL as written, exact retries), the default of export, keeps other vendors' data. */
export const gravityDialect = defineDialect({
  name: 'gravity',
  title: 'gravity',
  namespace: 'https://gravity.kytes.dev/schema/bpmn/1.0',
  prefix: 'gravity',
  descriptor,
  precedence: 1,
  exportDefault: true,
  keepsForeign: true,

  writeProcess(def, process, w) {
    const params = Object.entries(def.params ?? {}).map(([name, p]) =>
      w.moddle.create('gravity:Param', {
        name,
        type: p.type,
        ...(p.required !== undefined ? { required: p.required } : {}),
        ...(p.pattern ? { pattern: p.pattern } : {}),
        ...(p.path !== undefined ? { path: p.path } : {}),
        ...(p.choices !== undefined ? { choices: p.choices } : {}),
        ...(p.default !== undefined ? { default: JSON.stringify(p.default) } : {}),
        ...(p.enum ? { enum: JSON.stringify(p.enum) } : {}),
        ...(p.description ? { description: p.description } : {}),
      }),
    );
    const meta =
      def.meta && Object.keys(def.meta).some((k) => k !== 'bpmn')
        ? w.moddle.create('gravity:Meta', {
            value: JSON.stringify(Object.fromEntries(Object.entries(def.meta).filter(([k]) => k !== 'bpmn'))),
          })
        : undefined;
    w.extend(
      process,
      w.moddle.create('gravity:Workflow', {
        id: def.id,
        ...(def.version ? { version: def.version } : {}),
        ...(def.root !== undefined ? { root: def.root } : {}),
        params,
        ...(meta ? { meta } : {}),
      }),
    );
  },

  readProcess(process, r) {
    const wf = r.extensions(process).find((e) => e.$type === 'gravity:Workflow');
    if (!wf) return {};
    const params: Record<string, ParamSpec> = {};
    for (const p of (wf.params ?? []) as ModdleElement[]) {
      params[p.name] = {
        type: p.type,
        ...(p.required !== undefined ? { required: p.required } : {}),
        ...(p.pattern ? { pattern: p.pattern } : {}),
        ...(p.path !== undefined ? { path: p.path } : {}),
        ...(p.choices !== undefined ? { choices: p.choices } : {}),
        ...(p.default !== undefined
          ? { default: parseJson(p.default, process.id!, `default of param ${p.name}`) }
          : {}),
        ...(p.enum ? { enum: parseJson(p.enum, process.id!, `enum of param ${p.name}`) as unknown[] } : {}),
        ...(p.description ? { description: p.description } : {}),
      };
    }
    const meta = parseJson(wf.meta?.value, process.id!, 'gravity:meta') as Record<string, unknown> | undefined;
    return {
      id: wf.id,
      ...(wf.version ? { version: wf.version } : {}),
      ...(wf.root !== undefined ? { root: wf.root } : {}),
      ...(Object.keys(params).length ? { params } : {}),
      ...(meta ? { meta } : {}),
    };
  },

  writeTask(_key, state, el, w) {
    const inv = state.invoke!;
    const callee = calleeOf(inv.src);
    if (callee !== undefined) el.calledElement = processIdFor(callee);
    const m = state.meta ?? {};
    // a message wait's (or a send's) name is the name of the message its receive (send) task refers to (messageRef)
    const wait = waitKindOf(inv.src);
    const named = wait === 'message' || inv.src === SEND_TASK;
    const plain =
      inv.input && typeof inv.input === 'object' && !Array.isArray(inv.input)
        ? (inv.input as Record<string, unknown>)
        : undefined;
    const input = plain && named ? Object.fromEntries(Object.entries(plain).filter(([k]) => k !== 'name')) : plain;
    // an empty input object of a plain task is written whole (`{}`): none at all would come back as no input
    const inputs =
      input && (Object.keys(input).length || named)
        ? Object.entries(input).map(([name, v]) => w.moddle.create('gravity:Input', { name, value: JSON.stringify(v) }))
        : inv.input !== undefined
          ? [w.moddle.create('gravity:Input', { value: JSON.stringify(inv.input) })]
          : [];
    const outputs = Object.entries(m.outputs ?? {}).map(([name, v]) =>
      w.moddle.create('gravity:Output', { name, value: v }),
    );
    const rest = restMeta(m);
    w.extend(
      el,
      w.moddle.create('gravity:Task', {
        type: inv.src,
        ...(m.timeoutMs ? { timeoutMs: m.timeoutMs } : {}),
        ...(m.mergeOutput ? { mergeOutput: true } : {}),
        inputs,
        outputs,
        ...(m.retry ? { retry: w.moddle.create('gravity:Retry', { ...m.retry }) } : {}),
        ...(rest ? { meta: w.moddle.create('gravity:Meta', { value: JSON.stringify(rest) }) } : {}),
      }),
    );
  },

  // the for-each travels whole in gravity:meta (a task's, or the sub-process's own); the multi-instance element shows it
  writeLoop(each, _mi, el, w) {
    if (el.$type === 'bpmn:SubProcess')
      w.extend(el, w.moddle.create('gravity:Meta', { value: JSON.stringify({ each }) }));
  },
  readLoop(_mi, el, r, meta, element) {
    if (el.$type !== 'bpmn:SubProcess') return meta?.each;
    const ext = r.extensions(el).find((e) => e.$type === 'gravity:Meta');
    return (parseJson(ext?.value, element, 'gravity:meta') as { each?: EachConfig } | undefined)?.each;
  },

  readTask(el, r, element): TaskData {
    const t = r.extensions(el).find((e) => e.$type === 'gravity:Task');
    const wait = waitKindOfElement(el);
    const send = sendKindOfElement(el);
    // a user task or a message wait drawn by another modeler: an approval, or a wait for its message
    if (wait && !t?.type)
      return { src: waitTaskOf(wait), input: wait === 'message' ? { name: messageNameOf(el, element) } : {} };
    // a send task, or a message or signal throw, drawn by another modeler: a send of its message (signal)
    if (send && !t?.type) return { src: SEND_TASK, input: sendInputOf(el, element, undefined) };
    if (!t?.type)
      throw new DefinitionError(`<${element}> (${el.$type}) has no gravity:task type: which task node should run it?`, {
        element,
      });
    const ins = (t.inputs ?? []) as ModdleElement[];
    let input: unknown;
    if (ins.length === 1 && !ins[0].name) input = parseJson(ins[0].value, element, 'gravity:input');
    else if (ins.length)
      input = Object.fromEntries(ins.map((i) => [i.name, parseJson(i.value, element, `gravity:input ${i.name}`)]));
    const outs = (t.outputs ?? []) as ModdleElement[];
    const retry = t.retry
      ? Object.fromEntries(
          ['max', 'backoffMs', 'factor', 'maxBackoffMs']
            .filter((k) => t.retry[k] !== undefined)
            .map((k) => [k, t.retry[k]]),
        )
      : undefined;
    const meta: StateConfig['meta'] = {
      ...readRestMeta(t, element),
      ...(retry ? { retry: retry as never } : {}),
      ...(t.timeoutMs ? { timeoutMs: t.timeoutMs } : {}),
      ...(t.mergeOutput ? { mergeOutput: true } : {}),
      ...(outs.length ? { outputs: Object.fromEntries(outs.map((o) => [o.name, o.value ?? ''])) } : {}),
    };
    if (wait === 'message' && t.type === waitTaskOf('message'))
      input = { ...(input as Record<string, unknown> | undefined), name: messageNameOf(el, element) };
    if (send && t.type === SEND_TASK) input = sendInputOf(el, element, input);
    return { src: t.type, ...(input !== undefined ? { input } : {}), meta };
  },

  writeCondition: (feel) => ({ body: feel, language: 'feel' }),
  readCondition(expr, element) {
    const body = (expr.body ?? '').trim();
    if (!body) throw new DefinitionError(`<${element}>: empty condition`, { element });
    return body.startsWith('=') ? body.slice(1) : body;
  },
  writeDelay: (delay) => delay,
  readDelay: (body) => body.trim(),

  writeResult(_key, state, el, w) {
    if (state.output !== undefined)
      w.extend(el, w.moddle.create('gravity:Result', { value: JSON.stringify(state.output) }));
    const rest = restMeta(state.meta);
    if (rest) w.extend(el, w.moddle.create('gravity:Meta', { value: JSON.stringify(rest) }));
  },
  readEndMeta(el, r) {
    const meta = r.extensions(el).find((e) => e.$type === 'gravity:Meta');
    return (parseJson(meta?.value, el.id!, 'gravity:meta') as Record<string, unknown>) ?? {};
  },
  readResult(el, r) {
    const res = r.extensions(el).find((e) => e.$type === 'gravity:Result');
    return res ? parseJson(res.value, el.id!, 'gravity:result') : undefined;
  },
});
