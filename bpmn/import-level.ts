// One container level (process or sub-process) of BPMN -> states: tasks, gateways, timers, ends; structured joins only.
import {
  CANCEL_EVENT,
  MAX_CONCURRENCY,
  MAX_ITEMS,
  parseDelay,
  type EachConfig,
  type ReminderConfig,
  type StateConfig,
  type StateMeta,
} from '../engine/index.js';
import type { ModdleElement } from './moddle.js';
import type { ImportContext } from './import-context.js';
import { captureForeign } from './preserve.js';
import { BOUNDARY_LABEL, conditionLabel, generatedLabel, readable, type LabelKind } from './labels.js';
import { MESSAGE_EVENT, scopeName } from './graph.js';
import type { Dialect, TaskData } from './dialect.js';
import { sendKindOfElement, unnamedMessage, waitKindOfElement, waitTaskOf } from './dialects/wait-tasks.js';
import { xpathCondition } from './xpath-condition.js';

const TASKLIKE = new Set([
  'bpmn:Task',
  'bpmn:ManualTask',
  'bpmn:ScriptTask',
  'bpmn:UserTask',
  'bpmn:ReceiveTask',
  'bpmn:SendTask',
  'bpmn:BusinessRuleTask',
]);
const IGNORED = new Set([
  'bpmn:SequenceFlow',
  'bpmn:DataObject',
  'bpmn:DataObjectReference',
  'bpmn:DataStoreReference',
  'bpmn:TextAnnotation',
  'bpmn:Association',
  'bpmn:Group',
]);

interface Scope {
  states: Record<string, StateConfig>;
  done: Set<string>;
  join?: string;
  endKey?: string;
  /** A parallel branch: its region key, and what to do with the id of the exclusive merge it ends with, if any. */
  region?: { key: string; onMerge(id: string): void };
}

