// Camunda 7 JUEL <-> FEEL translation: checked by evaluating the FEEL with feelin, not only by comparing text.
import { describe, it, expect } from 'vitest';
import { evaluate } from 'feelin';
import { checkExpression, ErrorCode, ExpressionError } from '../../engine/index.js';
import { feelToJuel, isJuelTemplate, juelToFeel } from '../../bpmn/dialects/juel.js';

const ctxA = {
  a: true,
  b: false,
  c: true,
  n: 3,
  m: 4,
  s: 'web',
  name: 'Ada',
  order_id: 7,
  x1: 2,
  nil: null,
  list: [10, 20, 30],
  items: [{ id: 'i1' }],
  obj: { b: { c: 5 }, 'x-y': 9, div: 1, for: 'kw' },
  date: true,
  time: false,
};
const ctxB = {
  ...ctxA,
  a: false,
  c: false,
  n: 0,
  m: -5,
  s: 'db',
  name: '',
  list: [1, 2, 3],
  obj: { b: { c: -1 }, 'x-y': 'v', div: 0, for: 2 },
};
const ctxC = { ...ctxA, a: null, b: true, n: 1.5, m: 1.5, s: '', name: 'Zoë', list: [] };
const contexts = [ctxA, ctxB, ctxC];

/** Evaluates FEEL as the engine would: it must parse without a context, then feelin gives the value. */
function feel(source: string, ctx: Record<string, unknown> = ctxA): unknown {
  expect(checkExpression(source), source).toBeNull();
  return evaluate(source, ctx).value;
}

function errorOf(fn: () => unknown): ExpressionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError);
    return e as ExpressionError;
  }
  throw new Error('expected an ExpressionError');
}

