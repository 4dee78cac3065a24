// The helpers behind strict inputs, over every kind of zod schema a task input uses: which keys are known at a path
// (through optionals, defaults, pipes, unions, intersections, lazies, arrays, tuples, records), which written keys are
// unknown, which objects would drop a key silently, and how an issue reads.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  describeIssue,
  describeIssues,
  knownInputIssues,
  knownKeysAt,
  looseObjects,
  unknownKeys,
} from '../../engine/schema-keys.js';

const isExpr = (v: unknown) => typeof v === 'string' && v.startsWith('=');

const user = z.strictObject({ name: z.string(), mail: z.string().optional() });
const schema = z.strictObject({
  user: user.optional(),
  users: z.array(user).default([]),
  pair: z.tuple([user, z.strictObject({ port: z.number() })]),
  rest: z.tuple([z.string()], z.strictObject({ extra: z.boolean() })),
  byName: z.record(z.string(), z.strictObject({ size: z.number() })),
  either: z.union([z.strictObject({ a: z.number() }), z.strictObject({ b: z.number() })]),
  both: z.intersection(z.strictObject({ left: z.number() }), z.strictObject({ right: z.number() })),
  piped: z.strictObject({ raw: z.string() }).pipe(z.strictObject({ raw: z.string() })),
  lazy: z.lazy(() => z.strictObject({ deep: z.number() })),
  loose: z.looseObject({ any: z.number() }),
  plain: z.object({ dropped: z.number() }),
  text: z.string(),
});

describe('knownKeysAt', () => {
  it('lists the keys at each place, through wrappers, arrays, tuples, records, unions, intersections and lazies', () => {
    expect(knownKeysAt(schema, [])).toEqual(
      ['both', 'byName', 'either', 'lazy', 'loose', 'pair', 'piped', 'plain', 'rest', 'text', 'user', 'users'].sort(),
    );
    expect(knownKeysAt(schema, ['user'])).toEqual(['mail', 'name']);
    expect(knownKeysAt(schema, ['users', 0])).toEqual(['mail', 'name']);
    // an array is indexed by numbers only
    expect(knownKeysAt(schema, ['users', 'x'])).toEqual([]);
    expect(knownKeysAt(schema, ['pair', 0])).toEqual(['mail', 'name']);
    expect(knownKeysAt(schema, ['pair', 1])).toEqual(['port']);
    // past a tuple's items, its rest
    expect(knownKeysAt(schema, ['rest', 5])).toEqual(['extra']);
    expect(knownKeysAt(schema, ['rest', 'x'])).toEqual([]);
    expect(knownKeysAt(schema, ['byName', 'anything'])).toEqual(['size']);
    expect(knownKeysAt(schema, ['either'])).toEqual(['a', 'b']);
    expect(knownKeysAt(schema, ['both'])).toEqual(['left', 'right']);
    expect(knownKeysAt(schema, ['piped'])).toEqual(['raw']);
    expect(knownKeysAt(schema, ['lazy'])).toEqual(['deep']);
    // a key the object does not have, or a place that is not an object
    expect(knownKeysAt(schema, ['nope'])).toEqual([]);
    expect(knownKeysAt(schema, ['text'])).toEqual([]);
    expect(knownKeysAt(schema, [Symbol('s')])).toEqual([]);
  });

  it('stops on a lazy schema that refers to itself', () => {
    type Tree = { kids?: Tree[]; name: string };
    const tree: z.ZodType<Tree> = z.lazy(() => z.strictObject({ name: z.string(), kids: z.array(tree).optional() }));
    expect(knownKeysAt(tree, ['kids', 0, 'kids', 1])).toEqual(['kids', 'name']);
  });
});

describe('unknownKeys', () => {
  it('finds each unknown key of a strict object, with its path and the closest known key', () => {
    const found = unknownKeys(schema, {
      user: { nmae: 'x' },
      users: [{ name: 'a', mial: 'b' }],
      pair: [{ name: 'n' }, { prot: 1 }],
      byName: { a: { siz: 1 } },
      either: { c: 1 },
      both: { left: 1, rigth: 2 },
      lazy: { deeep: 1 },
      loose: { whatever: 1 },
      plain: { other: 1 },
      txet: 'x',
    });
    expect(found.map((f) => [f.path.join('.'), f.key, f.near])).toEqual(
      expect.arrayContaining([
        ['', 'txet', 'text'],
        ['user', 'nmae', 'name'],
        ['users.0', 'mial', 'mail'],
        ['pair.1', 'prot', 'port'],
        ['byName.a', 'siz', 'size'],
        ['either', 'c', 'a'],
        ['both', 'rigth', 'right'],
        ['lazy', 'deeep', 'deep'],
      ]),
    );
    // an open object takes any key, and so does one that drops them (looseObjects reports that one)
    expect(found.map((f) => f.key)).not.toContain('whatever');
    expect(found.map((f) => f.key)).not.toContain('other');
    expect(found).toHaveLength(8);
    expect(found.find((f) => f.key === 'c')?.known).toEqual(['a', 'b']);
  });

  it('finds nothing in a value that only holds known keys, or is not an object', () => {
    expect(unknownKeys(schema, { user: { name: 'x', mail: 'y' }, users: [] })).toEqual([]);
    expect(unknownKeys(schema, 'text')).toEqual([]);
    expect(unknownKeys(schema, null)).toEqual([]);
    expect(unknownKeys(z.string(), { a: 1 })).toEqual([]);
  });
});