/** Converts the flow elements of `container` into `{ initial, states }`; problems are collected in ctx. */
export function convertLevel(
  container: ModdleElement,
  ctx: ImportContext,
): { initial: string; states: Record<string, StateConfig> } {
  const all = (container.flowElements ?? []) as ModdleElement[];
  const flows = all.filter((e) => e.$type === 'bpmn:SequenceFlow');
  // indexes, so that large processes (10 000 tasks) import in linear time
  const index = (pairs: Array<[string | undefined, ModdleElement]>) => {
    const m = new Map<string, ModdleElement[]>();
    for (const [k, v] of pairs) if (k !== undefined) m.set(k, [...(m.get(k) ?? []), v]);
    return m;
  };
  const outMap = index(flows.map((f) => [f.sourceRef?.id, f]));
  const inMap = index(flows.map((f) => [f.targetRef?.id, f]));
  const boundaryMap = index(all.filter((e) => e.$type === 'bpmn:BoundaryEvent').map((e) => [e.attachedToRef?.id, e]));
  const outgoing = (id: string) => outMap.get(id) ?? [];
  const incoming = (id: string) => inMap.get(id) ?? [];
  const boundaries = (id: string) => boundaryMap.get(id) ?? [];
  /** The boundary events of `id` with their event definition and their one outgoing flow (one without is a problem). */
  function* boundaryFlows(id: string) {
    for (const b of boundaries(id)) {
      const outs = outgoing(b.id!);
      if (outs.length !== 1) problem(b, 'a boundary event needs exactly one outgoing flow');
      else yield { b, def: ((b.eventDefinitions ?? []) as ModdleElement[])[0], outs };
    }
  }
  const problem = (el: ModdleElement, message: string): void =>
    void ctx.problems.push({ element: el.id ?? '?', type: el.$type, message });
  const dialect = ctx.dialect;
  const order = new Map(all.map((e, i) => [e.id!, i]));

  const go = (t: ModdleElement | undefined, scope: Scope): string => {
    if (!t) return '__missing';
    if (scope.join && (t.id === scope.join || endsBranch(t, scope))) {
      scope.states[scope.endKey!] ??= { type: 'final' };
      return scope.endKey!;
    }
    const split = entryOf(t);
    if (split) {
      ctx.flowIds[`${t.id}>${split.id}`] = outgoing(t.id!)[0].id!;
      return go(split, scope);
    }
    const race = raceOf(t);
    if (race) {
      if (race.timer) raceTimers.set(race.message.id!, race.timer);
      ctx.flowIds[`${t.id}>${race.message.id}`] = outgoing(t.id!).find((f) => f.targetRef === race.message)!.id!;
      ctx.warnings.push({
        element: t.id!,
        type: t.$type,
        message: `event-based gateway: runs as the message wait <${race.message.id}>${race.timer ? ` with the timer <${race.timer.id}> as its timeout` : ''} (export writes a receive task${race.timer ? ' with a timer boundary' : ''})`,
      });
      return go(race.message, scope);
    }
    const into = mergeInto(t);
    if (into) {
      ctx.flowIds[`${t.id}>${into.id}`] = outgoing(t.id!)[0].id!;
      merged.push({ states: scope.states, key: ctx.keyOf(into), merge: t.id! });
      return go(into, scope);
    }
    const key = ctx.keyOf(t);
    if (!scope.done.has(t.id!)) {
      scope.done.add(t.id!);
      convertedIn.set(t.id!, (convertedIn.get(t.id!) ?? 0) + 1);
      pending.push(() => convert(t, key, scope));
    }
    return key;
  };
  /** How many scopes converted each element (a reminder's side path is a scope of its own). */
  const convertedIn = new Map<string, number>();
  /** The side paths of the reminders (non-interrupting timers) of this level. */
  const sidePaths: Array<{ boundary: ModdleElement; scope: Scope }> = [];
  // conversions wait in a queue instead of recursing: a long sequence must not exhaust the stack
  const pending: Array<() => void> = [];
  const sortLater: Array<{ holder: StateConfig; scope: Scope }> = [];
  const drain = () => {
    for (let i = 0; i < pending.length; i++) pending[i]();
    pending.length = 0;
  };
  const follow = (f: ModdleElement, from: string, scope: Scope, kind = ''): string => {
    ctx.flowIds[`${from}>${kind}${f.targetRef?.id}`] = f.id!;
    return go(f.targetRef, scope);
  };
  const next = (el: ModdleElement, scope: Scope): string => {
    const outs = outgoing(el.id!);
    // an activity no flow leaves ends its (sub-)process, as if an end event followed it (BPMN's implicit end)
    if (outs.length === 0 && !scope.join && el.$type !== 'bpmn:StartEvent' && !boundaries(el.id!).length) {
      ctx.warnings.push({
        element: el.id!,
        type: el.$type,
        message: 'no flow leaves it: it ends its process or sub-process (export writes an end event after it)',
      });
      const end = ctx.keyOf(el) + '_end';
      scope.states[end] ??= { type: 'final' };
      return end;
    }
    if (outs.length !== 1) {
      problem(
        el,
        outs.length === 0
          ? 'has no outgoing sequence flow'
          : `has ${outs.length} outgoing flows without a gateway (an implicit parallel split): put a parallel or exclusive gateway after it`,
      );
      return '__missing';
    }
    return follow(outs[0], el.id!, scope);
  };

  // an exclusive merge whose one plain flow enters the branch's join is the branch's end (the export writes one when a
  // branch ends by several paths): it folds into the region's final, its ids kept for the next export
  const endsBranch = (t: ModdleElement, scope: Scope): boolean => {
    if (t.$type !== 'bpmn:ExclusiveGateway' || !scope.region) return false;
    const outs = outgoing(t.id!);
    if (outs.length !== 1 || outs[0].conditionExpression || outs[0].targetRef?.id !== scope.join) return false;
    ctx.flowIds[`${t.id}>${scope.join}`] = outs[0].id!;
    if (t.id !== `${scope.region.key}_merge`) scope.region.onMerge(t.id!);
    return true;
  };

  // an exclusive merge whose one plain flow is all that enters a parallel split is the split's entry (the export writes
  // one when several paths lead to a split): it folds into the split, its id kept for the next export
  const entryOf = (t: ModdleElement): ModdleElement | undefined => {
    if (t.$type !== 'bpmn:ExclusiveGateway') return undefined;
    const outs = outgoing(t.id!);
    const split = outs.length === 1 && !outs[0].conditionExpression ? outs[0].targetRef : undefined;
    return split?.$type === 'bpmn:ParallelGateway' && outgoing(split.id!).length > 1 && incoming(split.id!).length === 1
      ? split
      : undefined;
  };

  // an exclusive merge that only joins (several flows in, one plain flow out) into an element nothing else enters is
  // no step of its own: it folds into that element, its id kept for the next export (which writes a merge before every
  // element several flows enter). A merge with a name, documentation or extensions stays a step, as drawn.
  const merged: Array<{ states: Record<string, StateConfig>; key: string; merge: string }> = [];
  const mergeInto = (t: ModdleElement): ModdleElement | undefined => {
    if (t.$type !== 'bpmn:ExclusiveGateway' || incoming(t.id!).length < 2) return undefined;
    const outs = outgoing(t.id!);
    if (outs.length !== 1 || outs[0].conditionExpression) return undefined;
    const into = outs[0].targetRef as ModdleElement | undefined;
    if (!into || into.$type === 'bpmn:ParallelGateway' || incoming(into.id!).length !== 1) return undefined;
    if (t.name || (t.documentation ?? []).length || t.extensionElements || captureForeign(t)) return undefined;
    return into;
  };

  // an event-based gateway between one message and at most one timer is that message wait with the timer as its
  // timeout (the export writes a receive task with a timer boundary): it folds into the message wait
  const raceTimers = new Map<string, ModdleElement>();
  const firstDefinition = (t: ModdleElement | undefined) => ((t?.eventDefinitions ?? []) as ModdleElement[])[0];
  const raceOf = (t: ModdleElement): { message: ModdleElement; timer?: ModdleElement } | undefined => {
    if (t.$type !== 'bpmn:EventBasedGateway') return undefined;
    const targets = outgoing(t.id!).map((f) => f.targetRef as ModdleElement | undefined);
    const timers = targets.filter(
      (x) => x?.$type === 'bpmn:IntermediateCatchEvent' && firstDefinition(x)?.$type === 'bpmn:TimerEventDefinition',
    );
    const isMessage = (x: ModdleElement | undefined) => !!x && waitKindOfElement(x) === 'message';
    const onlyFromHere = (x: ModdleElement) => incoming(x.id!).length === 1;
    if (
      targets.filter(isMessage).length !== 1 ||
      timers.length > 1 ||
      targets.length !== 1 + timers.length ||
      !targets.filter(isMessage).every((x) => onlyFromHere(x!)) ||
      !timers.every((x) => onlyFromHere(x!))
    )
      return undefined;
    return { message: targets.find(isMessage)!, ...(timers[0] ? { timer: timers[0] } : {}) };
  };

  /**
   * A scope around steps that share one error path (what the export draws, see bpmn/graph.ts): a sub-process with no
   * name of its own, no documentation or extensions, one error boundary and nothing else, holding two steps or more in
   * sequence and a plain end. It is the same as each step with that error path, so it imports as those steps, in place
   * of the sub-process (its ids kept on the first step for the next export).
   */
  const flattenScope = (el: ModdleElement, key: string, scope: Scope, startId: string | undefined): void => {
    const s = scope.states[key];
    if (!s?.states || s.onError === undefined || s.on || boundaries(el.id!).length !== 1) return;
    if ((el.documentation ?? []).length || el.extensionElements || captureForeign(el)) return;
    const finals = Object.entries(s.states).filter(([, x]) => x.type === 'final');
    if (finals.length !== 1) return;
    const [endKey, end] = finals[0];
    const endMeta = { ...end.meta };
    delete endMeta.bpmn;
    if (
      end.output !== undefined ||
      Object.keys(endMeta).some((k) => k !== 'title') ||
      ![undefined, 'End'].includes(endMeta.title)
    )
      return;
    const chain: string[] = [];
    for (let k: string | undefined = s.initial; k !== undefined && k !== endKey; k = s.states[k]?.onDone as string) {
      const t = s.states[k];
      if (!t?.invoke || t.onError !== undefined || t.after || t.always || t.states || t.on || chain.includes(k)) return;
      chain.push(k);
    }
    if (chain.length < 2 || chain.length !== Object.keys(s.states).length - 1) return;
    const idOf = (k: string) => (s.states![k].meta?.bpmn as { id?: string } | undefined)?.id ?? k;
    const label = (k: string) => s.states![k].meta?.title ?? readable(idOf(k));
    if (el.name && el.name !== scopeName(label(chain[0]), label(chain[chain.length - 1]))) return;
    delete scope.states[key];
    const at = order.get(el.id!) ?? Number.MAX_SAFE_INTEGER;
    chain.forEach((k, i) => {
      const t: StateConfig = { ...s.states![k], onError: s.onError };
      if (i === chain.length - 1) t.onDone = s.onDone;
      if (i === 0) {
        const kept = {
          id: el.id,
          ...(startId ? { start: startId } : {}),
          end: idOf(endKey),
          error: (s.meta?.bpmn as { errorBoundary?: string } | undefined)?.errorBoundary,
          steps: chain.length,
        };
        t.meta = { ...t.meta, bpmn: { ...(t.meta?.bpmn as object | undefined), scope: kept } };
      }
      scope.states[k] = t;
      // in the document's order, where the sub-process was
      order.set(idOf(k), at + (i + 1) / (chain.length + 1));
    });
    renamed.set(key, chain[0]);
  };
  /** Sub-processes flattened into their steps: what led to one now leads to its first step. */
  const renamed = new Map<string, string>();

  const isErrorEnd = (el: ModdleElement) =>
    el.$type === 'bpmn:EndEvent' &&
    ((el.eventDefinitions ?? []) as ModdleElement[])[0]?.$type === 'bpmn:ErrorEventDefinition';

  const findJoin = (fork: ModdleElement): ModdleElement | undefined => {
    const joins = new Map<string, ModdleElement>();
    const seen = new Set<string>();
    const ends: string[] = [];
    const stack: Array<[ModdleElement | undefined, number]> = outgoing(fork.id!).map((f) => [f.targetRef, 0]);
    while (stack.length) {
      const [el, depth] = stack.pop()!;
      if (!el || seen.has(`${el.id}@${depth}`)) continue;
      seen.add(`${el.id}@${depth}`);
      let d = depth;
      if (el.$type === 'bpmn:ParallelGateway') {
        if (incoming(el.id!).length > 1) {
          if (d === 0) {
            joins.set(el.id!, el);
            continue;
          }
          d--;
        }
        if (outgoing(el.id!).length > 1) d++;
      }
      const outs = [...outgoing(el.id!), ...boundaries(el.id!).flatMap((b) => outgoing(b.id!))];
      // an error end event fails the run where it is: a branch may end there without joining
      if (!outs.length && !isErrorEnd(el)) ends.push(el.id!);
      for (const f of outs) stack.push([f.targetRef, d]);
    }
    if (joins.size === 1 && !ends.length) return [...joins.values()][0];
    problem(
      fork,
      `unstructured parallel split: its branches ${joins.size > 1 ? `join at different gateways (${[...joins.keys()].join(', ')})` : ends.length ? `end at ${ends.sort().join(', ')} without joining` : 'never join'}; gravity runs parallel branches that meet at one parallel join`,
    );
    return undefined;
  };

  /**
   * The plain end after the send a message or signal end event stands for (the end's result and meta on it), under a
   * key no element of the process has; warned, since export writes a send task followed by a plain end event.
   */
  const throwingEnd = (el: ModdleElement, key: string, scope: Scope): string => {
    const taken = processKeys();
    let end = `${key}_end`;
    for (let n = 2; taken.has(end) || scope.states[end]; n++) end = `${key}_end_${n}`;
    taken.add(end);
    const output = dialect.readResult(el, ctx.r);
    const meta = dialect.readEndMeta(el, ctx.r);
    scope.states[end] = {
      type: 'final',
      ...(output !== undefined ? { output } : {}),
      ...(meta && Object.keys(meta).length ? { meta } : {}),
    };
    ctx.warnings.push({
      element: el.id!,
      type: el.$type,
      message: `a ${sendKindOfElement(el)} end event: it sends, then the run ends (<${end}>); export writes a send task followed by a plain end event`,
    });
    return end;
  };
  /** The keys of every element of the process (all levels): the keys made up for ends step aside from them. */
  let keys: Set<string> | undefined;
  const processKeys = (): Set<string> => {
    if (keys) return keys;
    let root: ModdleElement = container;
    while (root.$type !== 'bpmn:Process' && root.$parent) root = root.$parent as ModdleElement;
    const walk = (c: ModdleElement): ModdleElement[] =>
      ((c.flowElements ?? []) as ModdleElement[]).flatMap((e) => [e, ...walk(e)]);
    keys = new Set(walk(root).map((e) => ctx.keyOf(e)));
    return keys;
  };

  const convert = (el: ModdleElement, key: string, scope: Scope): void => {
    const meta: StateMeta = {};
    // the name an export makes up for an untitled step is not a title
    if (el.name && el.name !== generatedName(el)) meta.title = el.name;
    const docs = (el.documentation ?? []) as ModdleElement[];
    if (docs.length) meta.documentation = docs.map((d) => d.text).join('\n');
    const bpmn: Record<string, unknown> = {};
    if (key !== el.id) bpmn.id = el.id;
    const foreign = captureForeign(el);
    // the dialect's own extensions gravity does not act on (listeners, connectors, forms...) are reported, never silently dropped
    if (dialect.understands) {
      const prefix = `${dialect.prefix}:`;
      for (const x of ctx.r.extensions(el)) {
        if (x.$type.startsWith(prefix) && !dialect.understands.includes(x.$type) && !dialect.writesOnly?.(x))
          ctx.warnings.push({
            element: el.id!,
            type: el.$type,
            message: `${x.$type} is ignored: gravity does not run it`,
          });
      }
    }
    if (foreign) bpmn.foreign = foreign;
    const withMeta = (s: StateConfig, extra?: StateMeta): StateConfig => {
      const m = { ...meta, ...extra, ...(Object.keys(bpmn).length ? { bpmn } : {}) };
      return Object.keys(m).length ? { ...s, meta: m } : s;
    };
    /**
     * A problem of this element; the walk goes on past it (along its flows and its boundaries' flows), so one refused
     * element does not hide the problems after it. Its state is a placeholder: a file with problems imports nothing.
     */
    const refuse = (message: string): void => {
      problem(el, message);
      const state: StateConfig = { onDone: '' };
      scope.states[key] = state;
      outgoing(el.id!).forEach((f, i) => {
        const target = follow(f, el.id!, scope);
        if (i === 0) state.onDone = target;
      });
      for (const b of boundaries(el.id!)) for (const f of outgoing(b.id!)) follow(f, b.id!, scope, 'boundary>');
    };
    const mapped = ctx.mappings[el.id!] ?? ctx.mappings[el.$type];
    const loop = el.loopCharacteristics as ModdleElement | undefined;
    if (loop && loop.$type !== 'bpmn:MultiInstanceLoopCharacteristics')
      return refuse('standard loops (loop until a condition) are not supported; multi-instance activities are');

    // a user task is an approval, a receive task or a message catch event a message wait, a send task or a message or
    // signal throw (intermediate or end) event a send (unless --map says otherwise)
    const wait = mapped && TASKLIKE.has(el.$type) ? undefined : waitKindOfElement(el);
    const send = mapped && TASKLIKE.has(el.$type) ? undefined : sendKindOfElement(el);
    if (
      el.$type === 'bpmn:ServiceTask' ||
      el.$type === 'bpmn:CallActivity' ||
      (TASKLIKE.has(el.$type) && mapped) ||
      wait ||
      send
    ) {
      let data;
      try {
        data =
          mapped && !wait && !send && el.$type !== 'bpmn:ServiceTask'
            ? { src: mapped, input: {} }
            : dialect.readTask(el, ctx.r, el.id!);
        if (wait === 'approval' && data.src === waitTaskOf('approval')) data = withApprovalMessage(data, el);
        // a message wait that names no (named) message waits for a message named by its id, as bpmn-engine signals it
        const unnamed = wait === 'message' && data.src === waitTaskOf('message') ? unnamedMessage(el) : undefined;
        if (unnamed)
          ctx.warnings.push({
            element: el.id!,
            type: el.$type,
            message: `waits for message "${el.id}": ${unnamed} (bpmn-engine signals such an element by its id); export writes a bpmn:Message of that name`,
          });
      } catch (e) {
        // a service task that names no task node falls back to a mapping of its id or of bpmn:ServiceTask
        if (!mapped || el.$type !== 'bpmn:ServiceTask') return refuse((e as Error).message);
        data = { src: mapped, input: {} };
      }
      const state: StateConfig = {
        invoke: { src: data.src, ...(data.input !== undefined ? { input: data.input } : {}) },
        onDone: '',
      };
      if (loop) {
        // a for-each: the list and item name as the dialect writes them
        let each;
        try {
          each = dialect.readLoop(loop, el, ctx.r, data.meta, el.id!) ?? cardinalityEach(loop, dialect, el.id!, bpmn);
          if (each) each = withCompletion(each, loop, dialect, el.id!);
        } catch (e) {
          return refuse((e as Error).message);
        }
        if (!each) return refuse(NO_LIST);
        data = { ...data, meta: { ...data.meta, each } };
      }
      scope.states[key] = withMeta(state, data.meta);
      state.onDone = el.$type === 'bpmn:EndEvent' ? throwingEnd(el, key, scope) : next(el, scope);
      const reminders: ReminderConfig[] = [];
      const messageKeys: Record<string, string> = {};
      for (const { b, def, outs } of boundaryFlows(el.id!)) {
        if (def?.$type === 'bpmn:ErrorEventDefinition' && b.cancelActivity !== false) {
          bpmn.errorBoundary = b.id;
          scope.states[key] = withMeta(state, data.meta);
          state.onError = follow(outs[0], el.id!, scope, 'error>');
        } else if (def?.$type === 'bpmn:TimerEventDefinition' && b.cancelActivity !== false) {
          bpmn.timerBoundary = b.id;
          scope.states[key] = withMeta(state, data.meta);
          state.after = { [readDelay(def, b)]: follow(outs[0], el.id!, scope, 'timer>') };
        } else if (def?.$type === 'bpmn:TimerEventDefinition') {
          // non-interrupting: a reminder, whose path runs beside the step (a side path ending in its own end events)
          const side: Scope = { states: {}, done: new Set() };
          const { after, times } = readCycle(def, b);
          const id = ctx.keyOf(b);
          const title = b.name && b.name !== BOUNDARY_LABEL.reminder ? b.name : undefined;
          const r: ReminderConfig = {
            id,
            after,
            ...(times !== 1 ? { times } : {}),
            initial: '',
            states: side.states,
            ...(title || id !== b.id
              ? { meta: { ...(title ? { title } : {}), ...(id !== b.id ? { id: b.id } : {}) } }
              : {}),
          };
          r.initial = follow(outs[0], b.id!, side);
          reminders.push(r);
          sidePaths.push({ boundary: b, scope: side });
        } else if (def?.$type === 'bpmn:MessageEventDefinition' && b.cancelActivity !== false) {
          // a message that interrupts the step: `gravity signal <run> <name>` while it runs (or waits)
          const message = def.messageRef as ModdleElement | undefined;
          const name = typeof message?.name === 'string' && message.name.trim() ? message.name.trim() : b.id!;
          if (name === b.id)
            ctx.warnings.push({
              element: b.id!,
              type: b.$type,
              message: `the message boundary names no message: it listens for message "${name}" (its id)`,
            });
          if (state.on?.[`${MESSAGE_EVENT}${name}`] !== undefined)
            problem(b, `<${el.id}> has two boundaries for message "${name}"`);
          state.on = { ...state.on, [`${MESSAGE_EVENT}${name}`]: follow(outs[0], b.id!, scope) };
          bpmn.messageBoundaries = { ...(bpmn.messageBoundaries as object | undefined), [name]: b.id };
          const correlation = message ? dialect.readMessageKey?.(message, ctx.r) : undefined;
          if (correlation !== undefined) messageKeys[name] = String(correlation);
          scope.states[key] = withMeta(state, data.meta);
        } else
          problem(
            b,
            `${b.cancelActivity === false ? 'non-interrupting ' : ''}${def?.$type ?? 'untyped'} boundary events are not supported (error and interrupting timer boundaries are)`,
          );
      }
      const timer = raceTimers.get(el.id!);
      if (timer) state.after = { [readDelay(firstDefinition(timer)!, timer)]: next(timer, scope) };
      if (reminders.length) data = { ...data, meta: { ...data.meta, reminders } };
      if (Object.keys(messageKeys).length)
        data = { ...data, meta: { ...data.meta, messageKeys: { ...messageKeys, ...data.meta?.messageKeys } } };
      Object.assign(scope.states[key], withMeta(state, data.meta));
      return;
    }
    if (TASKLIKE.has(el.$type)) {
      return refuse(
        `gravity runs service tasks only, and user, receive and send tasks as approvals, message waits and sends; map this ${el.$type.slice(5)} to a task node with --map ${el.id}=<task id>${el.$type === 'bpmn:ScriptTask' ? ' (its script is never executed)' : ''}`,
      );
    }
    switch (el.$type) {
      case 'bpmn:EventBasedGateway':
        // what raceOf did not fold into a message wait
        return refuse(
          "an event-based gateway runs here between one message wait (a receive task or message catch event) and at most one timer catch event, each entered only from it: the timer is the wait's timeout",
        );
      case 'bpmn:IntermediateThrowEvent': {
        const defs = (el.eventDefinitions ?? []) as ModdleElement[];
        if (defs.length)
          return refuse(
            defs.length > 1
              ? 'a throw event with several event definitions is not supported'
              : `${defs[0].$type} throw events are not supported (message, signal and none throw events are)`,
          );
        // a none throw event is a milestone: the run goes on through it (export draws it again)
        bpmn.milestone = true;
        const state = withMeta({ always: [] });
        scope.states[key] = state;
        state.always = [{ target: next(el, scope) }];
        return;
      }
      case 'bpmn:ExclusiveGateway': {
        const outs = outgoing(el.id!);
        const state: StateConfig = withMeta({ always: [] });
        scope.states[key] = state;
        if (outs.length === 1 && !outs[0].conditionExpression)
          return void (state.always = [{ target: follow(outs[0], el.id!, scope) }]);
        const def = el.default as ModdleElement | undefined;
        for (const f of outs.filter((x) => x !== def)) {
          let expr: string;
          let xpath: string | undefined;
          if (!f.conditionExpression) {
            // as in Camunda 7 and bpmn-engine: a flow without a condition holds, so the first one is taken when reached
            ctx.warnings.push({
              element: f.id!,
              type: f.$type,
              message: `flow out of exclusive gateway ${el.id} has no condition: it counts as true (as in Camunda 7 and bpmn-engine), so it is taken whenever no flow before it is`,
            });
            expr = 'true';
          } else if ((xpath = xpathCondition(f.conditionExpression)) !== undefined) {
            // BPMN's default language (XPath) reading data objects: the same test in FEEL over variables of their names
            ctx.warnings.push({
              element: f.id!,
              type: f.$type,
              message: `condition "${String(f.conditionExpression.body).trim()}" is XPath (BPMN's default expression language): it runs as the FEEL condition \`${xpath}\` (each data object read by bpmn:getDataObject is the variable of its name); export writes that`,
            });
            expr = xpath;
          } else
            try {
              expr = dialect.readCondition(f.conditionExpression, f.id!);
            } catch (e) {
              problem(f, (e as Error).message);
              continue;
            }
          // a flow's name says what its condition means, unless it is the condition itself (what an export writes)
          const name = typeof f.name === 'string' ? f.name.trim() : '';
          state.always!.push({
            target: follow(f, el.id!, scope),
            guard: { type: 'expr', params: { expr } },
            ...(name && name !== conditionLabel(expr) ? { description: name } : {}),
          });
        }
        if (def) state.always!.push({ target: follow(def, el.id!, scope) });
        else {
          ctx.warnings.push({
            element: el.id!,
            type: el.$type,
            message: 'missing default flow: when no condition holds the run fails here (BPMN raises an error)',
          });
          const nomatch = `${key}_nomatch`;
          scope.states[nomatch] = {
            type: 'final',
            meta: {
              fail: { message: `no condition of exclusive gateway ${el.id} matched and it has no default flow` },
            },
          };
          state.always!.push({ target: nomatch });
        }
        return;
      }
      case 'bpmn:ParallelGateway': {
        const outs = outgoing(el.id!);
        if (outs.length <= 1) {
          if (incoming(el.id!).length > 1)
            return problem(
              el,
              'unstructured parallel join: no parallel split of the same level opens the branches it joins',
            );
          const state = withMeta({ always: [] });
          scope.states[key] = state;
          state.always = [{ target: next(el, scope) }];
          return;
        }
        if (incoming(el.id!).length > 1) {
          return problem(
            el,
            `a parallel gateway that joins ${incoming(el.id!).length} incoming flows and splits at once: it would wait for a token on each incoming flow; enter the split through an exclusive gateway, or join before it`,
          );
        }
        const entry = incoming(el.id!)[0]?.sourceRef as ModdleElement | undefined;
        if (entry && entryOf(entry) === el && entry.id !== `${el.id}_in`) bpmn.entry = entry.id;
        const join = findJoin(el);
        if (!join) return;
        // each branch must enter the join once: a join waits for a token on every incoming flow, and a branch that
        // enters it by two paths (an exclusive split, a timer boundary) sends only one, so the join would wait forever
        const into = incoming(join.id!).length;
        if (into !== outs.length) {
          return problem(
            join,
            `unstructured parallel join: it has ${into} incoming flows for the ${outs.length} branches of ${el.id}, so it would wait forever for a token that never comes; merge each branch's paths with an exclusive gateway before the join`,
          );
        }
        const regions: Record<string, StateConfig> = {};
        const state: StateConfig = withMeta({ type: 'parallel', states: regions, onDone: '' });
        scope.states[key] = state;
        const merges: Record<string, string> = {};
        outs.forEach((f, i) => {
          const regionKey = `${key}_${i + 1}`;
          const onMerge = (id: string) => {
            merges[regionKey] = id;
            state.meta = { ...state.meta, bpmn: { ...(state.meta?.bpmn as object), merges } };
          };
          const region: Scope = {
            states: {},
            done: new Set(),
            join: join.id,
            endKey: `${key}_${i + 1}_end`,
            region: { key: regionKey, onMerge },
          };
          const initial = follow(f, el.id!, region);
          const holder: StateConfig = { initial, states: region.states };
          regions[regionKey] = holder;
          sortLater.push({ holder, scope: region });
        });
        if (join.id !== `${el.id}_join`) bpmn.join = join.id;
        if (Object.keys(bpmn).length) state.meta = { ...state.meta, bpmn };
        state.onDone = next(join, scope);
        return;
      }
      case 'bpmn:IntermediateCatchEvent': {
        const def = ((el.eventDefinitions ?? []) as ModdleElement[])[0];
        if (def?.$type !== 'bpmn:TimerEventDefinition')
          return problem(
            el,
            `${def?.$type ?? 'untyped'} catch events are not supported (timer and message catch events are)`,
          );
        const state = withMeta({ after: {} });
        scope.states[key] = state;
        state.after = { [readDelay(def, el)]: next(el, scope) };
        return;
      }
      case 'bpmn:EndEvent': {
        const defs = (el.eventDefinitions ?? []) as ModdleElement[];
        if (defs.length > 1) return problem(el, 'an end event with several event definitions is not supported');
        const def = defs[0];
        const extra: StateMeta = {};
        if (def?.$type === 'bpmn:ErrorEventDefinition') extra.fail = { message: errorMessage(def, el) };
        else if (def && def.$type !== 'bpmn:TerminateEventDefinition')
          return problem(el, `${def.$type} end events are not supported`);
        const output = dialect.readResult(el, ctx.r);
        Object.assign(extra, dialect.readEndMeta(el, ctx.r));
        scope.states[key] = withMeta({ type: 'final', ...(output !== undefined ? { output } : {}) }, extra);
        return;
      }
      case 'bpmn:SubProcess': {
        if (el.triggeredByEvent) return problem(el, 'event sub-processes are not supported');
        const inner = convertLevel(el, ctx);
        const state = withMeta({ initial: inner.initial, states: inner.states, onDone: '' });
        scope.states[key] = state;
        state.onDone = next(el, scope);
        // an error boundary catches any failure inside; a signal boundary named gravity.cancel, the run's cancel (a cleanup)
        for (const { b, def, outs } of boundaryFlows(el.id!)) {
          if (def?.$type === 'bpmn:ErrorEventDefinition' && b.cancelActivity !== false) {
            bpmn.errorBoundary = b.id;
            state.onError = follow(outs[0], el.id!, scope, 'error>');
          } else if (
            def?.$type === 'bpmn:SignalEventDefinition' &&
            b.cancelActivity !== false &&
            def.signalRef?.name === CANCEL_EVENT
          ) {
            bpmn.cancelBoundary = b.id;
            state.on = { [CANCEL_EVENT]: follow(outs[0], el.id!, scope, 'cancel>') };
          } else {
            problem(
              b,
              `${b.cancelActivity === false ? 'non-interrupting ' : ''}${def?.$type ?? 'untyped'} boundary events on a sub-process are not supported (error boundaries and an interrupting signal boundary named ${CANCEL_EVENT} are)`,
            );
          }
        }
        // the inner start's id, kept for the next export
        const innerStart = ((el.flowElements ?? []) as ModdleElement[]).find((e) => e.$type === 'bpmn:StartEvent');
        if (innerStart?.id) bpmn.start = innerStart.id;
        if (loop) {
          // a for-each over the sub-process's steps (each item runs them as a child run)
          let each;
          try {
            each = dialect.readLoop(loop, el, ctx.r, undefined, el.id!) ?? cardinalityEach(loop, dialect, el.id!, bpmn);
            if (each) each = withCompletion(each, loop, dialect, el.id!);
          } catch (e) {
            return problem(el, (e as Error).message);
          }
          if (!each) return problem(el, NO_LIST);
          if (state.on) return problem(el, 'a multi-instance sub-process cannot have a cancel (signal) boundary');
          scope.states[key] = withMeta(state, { each });
          return;
        }
        scope.states[key] = withMeta(state);
        flattenScope(el, key, scope, innerStart?.id);
        return;
      }
      case 'bpmn:StartEvent':
        return problem(el, 'a flow leads back into the start event');
      default:
        return refuse('this element is not supported by gravity');
    }
    /** A reminder's timer: a duration (fires once) or an ISO-8601 cycle `R<n>/<duration>` (`R/...`: while the step runs). */
    function readCycle(def: ModdleElement, at: ModdleElement): { after: string; times: number } {
      const cycle = String(def.timeCycle?.body ?? '').trim();
      if (!cycle) return { after: readDelay(def, at), times: 1 };
      const m = /^R(\d*)\/(P[^/]+)$/.exec(cycle);
      if (!m) {
        problem(
          at,
          `timeCycle "${cycle}" is not supported: write R<n>/<duration> (e.g. R6/P1D), or R/<duration> to repeat while the task runs`,
        );
        return { after: '0', times: 1 };
      }
      try {
        return { after: String(parseDelay(m[2], at.id!)), times: m[1] === '' ? 0 : Number(m[1]) };
      } catch (e) {
        problem(at, (e as Error).message);
        return { after: '0', times: 1 };
      }
    }
    function readDelay(def: ModdleElement, at: ModdleElement): string {
      const body = String(def.timeDuration?.body ?? '').trim();
      if (!body) {
        problem(
          at,
          def.timeDate
            ? 'timeDate timers are not supported (use timeDuration)'
            : def.timeCycle
              ? 'timeCycle timers are not supported (use timeDuration)'
              : 'timer without timeDuration',
        );
        return '0';
      }
      if (/^P/.test(body)) {
        try {
          return String(parseDelay(body, at.id!));
        } catch (e) {
          problem(at, (e as Error).message);
          return '0';
        }
      }
      try {
        return dialect.readDelay(body, at.id!);
      } catch (e) {
        problem(at, (e as Error).message);
        return '0';
      }
    }
  };

  const starts = all.filter((e) => e.$type === 'bpmn:StartEvent');
  // an error event sub-process is the error path of the rest of its level (see watchedBy); others are refused
  const handler = all.find((e) => e.$type === 'bpmn:SubProcess' && e.triggeredByEvent && isErrorHandler(e));
  for (const e of all)
    if (
      !IGNORED.has(e.$type) &&
      e.$type !== 'bpmn:BoundaryEvent' &&
      e.$type !== 'bpmn:StartEvent' &&
      !e.$type.startsWith('bpmn:')
    )
      problem(e, 'unknown element');
  // a sub-process without a start event begins with its elements that no flow enters (BPMN): one is a sequence
  const entries =
    starts.length === 0 && container.$type === 'bpmn:SubProcess'
      ? all.filter(
          (e) =>
            !IGNORED.has(e.$type) && e.$type !== 'bpmn:BoundaryEvent' && !e.triggeredByEvent && !incoming(e.id!).length,
        )
      : [];
  if (starts.length !== 1 && entries.length !== 1) {
    problem(
      container,
      starts.length
        ? `has ${starts.length} start events; gravity needs exactly one`
        : entries.length > 1
          ? `has no start event and ${entries.length} elements no flow enters (${entries.map((e) => e.id).join(', ')}): they would start at once; give it a start event`
          : 'has no start event',
    );
    return { initial: '__missing', states: {} };
  }
  if (!starts.length)
    ctx.warnings.push({
      element: container.id!,
      type: container.$type,
      message: `has no start event: it begins with <${entries[0].id}>, the one element no flow enters (export writes a start event)`,
    });
  const start = starts[0] ?? entries[0];
  const startDefs = (start.eventDefinitions ?? []) as ModdleElement[];
  // a process started by a message is started by whoever delivers it: with gravity, `gravity run` (or a hook)
  if (
    startDefs.length === 1 &&
    startDefs[0].$type === 'bpmn:MessageEventDefinition' &&
    container.$type === 'bpmn:Process'
  )
    ctx.warnings.push({
      element: start.id!,
      type: start.$type,
      message:
        'message start event: the run starts when it is started (gravity run, or a hook delivering the message); the message is kept on export',
    });
  else if (startDefs.length && !(container.triggeredByEvent && isErrorHandler(container)))
    problem(start, `${startDefs[0].$type} start events are not supported (a plain start event is)`);
  const root: Scope = { states: {}, done: new Set() };
  const initial = starts.length ? next(start, root) : go(start, root);
  drain();
  // a reminder's path runs as a child run: it cannot lead into the elements the process runs otherwise
  for (const { boundary, scope } of sidePaths)
    for (const id of scope.done)
      if ((convertedIn.get(id) ?? 0) > 1)
        problem(
          boundary,
          `the path of this non-interrupting timer leads into <${id}>, which the process reaches otherwise too: a reminder's path must end in end events of its own (gravity runs it beside the task, as a side path)`,
        );
  if (renamed.size) {
    const to = (t: string | undefined) => (t !== undefined ? (renamed.get(t) ?? t) : t);
    const retarget = (states: Record<string, StateConfig>) => {
      for (const st of Object.values(states)) {
        if (typeof st.onDone === 'string') st.onDone = to(st.onDone);
        if (typeof st.onError === 'string') st.onError = to(st.onError);
        for (const b of st.always ?? []) b.target = to(b.target)!;
        for (const m of [st.after, st.on]) if (m) for (const k of Object.keys(m)) m[k] = to(m[k] as string)!;
        if (st.type === 'parallel')
          for (const region of Object.values(st.states ?? {})) {
            region.initial = to(region.initial);
            retarget(region.states ?? {});
          }
      }
    };
    retarget(root.states);
  }
  for (const { states, key, merge } of merged) {
    const s = states[key];
    if (s) s.meta = { ...s.meta, bpmn: { ...(s.meta?.bpmn as object | undefined), merge } };
  }
  for (const { holder, scope } of sortLater) holder.states = inDocumentOrder(scope.states, order);
  // reachability over the flows themselves (not over what converted), so one refused element does not hide the rest
  const reached = new Set<string>([start.id!]);
  const queue = [start];
  while (queue.length) {
    const el = queue.pop()!;
    for (const f of [...outgoing(el.id!), ...boundaries(el.id!).flatMap((b) => outgoing(b.id!))]) {
      const t = f.targetRef as ModdleElement | undefined;
      if (t && !reached.has(t.id!)) {
        reached.add(t.id!);
        queue.push(t);
      }
    }
  }
  for (const e of all) {
    if (IGNORED.has(e.$type) || e.$type === 'bpmn:StartEvent' || e.$type === 'bpmn:BoundaryEvent') continue;
    if (!reached.has(e.id!) && e !== handler)
      problem(
        e,
        e.triggeredByEvent
          ? 'event sub-processes are not supported, except one started by an interrupting error start event (the error path of its process or sub-process)'
          : 'is not reachable from the start event',
      );
  }
  const level = { initial: renamed.get(initial) ?? initial, states: inDocumentOrder(root.states, order) };
  return handler ? watchedBy(level, handler) : level;

  /**
   * The level with its error event sub-process `esp`: what BPMN runs when a failure inside the level is not handled
   * there, interrupting it, the level then ending when the event sub-process ends. Its other states become one compound
   * state (`<level>_body`) whose onError is the event sub-process, a compound state of its own; both end the level.
   * Export writes a sub-process with an error boundary leading to the handler (warned).
   */
  function watchedBy(
    inner: { initial: string; states: Record<string, StateConfig> },
    esp: ModdleElement,
  ): { initial: string; states: Record<string, StateConfig> } {
    const taken = processKeys();
    const fresh = (base: string) => {
      let k = base;
      for (let n = 2; taken.has(k) || k in inner.states; n++) k = `${base}_${n}`;
      taken.add(k);
      return k;
    };
    const espKey = ctx.keyOf(esp);
    const body = fresh(`${ctx.keyOf(container)}_body`);
    const bodyEnd = fresh(`${body}_end`);
    const handled = fresh(`${espKey}_end`);
    const caught = convertLevel(esp, ctx);
    const meta: StateMeta = {};
    if (esp.name && esp.name !== readable(espKey)) meta.title = esp.name;
    const docs = (esp.documentation ?? []) as ModdleElement[];
    if (docs.length) meta.documentation = docs.map((d) => d.text).join('\n');
    const espStart = ((esp.flowElements ?? []) as ModdleElement[]).find((e) => e.$type === 'bpmn:StartEvent');
    const bpmn = { ...(espKey !== esp.id ? { id: esp.id } : {}), eventSubProcess: true, start: espStart?.id };
    const title =
      typeof container.name === 'string' && container.name.trim() ? container.name.trim() : readable(container.id!);
    ctx.warnings.push({
      element: esp.id!,
      type: esp.$type,
      message: `an error event sub-process: a failure inside <${container.id}> that nothing there handles (whatever its error) interrupts it and runs <${esp.id}>, then <${container.id}> ends; export writes the rest of <${container.id}> as the sub-process <${body}> with an error boundary leading to <${espKey}>`,
    });
    return {
      initial: body,
      states: {
        [body]: { initial: inner.initial, states: inner.states, onDone: bodyEnd, onError: espKey, meta: { title } },
        [espKey]: { initial: caught.initial, states: caught.states, onDone: handled, meta: { ...meta, bpmn } },
        [bodyEnd]: { type: 'final' },
        [handled]: { type: 'final' },
      },
    };
  }
}