describe('JUEL to FEEL', () => {
  it.each([
    ['${n}', 3],
    ['${n + 1}', 4],
    ['${1.5e2}', 150],
    ['${.5 + 1}', 1.5],
    ['${true}', true],
    ['${false}', false],
    ['${null}', null],
    ["${'it\\'s'}", "it's"],
    ['${"say \\"hi\\""}', 'say "hi"'],
    ["${'back\\\\slash'}", 'back\\slash'],
    ["${'two\nlines'}", 'two\nlines'],
    ['${obj.b.c}', 5],
    ["${obj['b'].c}", 5],
    ['${obj["x-y"]}', 9],
    ["${obj['div']}", 1],
    ["${obj['for']}", 'kw'],
    ['${list[0]}', 10],
    ['${list[2]}', 30],
    ['${list[3]}', null],
    ['${items[0].id}', 'i1'],
    ['${n == 3}', true],
    ['${n != 3}', false],
    ['${n < m}', true],
    ['${n > m}', false],
    ['${n <= 3}', true],
    ['${n >= 4}', false],
    ['${n eq 3}', true],
    ['${n ne 3}', false],
    ['${n lt m}', true],
    ['${n gt m}', false],
    ['${n le 3}', true],
    ['${n ge 4}', false],
    ["${s == 'web'}", true],
    ['${nil == null}', true],
    ['${nil != null}', false],
    ['${a && b}', false],
    ['${a || b}', true],
    ['${!b}', true],
    ['${a and c}', true],
    ['${b or c}', true],
    ['${not a}', false],
    ['${n * m}', 12],
    ['${m / 2}', 2],
    ['${7 / 2}', 3.5],
    ['${7 div 2}', 3.5],
    ['${7 % 3}', 1],
    ['${7 mod 3}', 1],
    ['${n - m}', -1],
    ['${-n}', -3],
    ['${-(n + m)}', -7],
    ['${- -n}', 3],
    ["${a ? 'yes' : 'no'}", 'yes'],
    ['${b ? 1 : c ? 2 : 3}', 2],
    ['${order_id + x1}', 9],
    ['${date && time}', false],
  ])('evaluates %s to %j', (juel, value) => {
    expect(feel(juelToFeel(juel, 'Flow_1'))).toEqual(value);
  });

  it.each([
    ['${a || b && c}', { a: true, b: false, c: false }, true],
    ['${(a || b) && c}', { a: true, b: false, c: false }, false],
    ['${!a == b}', { a: true, b: null }, false],
    ['${!b && b}', { b: true }, false],
    ['${a || b ? 1 : 2}', { a: true, b: false }, 1],
    ['${a ? 1 : 2 + 3}', { a: false }, 5],
    ['${1 + 2 * 3}', {}, 7],
    ['${(1 + 2) * 3}', {}, 9],
    ['${10 - 4 - 3}', {}, 3],
    ['${12 / 3 / 2}', {}, 2],
    ['${10 - (4 - 3)}', {}, 9],
    ['${-n * 2}', { n: 3 }, -6],
    ['${n < m == true}', { n: 1, m: 2 }, true],
    ['${1 < 2 == 2 < 3}', {}, true],
    ['${n > 2 && n < 5 || false}', { n: 3 }, true],
    ['${not empty s && s != "x"}', { s: 'y' }, true],
  ])('keeps JUEL precedence in %s', (juel, ctx, value) => {
    expect(feel(juelToFeel(juel, 'Flow_1'), ctx)).toEqual(value);
  });

  it.each([
    ['hello ${name}!', 'hello Ada!'],
    ['${name}, ${n} items', 'Ada, 3 items'],
    ['total: ${n * m}', 'total: 12'],
    ['${s}-${n}', 'web-3'],
    ["a${'b'}c", 'abc'],
    ['flag=${a}', 'flag=true'],
    ['list ${list}', 'list [10, 20, 30]'],
    ["${'}'}x", '}x'],
    ['#{name} again', 'Ada again'],
    ['plain text', 'plain text'],
    ['', ''],
    ['price \\${n}', 'price ${n}'],
    ['say "hi" \\ ok', 'say "hi" \\ ok'],
    ['line\nbreak\ttab', 'line\nbreak\ttab'],
    ["${''}${n}", '3'],
  ])('turns the template %j into a string concatenation giving %j', (juel, value) => {
    expect(feel(juelToFeel(juel, 'Task_1'))).toBe(value);
  });

  it.each([
    ['hello ${name}!', '"hello " + string(name) + "!"'],
    ["a${'b'}c", '"abc"'],
    ['plain', '"plain"'],
    ['${a}${b}', 'string(a) + string(b)'],
    ['${list[0]}', 'list[1]'],
    ['${a[0].b[2]}', 'a[1].b[3]'],
    ['${a["x-y"]}', 'get value(a, "x-y")'],
    ['${a ? b : c}', 'if a then b else c'],
    ['${x == 1 && !y}', 'x = 1 and not(y)'],
    ['${a % b}', 'modulo(a, b)'],
    ['${1.50e1}', '15'],
  ])('writes %s as the FEEL %s', (juel, source) => {
    expect(juelToFeel(juel, 'Flow_1')).toBe(source);
  });
});

