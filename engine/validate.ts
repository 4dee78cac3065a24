// Static checks of a definition before it compiles: every problem found, each naming its element id.
import { eachProblems } from './each.js';
import type { Definition, ReminderConfig, StateConfig, Target } from './definition.js';
import { CANCEL_EVENT, calleeOf, reminderBody, stateKind, StateKind, targetOf } from './definition.js';
import { unknownChoicesMessage, type TaskRegistry } from './registry.js';
import { DefinitionError, closest, shortExpression } from './errors.js';
import { knownInputIssues, unknownKeys } from './schema-keys.js';
import { checkExpression, expressionSource, expressionsIn, isExpression } from './expressions.js';
import { parseDelay } from './duration.js';
import { LIMITS, limitOf } from './limits.js';
import { isWaitTask } from './wait-tasks.js';
import { messageNameProblem, messageOfEvent } from './message-boundaries.js';

/** One problem of a definition. */
export interface Problem {
  element: string;
  message: string;
}

/** Options: how to find called workflows. */
export interface ValidateOptions {
  resolveWorkflow?: (id: string) => Definition | undefined;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const PARAM_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'json']);

/** The keys each part of a definition may hold (definition files are strict: a misspelt key is an error, not ignored). */
const STATE_KEYS = [
  'type',
  'initial',
  'states',
  'invoke',
  'onDone',
  'onError',
  'always',
  'after',
  'on',
  'output',
  'description',
  'meta',
] as const;

const KNOWN = {
  definition: ['id', 'version', 'title', 'description', 'params', 'root', 'machine', 'meta'],
  param: ['type', 'description', 'default', 'required', 'enum', 'pattern', 'path', 'choices'],
  state: STATE_KEYS,
  // the machine is a state that may also carry xstate's id
  machine: ['id', ...STATE_KEYS],
  invoke: ['src', 'input', 'id'],
  meta: [
    'title',
    'documentation',
    'retry',
    'timeoutMs',
    'outputs',
    'mergeOutput',
    'fail',
    'attention',
    'each',
    'reminders',
    'messageKeys',
    'bpmn',
  ],
  reminder: ['id', 'after', 'times', 'initial', 'states', 'meta'],
  each: ['items', 'as', 'index', 'concurrency', 'onFailure', 'until'],
  retry: ['max', 'backoffMs', 'factor', 'maxBackoffMs'],
  branch: ['target', 'guard', 'description'],
  target: ['target', 'meta'],
} as const;

/** Each key of `value` (when it is an object) that `known` does not hold, as a problem naming the closest known key. */
function unknownKeyProblems(element: string, what: string, value: unknown, known: readonly string[]): Problem[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.keys(value)
    .filter((k) => !known.includes(k))
    .map((k) => {
      const near = closest(k, [...known]);
      return {
        element,
        message: `unknown key "${k}" in ${what}${near.length ? `; did you mean "${near[0]}"?` : ` (known: ${known.join(', ')})`}`,
      };
    });
}