/** Whether an event sub-process is started by an interrupting error start event (its one start event). */
function isErrorHandler(esp: ModdleElement): boolean {
  const starts = ((esp.flowElements ?? []) as ModdleElement[]).filter((e) => e.$type === 'bpmn:StartEvent');
  const defs = (starts[0]?.eventDefinitions ?? []) as ModdleElement[];
  return (
    starts.length === 1 &&
    starts[0].isInterrupting !== false &&
    defs.length === 1 &&
    defs[0].$type === 'bpmn:ErrorEventDefinition'
  );
}

/** An approval's message: its input's, else the element's name, else its id in words. */
function withApprovalMessage(data: TaskData, el: ModdleElement): TaskData {
  const input = (
    data.input && typeof data.input === 'object' && !Array.isArray(data.input) ? data.input : {}
  ) as Record<string, unknown>;
  if (input.message !== undefined) return data;
  const name = typeof el.name === 'string' ? el.name.trim() : '';
  return { ...data, input: { message: name || readable(el.id!), ...input } };
}

const NO_LIST =
  'a multi-instance activity runs once per item of a list: give it one (camunda:collection, zeebe:loopCharacteristics inputCollection, or a loopCardinality)';

/**
 * A multi-instance activity that only says how many times it runs (`loopCardinality`: a number or an expression): a
 * for-each over the indices 0..n-1, each in `loopCounter` (Camunda's name for it) and `item`. The cardinality is kept
 * in `meta.bpmn.cardinality` so that export writes it back as it was.
 */
