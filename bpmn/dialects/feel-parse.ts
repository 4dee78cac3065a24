// FEEL's side of the JUEL bridge: a small parser and printer for the subset both languages share (used by juel.ts).
import { canonicalNumber, SubsetError, type BinaryOp, type Expr } from './juel-parse.js';

interface Token {
  type: 'num' | 'str' | 'name' | 'op' | 'eof';
  text: string;
  value?: string;
}

const FEEL_NAME = /^[\p{L}_][\p{L}\p{N}_]*$/u;
/** Words feelin does not read as a name (nor after `.`) unless the evaluation context happens to define them. */
const FEEL_KEYWORDS = new Set([
  'for',
  'in',
  'return',
  'some',
  'every',
  'satisfies',
  'instance',
  'function',
  'external',
  'between',
  'if',
  'then',
  'else',
  'true',
  'false',
  'null',
  'and',
  'or',
]);
const isFeelName = (name: string): boolean => FEEL_NAME.test(name) && !FEEL_KEYWORDS.has(name);
const OPERATORS = [
  '**',
  '..',
  '!=',
  '<=',
  '>=',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '.',
  ':',
  '@',
];
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t' };
const QUOTE: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '"': '\\"', '\\': '\\\\' };

/** Quotes a FEEL string literal (feelin reads no raw line breaks inside one). */
export function feelString(value: string): string {
  return `"${value.replace(/[\\"\n\r\t]/g, (c) => QUOTE[c])}"`;
}

function tokenizeFeel(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    if (rest.startsWith('//') || rest.startsWith('/*'))
      throw new SubsetError('comments are outside the supported FEEL subset');
    const num = /^(\d+(\.\d+)?|\.\d+)/.exec(rest);
    const name = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(rest);
    if (num) {
      out.push({ type: 'num', text: num[0] });
      i += num[0].length;
      continue;
    }
    if (name) {
      out.push({ type: 'name', text: name[0] });
      i += name[0].length;
      continue;
    }
    if (c === '"') {
      let j = i + 1,
        value = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') {
          const e = src[j + 1] ?? '';
          if (e === 'u') throw new SubsetError('\\u escapes are outside the supported FEEL subset');
          value += ESCAPES[e] ?? `\\${e}`; // feelin keeps an unknown escape as written
          j += 2;
        } else value += src[j++];
      }
      if (j >= src.length) throw new SubsetError('unterminated string literal');
      out.push({ type: 'str', text: src.slice(i, j + 1), value });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) throw new SubsetError(`unexpected character '${c}'`);
    out.push({ type: 'op', text: op });
    i += op.length;
  }
  out.push({ type: 'eof', text: 'end of expression' });
  return out;
}

const COMPARE: Record<string, BinaryOp> = { '=': '==', '!=': '!=', '<': '<', '>': '>', '<=': '<=', '>=': '>=' };
const OUTSIDE: Record<string, string> = {
  '**': 'exponentiation (**)',
  '..': 'range (..)',
  '[': 'list literal ([...])',
  '{': 'context literal ({...})',
  '@': 'temporal literal (@"...")',
  ':': 'named argument or context entry (:)',
  in: 'in operator',
  between: 'between operator',
  instance: 'instance of operator',
};
const STOP_WORDS = new Set(['and', 'or', 'then', 'else', 'in', 'between', 'instance', 'satisfies', 'return']);
/** Token pattern of the FEEL written for JUEL's `empty x` (see printFeel); `$X` stands for the operand. */
const EMPTY_PATTERN =
  '( $X = null or ( $X instance of string and $X = "" ) or ( $X instance of list and count ( $X ) = 0 ) or ( $X instance of context and $X = { } ) )'.split(
    ' ',
  );

