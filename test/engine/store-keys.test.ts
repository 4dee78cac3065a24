// The store key rule (engine/store/keys.ts): exact limits, the messages a user sees, prefix checks and key order.
import { describe, it, expect } from 'vitest';
import { BadInputError } from '../../engine/errors.js';
import {
  compareKeys,
  isValidKey,
  keyProblem,
  MAX_KEY_LENGTH,
  MAX_SEGMENT_LENGTH,
  validateKey,
  validatePrefix,
} from '../../engine/store/keys.js';

const EXPECTED =
  '/-separated words of [A-Za-z0-9._:-] with no empty, "." or ".." segment, at most 400 characters (200 per segment), e.g. "runs/2026-abc"';

/** The error `fn` throws (fails the test when it throws nothing). */
function thrown(fn: () => unknown): BadInputError {
  try {
    fn();
  } catch (err) {
    return err as BadInputError;
  }
  throw new Error('expected an error');
}

describe('keyProblem', () => {
  it.each([
    { key: null, problem: 'it is a null, not a string' },
    { key: undefined, problem: 'it is a undefined, not a string' },
    { key: 42, problem: 'it is a number, not a string' },
    { key: ['runs'], problem: 'it is a object, not a string' },
    { key: '', problem: 'it is empty' },
    { key: 'runs//a', problem: 'segment 2 is empty' },
    { key: 'runs/..', problem: 'segment 2 is ".."' },
    { key: 'a/b/c d', problem: 'segment 3 contains " "' },
    { key: 'snap.jsonl/x', problem: 'segment 1 "snap.jsonl" has a folder segment ending in .json/.jsonl' },
  ])('says $problem for $key', ({ key, problem }) => {
    expect(keyProblem(key)).toBe(problem);
  });

  it('accepts a key of exactly the maximum length and refuses one character more', () => {
    const longest = `${'a'.repeat(MAX_SEGMENT_LENGTH)}/${'b'.repeat(MAX_KEY_LENGTH - MAX_SEGMENT_LENGTH - 1)}`;
    expect(longest.length).toBe(400);
    expect(keyProblem(longest)).toBeUndefined();
    expect(keyProblem(`${longest}c`)).toBe('it has 401 characters');
  });

  it('accepts a segment of exactly the maximum length and refuses one character more', () => {
    expect(keyProblem(`runs/${'s'.repeat(200)}`)).toBeUndefined();
    expect(keyProblem(`runs/${'s'.repeat(201)}`)).toBe('segment 2 has 201 characters');
  });

  it('allows a last segment ending in .json (it is a file name, not a folder)', () => {
    expect(keyProblem('runs/snap.json')).toBeUndefined();
  });
});

describe('validateKey', () => {
  it('returns a valid key unchanged', () => {
    expect(validateKey('runs/2026-abc')).toBe('runs/2026-abc');
  });

  it('throws a BAD_INPUT error naming the quoted key, the problem and what is expected', () => {
    const err = thrown(() => validateKey('runs/a b'));
    expect(err).toBeInstanceOf(BadInputError);
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toBe(`invalid key "runs/a b": segment 2 contains " "; expected ${EXPECTED}`);
    expect(err.details).toEqual({ key: 'runs/a b', problem: 'segment 2 contains " "', expected: EXPECTED });
  });

  it('names the value as the caller says', () => {
    expect(thrown(() => validateKey('', 'lock name')).message).toBe(
      `invalid lock name "": it is empty; expected ${EXPECTED}`,
    );
  });

  it('shows a key of 80 characters in full and cuts a longer one to 80 characters and "..."', () => {
    const eighty = `${'k'.repeat(79)} `;
    expect(thrown(() => validateKey(eighty)).message).toContain(`invalid key "${eighty}": segment 1 contains " "`);
    const long = `${'k'.repeat(80)} and more`;
    const err = thrown(() => validateKey(long));
    expect(err.message).toContain(`invalid key "${'k'.repeat(80)}...": segment 1 contains " "`);
    expect(err.details?.key).toBe(long);
  });

  it('shows a value that is not a string as String() does, and records it as a string', () => {
    const err = thrown(() => validateKey(42));
    expect(err.message).toBe(`invalid key 42: it is a number, not a string; expected ${EXPECTED}`);
    expect(err.details).toEqual({ key: '42', problem: 'it is a number, not a string', expected: EXPECTED });
    const list = thrown(() => validateKey(['a', 'b']));
    expect(list.message).toMatch(/^invalid key a,b: it is a object, not a string;/);
    expect(list.details?.key).toBe('a,b');
  });
});

describe('isValidKey', () => {
  it('is true for a valid key and false for an invalid one or a non-string', () => {
    expect(isValidKey('inventory/hosts')).toBe(true);
    expect(isValidKey('inventory/../hosts')).toBe(false);
    expect(isValidKey(7)).toBe(false);
  });
});

describe('validatePrefix', () => {
  it.each([
    { prefix: '', folder: '' },
    { prefix: 'run', folder: '' },
    { prefix: 'runs/', folder: 'runs' },
    { prefix: 'runs/2026', folder: 'runs' },
    { prefix: 'a/b/c', folder: 'a/b' },
  ])('returns the folder $folder of the prefix $prefix', ({ prefix, folder }) => {
    expect(validatePrefix(prefix)).toBe(folder);
  });

  it('accepts a last piece made of key characters even when no key could be that long', () => {
    expect(validatePrefix(`runs/${'x'.repeat(300)}`)).toBe('runs');
  });

  it('refuses a prefix that is not a string', () => {
    const err = thrown(() => validatePrefix(5));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(/^invalid prefix 5: it is a number, not a string;/);
  });

  it('refuses a folder part that is not a valid key, naming it', () => {
    expect(thrown(() => validatePrefix('runs/../x')).message).toMatch(
      /^invalid prefix folder "runs\/\.\.": segment 2 is "\.\.";/,
    );
  });

  it('refuses a last piece with a character keys cannot have, naming the whole prefix', () => {
    const err = thrown(() => validatePrefix('runs/a b'));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(/^invalid prefix "runs\/a b": segment 2 contains " ";/);
  });
});

describe('compareKeys', () => {
  it('orders by code unit: -1, 1 or 0', () => {
    expect(compareKeys('a', 'b')).toBe(-1);
    expect(compareKeys('b', 'a')).toBe(1);
    expect(compareKeys('a', 'a')).toBe(0);
    expect(compareKeys('Z', 'a')).toBe(-1);
    expect(['runs/b', 'runs/C', 'runs-x', 'runs/a'].sort(compareKeys)).toEqual([
      'runs-x',
      'runs/C',
      'runs/a',
      'runs/b',
    ]);
  });
});
