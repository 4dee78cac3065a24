// The one storage interface runs and inventories go through: embedded JSON files by default, etcd later.

/** A stored value with its version (starts at 1, +1 on every put). */
export interface Entry<T = unknown> {
  key: string;
  value: T;
  version: number;
}

/** An entry that `scan` could not read: its key, where it is kept (a file for the JSON store) and what is wrong. */
export interface UnreadableEntry {
  key: string;
  location: string;
  problem: string;
}

/** Options of a put: `ifVersion` makes it a compare-and-set (`null` = the key must not exist). */
export interface AppendOptions {
  /** Durable when the append resolves (default true). */
  sync?: boolean;
}

export interface PutOptions {
  ifVersion?: number | null;
  /**
   * Sync the write to disk before resolving (default true). `false` keeps it atomic (a reader sees the old value or the
   * new one, never a mix) and safe from a crash of the process, not from one of the machine: for values that can be
   * rebuilt from a durable log (run snapshots, rebuilt from the journal).
   */
  durable?: boolean;
}

/** A held lock; renewed automatically while held, released explicitly. */
export interface Lease {
  readonly name: string;
  release(): Promise<void>;
}

/** Options of lock(): lease duration and how long to wait for it. */
export interface LockOptions {
  /** The lock is considered abandoned this long after its holder stopped renewing it. Default 10 000 ms. */
  ttlMs?: number;
  /** Give up with a LOCKED error after this long. Default 30 000 ms; 0 = try once. */
  waitMs?: number;
}

/**
 * Keys are `/`-separated words of `[A-Za-z0-9._:-]` (no `..`), e.g. `runs/2026-abc`.
 * Values are JSON-serializable.
 */
export interface Store {
  /** Human description (`json:/home/me/.gravity`). */
  readonly location: string;
  get<T = unknown>(key: string): Promise<Entry<T> | undefined>;
  /** Writes atomically and durably; returns the new version. Throws ConflictError when `ifVersion` does not match. */
  put<T = unknown>(key: string, value: T, options?: PutOptions): Promise<number>;
  /** Read-modify-write under the key's lock: `fn` gets the current value (undefined if absent). */
  update<T = unknown>(key: string, fn: (current: T | undefined) => T): Promise<Entry<T>>;
  delete(key: string, options?: PutOptions): Promise<boolean>;
  /** Entries whose key starts with `prefix`, sorted by key; throws on the first entry that cannot be read. */
  list<T = unknown>(prefix: string): Promise<Entry<T>[]>;
  /**
   * Like `list`, but an entry that cannot be read (corrupt or unreadable file, invalid key) is reported in `unreadable`
   * instead of failing the whole listing: one bad entry never hides the others. Only a failure to list at all throws.
   */
  scan<T = unknown>(prefix: string): Promise<{ entries: Entry<T>[]; unreadable: UnreadableEntry[] }>;
  /** Where the value of `key` (or with `'log'`, its log) is kept, for messages: a file path for the JSON store. */
  locate(key: string, kind?: 'value' | 'log'): string;
  /**
   * Appends one record to an append-only log (the run journal), after every earlier append to it; durable when it
   * resolves, unless `sync: false` (then written, not yet synced: the next synced append, or `syncLog`, makes it
   * durable with everything before it). Appends that come while one is being synced are written and synced together.
   */
  append(key: string, record: unknown, options?: AppendOptions): Promise<void>;
  /** Makes every record appended to the log so far durable (nothing to do when they are). */
  syncLog(key: string): Promise<void>;
  /** All records of a log, oldest first; a torn last line (crash mid-write) is dropped. */
  readLog<T = unknown>(key: string): Promise<T[]>;
  /** Takes a named lock with a lease. */
  lock(name: string, options?: LockOptions): Promise<Lease>;
  close(): Promise<void>;
}