/** Parses FEEL source (without `=`) of the supported subset; throws SubsetError otherwise. */
export function parseFeel(src: string): Expr {
  const toks = tokenizeFeel(src);
  let p = 0;
  // token positions where the `empty x` pattern was tried and failed (see tryEmpty)
  const notEmptyAt = new Set<number>();
  const peek = (k = 0): Token => toks[Math.min(p + k, toks.length - 1)];
  const isWord = (t: Token, w: string): boolean => t.type === 'name' && t.text === w;
  const unsupported = (t: Token): never => {
    const what = OUTSIDE[t.text];
    throw new SubsetError(what ? `${what} is outside the supported FEEL subset` : `unexpected ${t.text}`);
  };
  const expect = (text: string): void => {
    if (peek().text !== text || peek().type === 'str') unsupported(peek());
    p++;
  };

  function expr(): Expr {
    let left = conj();
    while (isWord(peek(), 'or')) {
      p++;
      left = { kind: 'binary', op: '||', left, right: conj() };
    }
    return left;
  }
  function conj(): Expr {
    let left = compare();
    while (isWord(peek(), 'and')) {
      p++;
      left = { kind: 'binary', op: '&&', left, right: compare() };
    }
    return left;
  }
  function compare(): Expr {
    let left = additive();
    for (
      let op = peek().type === 'op' ? COMPARE[peek().text] : undefined;
      op;
      op = peek().type === 'op' ? COMPARE[peek().text] : undefined
    ) {
      p++;
      left = { kind: 'binary', op, left, right: additive() };
    }
    if (peek().type === 'name' && OUTSIDE[peek().text]) unsupported(peek());
    return left;
  }
  function additive(): Expr {
    let left = multiplicative();
    while (peek().text === '+' || peek().text === '-') {
      const op = peek().text as BinaryOp;
      p++;
      left = { kind: 'binary', op, left, right: multiplicative() };
    }
    return left;
  }
  function multiplicative(): Expr {
    let left = unary();
    while (peek().text === '*' || peek().text === '/') {
      const op = peek().text as BinaryOp;
      p++;
      left = { kind: 'binary', op, left, right: unary() };
    }
    if (peek().text === '**') unsupported(peek());
    return left;
  }
  function unary(): Expr {
    if (peek().text !== '-' || peek().type !== 'op') return postfix();
    p++;
    return { kind: 'unary', op: '-', operand: unary() };
  }
  function postfix(): Expr {
    let e = primary();
    for (;;) {
      if (peek().text === '.' && peek().type === 'op') {
        p++;
        if (peek().type !== 'name') throw new SubsetError(`expected a name after '.', found ${peek().text}`);
        e = { kind: 'property', object: e, name: peek().text };
        p++;
      } else if (peek().text === '[' && peek().type === 'op') {
        p++;
        const i = peek();
        if (i.type !== 'num' || !/^\d+$/.test(i.text) || peek(1).text !== ']')
          throw new SubsetError('a filter or non-constant index is outside the supported FEEL subset (only a[1])');
        if (Number(i.text) < 1 || !Number.isSafeInteger(Number(i.text)))
          throw new SubsetError(`index ${i.text} has no JUEL equivalent (FEEL counts from 1)`);
        p += 2;
        e = { kind: 'index', object: e, index: Number(i.text) - 1 };
      } else if (peek().text === '(' && peek().type === 'op') {
        throw new SubsetError('calling a computed function is outside the supported FEEL subset');
      } else return e;
    }
  }
  function args(n: number, fn: string): Expr[] {
    expect('(');
    const out = [expr()];
    while (peek().text === ',') {
      p++;
      out.push(expr());
    }
    expect(')');
    if (out.length !== n) throw new SubsetError(`${fn}() takes ${n} argument(s) here, got ${out.length}`);
    return out;
  }
  function primary(): Expr {
    const t = peek();
    if (t.type === 'num') {
      p++;
      return { kind: 'number', text: canonicalNumber(t.text) };
    }
    if (t.type === 'str') {
      p++;
      return { kind: 'string', value: t.value! };
    }
    if (t.type === 'name') return named(t);
    if (t.text === '(') {
      const empty = tryEmpty();
      if (empty) return empty;
      p++;
      const e = expr();
      expect(')');
      return e;
    }
    return unsupported(t);
  }
  function named(t: Token): Expr {
    const call = peek(1).text === '(';
    if (t.text === 'get' && isWord(peek(1), 'value') && peek(2).text === '(') {
      p += 2;
      const [object, key] = args(2, 'get value');
      if (key.kind !== 'string')
        throw new SubsetError('get value() with a computed key is outside the supported FEEL subset');
      return { kind: 'property', object, name: key.value };
    }
    p++;
    if (t.text === 'true' || t.text === 'false') return { kind: 'boolean', value: t.text === 'true' };
    if (t.text === 'null') return { kind: 'null' };
    if (t.text === 'if') {
      const test = expr();
      if (!isWord(peek(), 'then')) unsupported(peek());
      p++;
      const then = expr();
      if (!isWord(peek(), 'else')) unsupported(peek());
      p++;
      return { kind: 'choice', test, then, else: expr() };
    }
    if (t.text === 'for') throw new SubsetError('for expression is outside the supported FEEL subset');
    if (t.text === 'some' || t.text === 'every')
      throw new SubsetError(`quantified expression (${t.text}) is outside the supported FEEL subset`);
    if (t.text === 'function') throw new SubsetError('function definition is outside the supported FEEL subset');
    if (FEEL_KEYWORDS.has(t.text)) unsupported(t);
    if (call && t.text === 'not') return { kind: 'unary', op: '!', operand: args(1, 'not')[0] };
    if (call && t.text === 'string') return { kind: 'text', operand: args(1, 'string')[0] };
    if (call && t.text === 'modulo') {
      const [left, right] = args(2, 'modulo');
      return { kind: 'binary', op: '%', left, right };
    }
    const words = [t.text];
    for (let k = 0; peek(k).type === 'name' && !STOP_WORDS.has(peek(k).text) && k < 4; k++) words.push(peek(k).text);
    if (peek(words.length - 1).text === '(')
      throw new SubsetError(`function call ${words.join(' ')}() is outside the supported FEEL subset`);
    return { kind: 'name', name: t.text };
  }
  /** Recognises the FEEL that printFeel writes for `empty x`, so that it reads back as `empty x`. */
  function tryEmpty(): Expr | null {
    const start = p;
    // each "(" is tried as the start of the pattern, then parsed plainly: without remembering where the pattern failed,
    // n nested brackets took 2^n tries (18 levels: 2.4 s; the 64 validation allows: forever)
    if (notEmptyAt.has(start)) return null;
    let operand: Expr | null = null;
    try {
      for (const want of EMPTY_PATTERN) {
        if (want === '$X') {
          const x = postfix();
          if (operand && JSON.stringify(operand) !== JSON.stringify(x)) throw new SubsetError('not empty');
          operand = x;
        } else if (peek().text === want) p++;
        else throw new SubsetError('not empty');
      }
      return { kind: 'unary', op: 'empty', operand: operand! };
    } catch {
      p = start;
      notEmptyAt.add(start);
      return null;
    }
  }

  const e = expr();
  if (peek().type !== 'eof') unsupported(peek());
  return e;
}

