// FEEL expressions: evaluated safely over the run scope, with errors naming the element and the expression.
import { describe, it, expect } from 'vitest';
import {
  checkExpression,
  evaluateCondition,
  evaluateExpression,
  ExpressionError,
  expressionsIn,
  isExpression,
  resolveTemplate,
} from '../../engine/index.js';

const scope = {
  n: 3,
  params: { n: 3, name: 'web' },
  vars: { n: 3 },
  steps: { s1: { count: 2, items: ['a', 'b'] } },
  error: null,
};

function errorOf(fn: () => unknown): ExpressionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError);
    return e as ExpressionError;
  }
  throw new Error('expected an ExpressionError');
}

describe('FEEL expressions', () => {
  it.each([
    { expr: 'n + 1', value: 4 },
    { expr: '=n + 1', value: 4 },
    { expr: 'params.name + "-1"', value: 'web-1' },
    { expr: 'steps.s1.count * 10', value: 20 },
    { expr: 'count(steps.s1.items)', value: 2 },
    { expr: 'if params.n > 2 then "big" else "small"', value: 'big' },
    { expr: 'upper case(params.name)', value: 'WEB' },
    { expr: '{a: n, b: [1, n]}', value: { a: 3, b: [1, 3] } },
    { expr: 'date("2024-01-02")', value: '2024-01-02' },
    { expr: 'null', value: null },
  ])('evaluates $expr to $value', ({ expr, value }) => {
    expect(evaluateExpression(expr, scope, 'Task_1')).toEqual(value);
  });

  it.each([
    { name: 'a syntax error', expr: '1 +', reason: /syntax error/ },
    { name: 'an unclosed call', expr: 'foo(', reason: /syntax error/ },
    { name: 'an unknown variable', expr: 'missing > 1', reason: /Variable 'missing' not found/ },
    { name: 'an unknown field of a step', expr: 'steps.s1.nope', reason: /'nope' not found/ },
    { name: 'an unknown function', expr: 'frobnicate(1)', reason: /.+/ },
    { name: 'an empty expression', expr: '', reason: /empty expression/ },
  ])('reports $name with the element and the expression', ({ expr, reason }) => {
    // when the expression is evaluated in element <Task_1>
    const e = errorOf(() => evaluateExpression(expr, scope, 'Task_1'));
    // then the error has the EXPRESSION code, names <Task_1> and quotes the expression
    expect(e.code).toBe('EXPRESSION');
    expect(e.message).toMatch(/^expression in <Task_1> failed: /);
    expect(e.message).toMatch(reason);
    expect(e.message).toContain(`(expression: ${expr.replace(/^=/, '')}`);
    expect(e.details).toMatchObject({ element: 'Task_1' });
  });

  it.each([
    { expr: 'n > 2', value: true },
    { expr: '=n < 2', value: false },
    { expr: 'params.name = "web" and steps.s1.count = 2', value: true },
  ])('evaluates the guard $expr to $value', ({ expr, value }) => {
    expect(evaluateCondition(expr, scope, 'Gateway_1')).toBe(value);
  });

  it.each([
    { expr: 'n', got: '3' },
    { expr: '"yes"', got: '"yes"' },
    { expr: 'null', got: 'null' },
  ])('refuses the non-boolean guard $expr', ({ expr, got }) => {
    const e = errorOf(() => evaluateCondition(expr, scope, 'Gateway_1'));
    expect(e.message).toBe(`expression in <Gateway_1> failed: expected a boolean, got ${got} (expression: ${expr})`);
  });

  it.each([
    'process',
    'process.env',
    'constructor',
    'globalThis',
    'this',
    'require("fs")',
    'steps.constructor',
    'params.__proto__',
    'steps.s1.toString',
    '"abc".constructor',
    'steps.s1.count.constructor',
    'Function("return 1")',
  ])('gives no access to JavaScript through %s', (expr) => {
    // when an expression reaches for a JS global or a prototype member
    let value: unknown;
    let error: unknown;
    try {
      value = evaluateExpression(expr, scope, 'Task_1');
    } catch (e) {
      error = e;
    }
    // then it fails as an expression error or yields nothing: never a function or a host object
    if (error) expect(error).toBeInstanceOf(ExpressionError);
    else expect(value === null || (Array.isArray(value) && value.length === 0)).toBe(true);
    expect(typeof value).not.toBe('function');
  });

  it('does not touch the real process object when an expression names it', () => {
    const before = process.exitCode;
    expect(() => evaluateExpression('process.exit(3)', scope, 'Task_1')).toThrow(ExpressionError);
    expect(process.exitCode).toBe(before);
  });
});

