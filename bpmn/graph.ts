// Definition -> flow graph: the BPMN elements (nodes, flows, boundary events) a definition stands for, dialect-free.
import {
  CANCEL_EVENT,
  DefinitionError,
  isExpression,
  StateKind,
  stateKind,
  targetOf,
  type Definition,
  type StateConfig,
  type Target,
} from '../engine/index.js';
import { readable } from './labels.js';
import { taskElementOf } from './dialects/wait-tasks.js';

/** A BPMN flow node to create. */
export interface GraphNode {
  id: string;
  type:
    | 'bpmn:StartEvent'
    | 'bpmn:ServiceTask'
    | 'bpmn:UserTask'
    | 'bpmn:ReceiveTask'
    | 'bpmn:SendTask'
    | 'bpmn:CallActivity'
    | 'bpmn:ExclusiveGateway'
    | 'bpmn:ParallelGateway'
    | 'bpmn:IntermediateCatchEvent'
    | 'bpmn:IntermediateThrowEvent'
    | 'bpmn:EndEvent'
    | 'bpmn:SubProcess'
    | 'bpmn:BoundaryEvent';
  key?: string;
  state?: StateConfig;
  /** Boundary events: the activity they sit on, and what they catch. */
  attachedTo?: string;
  catches?: 'error' | 'timer' | 'signal' | 'message';
  /** Boundary events: false for one that lets its activity go on (a reminder: a non-interrupting timer). */
  interrupting?: boolean;
  /** Reminders: how many times the timer fires (0: as long as the activity runs), written as a timeCycle unless 1. */
  times?: number;
  /** Signal boundaries: the signal's name (the event the state handles, e.g. the run's cancel). */
  signal?: string;
  /** Message boundaries: the message's name, and its correlation key (`meta.messageKeys` of the step), if any. */
  message?: string;
  messageKey?: unknown;
  /** Timers: the delay key of the definition. */
  delay?: string;
  /** Sub-processes: their own nodes and flows. */
  children?: Graph;
  /** Gateways: id of the default flow. */
  defaultFlow?: string;
  /** The name of an element made up by the export (a scope around steps that share one error path). */
  name?: string;
}

/** What an imported file's scope around steps sharing one error path was made of (kept on its first step). */
export interface KeptScope {
  id?: string;
  start?: string;
  end?: string;
  error?: string;
  /** How many steps it held. */
  steps?: number;
}

/** The prefix of a message event a step handles (`on: { 'message:<name>': target }`): a message boundary. */
export const MESSAGE_EVENT = 'message:';

/** The name of a scope around the steps `first` to `last` (titles, else ids in words). */
export const scopeName = (first: string, last: string) => `${first} … ${last}`;

/** Options of {@link definitionToGraph}. */
export interface GraphOptions {
  /**
   * Make every join explicit: a step, an event or a forking gateway that several flows enter is entered through an
   * exclusive merge gateway of its own (bpmnlint's fake-join and no-gateway-join-fork). Off when the definition keeps
   * the diagram of the file it came from (that file's merges, kept by id, are written again in any case).
   */
  explicitJoins?: boolean;
}

/** A sequence flow to create. */
export interface GraphFlow {
  id: string;
  source: string;
  target: string;
  /** FEEL guard. */
  condition?: string;
  /** What the condition means, in words (the branch's description). */
  description?: string;
}

/** A flow before its id is chosen (ids are chosen once the level is complete: a merge may still redirect it). */
interface PendingFlow extends Omit<GraphFlow, 'id'> {
  /** The state the flow belongs to (named in errors). */
  key: string;
  /** What the flow's id is made of: its source (a boundary's host), its kind (`error>`...), its target. */
  from: string;
  kind: string;
  /** The flow a gateway takes when no condition holds. */
  isDefault?: boolean;
}

/** One container level (process or sub-process). */
export interface Graph {
  nodes: GraphNode[];
  flows: GraphFlow[];
}

type FlowIds = Record<string, string>;