/** Lists every problem of `def`; an empty list means it compiles. */
export function checkDefinition(def: Definition, registry: TaskRegistry, options: ValidateOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const add = (element: string, message: string) => problems.push({ element, message });
  if (!def || typeof def !== 'object') return [{ element: 'definition', message: 'expected an object' }];
  problems.push(...unknownKeyProblems('definition', 'the definition', def, KNOWN.definition));
  problems.push(...unknownKeyProblems('machine', 'the machine', def.machine, KNOWN.machine));
  if (typeof def.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*(:[A-Za-z0-9][A-Za-z0-9_.-]*)*$/.test(def.id))
    add('definition', `bad workflow id ${JSON.stringify(def.id)}: expected family:verb`);
  for (const [name, spec] of Object.entries(def.params ?? {})) {
    if (!KEY.test(name)) add(`param ${name}`, 'param names are letters, digits, _ and -');
    problems.push(...unknownKeyProblems(`param ${name}`, `param "${name}"`, spec, KNOWN.param));
    if (!spec || !PARAM_TYPES.has(spec.type))
      add(
        `param ${name}`,
        `unknown type ${JSON.stringify(spec?.type)}; expected one of ${[...PARAM_TYPES].join(', ')}`,
      );
    if (spec?.path !== undefined && (typeof spec.path !== 'boolean' || (spec.path && spec.type !== 'string')))
      add(`param ${name}`, `path must be true or false, on a string param; got ${JSON.stringify(spec.path)}`);
    if (spec?.choices !== undefined) {
      if (typeof spec.choices !== 'string' || !spec.choices)
        add(`param ${name}`, `choices must be the id of a choice list, got ${JSON.stringify(spec.choices)}`);
      // a registry given no choice lists (a test's, the BPMN conformance one) cannot tell a misspelt id from a real one
      else if (registry.knowsChoices && !registry.hasChoices(spec.choices))
        add(`param ${name}`, `param "${name}": ${unknownChoicesMessage(spec.choices, registry.listChoices())}`);
    }
  }
  const rollback = (def.meta as { rollbackOnFailure?: unknown } | undefined)?.rollbackOnFailure;
  if (rollback !== undefined && typeof rollback !== 'boolean')
    add('definition', `meta.rollbackOnFailure must be true or false, got ${JSON.stringify(rollback)}`);
  if (def.root !== undefined) {
    if (typeof def.root !== 'string' || def.root.trim() === '' || def.root.trim() === '=')
      add(
        'definition',
        `root must be a non-empty string (a folder path, or =FEEL over the params), got ${JSON.stringify(def.root)}`,
      );
    else if (isExpression(def.root)) {
      const err = checkExpression(expressionSource(def.root));
      if (err)
        add(
          'definition',
          `bad expression in root: ${err} (expression: ${shortExpression(expressionSource(def.root))})`,
        );
    }
  }
  if (!def.machine || typeof def.machine !== 'object' || !def.machine.states)
    return [...problems, { element: 'machine', message: 'missing machine.states' }];
  // before anything walks the states recursively: a definition nested 10,000 deep is refused, not a stack overflow
  const tooDeep = nestingProblems(def);
  if (tooDeep.length) return [...problems, ...tooDeep];

  const ids = new Set<string>();
  const stepIds = new Set<string>();
  const collect = (states: Record<string, StateConfig>, path: string) => {
    for (const [k, s] of Object.entries(states)) {
      ids.add(`${path}.${k}`);
      if (s.states) collect(s.states, `${path}.${k}`);
    }
  };
  collect(def.machine.states, 'root');
  // every state key of the workflow, its reminders' side paths included (one BPMN process draws them all: ids are unique)
  const allKeys = new Map<string, number>();
  const countKeys = (states: Record<string, StateConfig> | undefined) => {
    for (const [k, s] of Object.entries(states ?? {})) {
      allKeys.set(k, (allKeys.get(k) ?? 0) + 1);
      countKeys(s?.states);
      for (const r of Array.isArray(s?.meta?.reminders) ? s.meta.reminders : []) {
        if (r && typeof r.id === 'string') allKeys.set(r.id, (allKeys.get(r.id) ?? 0) + 1);
        countKeys(r?.states);
      }
    }
  };
  countKeys(def.machine.states);

  const checkTarget = (element: string, siblings: Record<string, StateConfig>, t: Target | undefined, what: string) => {
    const target = targetOf(t);
    if (target === undefined) return;
    if (target.startsWith('#')) {
      if (!ids.has(target.slice(1))) add(element, `${what} target "${target}" does not exist`);
    } else if (!(target in siblings)) {
      const near = closest(target, Object.keys(siblings));
      add(
        element,
        `${what} target "${target}" is not a sibling state${near.length ? ` (did you mean "${near[0]}"?)` : ''}`,
      );
    }
  };
  const checkExprs = (element: string, template: unknown, what: string) => {
    for (const e of expressionsIn(template, what)) {
      const err = checkExpression(e.source);
      if (err) add(element, `bad expression in ${e.path}: ${err} (expression: ${shortExpression(e.source)})`);
    }
  };

  const walk = (states: Record<string, StateConfig>, parallel = false) => {
    for (const [key, s] of Object.entries(states)) {
      if (!KEY.test(key)) add(key, 'state keys are letters, digits, _ and -');
      problems.push(
        ...unknownKeyProblems(key, 'the state', s, KNOWN.state),
        ...unknownKeyProblems(key, 'invoke', s.invoke, KNOWN.invoke),
        ...unknownKeyProblems(key, 'meta', s.meta, KNOWN.meta),
        ...unknownKeyProblems(key, 'meta.retry', s.meta?.retry, KNOWN.retry),
        ...(Array.isArray(s.always) ? s.always : []).flatMap((b, i) =>
          unknownKeyProblems(key, `always[${i}]`, b, KNOWN.branch),
        ),
        ...[
          ['onDone', s.onDone],
          ['onError', s.onError],
          ...Object.entries(s.after ?? {}).map(([d, t]) => [`after[${d}]`, t]),
          ...Object.entries(s.on ?? {}).map(([e, t]) => [`on.${e}`, t]),
        ].flatMap(([what, t]) => unknownKeyProblems(key, String(what), t, KNOWN.target)),
      );
      if (s.meta?.each !== undefined) {
        if (!s.invoke && !(s.states && s.type !== 'parallel'))
          add(key, 'meta.each (a for-each) belongs on a task or call state, or a compound state (its body)');
        if (s.states && s.on) add(key, 'a for-each over a sub-sequence cannot handle events (on)');
        problems.push(...unknownKeyProblems(key, 'meta.each', s.meta.each, KNOWN.each));
        for (const m of eachProblems(s.meta.each)) add(key, m);
        const until = (s.meta.each as { until?: unknown }).until;
        if (isExpression(until) && until.slice(1).trim()) checkExprs(key, until, 'meta.each.until');
      }
      if (s.meta?.reminders !== undefined)
        problems.push(...reminderProblems(def, key, s, registry, options, (k) => allKeys.get(k) ?? 0));
      (Array.isArray(s.always) ? s.always : []).forEach((b, i) => {
        if (b && typeof b === 'object' && b.description !== undefined && typeof b.description !== 'string')
          add(key, `always[${i}].description must be a string (what the branch means, in words)`);
      });
      if (s.type === 'final' && (s.invoke || s.always || s.after || s.states))
        add(key, 'a final state cannot invoke, decide, wait or nest');
      if (s.states) {
        if (s.type !== 'parallel') {
          if (!s.initial || !(s.initial in s.states))
            add(key, `initial state ${JSON.stringify(s.initial)} is not one of its states`);
        } else {
          for (const [rk, region] of Object.entries(s.states)) {
            if (!region.states || !Object.values(region.states).some((x) => x.type === 'final'))
              add(rk, 'a parallel region must end in a final state');
          }
          if (s.onDone === undefined) add(key, 'a parallel state needs onDone (where to go when every region is done)');
        }
        walk(s.states, parallel || s.type === 'parallel');
      }
      if (s.invoke) {
        const src = s.invoke.src;
        if (stepIds.has(key)) add(key, 'duplicate step id (state keys that invoke must be unique in a workflow)');
        stepIds.add(key);
        if (typeof src !== 'string') add(key, 'invoke.src must be a task id');
        else if (calleeOf(src) !== undefined) {
          const id = calleeOf(src)!;
          if (options.resolveWorkflow && !options.resolveWorkflow(id))
            add(key, `called workflow "${id}" is not in the catalog`);
        } else if (!registry.has(src)) {
          const near = closest(
            src,
            registry.list().map((t) => t.id),
          );
          add(
            key,
            `unknown task "${src}"${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : ''}`,
          );
        }
        checkExprs(key, s.invoke.input, 'input');
        if (typeof src === 'string' && calleeOf(src) === undefined && registry.has(src)) {
          const schema = registry.get(src).input;
          const unknown = unknownKeys(schema, s.invoke.input);
          for (const u of unknown)
            add(
              key,
              `unknown key "${u.key}" in the input${u.path.length ? ` at ${u.path.map(String).join('.')}` : ''} of ${src}${
                u.near ? `; did you mean "${u.near}"?` : ` (known: ${u.known.join(', ')})`
              }`,
            );
          // what the step would refuse when it runs, as far as the literals tell (`run` agrees with `validate`)
          if (!unknown.length)
            for (const issue of knownInputIssues(schema, s.invoke.input, isExpression))
              add(key, `input of ${src} is invalid: ${issue}`);
        }
        if (s.onDone === undefined) add(key, 'a task state needs onDone (where to go next)');
        checkTarget(key, states, s.onDone, 'onDone');
        checkTarget(key, states, s.onError, 'onError');
        for (const [name, expr] of Object.entries(s.meta?.outputs ?? {})) checkExprs(key, expr, `outputs.${name}`);
        const r = s.meta?.retry;
        if (r && (!Number.isInteger(r.max) || r.max < 1))
          add(key, `retry.max must be an integer >= 1, got ${JSON.stringify(r.max)}`);
      } else {
        if (s.onDone !== undefined) checkTarget(key, states, s.onDone, 'onDone');
        if (s.onError !== undefined) {
          if (stateKind(s) !== StateKind.Compound)
            add(key, 'onError belongs on a task or a compound state (states + initial)');
          checkTarget(key, states, s.onError, 'onError');
        }
      }
      if (s.on?.[CANCEL_EVENT] !== undefined) {
        if (stateKind(s) !== StateKind.Compound)
          add(key, `only a compound state (a cleanup) may handle ${CANCEL_EVENT}`);
        if (parallel)
          add(
            key,
            'a cleanup cannot sit inside a parallel branch: a cancel would leave the other branches running while it cleans up; put the parallel inside its body',
          );
      }
      problems.push(...messageBoundaryProblems(key, s));
      for (const [i, b] of (s.always ?? []).entries()) {
        checkTarget(key, states, b.target, `always[${i}]`);
        if (b.guard) {
          if (b.guard.type !== 'expr' || typeof b.guard.params?.expr !== 'string')
            add(key, `always[${i}].guard must be { type: "expr", params: { expr } }`);
          else checkExprs(key, `=${expressionSource(b.guard.params.expr)}`, `always[${i}].guard`);
        }
      }
      if (s.always && s.always.length && s.always[s.always.length - 1].guard)
        add(key, 'a decision needs a default branch (a last transition without guard)');
      for (const [delay, t] of Object.entries(s.after ?? {})) {
        if (isExpression(delay)) checkExprs(key, delay, `after`);
        else {
          try {
            parseDelay(delay, key);
          } catch (e) {
            add(key, (e as Error).message);
          }
        }
        checkTarget(key, states, t, `after[${delay}]`);
      }
      for (const [ev, t] of Object.entries(s.on ?? {})) checkTarget(key, states, t, `on.${ev}`);
      if (s.type === 'final' && s.output !== undefined) checkExprs(key, s.output, 'output');
      if (!s.type && stateKind(s) === StateKind.Empty)
        add(key, 'state does nothing: expected invoke, always, after, on, states or type "final"');
    }
  };
  if (!(def.machine.initial in def.machine.states))
    add('machine', `initial state ${JSON.stringify(def.machine.initial)} is not one of its states`);
  walk(def.machine.states);
  const cycle = eventlessCycle(def);
  if (cycle) problems.push(cycle);
  return problems;
}