describe('JUEL operators against the EL spec (JSR-245 1.7-1.11)', () => {
  // Each expected value is written from the spec, never computed by a round trip. Operands sit below, at and above
  // each other, so an operator translated as a neighbour (ge as >, le as <, eq as ne, and as or...) fails a row.
  const juel = (source: string, ctx: Record<string, unknown>): unknown => feel(juelToFeel(source, 'Flow_1'), ctx);

  // 1.8.1 and 1.8.2: numbers, negative decimals, and strings (compared lexically)
  const below: Array<[unknown, unknown]> = [
    [2, 3],
    [-1.5, -1],
    ['abc', 'abd'],
  ];
  const at: Array<[unknown, unknown]> = [
    [3, 3],
    [-1.5, -1.5],
    ['abc', 'abc'],
  ];
  const above: Array<[unknown, unknown]> = [
    [4, 3],
    [-1, -1.5],
    ['abd', 'abc'],
  ];
  const comparisons: Array<[string, string, [boolean, boolean, boolean]]> = [
    // symbol, word, [x < y, x == y, x > y]
    ['==', 'eq', [false, true, false]],
    ['!=', 'ne', [true, false, true]],
    ['<', 'lt', [true, false, false]],
    ['>', 'gt', [false, false, true]],
    ['<=', 'le', [true, true, false]],
    ['>=', 'ge', [false, true, true]],
  ];
  const comparisonRows = comparisons.flatMap(([op, word, [lt, eq, gt]]) => [
    ...below.map(([x, y]) => [op, word, x, y, lt] as const),
    ...at.map(([x, y]) => [op, word, x, y, eq] as const),
    ...above.map(([x, y]) => [op, word, x, y, gt] as const),
  ]);

  it.each(comparisonRows)('gives x %s y and x %s y for x=%j, y=%j as %s', (op, word, x, y, value) => {
    // given two operands, when compared with the symbol and with the word, then both give the spec's answer
    for (const source of [`\${x ${op} y}`, `\${x ${word} y}`]) expect(juel(source, { x, y }), source).toBe(value);
  });

  it.each([
    // 1.9.1, A and B already booleans: symbol, word, [true true, true false, false true, false false]
    ['&&', 'and', [true, false, false, false]],
    ['||', 'or', [true, true, true, false]],
  ] as const)('gives a %s b and a %s b for all four truth combinations', (op, word, values) => {
    const truth = [
      [true, true],
      [true, false],
      [false, true],
      [false, false],
    ];
    truth.forEach(([a, b], i) => {
      for (const source of [`\${a ${op} b}`, `\${a ${word} b}`])
        expect(juel(source, { a, b }), `${source} with ${a}, ${b}`).toBe(values[i]);
    });
  });

  it.each([
    // 1.9.2: a, !a, !!a
    [true, false, true],
    [false, true, false],
  ])('negates a=%s with ! and not to %s, twice to %s', (a, once, twice) => {
    expect(juel('${!a}', { a })).toBe(once);
    expect(juel('${not a}', { a })).toBe(once);
    expect(juel('${!!a}', { a })).toBe(twice);
    expect(juel('${not not a}', { a })).toBe(twice);
    expect(juel('${!(x > 3)}', { x: a ? 4 : 3 })).toBe(once); // not of a comparison, not of a name only
  });

  it.each([
    // 1.10: empty x, !empty x (= not empty x); null, "", empty arrays, maps and collections are empty, nothing else is
    [null, true, false],
    ['', true, false],
    ['a', false, true],
    [' ', false, true],
    [[], true, false],
    [[1], false, true],
    [[null], false, true],
    [{}, true, false],
    [{ k: 1 }, false, true],
    [0, false, true],
    [false, false, true],
  ])('gives empty x for x=%j as %s and its negations as %s', (x, empty, notEmpty) => {
    expect(juel('${empty x}', { x })).toBe(empty);
    expect(juel('${!empty x}', { x })).toBe(notEmpty);
    expect(juel('${not empty x}', { x })).toBe(notEmpty);
    expect(juel('${empty obj.x}', { obj: { x } })).toBe(empty);
  });

  it.each([
    // 1.11: A ? B : C takes B when A is true and C when false; A = null coerces to false (FEEL's if takes else too)
    ['${a ? 1 : 2}', { a: true }, 1],
    ['${a ? 1 : 2}', { a: false }, 2],
    ['${a ? 1 : 2}', { a: null }, 2],
    ['${a ? 1 : b ? 2 : 3}', { a: true, b: false }, 1],
    ['${a ? 1 : b ? 2 : 3}', { a: false, b: true }, 2],
    ['${a ? 1 : b ? 2 : 3}', { a: false, b: false }, 3],
    ['${a ? b ? 1 : 2 : 3}', { a: true, b: false }, 2],
    ["${x ge y ? 'x' : 'y'}", { x: 3, y: 3 }, 'x'],
    ["${x gt y ? 'x' : 'y'}", { x: 3, y: 3 }, 'y'],
  ])('chooses %s with %j as %j', (source, ctx, value) => {
    expect(juel(source, ctx)).toEqual(value);
  });

  it.each([
    // 1.7.1-1.7.3: symbol, word (the symbol again when JUEL has none), x, y, x op y; / is a true division, % the remainder
    ['+', '+', 7, 2, 9],
    ['+', '+', -7, 2.5, -4.5],
    ['-', '-', 7, 2, 5],
    ['-', '-', 2, 7, -5],
    ['*', '*', 7, 2, 14],
    ['*', '*', -3, 2, -6],
    ['/', 'div', 7, 2, 3.5],
    ['/', 'div', 2, 8, 0.25],
    ['/', 'div', 6, 3, 2],
    ['/', 'div', -9, 2, -4.5],
    ['%', 'mod', 7, 2, 1],
    ['%', 'mod', 2, 7, 2],
    ['%', 'mod', 7.5, 2, 1.5],
    ['%', 'mod', 6, 3, 0],
  ] as const)('gives x %s y and x %s y for x=%j, y=%j as %j', (op, word, x, y, value) => {
    for (const o of new Set([op, word])) expect(juel(`\${x ${o} y}`, { x, y }), o).toBe(value);
  });

  it.each([
    // 1.7.4 and 1.13: unary minus binds tighter than * and +; binary operators of one level group to the left
    ['${-x}', -7],
    ['${-x + y}', -5],
    ['${-(x + y)}', -9],
    ['${- -x}', 7],
    ['${x - -y}', 9],
    ['${-x * -y}', 14],
    ['${-y - x}', -9],
    ['${x - y - 1}', 4],
    ['${x - y + 1}', 6],
    ['${x / y / 7}', 0.5],
    ['${x div y div 7}', 0.5],
    ['${x % y * 3}', 3],
    ['${x mod 4 div 2}', 1.5],
    ['${x + y * 3}', 13],
    ['${x - y mod 3}', 5],
  ])('evaluates %s with x=7, y=2 to %j', (source, value) => {
    expect(juel(source, { x: 7, y: 2 })).toBe(value);
  });

  it.each([
    // 1.8.2: null equals only null, in both languages
    ['${nil == null}', '${nil eq null}', { nil: null }, true],
    ['${nil != null}', '${nil ne null}', { nil: null }, false],
    ['${x == null}', '${x eq null}', { x: 3 }, false],
    ['${x != null}', '${x ne null}', { x: 3 }, true],
    ['${nil == x}', '${nil eq x}', { nil: null, x: 0 }, false],
    ['${nil != x}', '${nil ne x}', { nil: null, x: 0 }, true],
  ])('compares with null: %s and %s with %j give %s', (symbol, word, ctx, value) => {
    expect(juel(symbol, ctx)).toBe(value);
    expect(juel(word, ctx)).toBe(value);
  });

  it.each<[string, string, Record<string, unknown>, unknown, unknown]>([
    // Known differences juel.ts documents ("values follow FEEL's rules: no JUEL coercions, null stays null in
    // and/or/not, % follows the divisor's sign"): the translation keeps FEEL's value, the last column is JUEL's.
    ["${1 == '1'}", "${1 eq '1'}", {}, null, true], // JUEL coerces '1' to a number
    ['${nil + 1}', '${nil + 1}', { nil: null }, null, 1], // JUEL coerces null to 0
    ['${nil < 3}', '${nil lt 3}', { nil: null }, null, false], // 1.8.1: a null operand gives false
    ['${nil <= nil}', '${nil le nil}', { nil: null }, null, true], // 1.8.1: A == B gives true for <= and >= first
    ['${nil >= 3}', '${nil ge 3}', { nil: null }, null, false],
    ['${nil && true}', '${nil and true}', { nil: null }, null, false], // JUEL coerces null to false
    ['${nil && false}', '${nil and false}', { nil: null }, false, false],
    ['${nil || true}', '${nil or true}', { nil: null }, true, true],
    ['${nil || false}', '${nil or false}', { nil: null }, null, false],
    ['${!nil}', '${not nil}', { nil: null }, null, true],
    ['${-7 % 2}', '${-7 mod 2}', {}, 1, -1], // Java's remainder takes the dividend's sign, FEEL's modulo the divisor's
    ['${7 % -2}', '${7 mod -2}', {}, -1, 1],
  ])("gives %s (and %s) with %j FEEL's %j where JUEL gives %j", (symbol, word, ctx, value) => {
    expect(juel(symbol, ctx)).toBe(value);
    expect(juel(word, ctx)).toBe(value);
  });
});

