// JUEL <-> FEEL translation and FEEL literals, the corners the broader tests leave open: escapes and delimiters in
// templates, empty pieces, number literals, refusals with their exact reasons, and how Zeebe mapping sources are read.
import { describe, it, expect } from 'vitest';
import { evaluate } from 'feelin';
import { checkExpression, DefinitionError, ExpressionError } from '../../engine/index.js';
import { feelToJuel, juelToFeel } from '../../bpmn/dialects/juel.js';
import { canonicalNumber, parseJuel, SubsetError } from '../../bpmn/dialects/juel-parse.js';
import { decodeFeel, decodeFeelOutput, feelOf, plainNumber } from '../../bpmn/dialects/feel-literal.js';

/** Evaluates FEEL as the engine would: it must parse without a context, then feelin gives the value. */
function feel(source: string, ctx: Record<string, unknown> = {}): unknown {
  expect(checkExpression(source), source).toBeNull();
  return evaluate(source, ctx).value;
}

function errorOf<E extends Error>(type: new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as E;
  }
  throw new Error(`expected a ${type.name}`);
}

/** The reason an ExpressionError of juelToFeel gives, after checking it names the element and the expression. */
function juelRefusal(juel: string): string {
  const err = errorOf(ExpressionError, () => juelToFeel(juel, 'Flow_3'));
  expect(err.details).toEqual({ element: 'Flow_3', expression: juel });
  return err.message;
}
function feelRefusal(source: string): string {
  const err = errorOf(ExpressionError, () => feelToJuel(source, 'Flow_3'));
  expect(err.details).toEqual({ element: 'Flow_3', expression: source });
  return err.message;
}

