// Dry-run plans and describe trees: what a workflow would do, computed from the definition without running it.
import type { Definition, StateConfig } from './definition.js';
import { CANCEL_EVENT, calleeOf, RETHROW, stateKind, StateKind, targetOf } from './definition.js';
import type { TaskRegistry } from './registry.js';
import { evaluateCondition, evaluateExpression, expressionSource, isExpression } from './expressions.js';
import { messageBoundaries } from './message-boundaries.js';

/** One line of a plan or tree. */
export interface PlanItem {
  /** State key. */
  id: string;
  kind: 'task' | 'call' | 'decision' | 'parallel' | 'branch' | 'wait' | 'end' | 'fail' | 'state' | 'cleanup';
  depth: number;
  title?: string;
  task?: string;
  /** What the step would do (the task's plan() for the resolved input). */
  lines: string[];
  /** Conditions, targets, retry policy... */
  notes: string[];
}

// Resolves what can be resolved from params alone; expressions over step outputs (or any name params lack) stay visible as ⟨expr⟩.
function lenient(template: unknown, scope: Record<string, unknown>, element: string): unknown {
  if (isExpression(template)) {
    try {
      return evaluateExpression(template, scope, element, { strict: true });
    } catch {
      return `⟨${expressionSource(template)}⟩`;
    }
  }
  if (Array.isArray(template)) return template.map((v) => lenient(v, scope, element));
  if (template && typeof template === 'object')
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, lenient(v, scope, element)]));
  return template;
}