describe('empty', () => {
  const samples: Array<[unknown, boolean]> = [
    [null, true],
    ['', true],
    [[], true],
    [{}, true],
    ['a', false],
    [' ', false],
    [[1], false],
    [[null], false],
    [{ k: 1 }, false],
    [0, false],
    [false, false],
  ];

  it.each(samples)('translates empty for %j to %s', (x, value) => {
    expect(feel(juelToFeel('${empty x}', 'Flow_1'), { x })).toBe(value);
    expect(feel(juelToFeel('${not empty x}', 'Flow_1'), { x })).toBe(!value);
    expect(feel(juelToFeel('${empty obj.x}', 'Flow_1'), { obj: { x } })).toBe(value);
  });

  it('treats an unset variable as empty', () => {
    expect(feel(juelToFeel('${empty missing}', 'Flow_1'), {})).toBe(true);
  });

  it.each(samples)('gets a boolean, never null, from each piece of the translation for %j', (x, value) => {
    const pieces = [
      'x = null',
      '(x instance of string and x = "")',
      '(x instance of list and count(x) = 0)',
      '(x instance of context and x = {})',
    ];
    const results = pieces.map((p) => feel(p, { x }));
    results.forEach((r) => expect(typeof r).toBe('boolean'));
    expect(results.some(Boolean)).toBe(value);
  });
});

