// What Camunda 7 and Zeebe files carry for gravity alone (workflow id, params, exact retry, timeouts...) as `gravity.<x>` properties.
import {
  DefinitionError,
  parseDelay,
  type Definition,
  type ParamSpec,
  type RetryPolicy,
  MAX_CONCURRENCY,
  type EachConfig,
  type StateConfig,
  type StateMeta,
} from '../../engine/index.js';
import { msToIso, type ReadContext, type WriteContext } from '../dialect.js';
import type { ModdleElement } from '../moddle.js';

/** How a vendor spells its property bag: `camunda:properties/values` or `zeebe:properties/properties`. */
export interface PropertyKind {
  bag: string;
  item: string;
  many: string;
}

/** Prefix of the property names gravity owns. */
export const PROP_PREFIX = 'gravity.';

/** Writes `gravity.<key>` = JSON of each defined value as one property bag on `el`; nothing when all are undefined. */
export function writeProps(
  el: ModdleElement,
  w: WriteContext,
  kind: PropertyKind,
  props: Record<string, unknown>,
): void {
  const items = Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => w.moddle.create(kind.item, { name: PROP_PREFIX + k, value: JSON.stringify(v) }));
  if (items.length) w.extend(el, w.moddle.create(kind.bag, { [kind.many]: items }));
}

/** Reads the `gravity.<key>` properties of `el` (JSON values); other properties are left alone. */
export function readProps(
  el: ModdleElement,
  r: ReadContext,
  kind: PropertyKind,
  element: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const bag of r.extensions(el).filter((e) => e.$type === kind.bag)) {
    for (const p of (bag[kind.many] ?? []) as ModdleElement[]) {
      const name = String(p.name ?? '');
      if (!name.startsWith(PROP_PREFIX)) continue;
      try {
        out[name.slice(PROP_PREFIX.length)] = JSON.parse(String(p.value ?? ''));
      } catch (e) {
        throw new DefinitionError(`<${element}>: property ${name} is not valid JSON: ${(e as Error).message}`, {
          element,
        });
      }
    }
  }
  return out;
}

/** Meta keys a vendor dialect maps on its own; the rest travels in `gravity.meta`. */
const OWN_META = new Set([
  'title',
  'documentation',
  'retry',
  'timeoutMs',
  'outputs',
  'mergeOutput',
  'fail',
  'each',
  // drawn: boundary events and their paths (bpmn/graph.ts)
  'reminders',
  'bpmn',
]);

/** The meta of a state without the keys dialects map themselves, or undefined when nothing is left. */
export function restMeta(
  meta: Record<string, unknown> | undefined,
  own = OWN_META,
): Record<string, unknown> | undefined {
  const rest = Object.fromEntries(Object.entries(meta ?? {}).filter(([k]) => !own.has(k)));
  return Object.keys(rest).length ? rest : undefined;
}

/** Process-level properties: workflow id, params, run root and workflow meta (without `bpmn`). */
export function processProps(def: Definition): Record<string, unknown> {
  return { id: def.id, params: def.params, root: def.root, meta: restMeta(def.meta, new Set(['bpmn'])) };
}

/** Reads back what {@link processProps} wrote. */
export function readProcessProps(
  props: Record<string, unknown>,
): Partial<Pick<Definition, 'id' | 'params' | 'root' | 'meta'>> {
  return {
    ...(typeof props.id === 'string' ? { id: props.id } : {}),
    // kept whatever its type: validation reports a root that is not a string
    ...(props.root !== undefined ? { root: props.root as string } : {}),
    ...(props.params && typeof props.params === 'object' ? { params: props.params as Record<string, ParamSpec> } : {}),
    ...(props.meta && typeof props.meta === 'object' ? { meta: props.meta as Record<string, unknown> } : {}),
  };
}

/** True when a task input maps onto named input parameters (a non-empty plain object). */
export function isParamInput(input: unknown): input is Record<string, unknown> {
  return !!input && typeof input === 'object' && !Array.isArray(input) && Object.keys(input).length > 0;
}

/**
 * Task properties: exact retry, timeout, extra meta, a task input that is not a plain object, and
 * `mergeOutput` when it differs from what the vendor's semantics imply (`impliedMerge`).
 */