/** The shortest time between two firings of a reminder that fires more than once. */
export const MIN_REPEAT_MS = 1000;

/**
 * The problems of the reminders of state `key`: each well formed (an id, a delay, a count), on a task or call, and its
 * side path a valid sub-sequence (checked as the workflow its child runs run), with keys unique in the whole workflow.
 */
function reminderProblems(
  def: Definition,
  key: string,
  s: StateConfig,
  registry: TaskRegistry,
  options: ValidateOptions,
  uses: (k: string) => number,
): Problem[] {
  const problems: Problem[] = [];
  const add = (message: string) => problems.push({ element: key, message });
  const list = s.meta!.reminders as unknown;
  if (!Array.isArray(list)) return [{ element: key, message: 'meta.reminders must be a list of reminders' }];
  if (!s.invoke) add('meta.reminders (timers that start side paths) belong on a task or call state');
  list.forEach((r: unknown, i) => {
    const at = `meta.reminders[${i}]`;
    if (!r || typeof r !== 'object' || Array.isArray(r)) return add(`${at} must be an object`);
    const rem = r as Record<string, unknown>;
    problems.push(...unknownKeyProblems(key, at, rem, KNOWN.reminder));
    const id = rem.id;
    if (typeof id !== 'string' || !KEY.test(id))
      return add(`${at}.id must be a step id (letters, digits, _ and -), got ${JSON.stringify(id)}`);
    if (uses(id) > 1) add(`reminder id "${id}" is used twice in the workflow (ids of states and reminders are unique)`);
    let ms: number | undefined;
    if (typeof rem.after === 'string' && isExpression(rem.after)) {
      const err = checkExpression(expressionSource(rem.after));
      if (err) add(`bad expression in reminder <${id}> after: ${err}`);
    } else {
      try {
        ms = parseDelay(rem.after, id);
      } catch (e) {
        add(`reminder <${id}>: ${(e as Error).message}`);
      }
    }
    const times = rem.times ?? 1;
    if (typeof times !== 'number' || !Number.isInteger(times) || times < 0)
      add(
        `reminder <${id}>: times must be an integer >= 0 (0: as long as the step runs), got ${JSON.stringify(times)}`,
      );
    else if (times !== 1 && ms !== undefined && ms < MIN_REPEAT_MS)
      add(
        `reminder <${id}> fires ${times === 0 ? 'repeatedly' : `${times} times`}: its delay must be at least ${MIN_REPEAT_MS} ms, got ${ms}`,
      );
    if (!rem.states || typeof rem.states !== 'object' || typeof rem.initial !== 'string')
      return add(`reminder <${id}> needs its side path: initial and states`);
    const states = rem.states as Record<string, StateConfig>;
    for (const k of Object.keys(states))
      if (uses(k) > 1)
        problems.push({
          element: k,
          message: `state key "${k}" of reminder <${id}> is used twice in the workflow (ids of states and reminders are unique)`,
        });
    const waits = (ss: Record<string, StateConfig>): string[] =>
      Object.entries(ss).flatMap(([k, x]) => [
        ...(typeof x?.invoke?.src === 'string' && isWaitTask(x.invoke.src) ? [k] : []),
        ...(x?.states ? waits(x.states) : []),
      ]);
    for (const k of waits(states))
      problems.push({
        element: k,
        message: `reminder <${id}> of <${key}> cannot wait for an approval or a message: its side path runs while its step goes on`,
      });
    const body = reminderBody(def.id, rem as unknown as ReminderConfig);
    for (const p of checkDefinition(body, registry, options))
      problems.push({
        element: p.element === 'machine' ? id : p.element,
        message: `in reminder <${id}> of <${key}>: ${p.message}`,
      });
  });
  return problems;
}