describe('constructs outside the subset', () => {
  it.each([
    ['${x.size()}', /method call \.size\(\)/],
    ["${execution.getVariable('x')}", /method call \.getVariable\(\)/],
    ['${fn:contains(a, b)}', /function call fn:contains\(\)/],
    ['${size(x)}', /function call size\(\)/],
    ['${x -> x + 1}', /lambda/],
    ['${(x, y) -> x}', /lambda parameter list/],
    ['${x = 1}', /assignment/],
    ['${a; b}', /statement separator/],
    ["${s += 'x'}", /\+=/],
    ['${x instanceof y}', /instanceof/],
    ['${list[i]}', /non-constant index/],
    ['${list[1.5]}', /not a whole number/],
    ['${[1, 2]}', /list literal/],
    ['${{1, 2}}', /set or map literal/],
    ['${a$b}', /cannot be written as a FEEL name/],
    ['${if}', /FEEL keyword/],
    ['${in > 1}', /FEEL keyword/],
    ['${}', /unexpected end of expression/],
    ['${a', /unterminated/],
    ['${a}#{b}', /mixing/],
    ["${'\\n'}", /invalid escape/],
    ['${a.empty}', /property name/],
    ['${a ? b}', /unexpected end/],
    ["${'a' + b}", /arithmetic on a string literal/],
  ])('rejects %s naming the element and the expression', (juel, reason) => {
    const err = errorOf(() => juelToFeel(juel, 'Flow_7'));
    expect(err.code).toBe(ErrorCode.Expression);
    expect(err.message).toMatch(reason);
    expect(err.message).toContain('<Flow_7>');
    expect(err.message).toContain(juel);
    expect(err.details).toEqual({ element: 'Flow_7', expression: juel });
  });

  it.each([
    ['upper case(s)', /function call upper case\(\)/],
    ['count(list)', /function call count\(\)/],
    ['[1, 2]', /list literal/],
    ['{a: 1}', /context literal/],
    ['for x in list return x', /for expression/],
    ['some x in list satisfies x > 1', /quantified/],
    ['n between 1 and 5', /between/],
    ['n in [1, 2]', /in operator/],
    ['n instance of number', /instance of/],
    ['n ** 2', /exponentiation/],
    ['list[item > 1]', /filter/],
    ['list[0]', /counts from 1/],
    ['@"2024-01-01"', /temporal literal/],
    ['function(x) x', /function definition/],
    ['string(n) = "3"', /string\(\) outside a string concatenation/],
    ['empty + 1', /cannot be written as a JUEL identifier/],
    ['get value(obj, s)', /computed key/],
    ['"\\u0041"', /\\u escapes/],
    ['n +', /unexpected end/],
    ['1 // note', /comments/],
    ['if a then "x" + s else "y"', /concatenation inside an expression/],
    ['"x" * 2', /arithmetic \(\*\) on a string/],
  ])('rejects the FEEL %s naming the element and the expression', (source, reason) => {
    const err = errorOf(() => feelToJuel(source, 'Gateway_2'));
    expect(err.message).toMatch(reason);
    expect(err.message).toContain('<Gateway_2>');
    expect(err.details).toEqual({ element: 'Gateway_2', expression: source });
  });
});

