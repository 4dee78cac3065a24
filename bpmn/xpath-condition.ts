// BPMN's default expression language is XPath: a condition with no language of its own (and none set on the file) is
// XPath, which gravity does not run. The few XPath conditions that only read data objects through BPMN's
// getDataObject() and compare them with literals say the same in FEEL over a variable of that name: those are read.
import type { ModdleElement } from './moddle.js';

/** The URI of XPath, BPMN's default `expressionLanguage`. */
export const XPATH = 'http://www.w3.org/1999/XPath';

/** A data object's name that is also a FEEL name: the variable it reads as. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Token =
  | { t: 'data'; name: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'op'; v: string }
  | { t: 'word'; v: 'and' | 'or' | 'not' }
  | { t: '(' }
  | { t: ')' };

const TOKEN =
  /\s*(?:bpmn:getDataObject\(\s*(?:'([^']*)'|"([^"]*)")\s*\)|'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)(?![\w.])|(true|false)\(\s*\)|(!=|<=|>=|=|<|>)|(and|or|not)(?![\w:-])|(\()|(\)))/y;

function tokens(body: string): Token[] | undefined {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < body.length) {
    if (!body.slice(at).trim()) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(body);
    if (!m) return undefined;
    at = TOKEN.lastIndex;
    const data = m[1] ?? m[2];
    if (data !== undefined) {
      if (!NAME.test(data)) return undefined;
      out.push({ t: 'data', name: data });
    } else if (m[3] !== undefined || m[4] !== undefined) out.push({ t: 'str', v: m[3] ?? m[4] });
    else if (m[5] !== undefined) out.push({ t: 'num', v: m[5] });
    else if (m[6] !== undefined) out.push({ t: 'bool', v: m[6] === 'true' });
    else if (m[7] !== undefined) out.push({ t: 'op', v: m[7] });
    else if (m[8] !== undefined) out.push({ t: 'word', v: m[8] as 'and' | 'or' | 'not' });
    else out.push({ t: m[9] ? '(' : ')' });
  }
  return out;
}

/** A FEEL string literal. */
const feelString = (s: string) => JSON.stringify(s);

/**
 * The FEEL of an XPath condition made only of `bpmn:getDataObject('name')` (the variable `name`), `not(...)`,
 * comparisons of one with a string, number or boolean (`true()`, `false()`) literal, `and`, `or` and parentheses; undefined
 * for anything else.
 */
export function xpathToFeel(body: string): string | undefined {
  const list = tokens(body);
  if (!list?.length) return undefined;
  let i = 0;
  const peek = () => list[i];
  const fail = (): never => {
    throw new Error('not of the forms read');
  };
  const literal = (tok: Token | undefined): string | undefined =>
    tok?.t === 'str' ? feelString(tok.v) : tok?.t === 'num' ? tok.v : tok?.t === 'bool' ? String(tok.v) : undefined;
  // a boolean operand: a data object, not(...), or (...)
  const operand = (): { feel: string; data: boolean } => {
    const tok = list[i++];
    if (tok?.t === 'data') return { feel: tok.name, data: true };
    if (tok?.t === 'word' && tok.v === 'not') {
      if (list[i++]?.t !== '(') fail();
      const inner = or();
      if (list[i++]?.t !== ')') fail();
      return { feel: `not(${inner})`, data: false };
    }
    if (tok?.t === '(') {
      const inner = or();
      if (list[i++]?.t !== ')') fail();
      return { feel: `(${inner})`, data: false };
    }
    return fail();
  };
  // a data object compared with a literal (either side), or a boolean operand alone
  const comparison = (): string => {
    const first = literal(peek());
    if (first !== undefined) {
      i++;
      const op = list[i++];
      const tok = list[i++];
      if (op?.t !== 'op' || tok?.t !== 'data') fail();
      return `${first} ${(op as { v: string }).v} ${(tok as { name: string }).name}`;
    }
    const left = operand();
    const op = peek();
    if (op?.t !== 'op') return left.feel;
    i++;
    const right = literal(list[i++]);
    if (!left.data || right === undefined) fail();
    return `${left.feel} ${op.v} ${right}`;
  };
  const and = (): string => {
    const parts = [comparison()];
    while (peek()?.t === 'word' && (peek() as { v: string }).v === 'and') {
      i++;
      parts.push(comparison());
    }
    return parts.join(' and ');
  };
  const or = (): string => {
    const parts = [and()];
    while (peek()?.t === 'word' && (peek() as { v: string }).v === 'or') {
      i++;
      parts.push(and());
    }
    return parts.join(' or ');
  };
  try {
    const feel = or();
    return i === list.length ? feel : undefined;
  } catch {
    return undefined;
  }
}

/** The expression language a condition is in: its own, else its file's (`expressionLanguage`), else XPath. */
export function languageOf(expr: ModdleElement): string {
  if (typeof expr.language === 'string' && expr.language.trim()) return expr.language.trim();
  let at: ModdleElement | undefined = expr;
  while (at && at.$type !== 'bpmn:Definitions') at = at.$parent as ModdleElement | undefined;
  const file = at?.expressionLanguage;
  return typeof file === 'string' && file.trim() ? file.trim() : XPATH;
}

/**
 * A flow's condition in XPath (its language, by default) that {@link xpathToFeel} reads, as FEEL; undefined when it is
 * in another language, is a `${...}` or `=` expression (what Camunda and Zeebe write without a language), or is XPath
 * of another form.
 */
export function xpathCondition(expr: ModdleElement): string | undefined {
  const body = typeof expr.body === 'string' ? expr.body.trim() : '';
  if (!body || body.startsWith('=') || body.includes('${') || body.includes('#{')) return undefined;
  if (languageOf(expr) !== XPATH) return undefined;
  return xpathToFeel(body);
}