const FEEL_OPS: Partial<Record<BinaryOp, string>> = { '==': '=', '&&': 'and', '||': 'or' };
const FEEL_LEVEL: Record<BinaryOp, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 3,
  '>': 3,
  '<=': 3,
  '>=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 8,
};

function feelLevel(e: Expr): number {
  if (e.kind === 'choice') return 0;
  if (e.kind === 'binary') return FEEL_LEVEL[e.op];
  if (e.kind === 'unary' && e.op === '-') return 6;
  return 8;
}

/** Prints a tree as FEEL source (without `=`); throws SubsetError for names FEEL cannot hold. */
export function printFeel(e: Expr): string {
  const at = (child: Expr, min: number): string =>
    feelLevel(child) >= min ? printFeel(child) : `(${printFeel(child)})`;
  const object = (child: Expr): string =>
    child.kind === 'number' || feelLevel(child) < 8 ? `(${printFeel(child)})` : printFeel(child);
  switch (e.kind) {
    case 'number':
      return e.text;
    case 'string':
      return feelString(e.value);
    case 'boolean':
      return String(e.value);
    case 'null':
      return 'null';
    case 'name':
      if (FEEL_KEYWORDS.has(e.name))
        throw new SubsetError(`name ${e.name} is a FEEL keyword and cannot name a variable`);
      if (!FEEL_NAME.test(e.name)) throw new SubsetError(`name ${e.name} cannot be written as a FEEL name`);
      return e.name;
    case 'property':
      return isFeelName(e.name)
        ? `${object(e.object)}.${e.name}`
        : `get value(${printFeel(e.object)}, ${feelString(e.name)})`;
    case 'index':
      return `${object(e.object)}[${e.index + 1}]`;
    case 'unary': {
      if (e.op === '!') return `not(${printFeel(e.operand)})`;
      if (e.op === '-')
        return `-${e.operand.kind === 'unary' && e.operand.op === '-' ? `(${printFeel(e.operand)})` : at(e.operand, 6)}`;
      const x = at(e.operand, 8); // parsed back by tryEmpty with EMPTY_PATTERN
      return `(${x} = null or (${x} instance of string and ${x} = "") or (${x} instance of list and count(${x}) = 0) or (${x} instance of context and ${x} = {}))`;
    }
    case 'binary': {
      if (e.op === '%') return `modulo(${printFeel(e.left)}, ${printFeel(e.right)})`;
      const level = FEEL_LEVEL[e.op];
      // comparisons do not chain in FEEL: both sides of one are parenthesised when they are comparisons too
      return `${at(e.left, level === 3 ? 4 : level)} ${FEEL_OPS[e.op] ?? e.op} ${at(e.right, level + 1)}`;
    }
    case 'choice':
      return `if ${at(e.test, 1)} then ${at(e.then, 1)} else ${at(e.else, 1)}`;
    case 'text':
      return `string(${printFeel(e.operand)})`;
  }
}