/** True when `value` holds objects or arrays more than `limit` levels deep. Iterative: any depth is measured. */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const x of Object.values(v)) stack.push([x, depth + 1]);
  }
  return false;
}

/**
 * States nested more than `GRAVITY_MAX_NESTING` levels deep (64: hand-written workflows and BPMN models nest a few
 * levels; every walk of a definition, xstate's included, recurses once per level), and fields (inputs, outputs, meta,
 * params) nested deeper than that: the first state past the limit, named with the depth the definition reaches. The
 * walk keeps its own stack, so any depth is measured without recursion.
 */
function nestingProblems(def: Definition): Problem[] {
  const limit = limitOf('nesting');
  const raise = `raise ${LIMITS.nesting.env}`;
  const out: Problem[] = [];
  for (const [field, v] of [
    ['params', def.params],
    ['meta', def.meta],
  ] as const)
    if (deeperThan(v, limit))
      out.push({ element: 'definition', message: `${field} nests more than ${limit} levels deep; ${raise}` });
  let first: string | undefined;
  let deepest = 0;
  const stack: Array<{ states: unknown; depth: number }> = [{ states: def.machine.states, depth: 1 }];
  while (stack.length) {
    const { states, depth } = stack.pop()!;
    if (!states || typeof states !== 'object') continue;
    for (const [key, s] of Object.entries(states)) {
      deepest = Math.max(deepest, depth);
      if (depth === limit + 1) first ??= key;
      if (!s || typeof s !== 'object') continue;
      for (const [field, v] of Object.entries(s))
        if (field !== 'states' && depth <= limit && deeperThan(v, limit))
          out.push({ element: key, message: `${field} nests more than ${limit} levels deep; ${raise}` });
      if ((s as StateConfig).states !== undefined) stack.push({ states: (s as StateConfig).states, depth: depth + 1 });
    }
  }
  if (first !== undefined)
    out.unshift({
      element: first,
      message: `nested ${limit + 1} levels deep (states inside states), more than the limit of ${limit}; the definition goes ${deepest} levels deep; ${raise}`,
    });
  return out;
}