/** Builds the graph of a definition. Flow ids come from `meta.bpmn.flows` when the definition was imported. */
export function definitionToGraph(def: Definition, options: GraphOptions = {}): Graph {
  const flowIds: FlowIds = (def.meta?.bpmn as { flows?: FlowIds } | undefined)?.flows ?? {};
  const ids = new Set<string>();
  const bpmnId = (s: StateConfig | undefined, key: string) => (s?.meta?.bpmn as { id?: string } | undefined)?.id ?? key;
  // the ids of the states are given (a state's key, or the id its BPMN had): the ids made up for the elements around
  // them (boundaries, joins, starts, flows) step aside from them, so no two elements ever share an id (a step named
  // `<task>_error` beside the error boundary of <task> once made the export fail)
  const given = new Set(Object.entries(allStates(def.machine.states)).map(([k, s]) => bpmnId(s, k)));
  /** Takes an id that must be exactly this one: a state's, or one an imported file had (kept for round trips). */
  const claim = (id: string, element: string) => {
    if (ids.has(id))
      throw new DefinitionError(
        `cannot export: two elements would have the id <${id}> (state <${element}>); state keys must be unique across levels`,
        { element },
      );
    ids.add(id);
    return id;
  };
  /** Takes `preferred`, or `preferred_2`, `_3`... when a state or another element has it. */
  const fresh = (preferred: string) => {
    let id = preferred;
    for (let n = 2; ids.has(id) || given.has(id); n++) id = `${preferred}_${n}`;
    ids.add(id);
    return id;
  };
  /** The id an imported file gave the element (`kept`), or a fresh one made from `preferred`. */
  const own = (kept: string | undefined, preferred: string, element: string) =>
    kept !== undefined ? claim(kept, element) : fresh(preferred);
  const flowId = (key: string, source: string, target: string, kind = '') => {
    const k = `${source}>${kind}${target}`;
    return own(flowIds[k], `Flow_${source}_${kind.replace(/>$/, '_')}${target}`, key);
  };
  // a parallel gateway with several incoming flows joins them (it waits for a token on each): a parallel split that
  // several transitions lead to is entered through an exclusive merge instead, or it would wait forever
  const entries = new Map<string, string>();
  const refs = references(def);
  for (const [key, s] of Object.entries(allStates(def.machine.states))) {
    if (s.type === 'parallel' && (refs.get(key) ?? 0) > 1)
      entries.set(key, own((s.meta?.bpmn as { entry?: string } | undefined)?.entry, `${bpmnId(s, key)}_in`, key));
  }

  /**
   * The chains of consecutive steps of `states` that share one error path: each step's only way in is the previous
   * one's onDone, all go to the same place on error (not inside the chain), none has a timer. Two steps at least.
   * Only in diagrams gravity draws, or as the file they came from had them (the kept scope says how many steps).
   */
  const errorChains = (states: Record<string, StateConfig>, finals?: Set<string>): string[][] => {
    const key = (t: Target | undefined) => {
      const k = targetOf(t);
      return k?.startsWith('#') ? k.split('.').pop() : k;
    };
    const candidate = (k: string | undefined): k is string => {
      const s = k === undefined ? undefined : states[k];
      if (!s || finals?.has(k!) || s.onError === undefined || s.after) return false;
      const kind = stateKind(s);
      return kind === StateKind.Task || kind === StateKind.Call;
    };
    const follows = (a: string, b: string | undefined): b is string =>
      candidate(b) && b !== a && key(states[b].onError) === key(states[a].onError) && (refs.get(b) ?? 0) === 1;
    // a step that follows another in a chain is no head (one pass: 10 000 steps must not take 10^8 comparisons)
    const followed = new Set<string>();
    for (const p of Object.keys(states)) {
      const n = candidate(p) ? key(states[p].onDone) : undefined;
      if (n !== undefined && follows(p, n)) followed.add(n);
    }
    const heads = Object.keys(states).filter((k) => candidate(k) && !followed.has(k));
    const chains: string[][] = [];
    const taken = new Set<string>();
    for (const h of heads) {
      let at: string | undefined = h;
      while (candidate(at) && !taken.has(at)) {
        const kept = keptScope(states[at]);
        const chain: string[] = [at];
        let n = key(states[at].onDone);
        // a step that starts a scope of its own (in the file it came from) is not taken into this one
        const room = (next: string) =>
          kept.steps !== undefined ? chain.length < kept.steps : keptScope(states[next]).steps === undefined;
        while (follows(chain[chain.length - 1], n) && !taken.has(n) && !chain.includes(n) && room(n)) {
          chain.push(n);
          n = key(states[n].onDone);
        }
        const error = key(states[at].onError);
        const drawn = kept.steps === undefined ? options.explicitJoins === true : kept.steps === chain.length;
        if (chain.length >= 2 && drawn && !chain.includes(error!)) {
          chains.push(chain);
          for (const k of chain) taken.add(k);
          at = follows(chain[chain.length - 1], n) ? n : undefined;
        } else {
          taken.add(at);
          const next = key(states[at].onDone);
          at = follows(at, next) ? next : undefined;
        }
      }
    }
    return chains;
  };

  const level = (
    states: Record<string, StateConfig>,
    initial: string,
    start: { kept?: string; preferred: string },
    exit?: { finals: Set<string>; join: string },
  ): Graph => {
    const g: Graph = { nodes: [], flows: [] };
    const pending: PendingFlow[] = [];
    /** A flow of this level from `source` (a boundary's flow is keyed by its host, `from`) to `target`. */
    const link = (key: string, from: string, source: string, target: string, kind = ''): PendingFlow => {
      const f: PendingFlow = { key, from, kind, source, target };
      pending.push(f);
      return f;
    };
    const idOf = new Map<string, string>();
    for (const [k, s] of Object.entries(states)) idOf.set(k, bpmnId(s, k));
    const resolve = (t: Target | undefined, element: string): string => {
      let key = targetOf(t);
      if (key === undefined) throw new DefinitionError(`cannot export <${element}>: missing target`, { element });
      if (key.startsWith('#')) key = key.split('.').pop()!;
      if (exit?.finals.has(key)) return exit.join;
      return entries.get(key) ?? scopeFor.get(key) ?? idOf.get(key) ?? key;
    };
    /** The scope each chain of steps sharing one error path is drawn in, by its first step. */
    const scopeFor = new Map<string, string>();
    // the scopes of this level (its parallel branches included) are known before any flow is drawn to them
    const chainsOf = new Map<Record<string, StateConfig>, string[][]>();
    const prepare = (states: Record<string, StateConfig>, finals?: Set<string>) => {
      const chains = errorChains(states, finals);
      chainsOf.set(states, chains);
      for (const c of chains)
        scopeFor.set(c[0], own(keptScope(states[c[0]]).id, `${bpmnId(states[c[0]], c[0])}_scope`, c[0]));
      for (const s of Object.values(states))
        if (stateKind(s) === StateKind.Parallel)
          for (const region of Object.values(s.states ?? {})) {
            const ends = Object.entries(region.states ?? {}).filter(([, r]) => stateKind(r) === StateKind.End);
            prepare(region.states ?? {}, new Set(ends.map(([k]) => k)));
          }
    };
    prepare(states, exit?.finals);
    const startId = own(start.kept, start.preferred, 'start');
    g.nodes.push({ id: startId, type: 'bpmn:StartEvent' });
    link('start', startId, startId, resolve(initial, 'start'));
    const walk = (states: Record<string, StateConfig>, exit2: typeof exit) => {
      const chains = chainsOf.get(states) ?? [];
      const inChain = new Set(chains.flatMap((c) => c.slice(1)));
      for (const [key, s] of Object.entries(states)) {
        const id = idOf.get(key) ?? bpmnId(s, key);
        if (exit2?.finals.has(key) || inChain.has(key)) continue;
        const chain = chains.find((c) => c[0] === key);
        if (chain) {
          scope(states, chain);
          continue;
        }
        const meta = (s.meta?.bpmn ?? {}) as {
          errorBoundary?: string;
          timerBoundary?: string;
          cancelBoundary?: string;
          join?: string;
          start?: string;
        };
        const kind = stateKind(s);
        if (kind === StateKind.Task || kind === StateKind.Call) {
          g.nodes.push({
            id: claim(id, key),
            type: kind === StateKind.Call ? 'bpmn:CallActivity' : taskElementOf(s.invoke?.src),
            key,
            state: s,
          });
          const next = resolve(s.onDone, key);
          link(key, id, id, next);
          if (s.onError !== undefined) {
            const b = own(meta.errorBoundary, `${id}_error`, key);
            const t = resolve(s.onError, key);
            g.nodes.push({ id: b, type: 'bpmn:BoundaryEvent', attachedTo: id, catches: 'error', key });
            link(key, id, b, t, 'error>');
          }
          const timers = Object.entries(s.after ?? {});
          if (timers.length > 1)
            throw new DefinitionError(`cannot export <${key}>: one timer per task at most`, { element: key });
          for (const [delay, t] of timers) {
            const b = own(meta.timerBoundary, `${id}_timer`, key);
            const target = resolve(t, key);
            g.nodes.push({ id: b, type: 'bpmn:BoundaryEvent', attachedTo: id, catches: 'timer', delay, key });
            link(key, id, b, target, 'timer>');
          }
          // a reminder: a non-interrupting timer whose path, drawn beside the step, ends in end events of its own
          for (const r of s.meta?.reminders ?? []) {
            const b = claim((r.meta?.id as string | undefined) ?? r.id, key);
            const title = r.meta?.title as string | undefined;
            g.nodes.push({
              id: b,
              type: 'bpmn:BoundaryEvent',
              attachedTo: id,
              catches: 'timer',
              interrupting: false,
              times: r.times ?? 1,
              delay: String(r.after),
              key,
              ...(title ? { name: title } : {}),
            });
            for (const [k, rs] of Object.entries(r.states)) idOf.set(k, bpmnId(rs, k));
            link(key, b, b, resolve(r.initial, key));
            walk(r.states, undefined);
          }
          // a message that interrupts the step: an interrupting message boundary, named after the message
          const kept = (meta as { messageBoundaries?: Record<string, string> }).messageBoundaries ?? {};
          for (const [event, t] of Object.entries(s.on ?? {})) {
            if (!event.startsWith(MESSAGE_EVENT))
              throw new DefinitionError(`cannot export <${key}>: a step handles only message events (not ${event})`, {
                element: key,
              });
            const name = event.slice(MESSAGE_EVENT.length);
            const b = own(kept[name], `${id}_${name.replace(/[^A-Za-z0-9_-]/g, '_')}`, key);
            const messageKey = s.meta?.messageKeys?.[name];
            g.nodes.push({
              id: b,
              type: 'bpmn:BoundaryEvent',
              attachedTo: id,
              catches: 'message',
              message: name,
              ...(messageKey !== undefined ? { messageKey } : {}),
              name,
              key,
            });
            link(key, b, b, resolve(t, key));
          }
        } else if (kind === StateKind.Decision && s.always) {
          // a milestone (a none throw event of an imported file) is one unguarded flow on: drawn as it was
          const milestone = (s.meta?.bpmn as { milestone?: boolean } | undefined)?.milestone === true;
          const type =
            milestone && s.always.length === 1 && !s.always[0].guard
              ? 'bpmn:IntermediateThrowEvent'
              : 'bpmn:ExclusiveGateway';
          const node: GraphNode = { id: claim(id, key), type, key, state: s };
          g.nodes.push(node);
          for (const b of s.always) {
            const t = resolve(b.target, key);
            const f = link(key, id, id, t);
            if (b.guard) f.condition = b.guard.params.expr;
            if (b.description) f.description = b.description;
            if (!b.guard && s.always.length > 1) f.isDefault = true;
          }
        } else if (kind === StateKind.Parallel) {
          const join = own(meta.join, `${id}_join`, key);
          g.nodes.push(
            { id: claim(id, key), type: 'bpmn:ParallelGateway', key, state: s },
            { id: join, type: 'bpmn:ParallelGateway', key },
          );
          const entry = entries.get(key);
          if (entry) {
            g.nodes.push({ id: entry, type: 'bpmn:ExclusiveGateway', key });
            link(key, entry, entry, id);
          }
          const merges = (meta as { merges?: Record<string, string> }).merges ?? {};
          for (const [regionKey, region] of Object.entries(s.states ?? {})) {
            // the branch's plain ends meet at the join; a failing or attention end stays an end event of its own
            const finals = new Set(
              Object.entries(region.states ?? {})
                .filter(([, r]) => stateKind(r) === StateKind.End)
                .map(([k]) => k),
            );
            const regionIds = new Map(Object.entries(region.states ?? {}).map(([k, r]) => [k, bpmnId(r, k)]));
            for (const [k, v] of regionIds) idOf.set(k, v);
            // a parallel join waits for a token on every incoming flow: a branch that reaches its end by more than one
            // path (a decision, a timeout) goes through an exclusive merge first, or the join would wait forever
            const merge = endings(region, finals) > 1 ? own(merges[regionKey], `${regionKey}_merge`, key) : undefined;
            const end = merge ?? join;
            const first = finals.has(region.initial!)
              ? end
              : (scopeFor.get(region.initial!) ?? regionIds.get(region.initial!)!);
            link(key, id, id, first);
            const outer = exit;
            exit = { finals, join: end };
            walk(region.states ?? {}, exit);
            exit = outer;
            if (merge) {
              g.nodes.push({ id: merge, type: 'bpmn:ExclusiveGateway', key });
              link(key, merge, merge, join);
            }
          }
          const next = resolve(s.onDone, key);
          link(key, join, join, next);
        } else if (kind === StateKind.Compound && s.states) {
          const inner = level(s.states, s.initial!, { kept: meta.start, preferred: `${id}_start` });
          g.nodes.push({ id: claim(id, key), type: 'bpmn:SubProcess', key, state: s, children: inner });
          if (s.onDone !== undefined) {
            const next = resolve(s.onDone, key);
            link(key, id, id, next);
          }
          // a failure inside that no inner state handles: an error boundary on the sub-process
          if (s.onError !== undefined) {
            const b = own(meta.errorBoundary, `${id}_error`, key);
            const t = resolve(s.onError, key);
            g.nodes.push({ id: b, type: 'bpmn:BoundaryEvent', attachedTo: id, catches: 'error', key });
            link(key, id, b, t, 'error>');
          }
          // the run's cancel inside it (a cleanup): an interrupting signal boundary named after the event
          for (const [event, t] of Object.entries(s.on ?? {})) {
            if (event !== CANCEL_EVENT)
              throw new DefinitionError(
                `cannot export <${key}>: a sub-process handles only ${CANCEL_EVENT} (not ${event})`,
                { element: key },
              );
            const b = own(meta.cancelBoundary, `${id}_cancel`, key);
            const target = resolve(t, key);
            g.nodes.push({ id: b, type: 'bpmn:BoundaryEvent', attachedTo: id, catches: 'signal', signal: event, key });
            link(key, id, b, target, 'cancel>');
          }
        } else if (kind === StateKind.Wait && s.after) {
          const timers = Object.entries(s.after);
          if (timers.length !== 1)
            throw new DefinitionError(`cannot export <${key}>: a wait state has exactly one timer`, { element: key });
          const [delay, t] = timers[0];
          g.nodes.push({ id: claim(id, key), type: 'bpmn:IntermediateCatchEvent', key, state: s, delay });
          const next = resolve(t, key);
          link(key, id, id, next);
        } else if (kind === StateKind.End || kind === StateKind.Fail || kind === StateKind.Attention) {
          g.nodes.push({ id: claim(id, key), type: 'bpmn:EndEvent', key, state: s });
        } else if (kind === StateKind.Event && s.on) {
          throw new DefinitionError(
            `cannot export <${key}>: states waiting for events (on: ${Object.keys(s.on).join(', ')}) have no BPMN mapping yet`,
            { element: key },
          );
        }
      }
    };
    /**
     * Steps that share one error path, drawn as one scope: a sub-process holding them in sequence, with one error
     * boundary, instead of a boundary on each (the import flattens it back into the same steps).
     */
    const scope = (states: Record<string, StateConfig>, chain: string[]) => {
      const head = chain[0];
      const last = chain[chain.length - 1];
      const kept = keptScope(states[head]);
      const scopeId = scopeFor.get(head)!;
      const startId = own(kept.start, `${scopeId}_start`, head);
      const inner: Graph = { nodes: [{ id: startId, type: 'bpmn:StartEvent' }], flows: [] };
      let prev = startId;
      for (const k of chain) {
        const s = states[k];
        const id = claim(idOf.get(k) ?? bpmnId(s, k), k);
        const type = stateKind(s) === StateKind.Call ? 'bpmn:CallActivity' : taskElementOf(s.invoke?.src);
        inner.nodes.push({ id, type, key: k, state: s });
        inner.flows.push({ id: flowId(k, prev, id), source: prev, target: id });
        prev = id;
      }
      const endId = own(kept.end, `${scopeId}_end`, last);
      inner.nodes.push({ id: endId, type: 'bpmn:EndEvent', name: 'End' });
      inner.flows.push({ id: flowId(last, prev, endId), source: prev, target: endId });
      const label = (k: string) => states[k].meta?.title ?? readable(idOf.get(k) ?? k);
      g.nodes.push({
        id: scopeId,
        type: 'bpmn:SubProcess',
        key: head,
        children: inner,
        name: scopeName(label(head), label(last)),
      });
      link(head, scopeId, scopeId, resolve(states[last].onDone, last));
      const b = own(kept.error, `${scopeId}_error`, head);
      g.nodes.push({ id: b, type: 'bpmn:BoundaryEvent', attachedTo: scopeId, catches: 'error', key: head });
      link(head, scopeId, b, resolve(states[head].onError, head), 'error>');
    };
    walk(states, exit);
    joinExplicitly(g, pending);
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    // ids last, in the order the flows were made: a merge may have redirected a flow
    for (const f of pending) {
      const { key, from, kind, isDefault, ...flow } = f;
      const id = flowId(key, from, flow.target, kind);
      g.flows.push({ id, ...flow });
      if (isDefault) byId.get(flow.source)!.defaultFlow = id;
    }
    return g;
  };
  /**
   * Gives each node that several flows enter an exclusive merge gateway of its own (when joins are explicit, or when the
   * file it came from had one: its id is kept), except the gateways that only join (a parallel join, an exclusive merge).
   */
  const joinExplicitly = (g: Graph, flows: PendingFlow[]) => {
    const into = new Map<string, PendingFlow[]>();
    for (const f of flows) into.set(f.target, [...(into.get(f.target) ?? []), f]);
    const outs = new Map<string, number>();
    for (const f of flows) outs.set(f.source, (outs.get(f.source) ?? 0) + 1);
    for (const n of [...g.nodes]) {
      const ins = into.get(n.id) ?? [];
      if (ins.length < 2 || n.type === 'bpmn:BoundaryEvent' || n.type === 'bpmn:ParallelGateway') continue;
      if (n.type === 'bpmn:ExclusiveGateway' && (outs.get(n.id) ?? 0) <= 1) continue;
      const kept = (n.state?.meta?.bpmn as { merge?: string } | undefined)?.merge;
      if (!options.explicitJoins && kept === undefined) continue;
      const key = n.key ?? n.id;
      const merge = own(kept, `${n.id}_merge`, key);
      g.nodes.push({ id: merge, type: 'bpmn:ExclusiveGateway', key });
      for (const f of ins) f.target = merge;
      flows.push({ key, from: merge, kind: '', source: merge, target: n.id });
    }
  };
  const rootStart = (def.meta?.bpmn as { start?: string } | undefined)?.start;
  return level(def.machine.states, def.machine.initial, { kept: rootStart, preferred: 'StartEvent_1' });
}