describe('FEEL to JUEL', () => {
  it.each([
    ['n + 1', '${n + 1}'],
    ['=n', '${n}'],
    ['a = b', '${a == b}'],
    ['a and not(b) or c', '${a && !b || c}'],
    ['(a or b) and c', '${(a || b) && c}'],
    ['if n > 2 then "big" else "small"', "${n > 2 ? 'big' : 'small'}"],
    ['"hello " + name + "!"', 'hello ${name}!'],
    ['"hello " + string(n) + "!"', 'hello ${n}!'],
    ['"abc"', 'abc'],
    ['""', ''],
    ['"${x}"', "${'${x}'}"],
    ['"C:\\\\dir"', "${'C:\\\\dir'}"],
    ['string(n)', "${''}${n}"],
    ['list[1]', '${list[0]}'],
    ['obj.b.c', '${obj.b.c}'],
    ['get value(obj, "x-y")', "${obj['x-y']}"],
    ['obj.div', "${obj['div']}"],
    ['x = null', '${x == null}'],
    ['modulo(n, 2)', '${n % 2}'],
    ['-(n + 1)', '${-(n + 1)}'],
    ['1 + 2 * 3', '${1 + 2 * 3}'],
    ['(1 + 2) * 3', '${(1 + 2) * 3}'],
    ['.50', '${0.5}'],
    ['"it\'s"', "it's"],
  ])('writes the FEEL %s as %s', (source, juel) => {
    expect(feelToJuel(source, 'Flow_1')).toBe(juel);
  });

  it.each([
    'n + 1',
    'n * m - 2',
    'n / m',
    'modulo(n, m)',
    '-n',
    'a and b or c',
    'not(a) = b',
    'n < m',
    'n >= m',
    'n != m',
    's = "web"',
    'if a then n else m',
    'if n > 2 then "big" else "small"',
    '"hello " + name + "!"',
    '"hello " + string(n) + "!"',
    '"a\\"b\\\\c"',
    '"${literal}"',
    '""',
    'string(n)',
    'list[1]',
    'list[2] + list[3]',
    'obj.b.c',
    'get value(obj, "x-y")',
    'get value(obj, "for")',
    'nil = null',
    'x1 + order_id',
    '(n + 1) * 2',
    'n - (m - 1)',
    'name + "/" + s',
    '"line\\nbreak"',
    'date and time',
    'if a then (if b then 1 else 2) else 3',
  ])('round-trips %s through JUEL with the same value in every context', (source) => {
    const back = juelToFeel(feelToJuel(source, 'Flow_1'), 'Flow_1');
    for (const ctx of contexts) expect(feel(back, ctx)).toEqual(feel(source, ctx));
  });
});

describe('FEEL operators to JUEL', () => {
  const emptyE =
    '(e = null or (e instance of string and e = "") or (e instance of list and count(e) = 0) or (e instance of context and e = {}))';
  // operands below, at and above each other, all four truth combinations, empty and non-empty values, a negative dividend
  const operandContexts = [
    { x: 2, y: 3, a: true, b: true, e: null },
    { x: 3, y: 3, a: true, b: false, e: '' },
    { x: 4, y: 3, a: false, b: true, e: 'a' },
    { x: 7, y: 2, a: false, b: false, e: [] },
    { x: -7, y: 2, a: true, b: false, e: [1] },
  ];

  it.each([
    ['x = y', '${x == y}'],
    ['x != y', '${x != y}'],
    ['x < y', '${x < y}'],
    ['x > y', '${x > y}'],
    ['x <= y', '${x <= y}'],
    ['x >= y', '${x >= y}'],
    ['a and b', '${a && b}'],
    ['a or b', '${a || b}'],
    ['not(a)', '${!a}'],
    [emptyE, '${empty e}'],
    ['not(' + emptyE + ')', '${!empty e}'],
    ['if a then x else y', '${a ? x : y}'],
    ['x + y', '${x + y}'],
    ['x - y', '${x - y}'],
    ['x * y', '${x * y}'],
    ['x / y', '${x / y}'],
    ['modulo(x, y)', '${x % y}'],
    ['-x', '${-x}'],
  ])('writes the FEEL %s with its JUEL operator, %s, and keeps its value', (source, juel) => {
    // given a FEEL operator, when written as JUEL, then the text holds the matching operator and reads back to the same value
    const written = feelToJuel(source, 'Flow_1');
    expect(written).toBe(juel);
    const back = juelToFeel(written, 'Flow_1');
    for (const ctx of operandContexts)
      expect(feel(back, ctx), `${back} with ${JSON.stringify(ctx)}`).toEqual(feel(source, ctx));
  });
});