// The branch a decision takes when its guards can be decided from params alone.
function takenBranch(
  always: NonNullable<StateConfig['always']>,
  scope: Record<string, unknown>,
  element: string,
): string | undefined {
  for (const b of always) {
    if (!b.guard) return b.target;
    try {
      if (evaluateCondition(b.guard.params.expr, scope, element, { strict: true })) return b.target;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** How many items of a for-each a plan details. */
const PLANNED_ITEMS = 5;

/** Walks a definition in document order and describes every state; with params, resolves inputs and asks tasks for their plan. */
export function planDefinition(def: Definition, registry: TaskRegistry, params?: Record<string, unknown>): PlanItem[] {
  const scope = params ? { ...params, params, vars: { ...params }, steps: {} } : undefined;
  const items: PlanItem[] = [];
  // cleanup: inside a cleanup's body, whose plain end is its own bookkeeping (the cleanup's line says where it goes)
  const walk = (states: Record<string, StateConfig>, depth: number, parallel: boolean, cleanup = false) => {
    for (const [id, s] of Object.entries(states)) {
      const title = s.meta?.title;
      const notes: string[] = [];
      const kind = stateKind(s);
      if (s.invoke && (kind === StateKind.Task || kind === StateKind.Call)) {
        const callee = calleeOf(s.invoke.src);
        const lines: string[] = [];
        const each = s.meta?.each;
        const describe = (input: unknown) => {
          if (callee !== undefined) lines.push(`run workflow ${callee} with ${JSON.stringify(input)}`);
          else if (registry.has(s.invoke!.src)) {
            const task = registry.get(s.invoke!.src);
            const parsed = task.input.safeParse(input);
            lines.push(...(parsed.success ? task.plan(parsed.data) : [`${task.id} ${JSON.stringify(input)}`]));
          }
        };
        if (each) {
          const c = each.concurrency ?? 1;
          notes.push(
            `for each ${each.as ?? 'item'} of ${Array.isArray(each.items) ? JSON.stringify(each.items) : each.items} (${c > 1 ? `${c} at a time` : 'one at a time'}; ${each.onFailure === 'all' ? 'every item runs, then it fails if one failed' : 'stops at the first failure'}${each.until ? `; done once ${each.until} holds` : ''})`,
          );
        }
        if (scope && each) {
          // the plan of each item, with the list as the params give it (the first few)
          const list = Array.isArray(each.items) ? each.items : lenient(each.items, scope, id);
          if (Array.isArray(list)) {
            list.slice(0, PLANNED_ITEMS).forEach((item, i) => {
              const itemScope = { ...scope, [each.as ?? 'item']: item, [each.index ?? 'index']: i };
              describe(lenient(s.invoke!.input ?? {}, itemScope, id));
            });
            if (list.length > PLANNED_ITEMS) lines.push(`... and ${list.length - PLANNED_ITEMS} more items`);
          } else lines.push(`over ${JSON.stringify(list)}`);
        } else if (scope) describe(lenient(s.invoke.input ?? {}, scope, id));
        if (s.meta?.retry && s.meta.retry.max > 1) notes.push(`retry up to ${s.meta.retry.max} attempts`);
        if (s.meta?.timeoutMs) notes.push(`timeout ${s.meta.timeoutMs} ms`);
        if (s.onError !== undefined) notes.push(`on error -> ${targetOf(s.onError)}`);
        for (const [d, t] of Object.entries(s.after ?? {}))
          notes.push(`after ${d} -> ${targetOf(t)} (cancels the step)`);
        for (const b of messageBoundaries(s)) {
          const key = s.meta?.messageKeys?.[b.message];
          notes.push(
            `on message "${b.message}"${key === undefined ? '' : ` with key ${key}`} -> ${b.target} (cancels the step)`,
          );
        }
        items.push({
          id,
          kind: callee !== undefined ? 'call' : 'task',
          depth,
          title,
          task: s.invoke.src,
          lines,
          notes,
        });
      } else if (kind === StateKind.Decision) {
        const always = s.always!;
        for (const b of always)
          notes.push(b.guard ? `if ${b.guard.params.expr} -> ${b.target}` : `else -> ${b.target}`);
        const taken = scope && takenBranch(always, scope, id);
        if (taken) notes.push(`with these params: takes ${taken}`);
        items.push({ id, kind: 'decision', depth, title, lines: [], notes });
      } else if (kind === StateKind.Parallel) {
        items.push({
          id,
          kind: 'parallel',
          depth,
          title,
          lines: [],
          notes: [`${Object.keys(s.states ?? {}).length} branches run concurrently`],
        });
      } else if (kind === StateKind.Wait) {
        for (const [d, t] of Object.entries(s.after!)) notes.push(`wait ${d} -> ${targetOf(t)}`);
        items.push({ id, kind: 'wait', depth, title, lines: [], notes });
      } else if (kind === StateKind.End || kind === StateKind.Fail || kind === StateKind.Attention) {
        const fail = s.meta?.fail;
        if (depth === 0 || (!parallel && !(cleanup && kind === StateKind.End)))
          items.push({
            id,
            kind: fail ? 'fail' : 'end',
            depth,
            title,
            lines: [],
            notes:
              fail && typeof fail === 'object' && fail.message
                ? [fail.message === RETHROW ? `fails the run with the error it handles (${RETHROW})` : fail.message]
                : [],
          });
      } else if (s.states && s.on?.[CANCEL_EVENT] !== undefined) {
        notes.push(
          `then -> ${targetOf(s.onDone)}`,
          `on error or cancel -> ${targetOf(s.on[CANCEL_EVENT])} (the cleanup, then the run fails)`,
        );
        items.push({ id, kind: 'cleanup', depth, title, lines: [], notes });
      } else if (s.states) {
        if (s.onError !== undefined) notes.push(`on error -> ${targetOf(s.onError)}`);
        items.push({ id, kind: parallel ? 'branch' : 'state', depth, title, lines: [], notes });
      }
      if (s.states)
        walk(
          s.states,
          depth + 1,
          s.type === 'parallel' || (parallel && !!s.states),
          s.on?.[CANCEL_EVENT] !== undefined,
        );
    }
  };
  walk(def.machine.states, 0, false);
  return items;
}