function cardinalityEach(
  loop: ModdleElement,
  dialect: Dialect,
  element: string,
  bpmn: Record<string, unknown>,
): EachConfig | undefined {
  const body = typeof loop.loopCardinality?.body === 'string' ? loop.loopCardinality.body.trim() : '';
  if (!body) return undefined;
  const n = /^\d+$/.test(body)
    ? body
    : dialect.readCondition({ body, language: loop.loopCardinality?.language as string | undefined }, element);
  bpmn.cardinality = body;
  return {
    items: /^\d+$/.test(body)
      ? Array.from({ length: Math.min(Number(body), MAX_ITEMS + 1) }, (_, i) => i)
      : `=if (${n}) > 0 then for i in 1..(${n}) return i - 1 else []`,
    index: 'loopCounter',
    ...(loop.isSequential === true ? {} : { concurrency: MAX_CONCURRENCY }),
  };
}

/**
 * The for-each with the multi-instance's `completionCondition` as its `until` (`=FEEL`), read as the dialect reads a
 * flow's condition (Camunda 7 `${...}` JUEL, Zeebe `=FEEL`, gravity FEEL): once it holds no further instance starts
 * and those still running are cancelled, as in Camunda. The element is what the file says: a for-each whose
 * multi-instance has no completionCondition has no `until`, whatever gravity's own meta kept.
 */