describe('templates', () => {
  it('keeps literals and evaluates =expressions inside arrays and objects', () => {
    // given a template mixing literals, nested arrays/objects and expressions
    const template = { a: ['=n', 'lit', { b: '=params.name', c: 5 }], d: null, e: true, f: '=steps.s1.items' };
    // when it is resolved
    const out = resolveTemplate(template, scope, 'Task_1');
    // then only the expressions are replaced
    expect(out).toEqual({ a: [3, 'lit', { b: 'web', c: 5 }], d: null, e: true, f: ['a', 'b'] });
    expect(template.a[0]).toBe('=n');
  });

  it('names the path of a failing expression inside a template', () => {
    const e = errorOf(() => resolveTemplate({ a: [1, { b: '=nope' }] }, scope, 'Task_1'));
    expect(e.details).toEqual({ element: 'Task_1.a[1].b', expression: 'nope' });
  });

  it('lists every expression of a template with its path', () => {
    expect([...expressionsIn({ a: '=x', b: ['y', '=z + 1'], c: { d: '=w' } }, 'input')]).toEqual([
      { path: 'input.a', source: 'x' },
      { path: 'input.b[1]', source: 'z + 1' },
      { path: 'input.c.d', source: 'w' },
    ]);
  });

  it.each([
    { value: '=x', expr: true },
    { value: 'x', expr: false },
    { value: ' =x', expr: false },
    { value: 3, expr: false },
  ])('treats $value as an expression: $expr', ({ value, expr }) => {
    expect(isExpression(value)).toBe(expr);
  });

  it('checks syntax without evaluating', () => {
    expect(checkExpression('n > 1')).toBeNull();
    expect(checkExpression('1 +')).toMatch(/syntax error/);
  });
});

describe('FEEL expressions: errors and nulls', () => {
  it.each([
    { name: 'an unknown function inside a list', expr: '[1, frobnicate(1)]', reason: "Cannot invoke 'null'" },
    {
      name: 'a function called with too many arguments',
      expr: 'count(1, 2, 3)',
      reason: "Cannot invoke 'function(list)' with parameters '[3 items]'",
    },
    { name: 'a built-in given a bad argument', expr: 'date("bad")', reason: `date('"bad"') is not a valid date` },
    { name: 'an unknown property of a value', expr: 'steps.s1.count.foo', reason: "Property 'foo' not found in '2'" },
  ])('fails on $name, with the reason FEEL gives', ({ expr, reason }) => {
    expect(errorOf(() => evaluateExpression(expr, scope, 'Task_1')).message).toBe(
      `expression in <Task_1> failed: ${reason} (expression: ${expr})`,
    );
  });

  it('reports an expression of blanks as empty and quotes expressions trimmed', () => {
    expect(errorOf(() => evaluateExpression('=   ', scope, 'Task_1')).message).toBe(
      'expression in <Task_1> failed: empty expression (expression: =   )',
    );
    expect(errorOf(() => evaluateExpression('=  missing  ', scope, 'Task_1')).message).toBe(
      "expression in <Task_1> failed: Variable 'missing' not found (expression: missing)",
    );
  });

  it('gives null, as FEEL does, for a comparison with an absent optional param and for a type mismatch', () => {
    // an absent optional param compares to null: a guard may test for it
    expect(evaluateCondition('params.opt = null', scope, 'Gateway_1')).toBe(true);
    // adding a number to a string is null in FEEL, not an error
    expect(evaluateExpression('params.name + 1', scope, 'Task_1')).toBeNull();
  });

  it('fails, when strict, on any name the scope lacks even where FEEL would go on with null', () => {
    expect(errorOf(() => evaluateCondition('steps.s2.ok = null', scope, 'Gateway_1', { strict: true })).message).toBe(
      "expression in <Gateway_1> failed: Key 's2' not found in '{...}' (expression: steps.s2.ok = null)",
    );
    expect(errorOf(() => evaluateExpression('{a: later}', scope, 'Task_1', { strict: true })).message).toBe(
      "expression in <Task_1> failed: Variable 'later' not found (expression: {a: later})",
    );
    // names the scope has evaluate as usual
    expect(evaluateCondition('params.n = 3', scope, 'Gateway_1', { strict: true })).toBe(true);
    expect(evaluateExpression('params.name + 1', scope, 'Task_1', { strict: true })).toBeNull();
  });

  it('reports the first syntax error of an expression', () => {
    // "(1 + )" breaks at offset 5, "(2 + )" again at offset 14
    expect(checkExpression('(1 + ) + (2 + )')).toBe('syntax error at 5');
  });
});

describe('a name or a path of names (read without parsing)', () => {
  const scope = {
    item: 'a',
    index: 3,
    on: true,
    big: 1e400,
    params: { env: '1161', deep: { n: 2 } },
    list: [1, 2],
    obj: { k: 'v' },
  };
  it('gives what FEEL gives for strings, numbers and booleans', () => {
    expect(evaluateExpression('=item', scope, 'e')).toBe('a');
    expect(evaluateExpression('=index', scope, 'e')).toBe(3);
    expect(evaluateExpression('=on', scope, 'e')).toBe(true);
    expect(evaluateExpression('=params.env', scope, 'e')).toBe('1161');
    expect(evaluateExpression('= params.deep.n ', scope, 'e')).toBe(2);
  });

  it('leaves lists, contexts, keywords and missing names to FEEL', () => {
    expect(evaluateExpression('=list', scope, 'e')).toEqual([1, 2]);
    expect(evaluateExpression('=obj', scope, 'e')).toEqual({ k: 'v' });
    expect(evaluateExpression('=null', scope, 'e')).toBeNull();
    expect(() => evaluateExpression('=missing', scope, 'e')).toThrow(/missing/);
    expect(() => evaluateExpression('=params.nope', scope, 'e')).toThrow(/nope/);
    // a property every object has is no variable
    expect(() => evaluateExpression('=constructor', scope, 'e')).toThrow(/constructor/);
  });
});
