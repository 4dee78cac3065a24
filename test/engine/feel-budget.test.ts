// The FEEL evaluation budget: runaway expressions (huge ranges, nested loops, doubling lists, recursion, catastrophic
// regular expressions) and huge sources end with a clear error naming the element, the expression and the limit.
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkExpression,
  evaluateCondition,
  evaluateExpression,
  ExpressionBudgetError,
  ExpressionError,
  resolveTemplate,
} from '../../engine/index.js';

const scope = { n: 3, name: 'web', items: ['a', 'b', 'c'], params: { n: 3 }, steps: {}, error: null };

const ENV = ['GRAVITY_FEEL_MAX_CHARS', 'GRAVITY_FEEL_MAX_DEPTH', 'GRAVITY_FEEL_MAX_ITEMS', 'GRAVITY_FEEL_TIMEOUT_MS'];
afterEach(() => {
  for (const k of ENV) delete process.env[k];
});

/** The budget error `fn` throws. */
function budgetErrorOf(fn: () => unknown): ExpressionBudgetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionBudgetError);
    return e as ExpressionBudgetError;
  }
  throw new Error('expected an ExpressionBudgetError');
}

describe('the FEEL evaluation budget', () => {
  it('refuses a range larger than the item budget before building it, naming the element, the expression and the limit', () => {
    // when a step input iterates over thirty million numbers
    const e = budgetErrorOf(() => evaluateExpression('=for i in 1..30000000 return i', scope, 's1'));
    // then it fails at once (nothing is built) with the range's size and the limit
    expect(e.message).toBe(
      '<s1>: FEEL expression "for i in 1..30000000 return i" exceeds the evaluation budget ' +
        '(range [1..30000000] of 30000000 items > 100000; raise GRAVITY_FEEL_MAX_ITEMS)',
    );
    expect(e.code).toBe('EXPRESSION');
    expect(e).toBeInstanceOf(ExpressionError);
    expect(e.details).toMatchObject({ element: 's1', expression: 'for i in 1..30000000 return i' });
  });

  it.each([
    { name: 'nested for', expr: 'for i in 1..1000 return for j in 1..1000 return i * j' },
    { name: 'a for over two ranges', expr: 'for i in 1..1000, j in 1..1000 return i * j' },
    { name: 'some over a product', expr: 'some i in 1..1000, j in 1..1000 satisfies i * j < 0' },
    { name: 'every over a product', expr: 'every i in 1..1000, j in 1..1000 satisfies i * j > 0' },
  ])('counts the items of every range of one evaluation: $name', ({ expr }) => {
    // each range is small, but together they go over the budget
    const e = budgetErrorOf(() => evaluateExpression(expr, scope, 's1'));
    expect(e.message).toMatch(/items produced in all > 100000, the last 1000 by range \[1\.\.1000\]/);
  });

  it.each([
    {
      name: 'a list doubled by a list function',
      expr: 'for i in 1..40 return if i = 1 then [1] else concatenate(partial[-1], partial[-1])',
      limit: /by a list returned by a function/,
    },
    {
      name: 'a list function over a huge list',
      expr: 'count(append(for i in 1..60000 return i, 0))',
      limit: /items produced in all > 100000, the last 60001 by a list returned by a function/,
    },
    {
      name: 'a list holding itself twice per level (small in memory, exponential once written out)',
      expr: 'for i in 1..40 return if i = 1 then [1] else [partial[-1], partial[-1]]',
      limit: /a result of more than 100000 items/,
    },
    {
      name: 'a string doubled forty times',
      expr: 'for i in 1..40 return if i = 1 then "ab" else partial[-1] + partial[-1]',
      limit: /a value larger than JavaScript allows: Invalid string length/,
    },
    {
      name: 'a range that never meets its end',
      expr: 'for i in 1.5..10 return i',
      limit: /range \[1\.5\.\.10\] never reaches its end in steps of 1/,
    },
    {
      name: 'endless recursion',
      expr: '{f: function(n) f(n + 1)}.f(0)',
      limit: /recursion deeper than the call stack/,
    },
  ])('stops $name', ({ expr, limit }) => {
    const e = budgetErrorOf(() => evaluateExpression(expr, scope, 's1'));
    expect(e.message).toMatch(limit);
  });

  it.each([
    { name: 'exponential recursion', expr: '{f: function(n) if n = 0 then 0 else f(n - 1) + f(n - 1)}.f(60)' },
    {
      name: 'a regular expression that backtracks catastrophically',
      expr: 'matches("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "^(a+)+$")',
    },
    // no range, no function: only the watchdog sees it
    {
      name: 'a for over literal lists',
      expr: `for a in L, b in L, c in L, d in L return 0`.replace(
        /L/g,
        `[${Array.from({ length: 60 }, (_, i) => i).join(',')}]`,
      ),
    },
    { name: 'nested filters', expr: 'count(items[count(items[count(items[count(items[true]) > 0]) > 0]) > 0])' },
    // a context entry rebinding a linear function's name to a regular-expression one
    {
      name: 'a regular expression called under the name of a linear function',
      expr: '{count: matches, r: count("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "^(a+)+$")}.r',
    },
  ])('stops $name by the time budget', ({ name, expr }) => {
    // given a short time budget (the default is 1,000 ms), and for the filters a scope list large enough to take long
    process.env.GRAVITY_FEEL_TIMEOUT_MS = '200';
    const big = name === 'nested filters' ? { ...scope, items: Array.from({ length: 400 }, (_, i) => i) } : scope;
    // then the evaluation is stopped, whatever it was doing
    const e = budgetErrorOf(() => evaluateExpression(expr, big, 's1'));
    expect(e.message).toMatch(/\(ran for more than 200 ms; raise GRAVITY_FEEL_TIMEOUT_MS\)$/);
  });

  it('refuses a source longer than the limit before parsing it, quoting only its start', () => {
    // given a 5 MB string literal
    const src = `"${'x'.repeat(5_000_000)}"`;
    // then evaluation and the syntax check refuse it by its length
    const e = budgetErrorOf(() => evaluateExpression(`=${src}`, scope, 's1.input.content'));
    expect(e.message).toBe(
      `<s1.input.content>: FEEL expression ${JSON.stringify(`"${'x'.repeat(79)}…`)} (5000002 characters) exceeds the evaluation budget (source of 5000002 characters > 10000; raise GRAVITY_FEEL_MAX_CHARS)`,
    );
    expect(String(e.details?.expression).length).toBeLessThan(200);
    expect(checkExpression(src)).toBe(
      'exceeds the evaluation budget (source of 5000002 characters > 10000; raise GRAVITY_FEEL_MAX_CHARS)',
    );
  });

  it.each([
    { name: 'parentheses', open: '(', close: ')' },
    { name: 'lists', open: '[', close: ']' },
    { name: 'contexts', open: '{a: ', close: '}' },
  ])('refuses $name nested deeper than the limit before parsing them', ({ open, close }) => {
    // given 1,000 nested brackets (the parser takes seconds on these; 100,000 nested lists take it minutes)
    const src = `${open.repeat(1000)}1${close.repeat(1000)}`;
    // then the error names the depth limit and where it is crossed
    expect(checkExpression(src)).toMatch(
      /^exceeds the evaluation budget \(brackets nested more than 64 deep at character \d+; raise GRAVITY_FEEL_MAX_DEPTH\)$/,
    );
    expect(budgetErrorOf(() => evaluateExpression(src, scope, 's1')).message).toMatch(/brackets nested more than 64/);
    // and 100,000 parentheses are refused by their length
    expect(checkExpression(`${'('.repeat(100_000)}1${')'.repeat(100_000)}`)).toMatch(/source of 200001 characters/);
  });

  it.each(['matches', '{f: function(x) x}.f', '[upper case]'])('refuses a function as the value of %s', (expr) => {
    // a function cannot be journaled, and in a variable it would rebind a name that later expressions call
    expect(() => evaluateExpression(expr, scope, 's1')).toThrow(
      'expression in <s1> failed: its value is a function, which cannot be passed on (call it)',
    );
  });

  it('does not count brackets inside string literals', () => {
    const src = `"${'('.repeat(200)}" + "\\"${'['.repeat(200)}"`;
    expect(checkExpression(src)).toBeNull();
    expect(evaluateExpression(src, scope, 's1')).toBe(`${'('.repeat(200)}"${'['.repeat(200)}`);
  });

  it('evaluates what stays within the budget as before', () => {
    expect(evaluateExpression('count(for i in 1..100000 return i)', scope, 's1')).toBe(100000);
    expect(evaluateExpression('for x in items return upper case(x)', scope, 's1')).toEqual(['A', 'B', 'C']);
    expect(evaluateExpression('sort(for i in 1..2000 return 2000 - i, function(a, b) a < b)[1]', scope, 's1')).toBe(0);
    expect(evaluateExpression('some x in items satisfies x = "b"', scope, 's1')).toBe(true);
    expect(evaluateExpression('items[item != "a"]', scope, 's1')).toEqual(['b', 'c']);
    expect(evaluateExpression('matches(name, "^w")', scope, 's1')).toBe(true);
    expect(evaluateExpression('{a: 1, b: a + 1}.b', scope, 's1')).toBe(2);
    expect(evaluateExpression(`${'('.repeat(64)}n${')'.repeat(64)}`, scope, 's1')).toBe(3);
    expect(evaluateCondition('n > 2', scope, 'd')).toBe(true);
    expect(resolveTemplate({ a: '=for i in 1..3 return i' }, scope, 's1')).toEqual({ a: [1, 2, 3] });
  });

  it('takes its limits from the environment, read at every evaluation', () => {
    // given raised limits
    process.env.GRAVITY_FEEL_MAX_ITEMS = '300000';
    process.env.GRAVITY_FEEL_MAX_CHARS = '20000';
    process.env.GRAVITY_FEEL_MAX_DEPTH = '200';
    // then what was over the defaults passes
    expect(evaluateExpression('count(for i in 1..250000 return i)', scope, 's1')).toBe(250000);
    expect(evaluateExpression(`"${'x'.repeat(15_000)}" = ""`, scope, 's1')).toBe(false);
    expect(evaluateExpression(`${'('.repeat(150)}1${')'.repeat(150)}`, scope, 's1')).toBe(1);
    // and lowered ones apply at once
    process.env.GRAVITY_FEEL_MAX_ITEMS = '10';
    expect(budgetErrorOf(() => evaluateExpression('for i in 1..11 return i', scope, 's1')).message).toMatch(
      /range \[1\.\.11\] of 11 items > 10;/,
    );
  });

  it('refuses a limit that is not a positive integer, naming the variable', () => {
    process.env.GRAVITY_FEEL_MAX_ITEMS = 'lots';
    expect(() => evaluateExpression('1', scope, 's1')).toThrow(
      'GRAVITY_FEEL_MAX_ITEMS must be a positive integer (items), got "lots"',
    );
  });

  it('leaves feelin alone outside an evaluation of ours (the wrapped range and function hooks)', async () => {
    // feelin's own evaluate, called directly, has no budget: the hooks only count while evaluateExpression runs
    const { evaluate } = await import('feelin');
    expect(evaluate('count(for i in 1..200000 return i)', {}).value).toBe(200000);
  });
});