function withCompletion(each: EachConfig, loop: ModdleElement, dialect: Dialect, element: string): EachConfig {
  const { until: _kept, ...rest } = each;
  const cond = loop.completionCondition as ModdleElement | undefined;
  if (!cond) return rest;
  const body = typeof cond.body === 'string' ? cond.body : '';
  return {
    ...rest,
    until: `=${dialect.readCondition({ body, language: cond.language as string | undefined }, element)}`,
  };
}

const LABEL_KIND: Record<string, LabelKind> = {
  'bpmn:ServiceTask': 'task',
  'bpmn:CallActivity': 'task',
  'bpmn:SubProcess': 'scope',
  'bpmn:ExclusiveGateway': 'decision',
  'bpmn:IntermediateCatchEvent': 'wait',
  'bpmn:IntermediateThrowEvent': 'wait',
  'bpmn:EndEvent': 'end',
};

/** The name an export gives `el` when its state has no title (see bpmn/labels.ts), or undefined. */
function generatedName(el: ModdleElement): string | undefined {
  const kind = TASKLIKE.has(el.$type) ? 'task' : LABEL_KIND[el.$type];
  if (!kind) return undefined;
  const def = ((el.eventDefinitions ?? []) as ModdleElement[])[0];
  const fail =
    kind === 'end' && def?.$type === 'bpmn:ErrorEventDefinition' ? { message: errorMessage(def, el) } : undefined;
  return generatedLabel(kind, el.id!, fail ? { meta: { fail } } : undefined);
}

/** The message of the error an error end event throws. */
const errorMessage = (def: ModdleElement, el: ModdleElement): string =>
  def.errorRef?.name ?? def.errorRef?.errorCode ?? `error end event ${el.id}`;

// States in the order their elements appear in the file (finals gravity adds go last), so re-export keeps it.
function inDocumentOrder(states: Record<string, StateConfig>, order: Map<string, number>): Record<string, StateConfig> {
  const pos = (k: string, s: StateConfig) =>
    order.get((s.meta?.bpmn as { id?: string } | undefined)?.id ?? k) ?? Number.MAX_SAFE_INTEGER;
  return Object.fromEntries(Object.entries(states).sort(([a, x], [b, y]) => pos(a, x) - pos(b, y)));
}
