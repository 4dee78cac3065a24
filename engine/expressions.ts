// FEEL expressions in definitions (inputs, guards, outputs): parsed and evaluated safely by feelin, never eval'd, within
// a budget (engine/limits.ts): a source length and bracket depth checked before parsing, items an evaluation may produce
// and a time it may take. docs/architecture.md ("Bounded by design") says why it is built this way.
import vm from 'node:vm';
import { evaluate, FeelFunction, FeelRange, parseExpression } from 'feelin';
import { ExpressionBudgetError, ExpressionError } from './errors.js';
import { LIMITS, limitOf } from './limits.js';

/** A string starting with `=` in a definition is a FEEL expression (as in Zeebe); anything else is a literal. */
export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('=');
}

/** Strips the leading `=` of an expression string. */
export function expressionSource(value: string): string {
  return value.startsWith('=') ? value.slice(1) : value;
}

/**
 * Why `source` is over the size limits, checked before it is parsed, in time linear in its length: longer than
 * `GRAVITY_FEEL_MAX_CHARS`, or brackets (`(`, `[`, `{`, outside string literals) nested deeper than
 * `GRAVITY_FEEL_MAX_DEPTH`. The parser is quadratic or worse on both (measured: a context literal of 2,000 entries, 24 KB,
 * parses in 5 s; 10,000 nested `[` in 6 s, 100,000 in 12 minutes). Null when within them.
 */
export function sourceOverLimit(source: string): string | null {
  const maxChars = limitOf('feelChars');
  if (source.length > maxChars)
    return `source of ${source.length} characters > ${maxChars}; raise ${LIMITS.feelChars.env}`;
  const maxDepth = limitOf('feelDepth');
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x22 || c === 0x60) {
      // a string literal ("...", with backslash escapes) or a backtick name: brackets inside do not nest
      for (i++; i < source.length && source.charCodeAt(i) !== c; i++) if (source.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x28 || c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth)
        return `brackets nested more than ${maxDepth} deep at character ${i}; raise ${LIMITS.feelDepth.env}`;
    } else if (c === 0x29 || c === 0x5d || c === 0x7d) depth--;
  }
  return null;
}

/** What a static look at a source found: its syntax error, and whether its evaluation may loop. */
interface Inspection {
  /** The syntax error, or null. */
  error: string | null;
  /** The source is over a size limit (the error says which): a budget error, not a syntax error. */
  overLimit?: boolean;
  /** Iterates, filters, defines a function or calls one that is not known to run in linear time: evaluated under the watchdog. */
  loops: boolean;
}

/**
 * Built-in functions that run in time linear in their arguments and call nothing back: an expression calling only these,
 * with no `for`, `some`, `every`, filter or function definition, evaluates each of its nodes once, so its time is bounded
 * by its size and the scope's. Left out: the regular-expression functions (`matches`, `replace`, `split`: catastrophic
 * backtracking), those taking a function (`sort`, `list replace`) and the quadratic ones (`distinct values`, `union`,
 * `mode`).
 */
const LINEAR_FUNCTIONS = new Set([
  ...['number', 'string', 'date', 'date and time', 'time', 'duration', 'years and months duration', 'now', 'today'],
  ...['not', 'substring', 'string length', 'upper case', 'lower case', 'substring before', 'substring after'],
  ...['contains', 'starts with', 'ends with', 'string join', 'list contains', 'count', 'min', 'max', 'sum', 'mean'],
  ...['all', 'any', 'sublist', 'append', 'concatenate', 'insert before', 'remove', 'reverse', 'index of', 'flatten'],
  ...['product', 'median', 'stddev', 'decimal', 'floor', 'ceiling', 'abs', 'round up', 'round down', 'round half up'],
  ...['round half down', 'modulo', 'sqrt', 'log', 'exp', 'odd', 'even', 'is', 'before', 'after', 'meets', 'met by'],
  ...['overlaps', 'overlaps before', 'overlaps after', 'finishes', 'finished by', 'includes', 'during', 'starts'],
  ...['started by', 'coincides', 'day of year', 'day of week', 'month of year', 'week of year', 'get value'],
  ...['get entries', 'context', 'context merge', 'context put'],
]);
const LOOPING_NODES = new Set(['ForExpression', 'QuantifiedExpression', 'FilterExpression', 'FunctionDefinition']);
/** The linear functions' names without blanks: a context key naming one may rebind it (`{count: matches, ...}`). */
const LINEAR_KEYS = new Set([...LINEAR_FUNCTIONS].map((n) => n.replace(/\s+/g, '')));