export function taskProps(state: StateConfig, impliedMerge: boolean, call: boolean): Record<string, unknown> {
  const m: StateMeta = state.meta ?? {};
  const input = state.invoke?.input;
  const defaultInput = call ? isEmptyObject(input) : input === undefined;
  return {
    retry: m.retry,
    timeoutMs: m.timeoutMs,
    each: eachExtras(m.each),
    mergeOutput: (m.mergeOutput === true) !== impliedMerge ? m.mergeOutput === true : undefined,
    input: isParamInput(input) || defaultInput ? undefined : input,
    meta: restMeta(m),
  };
}

const isEmptyObject = (v: unknown) => !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;

/** Meta read back from task properties; `impliedMerge` applies when no `gravity.mergeOutput` says otherwise. */
export function readTaskMeta(props: Record<string, unknown>, impliedMerge: boolean): StateMeta {
  const merge = typeof props.mergeOutput === 'boolean' ? props.mergeOutput : impliedMerge;
  return {
    ...((props.meta as Record<string, unknown> | undefined) ?? {}),
    ...(props.retry ? { retry: props.retry as RetryPolicy } : {}),
    ...(typeof props.timeoutMs === 'number' ? { timeoutMs: props.timeoutMs } : {}),
    ...(merge ? { mergeOutput: true } : {}),
  };
}

/** The intervals between attempts of a retry policy, with the engine's defaults (1 s, factor 2, at most 60 s). */
export function retryIntervals(p: RetryPolicy): number[] {
  const base = p.backoffMs ?? 1000,
    factor = p.factor ?? 2,
    cap = p.maxBackoffMs ?? 60_000;
  return Array.from({ length: Math.max(0, p.max - 1) }, (_, i) => Math.min(cap, base * factor ** i));
}

/** Camunda's failedJobRetryTimeCycle for a policy: `R<n>/<interval>` when constant, else the list of intervals. */
export function retryCycle(p: RetryPolicy): string {
  const ivs = retryIntervals(p);
  if (ivs.every((x) => x === ivs[0])) return `R${ivs.length}/${msToIso(ivs[0] ?? 0)}`;
  return ivs.map(msToIso).join(',');
}

/** A policy read from a failedJobRetryTimeCycle (`R3/PT10S` or `PT1S,PT2S,PT4S`), for files without `gravity.retry`. */
export function parseRetryCycle(text: string, element: string): RetryPolicy {
  const t = text.trim();
  const rep = /^R(\d+)\/(P\S+)$/.exec(t);
  if (rep) return { max: Number(rep[1]) + 1, backoffMs: parseDelay(rep[2], element), factor: 1 };
  const ivs = t.split(',').map((s) => parseDelay(s.trim(), element));
  const factor = ivs.length > 1 && ivs[0] > 0 ? ivs[1] / ivs[0] : 1;
  return { max: ivs.length + 1, backoffMs: ivs[0], factor };
}

/**
 * What a vendor's multi-instance element has no word for, kept as `gravity.each`: the concurrency (the engines run a
 * parallel multi-instance all at once), the failure policy, the index's name, and a literal list (Camunda 7's JUEL has
 * no list literal).
 */
export function eachExtras(each: EachConfig | undefined, literalItems = false): Record<string, unknown> | undefined {
  if (!each) return undefined;
  const extras = {
    ...((each.concurrency ?? 1) > 1 ? { concurrency: each.concurrency } : {}),
    ...(each.onFailure ? { onFailure: each.onFailure } : {}),
    ...(each.index ? { index: each.index } : {}),
    ...(literalItems && Array.isArray(each.items) ? { items: each.items } : {}),
  };
  return Object.keys(extras).length ? extras : undefined;
}

/** A for-each read back from a vendor's list and item name plus the `gravity.each` extras. */
export function eachFrom(
  items: EachConfig['items'],
  as: string | undefined,
  sequential: boolean,
  extras: Record<string, unknown> | undefined,
): EachConfig {
  const x = (extras ?? {}) as Partial<EachConfig>;
  // a parallel multi-instance with no limit of gravity's: as many at once as gravity runs
  const concurrency = x.concurrency ?? (sequential ? undefined : MAX_CONCURRENCY);
  return {
    items,
    ...(as && as !== 'item' ? { as } : {}),
    ...(x.index !== undefined ? { index: x.index } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(x.onFailure !== undefined ? { onFailure: x.onFailure } : {}),
  };
}
