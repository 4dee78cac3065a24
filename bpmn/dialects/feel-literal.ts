// Zeebe writes every mapping as FEEL: gravity templates (literals, lists, objects, `=expr`) <-> FEEL literal source.
import { evaluate, parseExpression } from 'feelin';
import { DefinitionError, isExpression, sourceOverLimit } from '../../engine/index.js';
import { feelString } from './feel-parse.js';
import { canonicalNumber } from './juel-parse.js';

type SyntaxNode = ReturnType<typeof parseExpression>['topNode'];

const RESERVED = new Set([
  'true',
  'false',
  'null',
  'if',
  'then',
  'else',
  'for',
  'in',
  'return',
  'some',
  'every',
  'satisfies',
  'and',
  'or',
  'not',
  'between',
  'instance',
  'of',
  'function',
]);
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A number as a literal both JUEL and FEEL read (no exponent). */
export function plainNumber(n: number, element: string): string {
  if (!Number.isFinite(n))
    throw new DefinitionError(`<${element}>: cannot write the number ${n} as an expression literal`, { element });
  const text = canonicalNumber(String(Math.abs(n)).replace('e+', 'e'));
  return n < 0 ? `-${text}` : text;
}

/** FEEL source (without `=`) of a template: expressions embedded as they are, literals as FEEL literals. */
export function feelOf(v: unknown, element: string): string {
  if (isExpression(v)) return v.slice(1).trim();
  if (typeof v === 'string') return feelString(v);
  if (typeof v === 'number') return plainNumber(v, element);
  if (typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => feelOf(x, element)).join(', ')}]`;
  if (v && typeof v === 'object') {
    const key = (k: string) => (PLAIN_KEY.test(k) && !RESERVED.has(k) ? k : feelString(k));
    return `{${Object.entries(v)
      .map(([k, x]) => `${key(k)}: ${feelOf(x, element)}`)
      .join(', ')}}`;
  }
  throw new DefinitionError(`<${element}>: cannot write ${String(v)} as a FEEL value`, { element });
}

/** A template as a Zeebe mapping source: `=` and FEEL (`="text"`, `=20`, `={a: 1}`, `=params.x`). */
export function encodeFeel(v: unknown, element: string): string {
  return isExpression(v) ? v : `=${feelOf(v, element)}`;
}

/** A literal string as a template value: one starting with `=` would read as FEEL, so it becomes a FEEL string literal. */
export function literalString(s: string): string {
  return s.startsWith('=') ? `=${feelString(s)}` : s;
}

const PUNCTUATION = new Set(['[', ']', '{', '}', ',', ':']);

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (!PUNCTUATION.has(c.type.name)) out.push(c);
  return out;
}

function hasError(node: SyntaxNode): boolean {
  if (node.type.isError) return true;
  for (let c = node.firstChild; c; c = c.nextSibling) if (hasError(c)) return true;
  return false;
}

/** Template value of a node: literals, lists and contexts are taken apart, anything else stays an `=expr`. */
function templateOf(node: SyntaxNode, src: string): { value: unknown; literal: boolean } {
  const text = src.slice(node.from, node.to);
  switch (node.type.name) {
    case 'StringLiteral':
      return { value: literalString(String(evaluate(text, {}).value)), literal: true };
    case 'NumericLiteral':
    case 'BooleanLiteral':
    case 'null':
      return { value: evaluate(text, {}).value, literal: true };
    case 'List':
      return { value: children(node).map((c) => templateOf(c, src).value), literal: true };
    case 'Context': {
      const entries = children(node).map((entry) => {
        const [key, value] = children(entry);
        const k =
          key.firstChild?.type.name === 'StringLiteral'
            ? String(evaluate(src.slice(key.from, key.to), {}).value)
            : src.slice(key.from, key.to);
        return [k, templateOf(value, src).value];
      });
      return { value: Object.fromEntries(entries), literal: true };
    }
    default:
      return { value: `=${text}`, literal: false };
  }
}

/**
 * A Zeebe mapping source as a template: text without `=` is a static string; a FEEL literal, list or
 * context comes back as the JSON value (with embedded non-literal parts as `=expr`); anything else as `=expr`.
 */
export function decodeFeel(source: string | undefined): unknown {
  const s = (source ?? '').trim();
  if (!s.startsWith('=')) return s;
  const src = s.slice(1).trim();
  // past the FEEL size limits the parser would take minutes: kept as an expression, which validation refuses
  if (sourceOverLimit(src)) return s;
  let top: SyntaxNode | null;
  try {
    const tree = parseExpression(src, {}, undefined);
    if (hasError(tree.topNode)) return s;
    top = tree.topNode.firstChild;
  } catch {
    return s;
  }
  if (!top || top.nextSibling) return s;
  const t = templateOf(top, src);
  return t.literal ? t.value : s;
}

/** A mapping source as an output mapping (a string): a literal string as itself, anything else as `=expr`. */
export function decodeFeelOutput(source: string | undefined): string {
  const v = decodeFeel(source);
  return typeof v === 'string' ? v : `=${(source ?? '').trim().replace(/^=/, '')}`;
}