/**
 * A cycle of eventless transitions: states that lead into each other at once, with no step run and no timer on the way
 * (decisions, entering a compound state, an end leaving its compound through onDone, a parallel state whose branches
 * can all end at once going on to its onDone, a failing end caught by an onError). Nothing changes the scope along such
 * a loop, so the guards that let a run into it once choose the same way every time round: the run would loop forever
 * on the engine's thread, deaf to Ctrl-C. Refused here, before any step runs; a loop this does not see meets the
 * machine's microstep budget when it runs (engine/compile.ts).
 */
function eventlessCycle(def: Definition): Problem | undefined {
  const next = new Map<string, string[]>();
  const keyOf = (path: string) => path.slice(path.lastIndexOf('.') + 1);
  const resolve = (t: Target | undefined, siblingsPath: string) => {
    const target = targetOf(t);
    return target === undefined ? undefined : target.startsWith('#') ? target.slice(1) : `${siblingsPath}.${target}`;
  };
  // `ancestors`: the compound states around `states`, innermost last, with the path of their siblings
  type Around = { s: StateConfig; siblingsPath: string };
  const parallels: Array<{ here: string; s: StateConfig; siblingsPath: string }> = [];
  const visit = (states: Record<string, StateConfig>, path: string, ancestors: Around[]) => {
    const parent = ancestors[ancestors.length - 1];
    for (const [key, s] of Object.entries(states)) {
      const here = `${path}.${key}`;
      if (s.type === 'parallel' && s.states && s.onDone !== undefined) parallels.push({ here, s, siblingsPath: path });
      const to: string[] = [];
      for (const b of s.always ?? []) to.push(resolve(b.target, path)!);
      if (s.states && s.type === 'parallel') to.push(...Object.keys(s.states).map((k) => `${here}.${k}`));
      else if (s.states && s.initial) to.push(`${here}.${s.initial}`);
      if (s.type === 'final' && parent) {
        if (s.meta?.fail) {
          // a failing end inside a compound with onError: raised, caught by the nearest such compound
          const catcher = [...ancestors].reverse().find((a) => a.s.type !== 'parallel' && a.s.onError !== undefined);
          if (catcher) to.push(resolve(catcher.s.onError, catcher.siblingsPath)!);
        } else if (parent.s.type !== 'parallel' && parent.s.onDone !== undefined) {
          const grand = ancestors[ancestors.length - 2];
          // an end in a parallel region ends the region only: the parallel state goes on when all have ended
          if (grand?.s.type !== 'parallel') to.push(resolve(parent.s.onDone, parent.siblingsPath)!);
        }
      }
      next.set(here, to);
      if (s.states) visit(s.states, here, [...ancestors, { s, siblingsPath: path }]);
    }
  };
  visit(def.machine.states, 'root', []);
  // a parallel state whose branches can all reach an end at once goes on to its onDone at once (inner ones first)
  const endsAtOnce = (region: string, r: StateConfig) => {
    const ends = new Set(
      Object.entries(r.states ?? {})
        .filter(([, x]) => x.type === 'final' && !x.meta?.fail)
        .map(([k]) => `${region}.${k}`),
    );
    const seen = new Set<string>();
    const todo = r.initial ? [`${region}.${r.initial}`] : [];
    while (todo.length) {
      const n = todo.pop()!;
      if (ends.has(n)) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      todo.push(...(next.get(n) ?? []));
    }
    return false;
  };
  for (const p of parallels.reverse())
    if (Object.entries(p.s.states!).every(([k, r]) => endsAtOnce(`${p.here}.${k}`, r)))
      next.get(p.here)!.push(resolve(p.s.onDone, p.siblingsPath)!);
  // depth-first search with its own stack (a definition may chain thousands of decisions)
  const state = new Map<string, 'open' | 'done'>();
  for (const start of next.keys()) {
    if (state.has(start)) continue;
    const path: Array<{ node: string; edges: string[]; i: number }> = [{ node: start, edges: next.get(start)!, i: 0 }];
    state.set(start, 'open');
    while (path.length) {
      const top = path[path.length - 1];
      if (top.i === top.edges.length) {
        state.set(top.node, 'done');
        path.pop();
        continue;
      }
      const to = top.edges[top.i++];
      if (!next.has(to)) continue;
      if (state.get(to) === 'open') {
        const loop = path.slice(path.findIndex((p) => p.node === to)).map((p) => keyOf(p.node));
        return {
          element: keyOf(to),
          message: `eventless cycle ${[...loop, keyOf(to)].join(' -> ')}: these states lead into each other with no step and no timer between them, so a run that enters the loop never leaves it (nothing changes what the guards see); put a task or a timer on the loop, or take the way out before it`,
        };
      }
      if (!state.has(to)) {
        state.set(to, 'open');
        path.push({ node: to, edges: next.get(to)!, i: 0 });
      }
    }
  }
  return undefined;
}

