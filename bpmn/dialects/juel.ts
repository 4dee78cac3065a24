// Camunda 7 writes expressions as JUEL `${...}` values, gravity's definitions carry FEEL: this translates between the two.
import { ExpressionError } from '../../engine/errors.js';
import { ExpressionBudgetError, sourceOverLimit } from '../../engine/index.js';
import { feelString, parseFeel, printFeel } from './feel-parse.js';
import { juelString, parseJuel, printJuel, SubsetError, type Expr } from './juel-parse.js';

/** True when `text` holds a JUEL expression (`${...}` or `#{...}`) rather than plain text. */
export function isJuelTemplate(text: string): boolean {
  return text.includes('${') || text.includes('#{');
}

type Piece = { text: string } | { expr: string };

/** Splits a Camunda value into literal text and expression bodies; `\${` and `\#{` are literal text. */
function splitTemplate(text: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = '';
  let delimiter: string | null = null;
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '\\' && (text.startsWith('${', i + 1) || text.startsWith('#{', i + 1))) {
      literal += text.slice(i + 1, i + 3);
      i += 3;
    } else if ((c === '$' || c === '#') && text[i + 1] === '{') {
      if (delimiter && delimiter !== c)
        throw new SubsetError('mixing ${...} and #{...} in one value is not allowed in JUEL');
      delimiter = c;
      const end = closingBrace(text, i + 2);
      if (literal) pieces.push({ text: literal });
      literal = '';
      pieces.push({ expr: text.slice(i + 2, end) });
      i = end + 1;
    } else {
      literal += c;
      i++;
    }
  }
  if (literal) pieces.push({ text: literal });
  return pieces;
}

/** Index of the `}` closing an expression body that starts at `from`, skipping string literals. */
function closingBrace(text: string, from: number): number {
  let quote: string | null = null;
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '}') return j;
  }
  throw new SubsetError('unterminated ${...}');
}

function toExpressionError(err: unknown, element: string, expression: string): unknown {
  return err instanceof SubsetError ? new ExpressionError(element, expression, err.message) : err;
}

/**
 * Translates a Camunda 7 value into FEEL source (without the leading `=`).
 *
 * - a whole `${expr}` or `#{expr}` becomes the FEEL translation of `expr`;
 * - text with embedded expressions (`hello ${name}!`) becomes a concatenation
 *   (`"hello " + string(name) + "!"`); embedded string literals join the text;
 * - plain text becomes a FEEL string literal.
 *
 * Supported JUEL: number, string, boolean and null literals; names; `a.b`, `a['b']`, `a[0]` (becomes
 * FEEL's 1-based `a[1]`); `== != < > <= >=` and `eq ne lt gt le ge`; `&& || !` and `and or not`; `empty`;
 * `+ - * / % div mod`; unary minus; parentheses; `a ? b : c`. Values follow FEEL's rules: no JUEL
 * coercions (`1 == '1'` is null, JUEL says true), null stays null in `and`/`or`/`not`, in an ordering
 * comparison (`x < 3` with x null is null, JUEL says false, so `!(x < 3)` is null where JUEL says true),
 * in arithmetic (`x + 1`, JUEL takes null as 0) and in a template (JUEL writes ""); a condition that
 * comes out null fails the run with "expected a boolean", naming the flow. `%` is FEEL's `modulo`, whose
 * sign follows the divisor (Java's follows the dividend).
 * Whitespace around a lone `${...}` makes it a template, as in JUEL: callers trim condition text as Camunda does.
 *
 * @throws ExpressionError naming `element` and `text` for anything else: method and function calls,
 *   lambdas, assignment, `;`, `+=`, `instanceof`, non-constant indexes, arithmetic on a string literal,
 *   names FEEL cannot hold (`$` in a name, FEEL keywords such as `if`, `in`, `for`).
 */
export function juelToFeel(text: string, element: string): string {
  // the FEEL size limits, before the recursive parser meets 100,000 nested parentheses
  const over = sourceOverLimit(text);
  if (over) throw new ExpressionBudgetError(element, text, over);
  try {
    if (!isJuelTemplate(text)) return feelString(text);
    const pieces = splitTemplate(text);
    if (pieces.length === 1 && 'expr' in pieces[0]) return printFeel(parseJuel(pieces[0].expr));
    const parts: Expr[] = [];
    for (const piece of pieces) {
      const e: Expr = 'text' in piece ? { kind: 'string', value: piece.text } : parseJuel(piece.expr);
      const last = parts[parts.length - 1];
      if (e.kind === 'string' && last?.kind === 'string')
        parts[parts.length - 1] = { kind: 'string', value: last.value + e.value };
      else parts.push(e.kind === 'string' ? e : { kind: 'text', operand: e });
    }
    const kept = parts.filter((p) => !(p.kind === 'string' && p.value === ''));
    return kept.length === 0 ? '""' : kept.map(printFeel).join(' + ');
  } catch (err) {
    throw toExpressionError(err, element, text);
  }
}

