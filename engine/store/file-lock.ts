// Locks for the JSON store that hold across processes: an in-process queue per name plus a proper-lockfile lock folder.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ErrorCode, GravityError } from '../errors.js';
import type { Lease } from './types.js';

/** Retries of a short key lock: fast first tries, then up to ~25-50 ms apart (about a minute in all). */
const KEY_LOCK_RETRIES = { retries: 2000, minTimeout: 1, maxTimeout: 25, randomize: true };
/** A key lock whose holder stopped renewing it this long ago (crashed process) is taken over. */
const KEY_LOCK_STALE_MS = 10_000;

/** File-system name for a key or lock name: `/` becomes `~` (not a key character); long names are hashed. */
export function lockFileName(name: string): string {
  const flat = name.replaceAll('/', '~');
  return flat.length <= 200 ? flat : `~sha256~${createHash('sha256').update(name).digest('hex')}`;
}

/** Runs async functions one at a time per name, in call order, within this process. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier call for `name` has settled. */
  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    let done!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (done = resolve)));
    this.tails.set(name, tail);
    await previous;
    try {
      return await fn();
    } finally {
      done();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    }
  }
}

let lockfileModule: Promise<typeof import('proper-lockfile')> | undefined;

/**
 * proper-lockfile, imported with the first lock taken (it and graceful-fs under it are ~15 files): the commands that
 * only read the store (`gravity runs`, `show`) take none.
 */
function properLockfile(): Promise<typeof import('proper-lockfile')> {
  return (lockfileModule ??= import('proper-lockfile'));
}

/** Short exclusive locks on names (store keys), for read-compare-write sections across processes. */
export class KeyLocks {
  private readonly queue = new KeyedQueue();

  /** @param folder - where the lock folders live, e.g. `<data>/locks/kv`. */
  constructor(private readonly folder: string) {}

  /** Runs `fn` while holding the lock on `name`, in this process and against every other process. */
  with<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.run(name, async () => {
      const target = join(this.folder, lockFileName(name));
      let lost: Error | undefined;
      const lockfile = await properLockfile();
      const release = await lockfile
        .lock(target, {
          lockfilePath: `${target}.lock`,
          realpath: false,
          stale: KEY_LOCK_STALE_MS,
          retries: KEY_LOCK_RETRIES,
          onCompromised: (err) => (lost = err),
        })
        .catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ELOCKED') throw err;
          throw new GravityError(
            ErrorCode.Locked,
            `${name} is held by another process (gave up after ${KEY_LOCK_RETRIES.retries} tries)`,
            { name },
          );
        });
      let result: T;
      try {
        result = await fn();
      } finally {
        if (!lost) await release();
      }
      if (lost) {
        throw new GravityError(
          ErrorCode.Locked,
          `lost the lock on ${name} while writing (${lost.message}); the write may have raced with another process`,
          { name },
        );
      }
      return result;
    });
  }
}

/**
 * Takes the lease `name`: a lock folder under `folder` that proper-lockfile keeps fresh every `ttlMs / 2`
 * and that others take over once it is `ttlMs` old (proper-lockfile's floor: 2 s stale, 1 s refresh).
 * Polls until `waitMs` has passed, then throws GravityError LOCKED.
 */
export async function acquireLease(folder: string, name: string, ttlMs: number, waitMs: number): Promise<Lease> {
  const lockfile = await properLockfile();
  const target = join(folder, lockFileName(name));
  const deadline = Date.now() + waitMs;
  for (;;) {
    let lost = false;
    try {
      const release = await lockfile.lock(target, {
        lockfilePath: `${target}.lock`,
        realpath: false,
        stale: ttlMs,
        update: ttlMs / 2,
        retries: 0,
        onCompromised: () => (lost = true),
      });
      let released = false;
      return {
        name,
        async release() {
          if (released || lost) return;
          released = true;
          await release();
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new GravityError(
          ErrorCode.Locked,
          `lock ${name} is held by another process (gave up after ${waitMs} ms; it frees itself ${ttlMs} ms after its holder stops)`,
          { name, waitMs, ttlMs },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, 20 + Math.random() * 30)));
    }
  }
}
