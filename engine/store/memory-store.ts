// An in-memory Store with the JSON store's semantics, for tests and benchmarks that need no disk.
import { BadInputError, ConflictError, ErrorCode, GravityError } from '../errors.js';
import { compareKeys, validateKey, validatePrefix } from './keys.js';
import type { Entry, Lease, LockOptions, PutOptions, Store } from './types.js';

const DEFAULT_WAIT_MS = 30_000;
const POLL_MS = 5;

interface Stored {
  version: number;
  value: unknown;
}

/**
 * Creates an empty in-memory store. Values are deep-copied (structuredClone) on the way in and out,
 * so callers never share objects with it; keys, versions, conflicts and locks behave as in the JSON store.
 * Leases never expire while held (their holder lives in the same process).
 */
export function createMemoryStore(): Store {
  const values = new Map<string, Stored>();
  const logs = new Map<string, string[]>();
  const held = new Map<string, symbol>();

  function checkVersion(key: string, expected: number | null | undefined, current: Stored | undefined): void {
    if (expected === undefined) return;
    const actual = current?.version ?? null;
    if (expected !== actual) throw new ConflictError(key, expected, actual);
  }

  function copyIn<T>(key: string, value: T): T {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
      throw new BadInputError(`value of ${key} is not JSON-serializable (${typeof value})`, { key });
    }
    return structuredClone(value);
  }

  function entryOf<T>(key: string, stored: Stored): Entry<T> {
    return { key, value: structuredClone(stored.value) as T, version: stored.version };
  }

  function list<T>(prefix: string): Entry<T>[] {
    validatePrefix(prefix);
    return [...values.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort(compareKeys)
      .map((k) => entryOf<T>(k, values.get(k)!));
  }

  function tryLock(name: string): Lease | undefined {
    if (held.has(name)) return undefined;
    const token = Symbol(name);
    held.set(name, token);
    return {
      name,
      async release() {
        if (held.get(name) === token) held.delete(name);
      },
    };
  }

  return {
    location: 'memory:',

    async get<T = unknown>(key: string) {
      validateKey(key);
      const stored = values.get(key);
      return stored && entryOf<T>(key, stored);
    },

    async put<T = unknown>(key: string, value: T, options: PutOptions = {}) {
      validateKey(key);
      const copy = copyIn(key, value);
      const current = values.get(key);
      checkVersion(key, options.ifVersion, current);
      const version = (current?.version ?? 0) + 1;
      values.set(key, { version, value: copy });
      return version;
    },

    async update<T = unknown>(key: string, fn: (current: T | undefined) => T) {
      validateKey(key);
      const current = values.get(key);
      const value = fn(current ? (structuredClone(current.value) as T) : undefined);
      if (value instanceof Promise)
        throw new BadInputError(`update of ${key}: the function must be synchronous (it returned a Promise)`, { key });
      const stored = { version: (current?.version ?? 0) + 1, value: copyIn(key, value) };
      values.set(key, stored);
      return entryOf<T>(key, stored);
    },

    async delete(key: string, options: PutOptions = {}) {
      validateKey(key);
      const current = values.get(key);
      checkVersion(key, options.ifVersion, current);
      return values.delete(key);
    },

    async list<T = unknown>(prefix: string) {
      return list<T>(prefix);
    },

    async scan<T = unknown>(prefix: string) {
      // values are structured clones of what was put: nothing stored here can be unreadable
      return { entries: list<T>(prefix), unreadable: [] };
    },

    locate(key: string, kind: 'value' | 'log' = 'value') {
      return `memory:${kind === 'log' ? 'log:' : ''}${key}`;
    },

    async append(key: string, record: unknown) {
      validateKey(key);
      const json = JSON.stringify(record);
      if (json === undefined)
        throw new BadInputError(`log record for ${key} is not JSON-serializable (${typeof record})`, { key });
      const log = logs.get(key) ?? [];
      log.push(json);
      logs.set(key, log);
    },

    async syncLog(key: string) {
      validateKey(key);
    },

    async readLog<T = unknown>(key: string) {
      validateKey(key);
      return (logs.get(key) ?? []).map((line) => JSON.parse(line) as T);
    },

    async lock(name: string, options: LockOptions = {}) {
      validateKey(name, 'lock name');
      const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
      const deadline = Date.now() + waitMs;
      for (;;) {
        const lease = tryLock(name);
        if (lease) return lease;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new GravityError(
            ErrorCode.Locked,
            `lock ${name} is held by another holder (gave up after ${waitMs} ms)`,
            { name, waitMs },
          );
        await new Promise((resolve) => setTimeout(resolve, Math.min(left, POLL_MS)));
      }
    },

    async close() {
      held.clear();
    },
  };
}
