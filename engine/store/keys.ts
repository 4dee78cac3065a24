// One rule for store keys, shared by every backend, so a key valid in one store is valid in all and safe as a file path.
import { BadInputError } from '../errors.js';

/** Longest key accepted, in characters. */
export const MAX_KEY_LENGTH = 400;

/** Longest single segment: a segment becomes a file name (plus suffixes), and file names stop at 255 bytes. */
export const MAX_SEGMENT_LENGTH = 200;

const SEGMENT = /^[A-Za-z0-9._:-]+$/;
/** Suffixes the JSON store gives its files; a folder segment ending in one would collide with a stored file. */
const RESERVED_FOLDER_SUFFIXES = ['.json', '.jsonl'];

const EXPECTED =
  `/-separated words of [A-Za-z0-9._:-] with no empty, "." or ".." segment, ` +
  `at most ${MAX_KEY_LENGTH} characters (${MAX_SEGMENT_LENGTH} per segment), e.g. "runs/2026-abc"`;

/** Why `key` is not a valid key, or undefined when it is. */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `it is a ${key === null ? 'null' : typeof key}, not a string`;
  if (key.length === 0) return 'it is empty';
  if (key.length > MAX_KEY_LENGTH) return `it has ${key.length} characters`;
  const segments = key.split('/');
  for (const [i, segment] of segments.entries()) {
    const where = `segment ${i + 1}`;
    if (segment === '') return `${where} is empty`;
    if (segment === '.' || segment === '..') return `${where} is "${segment}"`;
    if (segment.length > MAX_SEGMENT_LENGTH) return `${where} has ${segment.length} characters`;
    const bad = [...segment].find((c) => !SEGMENT.test(c));
    if (bad !== undefined) return `${where} contains ${JSON.stringify(bad)}`;
    if (i < segments.length - 1 && RESERVED_FOLDER_SUFFIXES.some((s) => segment.endsWith(s))) {
      return `${where} "${segment}" has a folder segment ending in .json/.jsonl`;
    }
  }
  return undefined;
}

/**
 * Checks a store key (or lock name) and returns it unchanged.
 * @param what - how the message names the value: `key`, `lock name`, `prefix`.
 * @throws BadInputError naming the key, what is wrong with it and what is expected.
 */
export function validateKey(key: unknown, what = 'key'): string {
  // a run writes the same few keys over and over (its journal line per step): those already found valid pass at once
  if (typeof key === 'string' && validKeys.has(key)) return key;
  const problem = keyProblem(key);
  if (problem !== undefined) {
    const shown =
      typeof key === 'string' ? JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}...` : key) : String(key);
    throw new BadInputError(`invalid ${what} ${shown}: ${problem}; expected ${EXPECTED}`, {
      key: typeof key === 'string' ? key : String(key),
      problem,
      expected: EXPECTED,
    });
  }
  if (validKeys.size >= VALID_KEYS_KEPT) validKeys.clear();
  validKeys.add(key as string);
  return key as string;
}

/** Keys found valid lately (a bounded set: cleared when full). */
const validKeys = new Set<string>();
const VALID_KEYS_KEPT = 1024;

/** True when `key` passes {@link validateKey}. */
export function isValidKey(key: unknown): key is string {
  return keyProblem(key) === undefined;
}

/**
 * Checks a list() prefix: any plain string prefix of a key. Its folder part (up to the last `/`)
 * must itself be a valid key, which keeps a file walk inside the store.
 * @returns the folder part (`''` for the root).
 */
export function validatePrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') return validateKey(prefix, 'prefix');
  const slash = prefix.lastIndexOf('/');
  const folder = slash < 0 ? '' : prefix.slice(0, slash);
  if (folder !== '') validateKey(folder, 'prefix folder');
  const rest = prefix.slice(slash + 1);
  if (rest !== '' && ![...rest].every((c) => SEGMENT.test(c))) validateKey(prefix, 'prefix');
  return folder;
}

/** Order of keys in list(): plain code-unit order, the same in every store (not locale-dependent). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