const inspected = new Map<string, Inspection>();

/** Parses `source` (within the size limits) and inspects its tree. Cached by source. */
function inspect(source: string): Inspection {
  // checked before the cache: the limits may change in between (a linear scan, cheap next to feelin's own parse)
  const over = sourceOverLimit(source);
  if (over) return { error: over, overLimit: true, loops: false };
  let r = inspected.get(source);
  if (r !== undefined) return r;
  try {
    const tree = parseExpression(source, {}, undefined);
    let bad: string | null = null;
    let loops = false;
    tree.iterate({
      enter(node) {
        if (node.type.isError && bad === null) bad = `syntax error at ${node.from}`;
        if (LOOPING_NODES.has(node.name)) loops = true;
        else if (node.name === 'Key') {
          // a context entry named like a linear function rebinds that name for the entries after it
          const key = source.slice(node.from, node.to).replace(/^["`]|["`]$/g, '');
          if (key.includes('\\') || LINEAR_KEYS.has(key.replace(/\s+/g, ''))) loops = true;
        } else if (node.name === 'FunctionInvocation') {
          const callee = node.node.firstChild;
          const name = callee?.name === 'VariableName' ? source.slice(callee.from, callee.to) : '';
          if (!LINEAR_FUNCTIONS.has(name.replace(/\s+/g, ' '))) loops = true;
        }
      },
    });
    r = { error: bad, loops };
  } catch (e) {
    r = { error: (e as Error).message, loops: true };
  }
  if (inspected.size > 10_000) inspected.clear();
  inspected.set(source, r);
  return r;
}

/** Checks that `source` parses and is within the size limits; returns the problem or null. Cached. */
export function checkExpression(source: string): string | null {
  const r = inspect(source);
  return r.overLimit ? `exceeds the evaluation budget (${r.error})` : r.error;
}

// ---- the evaluation budget ----------------------------------------------------------------------------------------
// feelin has no hook for a step counter, but every range it enumerates goes through FeelRange#map and every function
// call (built-in or defined in the expression) through FeelFunction#invoke, both exported: they are wrapped once here to
// count items and check the clock while an evaluation of ours runs (`meter` set), and left alone otherwise. What they
// cannot see (a `for` over literal lists, a filter, a regular expression) is stopped by the watchdog, below.

/** Thrown by the meter when an evaluation goes over its budget: says which limit. */
class OverBudget extends Error {}

/** The running evaluation's account: items produced and the time left. */
class Meter {
  items = 0;
  private ticks = 0;
  readonly deadline: number;
  constructor(
    readonly maxItems: number,
    readonly timeoutMs: number,
  ) {
    this.deadline = performance.now() + timeoutMs;
  }
  /** Counts `n` items (`what` says what they are, for the error) and checks the clock. */
  take(n: number, what: () => string): void {
    this.items += n;
    if (this.items > this.maxItems) {
      const raise = `raise ${LIMITS.feelItems.env}`;
      throw new OverBudget(
        this.items === n
          ? `${what()} of ${n} items > ${this.maxItems}; ${raise}`
          : `${this.items} items produced in all > ${this.maxItems}, the last ${n} by ${what()}; ${raise}`,
      );
    }
    this.clock();
  }
  /** Checks the clock (every 64th call: performance.now() costs ~50 ns). */
  tick(): void {
    if ((++this.ticks & 63) === 0) this.clock();
  }
  clock(): void {
    if (performance.now() > this.deadline) throw new OverBudget(this.timeMessage());
  }
  timeMessage(): string {
    return `ran for more than ${this.timeoutMs} ms; raise ${LIMITS.feelTimeoutMs.env}`;
  }
}

let meter: Meter | null = null;

/** Elements of a number range, from start to end in steps of 1; undefined for other ranges (counted one by one). */
function rangeSize(r: FeelRange): number | undefined {
  const { start, end } = r;
  if (typeof start !== 'number' || typeof end !== 'number') return undefined;
  const span = Math.abs(end - start);
  // feelin steps by 1 until it meets the end exactly: 1.5..10 would never stop
  if (!Number.isFinite(span) || !Number.isInteger(span))
    throw new OverBudget(`range ${r.toString()} never reaches its end in steps of 1`);
  return Math.max(0, span + 1 - (r['start included'] ? 0 : 1) - (r['end included'] ? 0 : 1));
}

const rangeMap = FeelRange.prototype.map;
FeelRange.prototype.map = function map<T>(this: FeelRange, fn: (value: unknown) => T): T[] {
  const m = meter;
  if (!m) return rangeMap.call(this, fn) as T[];
  const size = rangeSize(this);
  if (size !== undefined) {
    // checked before a single element exists: `for i in 1..30000000` costs nothing
    m.take(size, () => `range ${this.toString()}`);
    return rangeMap.call(this, fn) as T[];
  }
  // a range of characters (at most 52) or of something feelin cannot enumerate (it throws)
  return rangeMap.call(this, (v: unknown) => {
    m.take(1, () => `range ${this.toString()}`);
    return fn(v);
  }) as T[];
} as typeof rangeMap;

const invoke = FeelFunction.prototype.invoke;
FeelFunction.prototype.invoke = function (this: FeelFunction, args: unknown): unknown {
  const m = meter;
  if (!m) return invoke.call(this, args);
  m.tick();
  const r = invoke.call(this, args);
  if (Array.isArray(r)) m.take(r.length, () => 'a list returned by a function');
  return r;
};

/** The watchdog: a script whose only job is to call `run()` under vm's timeout, created on first use. */
let watchdog: { script: vm.Script; context: { run: () => unknown } } | undefined;

/**
 * Runs `fn` under a V8 watchdog that terminates it after `timeoutMs`, whatever it is doing (a regular expression
 * backtracking, a `for` over literal lists). Costs a thread per call (+0.15 ms per evaluation on a quiet 2-core
 * machine, +0.2–0.6 ms on a busy one), so only expressions that may loop go through it.
 */
function underWatchdog<T>(fn: () => T, timeoutMs: number): T {
  watchdog ??= {
    script: new vm.Script('run()', { filename: 'gravity-feel-watchdog' }),
    context: vm.createContext({ run: () => undefined }) as { run: () => unknown },
  };
  watchdog.context.run = fn;
  try {
    return watchdog.script.runInContext(watchdog.context as vm.Context, { timeout: timeoutMs }) as T;
  } finally {
    watchdog.context.run = () => undefined;
  }
}

/** An error out of an evaluation as what the caller sees: a budget error, else an ExpressionError. */
function evaluationError(e: unknown, element: string, src: string, m: Meter): ExpressionError {
  if (e instanceof ExpressionError) return e;
  if (e instanceof OverBudget) return new ExpressionBudgetError(element, src, e.message);
  const err = e as Error & { code?: string };
  if (err?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return new ExpressionBudgetError(element, src, m.timeMessage());
  if (err instanceof RangeError && /call stack/i.test(err.message))
    return new ExpressionBudgetError(element, src, 'recursion deeper than the call stack');
  if (err instanceof RangeError && /Invalid (string|array) length/.test(err.message))
    return new ExpressionBudgetError(element, src, `a value larger than JavaScript allows: ${err.message}`);
  return new ExpressionError(element, src, err?.message ?? String(e));
}

/** Options of an evaluation. */
export interface EvaluateOptions {
  /**
   * Fail on any name the scope lacks, even where FEEL goes on with null (`steps.a.ok = true` is false, not an error):
   * for plans, whose scope holds params only, so that a value only a run knows is never guessed.
   */
  strict?: boolean;
}

/**
 * Evaluates a FEEL expression against `scope`. Errors (syntax, unknown variable used as a value,
 * failed function call) become ExpressionError naming `element` and the expression.
 */
export function evaluateExpression(
  source: string,
  scope: Record<string, unknown>,
  element: string,
  options: EvaluateOptions = {},
): unknown {
  const src = expressionSource(source).trim();
  if (src === '') throw new ExpressionError(element, source, 'empty expression');
  const direct = plainPathValue(src, scope);
  if (direct !== undefined) return direct;
  const check = inspect(src);
  if (check.overLimit) throw new ExpressionBudgetError(element, src, check.error!);
  if (check.error) throw new ExpressionError(element, src, check.error);
  const m = new Meter(limitOf('feelItems'), limitOf('feelTimeoutMs'));
  const outer = meter;
  meter = m;
  let result;
  let value;
  try {
    result = check.loops ? underWatchdog(() => evaluate(src, scope), m.timeoutMs) : evaluate(src, scope);
    value = toPlain(result.value, { left: m.maxItems, max: m.maxItems });
  } catch (e) {
    throw evaluationError(e, element, src, m);
  } finally {
    meter = outer;
  }
  const fatal = result.warnings.find(
    (w) => w.type === 'NO_FUNCTION_FOUND' || w.type === 'FUNCTION_INVOCATION_FAILURE' || w.type === 'INVALID_ARGUMENTS',
  );
  if (fatal) throw new ExpressionError(element, src, fatal.message);
  if (options.strict || result.value === null || result.value === undefined) {
    const missing = result.warnings.find(
      (w) => w.type === 'NO_VARIABLE_FOUND' || w.type === 'NO_CONTEXT_ENTRY_FOUND' || w.type === 'NO_PROPERTY_FOUND',
    );
    if (missing) throw new ExpressionError(element, src, missing.message);
  }
  return value;
}

/** A name, or a path of names (`item`, `steps.allocate.url`), that FEEL would look up as it is. */
const PLAIN_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** Words FEEL reads as keywords or literals, never as a variable. */
const FEEL_WORDS = new Set([
  'true',
  'false',
  'null',
  'not',
  'for',
  'in',
  'return',
  'if',
  'then',
  'else',
  'some',
  'every',
  'satisfies',
  'and',
  'or',
  'between',
  'instance',
  'of',
  'function',
  'external',
]);

/**
 * The value of an expression that is only a name or a path of names (`=item`, `=params.env`) whose value in `scope` is
 * a string, a finite number or a boolean: what FEEL gives for it, without parsing nor converting the scope (a for-each
 * item's `=item` is evaluated once per item). Undefined for anything else, which FEEL then evaluates: objects and
 * lists (FEEL's budget applies to them), missing names (FEEL's message says which), keywords.
 */
function plainPathValue(src: string, scope: Record<string, unknown>): string | number | boolean | undefined {
  if (src.length > 200 || !PLAIN_PATH.test(src)) return undefined;
  let value: unknown = scope;
  for (const name of src.split('.')) {
    if (FEEL_WORDS.has(name) || value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

/** Evaluates a guard: must yield a boolean. */
export function evaluateCondition(
  source: string,
  scope: Record<string, unknown>,
  element: string,
  options: EvaluateOptions = {},
): boolean {
  const v = evaluateExpression(source, scope, element, options);
  if (typeof v !== 'boolean')
    throw new ExpressionError(element, expressionSource(source), `expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** Resolves a template: literals kept, `=expr` strings evaluated, arrays and objects walked. */
export function resolveTemplate(template: unknown, scope: Record<string, unknown>, element: string): unknown {
  if (isExpression(template)) return evaluateExpression(template, scope, element);
  if (Array.isArray(template)) return template.map((v, i) => resolveTemplate(v, scope, `${element}[${i}]`));
  if (template && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) out[k] = resolveTemplate(v, scope, `${element}.${k}`);
    return out;
  }
  return template;
}

/** Every expression string inside a template, with its path, for static checks. */
export function* expressionsIn(template: unknown, path: string): Generator<{ path: string; source: string }> {
  if (isExpression(template)) yield { path, source: expressionSource(template) };
  else if (Array.isArray(template))
    for (let i = 0; i < template.length; i++) yield* expressionsIn(template[i], `${path}[${i}]`);
  else if (template && typeof template === 'object')
    for (const [k, v] of Object.entries(template)) yield* expressionsIn(v, `${path}.${k}`);
}

/**
 * FEEL values (dates, durations, ranges) are turned into JSON-friendly values. `count.left` items (list elements and
 * context entries) may be written in all: a list holding itself twice per level (`[partial[-1], partial[-1]]` in a
 * `for`) is small in memory but exponential once written out.
 */
function toPlain(v: unknown, count: { left: number; max: number }): unknown {
  // a function (`=matches`) is no value to hand on: in a variable it would also rebind a name later expressions call
  if (typeof v === 'function' || v instanceof FeelFunction)
    throw new Error('its value is a function, which cannot be passed on (call it)');
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    spend(count, v.length);
    return v.map((x) => toPlain(x, count));
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    const s = (v as { toString(): string }).toString();
    return s;
  }
  const entries = Object.entries(v);
  spend(count, entries.length);
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries) out[k] = toPlain(x, count);
  return out;
}

function spend(count: { left: number; max: number }, n: number): void {
  count.left -= n;
  if (count.left < 0) throw new OverBudget(`a result of more than ${count.max} items`);
}
