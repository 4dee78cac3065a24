// The embedded default store: JSON files under the data directory, safe for several gravity processes at once.
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BadInputError, ConflictError, CorruptDataError, printable } from '../errors.js';
import { atomicWriteFile, ensureDir, fsyncDir, isMissing } from './durable-fs.js';
import { acquireLease, KeyLocks } from './file-lock.js';
import { JsonLogs } from './json-log.js';
import { compareKeys, validateKey, validatePrefix } from './keys.js';
import type { AppendOptions, Entry, Lease, LockOptions, PutOptions, Store, UnreadableEntry } from './types.js';

const DEFAULT_TTL_MS = 10_000;
const DEFAULT_WAIT_MS = 30_000;
const LIST_BATCH = 64;

/** What a value file holds. */
interface StoredValue {
  version: number;
  value: unknown;
}

/** Options of the JSON store. */
export interface JsonStoreOptions {
  /**
   * fsync every write (default true). `false` keeps writes atomic (temp + rename) but not durable across a power
   * loss: for test runs (`gravity test`), where speed matters more than surviving a crash of the machine.
   */
  durable?: boolean;
}

/**
 * Opens (creating if needed) a JSON store in `dir`:
 * values in `kv/<key>.json` as `{ "version": n, "value": ... }`, logs in `logs/<key>.jsonl`,
 * lock folders in `locks/`. Puts are atomic (temp file + fsync + rename + folder fsync) and every
 * read-compare-write holds a per-key lock that other processes honour too.
 */
export async function createJsonStore(dir: string, options: JsonStoreOptions = {}): Promise<Store> {
  const root = resolve(dir);
  for (const sub of ['kv', 'logs', 'locks/kv', 'locks/logs', 'locks/named'])
    await mkdir(join(root, sub), { recursive: true });
  return new JsonStore(root, options.durable !== false);
}