describe('round trips from JUEL', () => {
  it.each([
    '${n + 1}',
    '${a || b && c}',
    '${!a == b}',
    '${empty x}',
    '${not empty obj.b}',
    '${a ? b : c ? d : e}',
    '${list[0].id}',
    "${a['x-y'].b}",
    '${n mod 2 eq 0 and m div 2 gt 1}',
    'hello ${name}!',
    "${'abc'}",
    'plain',
    '',
    "a${'b'}c${n}",
    '${a}${b}',
    "${''}${n}",
    '\\${x}',
    '${- -n}',
    '${-(a + b) * c}',
    '${date && time}',
    "${obj['for']}",
    '${1.0e0 + .25}',
    '#{x}',
    'a\\b ${c}',
  ])('is stable after one round: %s', (juel) => {
    const once = feelToJuel(juelToFeel(juel, 'Flow_1'), 'Flow_1');
    expect(feelToJuel(juelToFeel(once, 'Flow_1'), 'Flow_1')).toBe(once);
    for (const ctx of contexts)
      expect(feel(juelToFeel(once, 'Flow_1'), ctx)).toEqual(feel(juelToFeel(juel, 'Flow_1'), ctx));
  });

  it.each([
    ['${x}', true],
    ['#{x}', true],
    ['a ${x} b', true],
    ['plain', false],
    ['$ {x}', false],
    ['', false],
  ])('tells whether %j is a JUEL template: %s', (text, value) => {
    expect(isJuelTemplate(text)).toBe(value);
  });
});

describe('generated expressions', () => {
  // a seeded generator over the whole JUEL subset, so that combinations the tables miss are covered too
  let seed = 42;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const leaves = [
    'a',
    'b',
    'n',
    'm',
    'nil',
    'list[0]',
    'list[2]',
    "obj['x-y']",
    'obj.b.c',
    '1',
    '2.5',
    '0',
    'true',
    'false',
    'null',
    's',
  ];
  function gen(depth: number): string {
    if (depth === 0 || rnd() < 0.25) return pick(leaves);
    const [l, r] = [gen(depth - 1), gen(depth - 1)];
    return pick([
      `${l} ${pick(['+', '-', '*', '/', '%', 'div', 'mod'])} ${r}`,
      `${l} ${pick(['==', '!=', '<', '>=', 'eq', 'ne', 'lt', 'ge'])} ${r}`,
      `${l} ${pick(['&&', '||', 'and', 'or'])} ${r}`,
      `${pick(['!', 'not ', '-', 'empty '])}${l}`,
      `(${l})`,
      `${l} ? ${r} : ${gen(depth - 1)}`,
    ]);
  }
  const value = (source: string, ctx: Record<string, unknown>): unknown => {
    try {
      return evaluate(source, ctx).value;
    } catch {
      return 'feelin refused'; // feelin throws on some type mixes (`1 < true`); both sides must then refuse alike
    }
  };
  const samples = Array.from({ length: 400 }, (_, i) => (i % 5 === 0 ? `pre \${${gen(2)}} post` : `\${${gen(4)}}`));

  it('translates 400 of them to FEEL that parses, round-trips stably and keeps its value', () => {
    for (const juel of samples) {
      const source = juelToFeel(juel, 'Flow_1');
      expect(checkExpression(source), `${juel} -> ${source}`).toBeNull();
      const once = feelToJuel(source, 'Flow_1');
      const back = juelToFeel(once, 'Flow_1');
      expect(feelToJuel(back, 'Flow_1'), juel).toBe(once);
      for (const ctx of contexts)
        expect(value(back, ctx), `${juel} in ${JSON.stringify(ctx)}`).toEqual(value(source, ctx));
    }
  });
});
