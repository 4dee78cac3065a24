// The store's public face: the interface, both embedded backends and where gravity keeps its data by default.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export type { Entry, Lease, LockOptions, PutOptions, Store, UnreadableEntry } from './types.js';
export { createJsonStore, type JsonStoreOptions } from './json-store.js';
export { createMemoryStore } from './memory-store.js';
export { isValidKey, validateKey, MAX_KEY_LENGTH } from './keys.js';

/**
 * The data directory: `GRAVITY_HOME` when set (resolved to an absolute path), else `~/.gravity`
 * (home taken from `HOME` in `env`, falling back to the OS's idea of it).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.GRAVITY_HOME?.trim();
  if (home) return resolve(home);
  return join(env.HOME || homedir(), '.gravity');
}