class JsonStore implements Store {
  readonly location: string;
  private readonly kvDir: string;
  private readonly keyLocks: KeyLocks;
  private readonly logs: JsonLogs;
  private readonly leases = new Set<Lease>();
  private readonly knownDirs = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly durable = true,
  ) {
    this.location = `json:${root}`;
    this.kvDir = join(root, 'kv');
    this.keyLocks = new KeyLocks(join(root, 'locks', 'kv'));
    this.logs = new JsonLogs(join(root, 'logs'), new KeyLocks(join(root, 'locks', 'logs')), durable);
  }

  async get<T = unknown>(key: string): Promise<Entry<T> | undefined> {
    validateKey(key);
    const stored = await this.read(key);
    return stored && { key, value: stored.value as T, version: stored.version };
  }

  async put<T = unknown>(key: string, value: T, options: PutOptions = {}): Promise<number> {
    validateKey(key);
    const json = serialize(key, value);
    return this.keyLocks.with(key, async () => {
      const current = await this.read(key);
      checkVersion(key, options.ifVersion, current);
      const version = (current?.version ?? 0) + 1;
      await this.write(key, version, json, options.durable !== false);
      return version;
    });
  }

  async update<T = unknown>(key: string, fn: (current: T | undefined) => T): Promise<Entry<T>> {
    validateKey(key);
    return this.keyLocks.with(key, async () => {
      const current = await this.read(key);
      const value = fn(current?.value as T | undefined);
      if (value instanceof Promise)
        throw new BadInputError(`update of ${key}: the function must be synchronous (it returned a Promise)`, { key });
      const version = (current?.version ?? 0) + 1;
      await this.write(key, version, serialize(key, value));
      return { key, value, version };
    });
  }

  async delete(key: string, options: PutOptions = {}): Promise<boolean> {
    validateKey(key);
    return this.keyLocks.with(key, async () => {
      const current = await this.read(key);
      checkVersion(key, options.ifVersion, current);
      if (!current) return false;
      const file = this.pathOf(key);
      await unlink(file);
      await fsyncDir(dirname(file));
      return true;
    });
  }

  async list<T = unknown>(prefix: string): Promise<Entry<T>[]> {
    return (
      await this.collect<T>(prefix, (_key, err) => {
        throw err;
      })
    ).entries;
  }

  async scan<T = unknown>(prefix: string): Promise<{ entries: Entry<T>[]; unreadable: UnreadableEntry[] }> {
    return this.collect<T>(prefix, (key, err) =>
      err instanceof CorruptDataError
        ? { key, location: err.location, problem: err.problem }
        : { key, location: this.pathOf(key), problem: (err as Error).message },
    );
  }

  locate(key: string, kind: 'value' | 'log' = 'value'): string {
    return kind === 'log' ? this.logs.pathOf(key) : this.pathOf(key);
  }

  async append(key: string, record: unknown, options: AppendOptions = {}): Promise<void> {
    validateKey(key);
    await this.logs.append(key, record, options.sync !== false);
  }

  async syncLog(key: string): Promise<void> {
    validateKey(key);
    await this.logs.sync(key);
  }

  async readLog<T = unknown>(key: string): Promise<T[]> {
    validateKey(key);
    return this.logs.read<T>(key);
  }

  async lock(name: string, options: LockOptions = {}): Promise<Lease> {
    validateKey(name, 'lock name');
    const lease = await acquireLease(
      join(this.root, 'locks', 'named'),
      name,
      options.ttlMs ?? DEFAULT_TTL_MS,
      options.waitMs ?? DEFAULT_WAIT_MS,
    );
    this.leases.add(lease);
    return {
      name,
      release: async () => {
        this.leases.delete(lease);
        await lease.release();
      },
    };
  }

  async close(): Promise<void> {
    const leases = [...this.leases];
    this.leases.clear();
    await Promise.all(leases.map((l) => l.release()));
    await this.logs.close();
  }

  /** The entries under `prefix` in key order, reading a batch of files at a time; `failed` decides about a bad one. */
  private async collect<T>(
    prefix: string,
    failed: (key: string, err: unknown) => UnreadableEntry,
  ): Promise<{ entries: Entry<T>[]; unreadable: UnreadableEntry[] }> {
    const folder = validatePrefix(prefix);
    const keys = (await this.walk(folder)).filter((k) => k.startsWith(prefix)).sort(compareKeys);
    const entries: Entry<T>[] = [];
    const unreadable: UnreadableEntry[] = [];
    for (let i = 0; i < keys.length; i += LIST_BATCH) {
      const batch = await Promise.all(
        keys.slice(i, i + LIST_BATCH).map(async (k) => {
          try {
            return await this.get<T>(k);
          } catch (err) {
            return failed(k, err);
          }
        }),
      );
      for (const got of batch) {
        if (!got) continue; // deleted meanwhile: skip
        if ('problem' in got) unreadable.push(got);
        else entries.push(got);
      }
    }
    return { entries, unreadable };
  }

  private pathOf(key: string): string {
    return `${join(this.kvDir, ...key.split('/'))}.json`;
  }

  private async read(key: string): Promise<StoredValue | undefined> {
    const file = this.pathOf(key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    let problem: string;
    if (!text.trim()) problem = 'empty file';
    else {
      try {
        const stored = JSON.parse(text) as StoredValue;
        if (typeof stored?.version === 'number') return stored;
        problem = 'no numeric "version"';
      } catch (err) {
        problem = `not JSON: ${printable((err as Error).message)}`;
      }
    }
    throw new CorruptDataError(`corrupt store file ${file}: ${problem}`, file, problem, { file, key, problem });
  }

  private async write(key: string, version: number, valueJson: string, durable = true): Promise<void> {
    const file = this.pathOf(key);
    await ensureDir(this.kvDir, dirname(file), this.knownDirs);
    await atomicWriteFile(file, `{\n  "version": ${version},\n  "value": ${valueJson}\n}\n`, durable && this.durable);
  }

  /** Keys of every value file under `kv/<folder>`. */
  private async walk(folder: string): Promise<string[]> {
    const keys: string[] = [];
    const visit = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.kvDir, ...(rel ? rel.split('/') : [])), { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) return;
        throw err;
      }
      for (const e of entries) {
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await visit(key);
        else if (e.isFile() && e.name.endsWith('.json')) keys.push(key.slice(0, -'.json'.length));
      }
    };
    await visit(folder);
    return keys;
  }
}

// Small values are indented for people who open the files; large ones (run snapshots) stay compact.
const PRETTY_LIMIT = 16 * 1024;

function serialize(key: string, value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined)
    throw new BadInputError(`value of ${key} is not JSON-serializable (${typeof value})`, { key });
  return json.length > PRETTY_LIMIT ? json : JSON.stringify(value, null, 2).replaceAll('\n', '\n  ');
}

function checkVersion(key: string, expected: number | null | undefined, current: StoredValue | undefined): void {
  if (expected === undefined) return;
  const actual = current?.version ?? null;
  if (expected !== actual) throw new ConflictError(key, expected, actual);
}