/** The scope an imported file drew around `s` and the steps after it, if any. */
const keptScope = (s: StateConfig | undefined): KeptScope =>
  ((s?.meta?.bpmn as { scope?: KeptScope } | undefined)?.scope ?? {}) as KeptScope;

/** Every state of a definition by key, at every level (keys are unique across levels). */
function allStates(
  states: Record<string, StateConfig>,
  out: Record<string, StateConfig> = {},
): Record<string, StateConfig> {
  for (const [k, s] of Object.entries(states)) {
    out[k] = s;
    if (s.states) allStates(s.states, out);
    for (const r of s.meta?.reminders ?? []) allStates(r.states, out);
  }
  return out;
}

/** How many transitions (initial ones included) lead to each state key of a definition. */
function references(def: Definition): Map<string, number> {
  const n = new Map<string, number>();
  const count = (t: Target | undefined) => {
    let key = targetOf(t);
    if (key === undefined) return;
    if (key.startsWith('#')) key = key.split('.').pop()!;
    n.set(key, (n.get(key) ?? 0) + 1);
  };
  count(def.machine.initial);
  for (const s of Object.values(allStates(def.machine.states))) {
    // a container's initial state (a region's, a sub-process's) is entered once, from its start
    count(s.initial);
    for (const r of s.meta?.reminders ?? []) count(r.initial);
    for (const t of [
      s.onDone,
      s.onError,
      ...(s.always ?? []).map((b) => b.target),
      ...Object.values(s.after ?? {}),
      ...Object.values(s.on ?? {}),
    ])
      count(t);
  }
  return n;
}

/** How many transitions of a parallel region (its initial one included) lead to one of its `finals`. */
function endings(region: StateConfig, finals: Set<string>): number {
  const isEnd = (t: Target | undefined) => {
    const key = targetOf(t);
    return key !== undefined && finals.has(key.startsWith('#') ? key.split('.').pop()! : key);
  };
  let n = isEnd(region.initial) ? 1 : 0;
  for (const [k, s] of Object.entries(region.states ?? {})) {
    if (finals.has(k)) continue;
    const targets: Array<Target | undefined> = [
      s.onDone,
      s.onError,
      ...(s.always ?? []).map((b) => b.target),
      ...Object.values(s.after ?? {}),
    ];
    n += targets.filter(isEnd).length;
  }
  return n;
}

/** True for delay keys that are plain numbers of milliseconds. */
export const isMsDelay = (d: string) => /^\d+(\.\d+)?$/.test(d) && !isExpression(d);