describe('JUEL templates', () => {
  it.each([
    ['a backslash before plain text stays', 'a\\b ${c}', '"a\\\\b " + string(c)', 'a\\b 3'],
    ['an escaped #{ is literal text', '\\#{x} ${c}', '"#{x} " + string(c)', '#{x} 3'],
    ['an escaped ${ is literal text', '\\${x} #{c}', '"${x} " + string(c)', '${x} 3'],
    [
      '$ and # not followed by { are text',
      'cost $5 and #3: ${c}',
      '"cost $5 and #3: " + string(c)',
      'cost $5 and #3: 3',
    ],
    ['braces not after $ or # are text', 'set {x} to ${c}', '"set {x} to " + string(c)', 'set {x} to 3'],
    ['a } in a double-quoted literal does not close', '${"}"}x', '"}x"', '}x'],
    ['a } in a single-quoted literal does not close', "${'a}'}${c}", '"a}" + string(c)', 'a}3'],
    ['an empty literal before an expression keeps it a string', "${''}${c}", 'string(c)', '3'],
    ['empty literals only make the empty string', "${''}${''}", '""', ''],
  ])('reads a template where %s', (_what, juel, source, value) => {
    const written = juelToFeel(juel, 'Task_1');
    expect(written).toBe(source);
    expect(feel(written, { c: 3 })).toBe(value);
  });

  it('refuses mixing ${...} with #{...} in one value', () => {
    expect(juelRefusal('#{a} ${b}')).toMatch(/mixing \$\{\.\.\.\} and #\{\.\.\.\} in one value is not allowed in JUEL/);
  });
});

describe('FEEL concatenations to JUEL templates', () => {
  it.each([
    ['literal pieces that only together spell ${', '"$" + "{x} " + string(n)', "${'${x} '}${n}", '${x} 3'],
    ['string() of a literal', '"x" + string("a")', 'xa', 'xa'],
    ['string() of string() of a literal', '"x" + string(string("a")) + string(n)', 'xa${n}', 'xa3'],
    ['an empty literal before string()', '"" + string(n)', "${''}${n}", '3'],
    ['an empty literal in the middle', '"a" + "" + string(n)', 'a${n}', 'a3'],
  ])('writes %s', (_what, source, juel, value) => {
    expect(feelToJuel(source, 'Flow_1')).toBe(juel);
    expect(feel(juelToFeel(juel, 'Flow_1'), { n: 3 })).toBe(value);
    expect(feel(source, { n: 3 })).toBe(value);
  });

  it('writes a comparison with a string operand as a comparison, not a template', () => {
    expect(feelToJuel('s = "web"', 'Flow_1')).toBe("${s == 'web'}");
    expect(feelToJuel('"a" != s', 'Flow_1')).toBe("${'a' != s}");
  });

  it.each([
    ['n - "a"', 'arithmetic (-) on a string has no JUEL equivalent'],
    ['n * "a"', 'arithmetic (*) on a string has no JUEL equivalent'],
    ['n / "a"', 'arithmetic (/) on a string has no JUEL equivalent'],
    ['modulo(n, "a")', 'arithmetic (%) on a string has no JUEL equivalent'],
    [
      '"total " + string(n + "x")',
      'a string concatenation inside an expression has no JUEL equivalent (only at the top, as a template)',
    ],
    ['"total " + string(n - "x")', 'arithmetic (-) on a string has no JUEL equivalent'],
  ])('refuses %s: %s', (source, reason) => {
    expect(feelRefusal(source)).toContain(reason);
  });
});

describe('JUEL printing', () => {
  it.each([
    ['-(-n)', '${-(-n)}'],
    ['(-x)[1]', '${(-x)[0]}'],
    ['get value(-x, "a-b")', "${(-x)['a-b']}"],
  ])('writes the FEEL %s as %s, keeping the grouping', (source, juel) => {
    expect(feelToJuel(source, 'Flow_1')).toBe(juel);
    expect(juelToFeel(juel, 'Flow_1')).toBe(source);
  });

  it('negates a negation with parentheses, with the same value', () => {
    expect(feel(juelToFeel(feelToJuel('-(-n)', 'Flow_1'), 'Flow_1'), { n: 3 })).toBe(3);
  });
});

describe('JUEL numbers', () => {
  it.each([
    ['${1e+5}', '100000', 100000],
    ['${1E-2}', '0.01', 0.01],
    ['${1e10}', '10000000000', 1e10],
    ['${1.5e-3}', '0.0015', 0.0015],
    ['${007}', '7', 7],
    ['${0.05}', '0.05', 0.05],
    ['${1.500}', '1.5', 1.5],
    ['${100}', '100', 100],
    ['${.5}', '0.5', 0.5],
  ])('reads %s as the FEEL number %s', (juel, source, value) => {
    expect(juelToFeel(juel, 'Flow_1')).toBe(source);
    expect(feel(source)).toBe(value);
  });

  it.each([
    ['1e400', `1${'0'.repeat(400)}`],
    ['1e-400', `0.${'0'.repeat(399)}1`],
    ['12.340e1', '123.4'],
    ['0.0', '0'],
  ])('writes %s without exponent as %s', (src, text) => {
    expect(canonicalNumber(src)).toBe(text);
  });

  it.each([
    ['1e401', 'number 1e401 is out of range'],
    ['1e-401', 'number 1e-401 is out of range'],
    ['x12', 'malformed number x12'],
    ['12x', 'malformed number 12x'],
    ['abc', 'malformed number abc'],
    ['.', 'malformed number .'],
    ['e5', 'malformed number e5'],
    ['', 'malformed number '],
  ])('refuses the number %j: %s', (src, message) => {
    expect(errorOf(SubsetError, () => canonicalNumber(src)).message).toBe(message);
  });
});

describe('JUEL constructs outside the subset', () => {
  it.each([
    ["${a['b']()}", "method call ['b']() is outside the supported JUEL subset"],
    ['${a[0]()}', 'method call [0]() is outside the supported JUEL subset'],
    ["${1 'a'}", "unexpected 'a'"],
    ['${a @ b}', "unexpected character '@'"],
    ["${n * 'x'}", "arithmetic on a string literal is outside the supported JUEL subset (JUEL's * turns strings"],
    ["${b + 'a'}", "arithmetic on a string literal is outside the supported JUEL subset (JUEL's + turns strings"],
    ["${b - 'a' - c}", "JUEL's - turns strings"],
    ['${a.(b)}', "expected a property name after '.', found ("],
    ['${a.+}', "expected a property name after '.', found +"],
    ['${list[0 + 1]}', "a non-constant index is outside the supported JUEL subset (only a[0] and a['name'])"],
    ['${div}', 'unexpected div'],
    ['${mod + 1}', 'unexpected mod'],
    ['${n + eq}', 'unexpected eq'],
    ['${list[99999999999999999999]}', 'index 99999999999999999999 is too large'],
    ["${'\\n'}", 'invalid escape \\n in a string literal'],
    ["${'\\x'}", 'invalid escape \\x in a string literal'],
  ])('refuses %s: %s', (juel, reason) => {
    expect(juelRefusal(juel)).toContain(reason);
  });

  it('reads what only looks like the start of a prefixed function call', () => {
    expect(juelToFeel('${a ? b : -(c)}', 'Flow_1')).toBe('if a then b else -c');
    expect(feel('if a then b else -c', { a: false, b: 1, c: 2 })).toBe(-2);
    expect(juelToFeel('${list[10]}', 'Flow_1')).toBe('list[11]');
  });

  it.each([
    ["'abc", 'unterminated string literal'],
    ['"abc', 'unterminated string literal'],
    ["'ab\\'", 'unterminated string literal'],
    ["'ab\\", 'unterminated string literal'],
  ])('parses %s only when the string literal ends: %s', (src, message) => {
    expect(errorOf(SubsetError, () => parseJuel(src)).message).toBe(message);
  });

  it('keeps the quotes of a string literal in the token it reports', () => {
    expect(errorOf(SubsetError, () => parseJuel("'ab' 'cd'")).message).toBe("unexpected 'cd'");
    expect(parseJuel("'it\\'s'")).toEqual({ kind: 'string', value: "it's" });
  });
});

describe('FEEL literals for expression sources', () => {
  it.each([
    [0, '0'],
    [-0, '0'],
    [-2.5, '-2.5'],
    [1e21, '1000000000000000000000'],
    [-1.5e-7, '-0.00000015'],
  ])('writes the number %d as %s', (n, text) => {
    expect(plainNumber(n, 'Task_1')).toBe(text);
  });

  it.each([Infinity, -Infinity, NaN])('refuses to write the number %d, naming the element', (n) => {
    const err = errorOf(DefinitionError, () => plainNumber(n, 'Task_1'));
    expect(err.message).toBe(`<Task_1>: cannot write the number ${n} as an expression literal`);
    expect(err.details).toEqual({ element: 'Task_1' });
  });

  it('writes an embedded expression without its = and the spaces around it', () => {
    expect(feelOf('= x + 1 ', 'Task_1')).toBe('x + 1');
    expect(feelOf(['= a ', { b: '=  c' }], 'Task_1')).toBe('[a, {b: c}]');
  });

  it.each([
    [undefined, 'undefined'],
    [10n, '10'],
    [Symbol.for('s'), 'Symbol(s)'],
  ])('refuses to write %s as a FEEL value, naming the element', (v, shown) => {
    const err = errorOf(DefinitionError, () => feelOf(v, 'Task_1'));
    expect(err.message).toBe(`<Task_1>: cannot write ${shown} as a FEEL value`);
    expect(err.details).toEqual({ element: 'Task_1' });
  });
});

describe('Zeebe mapping sources', () => {
  it.each([
    ['an unterminated list', '=[1, 2'],
    ['an unterminated context', '={a: 1'],
    ['a list with an error deep inside', '=[1, [2, ]]'],
    ['a context with an error in a value', '=[1, {a: }]'],
    ['two expressions', '=1 2'],
    ['a literal followed by a comment', '=1 // one'],
    ['a context followed by a comment', '={a: 1} /* note */'],
    ['a lone =', '='],
    ['an expression spaced after =', '=  x + 1'],
  ])('keeps %s as the expression it is', (_what, source) => {
    expect(decodeFeel(source)).toBe(source);
  });

  it.each([
    ['a padded number', '  =20 ', 20],
    ['a number spaced after =', '= 20', 20],
    ['text that ends in a digit', 'v1', 'v1'],
    ['text that ends in a literal', 'x"y"', 'x"y"'],
    ['no source', undefined, ''],
    ['a context with a quoted key', '={"a b": 1, c: [2]}', { 'a b': 1, c: [2] }],
  ])('reads %s', (_what, source, value) => {
    expect(decodeFeel(source)).toEqual(value);
  });

  it('reads an output mapping as a string: literals as themselves, anything else as =expr', () => {
    expect(decodeFeelOutput(' =20 ')).toBe('=20');
    expect(decodeFeelOutput('=[1, x]')).toBe('=[1, x]');
    expect(decodeFeelOutput('="ok"')).toBe('ok');
    expect(decodeFeelOutput(undefined)).toBe('');
  });
});
