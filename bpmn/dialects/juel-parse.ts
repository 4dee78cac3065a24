// The expression subset shared by Camunda 7's JUEL and FEEL, with JUEL's parser and printer (used by juel.ts).

/** Binary operators of the shared subset, in JUEL spelling (`%` is FEEL's `modulo(a, b)`). */
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '>' | '<=' | '>=' | '&&' | '||';

/** Syntax tree of the subset both languages share; `index` counts from 0 as JUEL does. */
export type Expr =
  | { kind: 'number'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'name'; name: string }
  | { kind: 'property'; object: Expr; name: string }
  | { kind: 'index'; object: Expr; index: number }
  | { kind: 'unary'; op: '-' | '!' | 'empty'; operand: Expr }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'choice'; test: Expr; then: Expr; else: Expr }
  /** FEEL's `string(x)`: only meaningful as a piece of a text template. */
  | { kind: 'text'; operand: Expr };

/** Raised by the parsers and printers with the reason only; juel.ts adds element and expression. */
export class SubsetError extends Error {}

/** Writes a decimal literal without exponent or superfluous zeros (`1.50e2` -> `150`), as FEEL has no exponent. */
export function canonicalNumber(src: string): string {
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(src);
  if (!m || (m[1] === '' && !m[2])) throw new SubsetError(`malformed number ${src}`);
  const exp = Number(m[3] ?? 0);
  if (Math.abs(exp) > 400) throw new SubsetError(`number ${src} is out of range`);
  const digits = m[1] + (m[2] ?? '');
  const point = m[1].length + exp;
  const int = point <= 0 ? '0' : digits.slice(0, point).padEnd(point, '0');
  const frac = point < 0 ? '0'.repeat(-point) + digits : digits.slice(Math.max(point, 0));
  const i = int.replace(/^0+(?=\d)/, '');
  const f = frac.replace(/0+$/, '');
  return f ? `${i}.${f}` : i;
}

const JUEL_RESERVED = new Set([
  'and',
  'or',
  'not',
  'eq',
  'ne',
  'lt',
  'gt',
  'le',
  'ge',
  'true',
  'false',
  'null',
  'empty',
  'div',
  'mod',
  'instanceof',
]);
const JUEL_IDENT = /^[\p{L}_$][\p{L}\p{N}_$]*$/u;

/** True when `name` can be written as a bare JUEL identifier. */
export function isJuelIdentifier(name: string): boolean {
  return JUEL_IDENT.test(name) && !JUEL_RESERVED.has(name);
}

interface Token {
  type: 'num' | 'str' | 'id' | 'op' | 'eof';
  text: string;
  value?: string;
}

const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '->',
  '+=',
  '<',
  '>',
  '!',
  '+',
  '-',
  '*',
  '/',
  '%',
  '?',
  ':',
  '.',
  '[',
  ']',
  '(',
  ')',
  ',',
  '=',
  ';',
  '{',
  '}',
];