const plusOperands = (e: Expr): Expr[] =>
  e.kind === 'binary' && e.op === '+' ? [...plusOperands(e.left), ...plusOperands(e.right)] : [e];
const isText = (e: Expr): boolean => e.kind === 'string' || e.kind === 'text';

/** Operands of a FEEL string concatenation (a `+` tree with a string literal or `string(x)` in it), else null. */
function concatenation(e: Expr): Expr[] | null {
  const operands = plusOperands(e);
  return operands.some(isText) ? operands : null;
}

/** JUEL's arithmetic only takes numbers: a concatenation or a string operand below the top cannot be written. */
function assertNumericArithmetic(e: Expr): void {
  if (e.kind === 'binary' && ['+', '-', '*', '/', '%'].includes(e.op)) {
    if (e.op === '+' && concatenation(e))
      throw new SubsetError(
        'a string concatenation inside an expression has no JUEL equivalent (only at the top, as a template)',
      );
    if (isText(e.left) || isText(e.right))
      throw new SubsetError(`arithmetic (${e.op}) on a string has no JUEL equivalent`);
  }
  for (const child of Object.values(e)) if (child && typeof child === 'object') assertNumericArithmetic(child as Expr);
}

/** Literal text for a template; text JUEL would misread (`${`, `#{`, backslashes) goes in as `${'...'}`. */
function templateText(text: string): string {
  return /\\|\$\{|#\{/.test(text) ? `\${${juelString(text)}}` : text;
}

/**
 * Translates FEEL source (a leading `=` is ignored) into a Camunda 7 value: `${juel}` for an expression, template
 * text (`hello ${name}!`) for a string concatenation or a string literal, so that
 * `juelToFeel(feelToJuel(x))` evaluates as `x` does.
 *
 * Supported FEEL: literals; names; `a.b`, `get value(a, "b")`, `a[1]` (becomes JUEL's 0-based `a[0]`);
 * `= != < > <= >=`; `and`, `or`, `not(x)`; `+ - * /`, `modulo(a, b)`; unary minus; parentheses;
 * `if a then b else c`; string concatenation with `string(x)`; and the form `juelToFeel` writes for `empty`.
 *
 * @throws ExpressionError naming `element` and `source` for anything else: other function calls,
 *   lists, contexts, ranges, filters, `for`/`some`/`every`, `between`, `in`, `instance of`, `**`,
 *   a concatenation or string arithmetic below the top (JUEL's `+` only adds numbers), names JUEL
 *   reserves (`empty`, `div`...).
 */
export function feelToJuel(source: string, element: string): string {
  // the same size limits as on the way in: the recursive parser would overflow the stack on a long chain of operators
  const over = sourceOverLimit(source);
  if (over) throw new ExpressionBudgetError(element, source, over);
  try {
    const ast = parseFeel(source.startsWith('=') ? source.slice(1) : source);
    const operands = concatenation(ast);
    if (!operands) {
      assertNumericArithmetic(ast);
      return `\${${printJuel(ast)}}`;
    }
    const parts: Array<{ text: string } | { expr: Expr }> = [];
    for (let o of operands) {
      while (o.kind === 'text' && (o.operand.kind === 'text' || o.operand.kind === 'string')) o = o.operand; // string("a") is "a"
      const last = parts[parts.length - 1];
      if (o.kind !== 'string') parts.push({ expr: o.kind === 'text' ? o.operand : o });
      else if (last && 'text' in last) last.text += o.value;
      else parts.push({ text: o.value });
    }
    parts.forEach((p) => 'expr' in p && assertNumericArithmetic(p.expr));
    const kept = parts.filter((p) => !('text' in p && p.text === ''));
    const out = kept.map((p) => ('text' in p ? templateText(p.text) : `\${${printJuel(p.expr)}}`));
    // a lone `${x}` would be the value itself; an empty literal before it keeps it a string, as string(x) is
    return kept.length === 1 && 'expr' in kept[0] ? `\${''}${out[0]}` : out.join('');
  } catch (err) {
    throw toExpressionError(err, element, source);
  }
}