/**
 * The problems of the message boundaries of state `key` (`on: { 'message:<name>': target }`, engine/message-boundaries.ts)
 * and of their correlation keys (`meta.messageKeys`): a boundary needs a message name and a step (a state that invokes)
 * to interrupt, and leads to a sibling state; a key names a message the state listens for and is a literal or FEEL.
 */
function messageBoundaryProblems(key: string, s: StateConfig): Problem[] {
  const out: Problem[] = [];
  const add = (message: string) => out.push({ element: key, message });
  const names: string[] = [];
  for (const [event, t] of Object.entries(s.on ?? {})) {
    const name = messageOfEvent(event);
    if (name === undefined) continue;
    const bad = messageNameProblem(name);
    if (bad) add(`bad message boundary on."${event}": ${bad} (on."message:<name>")`);
    if (!s.invoke)
      add(
        `on."${event}": a message boundary interrupts a step: it belongs on a task or call state (one with invoke), and <${key}> invokes nothing`,
      );
    const target = targetOf(t);
    if (typeof target !== 'string' || target.startsWith('#'))
      add(`on."${event}": the target of a message boundary must be a sibling state key, got ${JSON.stringify(target)}`);
    names.push(name);
  }
  const messageKeys = s.meta?.messageKeys as unknown;
  if (messageKeys === undefined) return out;
  if (!messageKeys || typeof messageKeys !== 'object' || Array.isArray(messageKeys)) {
    add(`meta.messageKeys must be an object (message name -> correlation key), got ${JSON.stringify(messageKeys)}`);
    return out;
  }
  for (const [name, k] of Object.entries(messageKeys)) {
    if (!names.includes(name)) {
      const near = closest(name, names);
      add(
        `meta.messageKeys."${name}": <${key}> listens for no message "${name}" (no on."message:${name}")${
          near.length
            ? `; did you mean "${near[0]}"?`
            : names.length
              ? ` (it listens for ${names.map((n) => `"${n}"`).join(', ')})`
              : ''
        }`,
      );
    }
    if (typeof k !== 'string' || k.trim() === '' || k.trim() === '=')
      add(
        `meta.messageKeys."${name}" must be a non-empty string (a key, or =FEEL giving one), got ${JSON.stringify(k)}`,
      );
    else if (isExpression(k)) {
      const err = checkExpression(expressionSource(k));
      if (err)
        add(
          `bad expression in meta.messageKeys."${name}": ${err} (expression: ${shortExpression(expressionSource(k))})`,
        );
    }
  }
  return out;
}

/** Throws a DefinitionError listing every problem. */
export function assertValidDefinition(def: Definition, registry: TaskRegistry, options: ValidateOptions = {}): void {
  const problems = checkDefinition(def, registry, options);
  if (problems.length) {
    const lines = problems.map((p) => `  <${p.element}> ${p.message}`).join('\n');
    throw new DefinitionError(`workflow ${def?.id ?? '(no id)'} is invalid:\n${lines}`, { problems });
  }
}