function tokenizeJuel(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(rest);
    const id = /^[\p{L}_$][\p{L}\p{N}_$]*/u.exec(rest);
    if (num) {
      out.push({ type: 'num', text: num[0] });
      i += num[0].length;
      continue;
    }
    if (id) {
      out.push({ type: 'id', text: id[0] });
      i += id[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1,
        value = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') {
          if (!`'"\\`.includes(src[j + 1] ?? ''))
            throw new SubsetError(`invalid escape \\${src[j + 1] ?? ''} in a string literal`);
          j++;
        }
        value += src[j++];
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

const WORD_OPS: Record<string, BinaryOp> = {
  eq: '==',
  ne: '!=',
  lt: '<',
  gt: '>',
  le: '<=',
  ge: '>=',
  and: '&&',
  or: '||',
  div: '/',
  mod: '%',
};
const LEVELS: BinaryOp[][] = [['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>='], ['+', '-'], ['*', '/', '%']];
const OUTSIDE: Record<string, string> = {
  '=': 'assignment (=)',
  ';': 'statement separator (;)',
  '->': 'lambda expression (->)',
  '+=': 'string concatenation operator (+=)',
  '{': 'set or map literal ({...})',
  ',': 'argument or lambda parameter list (,)',
  instanceof: 'instanceof operator',
};

/** Parses a JUEL expression body (between `${` and `}`) of the supported subset; throws SubsetError otherwise. */
export function parseJuel(src: string): Expr {
  const toks = tokenizeJuel(src);
  let p = 0;
  const peek = (k = 0): Token => toks[Math.min(p + k, toks.length - 1)];
  const unsupported = (t: Token): never => {
    const what = OUTSIDE[t.text];
    throw new SubsetError(what ? `${what} is outside the supported JUEL subset` : `unexpected ${t.text}`);
  };
  const expect = (text: string): void => {
    if (peek().text !== text) unsupported(peek());
    p++;
  };
  const binaryOp = (t: Token): BinaryOp | undefined =>
    t.type === 'op' ? (t.text as BinaryOp) : t.type === 'id' ? WORD_OPS[t.text] : undefined;

  function choice(): Expr {
    const test = binary(0);
    if (peek().text !== '?') return test;
    p++;
    const then = choice();
    expect(':');
    return { kind: 'choice', test, then, else: choice() };
  }
  function binary(level: number): Expr {
    if (level === LEVELS.length) return unary();
    let left = binary(level + 1);
    for (let op = binaryOp(peek()); op && LEVELS[level].includes(op); op = binaryOp(peek())) {
      p++;
      left = { kind: 'binary', op, left, right: binary(level + 1) };
      if (level >= 4 && (left.left.kind === 'string' || left.right.kind === 'string')) {
        throw new SubsetError(
          `arithmetic on a string literal is outside the supported JUEL subset (JUEL's ${op} turns strings into numbers; join text with a template: a\${b})`,
        );
      }
    }
    return left;
  }
  function unary(): Expr {
    const t = peek();
    const op =
      t.text === '-'
        ? '-'
        : t.text === '!' || (t.type === 'id' && t.text === 'not')
          ? '!'
          : t.type === 'id' && t.text === 'empty'
            ? 'empty'
            : null;
    if (op) {
      p++;
      return { kind: 'unary', op, operand: unary() };
    }
    return postfix();
  }
  function postfix(): Expr {
    let e = primary();
    for (;;) {
      const t = peek();
      if (t.text === '.' && t.type === 'op') {
        p++;
        const name = peek();
        if (name.type !== 'id' || JUEL_RESERVED.has(name.text))
          throw new SubsetError(`expected a property name after '.', found ${name.text}`);
        p++;
        if (peek().text === '(')
          throw new SubsetError(`method call .${name.text}() is outside the supported JUEL subset`);
        e = { kind: 'property', object: e, name: name.text };
      } else if (t.text === '[') {
        p++;
        const key = peek();
        const constant = (key.type === 'num' || key.type === 'str') && peek(1).text === ']';
        if (!constant)
          throw new SubsetError("a non-constant index is outside the supported JUEL subset (only a[0] and a['name'])");
        if (key.type === 'num' && !/^\d+$/.test(key.text))
          throw new SubsetError(`index ${key.text} is not a whole number`);
        p += 2;
        if (peek().text === '(')
          throw new SubsetError(`method call [${key.text}]() is outside the supported JUEL subset`);
        e =
          key.type === 'str'
            ? { kind: 'property', object: e, name: key.value! }
            : { kind: 'index', object: e, index: checkedIndex(key.text) };
      } else return e;
    }
  }
  function primary(): Expr {
    const t = peek();
    p++;
    if (t.type === 'num') return { kind: 'number', text: canonicalNumber(t.text) };
    if (t.type === 'str') return { kind: 'string', value: t.value! };
    if (t.type === 'id') {
      if (t.text === 'true' || t.text === 'false') return { kind: 'boolean', value: t.text === 'true' };
      if (t.text === 'null') return { kind: 'null' };
      if (peek().text === '(') throw new SubsetError(`function call ${t.text}() is outside the supported JUEL subset`);
      if (peek().text === ':' && peek(1).type === 'id' && peek(2).text === '(') {
        throw new SubsetError(`function call ${t.text}:${peek(1).text}() is outside the supported JUEL subset`);
      }
      if (JUEL_RESERVED.has(t.text)) unsupported(t);
      return { kind: 'name', name: t.text };
    }
    if (t.text === '(') {
      const e = choice();
      expect(')');
      return e;
    }
    if (t.text === '[') throw new SubsetError('list literal ([...]) is outside the supported JUEL subset');
    return unsupported(t);
  }

  const e = choice();
  if (peek().type !== 'eof') unsupported(peek());
  return e;
}

function checkedIndex(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new SubsetError(`index ${text} is too large`);
  return n;
}

/** Precedence of a node when printed as JUEL (higher binds tighter). */
function juelLevel(e: Expr): number {
  if (e.kind === 'choice') return 0;
  if (e.kind === 'binary') return 1 + LEVELS.findIndex((l) => l.includes(e.op));
  if (e.kind === 'unary') return 7;
  return 8;
}

/** Quotes a JUEL string literal. */
export function juelString(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** Prints a tree as JUEL source (without `${}`); throws SubsetError for `text` nodes, which only templates can hold. */
export function printJuel(e: Expr): string {
  const at = (child: Expr, min: number): string =>
    juelLevel(child) >= min ? printJuel(child) : `(${printJuel(child)})`;
  switch (e.kind) {
    case 'number':
      return e.text;
    case 'string':
      return juelString(e.value);
    case 'boolean':
      return String(e.value);
    case 'null':
      return 'null';
    case 'name':
      if (!isJuelIdentifier(e.name)) throw new SubsetError(`name ${e.name} cannot be written as a JUEL identifier`);
      return e.name;
    case 'property':
      return at(e.object, 8) + (isJuelIdentifier(e.name) ? `.${e.name}` : `[${juelString(e.name)}]`);
    case 'index':
      return `${at(e.object, 8)}[${e.index}]`;
    case 'unary': {
      const operand = e.op === '-' && e.operand.kind === 'unary' ? `(${printJuel(e.operand)})` : at(e.operand, 7);
      return e.op === 'empty' ? `empty ${operand}` : e.op + operand;
    }
    case 'binary': {
      const level = juelLevel(e);
      return `${at(e.left, level)} ${e.op} ${at(e.right, level + 1)}`;
    }
    case 'choice':
      return `${at(e.test, 1)} ? ${at(e.then, 1)} : ${at(e.else, 1)}`;
    case 'text':
      throw new SubsetError('string() outside a string concatenation has no JUEL equivalent');
  }
}
