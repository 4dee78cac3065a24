// Workflow params: `--param` strings coerced to declared types, with errors that name the param.
import { describe, it, expect } from 'vitest';
import { BadInputError, parseParamPairs, resolveParams, type Definition, type ParamSpec } from '../../engine/index.js';

const def = (params?: Record<string, ParamSpec>): Definition => ({
  id: 'test:params',
  ...(params ? { params } : {}),
  machine: { initial: 'end', states: { end: { type: 'final' } } },
});

/** A workflow imported from BPMN (it keeps its BPMN in meta.bpmn), without declared params. */
const bpmnDef = (): Definition => ({ ...def(), meta: { bpmn: {} } });

/** The error resolveParams throws, or fails the test. */
function errorOf(params: Record<string, ParamSpec> | undefined, raw: Record<string, unknown>): BadInputError {
  try {
    resolveParams(def(params), raw);
  } catch (e) {
    expect(e).toBeInstanceOf(BadInputError);
    return e as BadInputError;
  }
  throw new Error('expected resolveParams to throw');
}

describe('resolveParams', () => {
  it.each([
    { type: 'number', raw: '2.5', value: 2.5 },
    { type: 'number', raw: '-3', value: -3 },
    { type: 'integer', raw: '42', value: 42 },
    { type: 'boolean', raw: 'true', value: true },
    { type: 'boolean', raw: 'yes', value: true },
    { type: 'boolean', raw: 'OFF', value: false },
    { type: 'boolean', raw: '0', value: false },
    { type: 'array', raw: 'a, b,c', value: ['a', 'b', 'c'] },
    { type: 'array', raw: '[1,"x"]', value: [1, 'x'] },
    { type: 'array', raw: '', value: [] },
    { type: 'json', raw: '{"a":[1,2]}', value: { a: [1, 2] } },
    { type: 'json', raw: '12', value: 12 },
    { type: 'json', raw: 'plain text', value: 'plain text' },
    { type: 'object', raw: '{"k":"v"}', value: { k: 'v' } },
    { type: 'string', raw: '123', value: '123' },
  ] as const)('coerces the string $raw to the $type $value', ({ type, raw, value }) => {
    // given a param of a declared type, when a CLI string is given, then it is coerced
    expect(resolveParams(def({ p: { type } }), { p: raw })).toEqual({ p: value });
  });

  it.each([
    { type: 'number', raw: 'abc', expected: /param p: expected a number, got "abc"/ },
    { type: 'number', raw: '', expected: /param p: expected a number/ },
    { type: 'integer', raw: '2.5', expected: /param p: .*int/ },
    { type: 'integer', raw: 'ten', expected: /param p: expected an integer, got "ten"/ },
    { type: 'boolean', raw: 'maybe', expected: /param p: expected true or false, got "maybe"/ },
    { type: 'array', raw: '[1,', expected: /param p: .*array/ },
    { type: 'object', raw: '[1]', expected: /param p: .*record/ },
  ] as const)('refuses $raw for a $type, naming the param and what was expected', ({ type, raw, expected }) => {
    const e = errorOf({ p: { type } }, { p: raw });
    expect(e.message).toMatch(expected);
    expect(e.code).toBe('BAD_INPUT');
    expect(e.details).toMatchObject({ param: 'p' });
  });

  it.each([
    { spec: { type: 'string', enum: ['dev', 'prod'] }, raw: 'prod', value: 'prod' },
    { spec: { type: 'number', enum: [1, 2] }, raw: '2', value: 2 },
    { spec: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' }, raw: 'web-1', value: 'web-1' },
  ] as const)('accepts $raw when it satisfies $spec', ({ spec, raw, value }) => {
    expect(resolveParams(def({ p: spec as ParamSpec }), { p: raw })).toEqual({ p: value });
  });

  it.each([
    {
      spec: { type: 'string', enum: ['dev', 'prod'] },
      raw: 'test',
      expected: 'param env: must be one of "dev", "prod" (got "test")',
    },
    { spec: { type: 'number', enum: [1, 2] }, raw: '3', expected: 'param env: must be one of 1, 2 (got 3)' },
    {
      spec: { type: 'string', pattern: '^[a-z]+$' },
      raw: '../etc',
      expected: 'param env: must match /^[a-z]+$/ (got "../etc")',
    },
  ] as const)('refuses $raw when it breaks $spec', ({ spec, raw, expected }) => {
    expect(errorOf({ env: spec as ParamSpec }, { env: raw }).message).toBe(expected);
  });

  it('suggests the closest declared name for an unknown param', () => {
    // given params count and name, when "cuont" is given
    const e = errorOf({ count: { type: 'number' }, name: { type: 'string' } }, { cuont: '1' });
    // then the error names it, suggests "count" and lists the declared ones
    expect(e.message).toBe('unknown param "cuont" for test:params; did you mean "count"? (declared: count, name)');
    expect(e.details).toEqual({ param: 'cuont', declared: ['count', 'name'] });
  });

  it('applies defaults without sharing the default object between runs', () => {
    // given params with defaults
    const d = def({
      n: { type: 'integer', default: 3 },
      tags: { type: 'array', default: ['a'] },
      opt: { type: 'string', required: false },
    });
    // when nothing is given
    const first = resolveParams(d, {});
    // then defaults are applied and the optional param stays absent
    expect(first).toEqual({ n: 3, tags: ['a'] });
    (first.tags as string[]).push('mutated');
    expect(resolveParams(d, {})).toEqual({ n: 3, tags: ['a'] });
  });

  it('lets a given value override the default', () => {
    expect(resolveParams(def({ n: { type: 'integer', default: 3 } }), { n: '9' })).toEqual({ n: 9 });
  });

  it('reports a missing required param with its description and how to give it', () => {
    const e = errorOf({ host: { type: 'string', description: 'the host to back up' } }, {});
    expect(e.message).toBe('missing param "host" for test:params: the host to back up (use --param host=...)');
    expect(e.details).toEqual({ param: 'host' });
  });

  it('passes values that are already typed through the same validation', () => {
    expect(resolveParams(def({ n: { type: 'number' } }), { n: 7 })).toEqual({ n: 7 });
    expect(errorOf({ n: { type: 'number' } }, { n: true }).message).toMatch(/param n: .*number/);
  });

  it('refuses any param for a workflow that declares none, naming it (a stray --param is not ignored)', () => {
    const err = errorOf(undefined, { x: '1' });
    expect(err.message).toBe('unknown param "x" for test:params: it declares no params');
    expect(err.details).toEqual({ param: 'x', declared: [] });
    expect(resolveParams(def(), {})).toEqual({});
  });

  it('types values like JSON for a BPMN process, which declares no params', () => {
    // given a BPMN process without declared params, when CLI strings are given
    const out = resolveParams(bpmnDef(), {
      a: '20',
      b: 'true',
      c: 'abc',
      d: '[1,2]',
      e: '{"x":1}',
      f: 'null',
      g: '-1.5',
      h: 'true-ish',
      i: '{broken',
      j: 3,
    });
    // then numbers, booleans, null, arrays and objects are typed; anything else stays a string
    expect(out).toEqual({
      a: 20,
      b: true,
      c: 'abc',
      d: [1, 2],
      e: { x: 1 },
      f: null,
      g: -1.5,
      h: 'true-ish',
      i: '{broken',
      j: 3,
    });
  });
});

describe('parseParamPairs', () => {
  it('splits at the first "=" and keeps empty values', () => {
    expect(parseParamPairs(['a=1', 'url=http://x/?q=1', 'empty='])).toEqual({
      a: '1',
      url: 'http://x/?q=1',
      empty: '',
    });
  });

  it.each([
    { pairs: ['novalue'], message: 'bad --param "novalue": expected key=value' },
    { pairs: ['=v'], message: 'bad --param "=v": expected key=value' },
    { pairs: ['a=1', 'a=2'], message: '--param a given twice' },
  ])('refuses $pairs with "$message"', ({ pairs, message }) => {
    expect(() => parseParamPairs(pairs)).toThrow(BadInputError);
    expect(() => parseParamPairs(pairs)).toThrow(message);
  });
});

describe('resolveParams: edge cases of coercion and messages', () => {
  it('types numbers with fractions and exponents, and padded values, when no params are declared', () => {
    expect(resolveParams(bpmnDef(), { a: '2.25', b: '1e10', c: '2E-2', d: ' 20 ', e: ' [1] ' })).toEqual({
      a: 2.25,
      b: 1e10,
      c: 0.02,
      d: 20,
      e: [1],
    });
  });

  it('reads a padded JSON list for an array param', () => {
    expect(resolveParams(def({ p: { type: 'array' } }), { p: ' [1, 2]' })).toEqual({ p: [1, 2] });
  });

  it.each(['yesterday', 'untrue', 'nobody', 'turnoff'])('refuses %s for a boolean', (raw) => {
    expect(errorOf({ p: { type: 'boolean' } }, { p: raw }).message).toBe(
      `param p: expected true or false, got ${JSON.stringify(raw)}`,
    );
  });

  it('refuses blanks for a number', () => {
    expect(errorOf({ p: { type: 'number' } }, { p: '  ' }).message).toBe('param p: expected a number, got "  "');
  });

  it('refuses a typed value that is not a boolean for a boolean param', () => {
    expect(errorOf({ p: { type: 'boolean' } }, { p: 5 }).message).toBe(
      'param p: Invalid input: expected boolean, received number (got 5)',
    );
  });

  it('lists every broken rule of a value', () => {
    const e = errorOf({ p: { type: 'string', pattern: '^[a-z]+$', enum: ['dev', 'prod'] } }, { p: 'X' });
    expect(e.message).toBe('param p: must match /^[a-z]+$/; must be one of "dev", "prod" (got "X")');
  });

  it('names an unknown param without a suggestion when nothing is close, and says when none is declared', () => {
    expect(errorOf({ count: { type: 'number' } }, { zzzzzz: '1' }).message).toBe(
      'unknown param "zzzzzz" for test:params (declared: count)',
    );
    expect(errorOf({}, { x: '1' }).message).toBe('unknown param "x" for test:params (declared: none)');
  });

  it('tells the expected type of a missing param that has no description', () => {
    expect(errorOf({ host: { type: 'string' } }, {}).message).toBe(
      'missing param "host" for test:params: expected string (use --param host=...)',
    );
  });
});

describe('parseParamPairs: error details', () => {
  it.each([
    { pairs: ['novalue'], param: 'novalue' },
    { pairs: ['a=1', 'a=2'], param: 'a' },
  ])('names the param of $pairs in the details', ({ pairs, param }) => {
    let error: unknown;
    try {
      parseParamPairs(pairs);
    } catch (e) {
      error = e;
    }
    expect((error as BadInputError).details).toEqual({ param });
  });
});
