// FEEL expressions in definitions (inputs, guards, outputs): parsed and evaluated safely by feelin, never eval'd.
import { evaluate, parseExpression } from 'feelin';
import { ExpressionError } from './errors.js';

/** A string starting with `=` in a definition is a FEEL expression (as in Zeebe); anything else is a literal. */
export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('=');
}

/** Strips the leading `=` of an expression string. */
export function expressionSource(value: string): string {
  return value.startsWith('=') ? value.slice(1) : value;
}

const parsed = new Map<string, string | null>();

/** Checks that `source` parses; returns the parse error message or null. Cached. */
export function checkExpression(source: string): string | null {
  let r = parsed.get(source);
  if (r === undefined) {
    try {
      const tree = parseExpression(source, {}, undefined);
      let bad: string | null = null;
      tree.iterate({
        enter(node) {
          if (node.type.isError && bad === null) bad = `syntax error at ${node.from}`;
        },
      });
      r = bad;
    } catch (e) {
      r = (e as Error).message;
    }
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(source, r);
  }
  return r;
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
  const syntax = checkExpression(src);
  if (syntax) throw new ExpressionError(element, src, syntax);
  let result;
  try {
    result = evaluate(src, scope);
  } catch (e) {
    throw new ExpressionError(element, src, (e as Error).message);
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
  return toPlain(result.value);
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

// FEEL values (dates, durations, ranges) are turned into JSON-friendly values.
function toPlain(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toPlain);
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    const s = (v as { toString(): string }).toString();
    return s;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toPlain(x);
  return out;
}
