// Static checks of a definition before it compiles: every problem found, each naming its element id.
import type { Definition, StateConfig, Target } from './definition.js';
import { CANCEL_EVENT, calleeOf, stateKind, StateKind, targetOf } from './definition.js';
import type { TaskRegistry } from './define-task.js';
import { DefinitionError, closest } from './errors.js';
import { checkExpression, expressionSource, expressionsIn, isExpression } from './expressions.js';
import { parseDelay } from './duration.js';

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

/** Lists every problem of `def`; an empty list means it compiles. */
export function checkDefinition(def: Definition, registry: TaskRegistry, options: ValidateOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const add = (element: string, message: string) => problems.push({ element, message });
  if (!def || typeof def !== 'object') return [{ element: 'definition', message: 'expected an object' }];
  if (typeof def.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*(:[A-Za-z0-9][A-Za-z0-9_.-]*)*$/.test(def.id))
    add('definition', `bad workflow id ${JSON.stringify(def.id)}: expected family:verb`);
  for (const [name, spec] of Object.entries(def.params ?? {})) {
    if (!KEY.test(name)) add(`param ${name}`, 'param names are letters, digits, _ and -');
    if (!spec || !PARAM_TYPES.has(spec.type))
      add(
        `param ${name}`,
        `unknown type ${JSON.stringify(spec?.type)}; expected one of ${[...PARAM_TYPES].join(', ')}`,
      );
    if (spec?.path !== undefined && (typeof spec.path !== 'boolean' || (spec.path && spec.type !== 'string')))
      add(`param ${name}`, `path must be true or false, on a string param; got ${JSON.stringify(spec.path)}`);
  }
  if (def.root !== undefined) {
    if (typeof def.root !== 'string' || def.root.trim() === '' || def.root.trim() === '=')
      add(
        'definition',
        `root must be a non-empty string (a folder path, or =FEEL over the params), got ${JSON.stringify(def.root)}`,
      );
    else if (isExpression(def.root)) {
      const err = checkExpression(expressionSource(def.root));
      if (err) add('definition', `bad expression in root: ${err} (expression: ${expressionSource(def.root)})`);
    }
  }
  if (!def.machine || typeof def.machine !== 'object' || !def.machine.states)
    return [...problems, { element: 'machine', message: 'missing machine.states' }];

  const ids = new Set<string>();
  const stepIds = new Set<string>();
  const collect = (states: Record<string, StateConfig>, path: string) => {
    for (const [k, s] of Object.entries(states)) {
      ids.add(`${path}.${k}`);
      if (s.states) collect(s.states, `${path}.${k}`);
    }
  };
  collect(def.machine.states, 'root');

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
      if (err) add(element, `bad expression in ${e.path}: ${err} (expression: ${e.source})`);
    }
  };

  const walk = (states: Record<string, StateConfig>, parallel = false) => {
    for (const [key, s] of Object.entries(states)) {
      if (!KEY.test(key)) add(key, 'state keys are letters, digits, _ and -');
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
  return problems;
}

/** Throws a DefinitionError listing every problem. */
export function assertValidDefinition(def: Definition, registry: TaskRegistry, options: ValidateOptions = {}): void {
  const problems = checkDefinition(def, registry, options);
  if (problems.length) {
    const lines = problems.map((p) => `  <${p.element}> ${p.message}`).join('\n');
    throw new DefinitionError(`workflow ${def?.id ?? '(no id)'} is invalid:\n${lines}`, { problems });
  }
}