describe('looseObjects', () => {
  it('names every object that would drop an unknown key silently, wherever it is', () => {
    const s = z.strictObject({
      a: z.object({ x: z.number() }),
      list: z.array(z.object({ y: z.number() })),
      tup: z.tuple([z.object({ z: z.number() })]),
      map: z.record(z.string(), z.object({ w: z.number() })),
      ok: z.strictObject({ v: z.number() }),
      open: z.looseObject({ u: z.number() }),
    });
    expect(looseObjects(s).sort()).toEqual(['input.a', 'input.list[]', 'input.map{}', 'input.tup[]']);
    expect(looseObjects(z.object({}), 'out')).toEqual(['out']);
    expect(looseObjects(z.strictObject({}))).toEqual([]);
  });
});

describe('describeIssue', () => {
  it('says an unknown key with its place and the closest key, else the known keys', () => {
    expect(describeIssue(schema, { code: 'unrecognized_keys', path: ['user'], message: 'x', keys: ['nmae'] })).toBe(
      'unknown key "nmae" in user; did you mean "name"?',
    );
    expect(describeIssue(schema, { code: 'unrecognized_keys', path: ['user'], message: 'x', keys: ['zzzzzz'] })).toBe(
      'unknown key "zzzzzz" in user (known: mail, name)',
    );
    expect(
      describeIssue(schema, { code: 'unrecognized_keys', path: [], message: 'x', keys: ['txet', 'qqqqqqqq'] }),
    ).toBe(
      'unknown key "txet"; did you mean "text"?; unknown key "qqqqqqqq" (known: both, byName, either, lazy, loose, pair, piped, plain, rest, text, user, users)',
    );
    expect(describeIssue(z.string(), { code: 'unrecognized_keys', path: ['q'], message: 'x', keys: ['k'] })).toBe(
      'unknown key "k" in q',
    );
  });

  it('says any other issue with its place, or (input) at the top', () => {
    expect(describeIssue(schema, { code: 'invalid_type', path: ['user', 'name'], message: 'expected string' })).toBe(
      'user.name: expected string',
    );
    expect(describeIssue(schema, { code: 'invalid_type', path: [], message: 'expected object' })).toBe(
      '(input): expected object',
    );
    // an unrecognized_keys issue that lists no keys is said as it is
    expect(describeIssue(schema, { code: 'unrecognized_keys', path: ['user'], message: 'odd' })).toBe('user: odd');
    expect(
      describeIssues(schema, [
        { path: ['a'], message: 'one' },
        { path: ['b'], message: 'two' },
      ]),
    ).toBe('a: one; b: two');
  });
});

describe('knownInputIssues', () => {
  const input = z.strictObject({
    name: z.string(),
    port: z.number(),
    opts: z.strictObject({ deep: z.boolean() }).optional(),
  });

  it('reports what is wrong before the run: a missing key, a literal of the wrong type, an unknown key', () => {
    expect(knownInputIssues(input, { name: 'x', port: 'eighty', nmae: 1 }, isExpr)).toEqual([
      'port: Invalid input: expected number, received string',
      'unknown key "nmae"; did you mean "name"?',
    ]);
    expect(knownInputIssues(input, { port: 1 }, isExpr)).toEqual([
      'name: Invalid input: expected string, received undefined',
    ]);
    expect(knownInputIssues(input, undefined, isExpr)).toEqual([
      'name: Invalid input: expected string, received undefined',
      'port: Invalid input: expected number, received undefined',
    ]);
  });

  it('leaves what an expression gives to the run: a value, a whole object, the whole input', () => {
    expect(knownInputIssues(input, { name: '=who', port: '=port' }, isExpr)).toEqual([]);
    expect(knownInputIssues(input, { name: 'x', port: 1, opts: '=o' }, isExpr)).toEqual([]);
    expect(knownInputIssues(input, '={name: "x"}', isExpr)).toEqual([]);
    // but a literal beside them is still checked
    expect(knownInputIssues(input, { name: '=who', port: true }, isExpr)).toEqual([
      'port: Invalid input: expected number, received boolean',
    ]);
    expect(knownInputIssues(input, { name: 'x', port: 1, opts: { deep: 'yes' } }, isExpr)).toEqual([
      'opts.deep: Invalid input: expected boolean, received string',
    ]);
    expect(knownInputIssues(input, { name: 'x', port: 1, opts: { deep: '=d' } }, isExpr)).toEqual([]);
  });

  it('leaves a check of the whole input (a refinement) to the run when part of it is an expression', () => {
    const refined = z
      .strictObject({ a: z.number().optional(), b: z.number().optional() })
      .refine((v) => v.a !== undefined || v.b !== undefined, 'a or b');
    expect(knownInputIssues(refined, {}, isExpr)).toEqual(['(input): a or b']);
    expect(knownInputIssues(refined, { a: '=x' } as never, isExpr)).toEqual([]);
    // an object literal where a number goes is wrong now, whatever it holds
    expect(knownInputIssues(refined, { a: { nested: '=x' } } as never, isExpr)).toEqual([
      'a: Invalid input: expected number, received object',
    ]);
  });
});
