// The run lock's edges: the LOCKED error's details and wording, how a wait polls and when it gives up, a failing store,
// the renewal of a held lock, and a release that happens once and never frees a later hold.
import { hostname } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConflictError } from '../../engine/errors.js';
import { createMemoryStore } from '../../engine/store/memory-store.js';
import type { Store } from '../../engine/store/types.js';
import { holderGone, lockRun, RUN_LOCK_TTL_MS, type RunLockHolder } from '../../engine/run-lock.js';
import { keys } from '../../engine/run-store.js';
import { startTimeOf } from '../../engine/process.js';

const holder = (o: Partial<RunLockHolder> = {}): RunLockHolder => ({
  pid: 4242,
  host: 'elsewhere',
  purpose: 'resume',
  since: '2026-12-04T10:00:00.000Z',
  expiresAt: Date.now() + 60_000,
  token: 't',
  ...o,
});

/** A memory store that counts the reads of the lock of `runId` and runs `onGet(n)` before the n-th one. */
function countingStore(runId: string, onGet: (n: number, store: Store) => Promise<void> | void = () => undefined) {
  const store = createMemoryStore();
  let gets = 0;
  const wrapped: Store = {
    ...store,
    get: async <T>(key: string) => {
      if (key === keys.lock(runId)) await onGet(++gets, store);
      return store.get<T>(key);
    },
  };
  return { store: wrapped, inner: store, gets: () => gets };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('holderGone', () => {
  it('keeps a holder on another host until the moment after its hold expires', () => {
    const h = holder({ expiresAt: 1_000 });
    expect(holderGone(h, 999)).toBe(false);
    expect(holderGone(h, 1_000)).toBe(false);
    expect(holderGone(h, 1_001)).toBe(true);
  });
});

describe('the LOCKED refusal', () => {
  it('names the holder in its details, and says nothing of a wait when it did not wait', async () => {
    // the clock stands still: the refusal comes after no time at all
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = createMemoryStore();
    await store.put(keys.lock('r-det'), holder());
    const e = await lockRun(store, 'r-det', { purpose: 'rollback' }).then(
      () => undefined,
      (err: unknown) => err as Error & { code: string; details: unknown },
    );
    expect(e).toMatchObject({
      code: 'LOCKED',
      message:
        'run r-det is being driven by pid 4242 on elsewhere (resume since 2026-12-04T10:00:00.000Z); wait for it to end (`--wait`), or stop it with `gravity cancel r-det`',
      details: { run: 'r-det', pid: 4242, host: 'elsewhere', purpose: 'resume', since: '2026-12-04T10:00:00.000Z' },
    });
  }, 5_000);
});

describe('waiting for a held lock', () => {
  it('polls every pollMs and takes the lock once its holder lets go', async () => {
    // the holder lets go just before the 8th look: about 70 ms of polls every 10 ms, far within the wait
    const { store, gets } = countingStore('r-poll', async (n, inner) => {
      if (n === 1) await inner.put(keys.lock('r-poll'), holder());
      if (n === 8) await inner.delete(keys.lock('r-poll'));
    });
    const lock = await lockRun(store, 'r-poll', { purpose: 'resume', waitMs: 1_000, pollMs: 10 });
    expect(gets()).toBe(8);
    expect((await store.get<RunLockHolder>(keys.lock('r-poll')))?.value).toMatchObject({
      pid: process.pid,
      purpose: 'resume',
    });
    await lock.release();
  });

  it('sleeps no longer than what is left of the wait, and does not spin meanwhile', async () => {
    // the first look takes 300 ms of a 400 ms wait
    const { store, inner, gets } = countingStore('r-left', (n) =>
      n === 1 ? new Promise((r) => setTimeout(r, 300)) : undefined,
    );
    await inner.put(keys.lock('r-left'), holder());
    // a poll interval longer than the whole wait: the one sleep is cut to the 100 ms left
    await expect(lockRun(store, 'r-left', { purpose: 'resume', waitMs: 400, pollMs: 5_000 })).rejects.toThrow(
      /\(waited 0 s\); wait for it/,
    );
    expect(gets()).toBe(2);
  });

  it('looks again about every pollMs, not in a busy loop', async () => {
    const { store, inner, gets } = countingStore('r-rate');
    await inner.put(keys.lock('r-rate'), holder());
    await expect(lockRun(store, 'r-rate', { purpose: 'resume', waitMs: 300, pollMs: 100 })).rejects.toMatchObject({
      code: 'LOCKED',
    });
    expect(gets()).toBeGreaterThanOrEqual(2);
    expect(gets()).toBeLessThanOrEqual(6);
  });
});

describe('a store that fails', () => {
  it('reports a failed write of the lock instead of trying again', async () => {
    const store = createMemoryStore();
    let puts = 0;
    const failing: Store = {
      ...store,
      put: async (key, value, o) => {
        if (++puts === 1) throw new Error('disk full');
        return store.put(key, value, o);
      },
    };
    await expect(lockRun(failing, 'r-fail', { purpose: 'run' })).rejects.toThrow('disk full');
    expect(puts).toBe(1);
    expect(await store.get(keys.lock('r-fail'))).toBeUndefined();
  }, 5_000);

  it('reports a failed delete on release', async () => {
    const store = createMemoryStore();
    const failing: Store = {
      ...store,
      delete: async () => {
        throw new Error('read-only file system');
      },
    };
    const lock = await lockRun(failing, 'r-del', { purpose: 'run' });
    await expect(lock.release()).rejects.toThrow('read-only file system');
  });

  it('tries again when another process wrote the lock first', async () => {
    const store = createMemoryStore();
    let puts = 0;
    const racing: Store = {
      ...store,
      put: async (key, value, o) => {
        // another process takes (and at once frees) the lock between the read and this write
        if (++puts === 1) throw new ConflictError(key, null, 1);
        return store.put(key, value, o);
      },
    };
    const lock = await lockRun(racing, 'r-race', { purpose: 'run' });
    expect(puts).toBe(2);
    await lock.release();
  });
});

describe('a held lock', () => {
  it('is renewed every 10 s with a fresh expiry, under compare-and-set', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(1_000_000);
    const store = createMemoryStore();
    const lock = await lockRun(store, 'r-renew', { purpose: 'run' });
    const first = (await store.get<RunLockHolder>(keys.lock('r-renew')))!;
    expect(first.value.expiresAt).toBe(1_000_000 + RUN_LOCK_TTL_MS);
    await vi.advanceTimersByTimeAsync(10_000);
    const renewed = (await store.get<RunLockHolder>(keys.lock('r-renew')))!;
    expect(renewed.version).toBe(first.version + 1);
    expect(renewed.value).toEqual({ ...first.value, expiresAt: 1_010_000 + RUN_LOCK_TTL_MS });
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await store.get<RunLockHolder>(keys.lock('r-renew')))!.value.expiresAt).toBe(1_020_000 + RUN_LOCK_TTL_MS);
    // released: the renewals stop with it
    await lock.release();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await store.get(keys.lock('r-renew'))).toBeUndefined();
  });

  it('is not renewed over a holder that took it over meanwhile', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const store = createMemoryStore();
    const lock = await lockRun(store, 'r-over', { purpose: 'run' });
    const theirs = holder({ pid: 4343 });
    await store.put(keys.lock('r-over'), theirs);
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await store.get<RunLockHolder>(keys.lock('r-over')))?.value).toEqual(theirs);
    await lock.release();
    expect((await store.get<RunLockHolder>(keys.lock('r-over')))?.value).toEqual(theirs);
  });

  it('is released once: a second release leaves a later hold of the run alone', async () => {
    const store = createMemoryStore();
    const first = await lockRun(store, 'r-twice', { purpose: 'run' });
    await first.release();
    const second = await lockRun(store, 'r-twice', { purpose: 'resume' });
    await first.release();
    expect((await store.get<RunLockHolder>(keys.lock('r-twice')))?.value).toMatchObject({
      pid: process.pid,
      pidStart: startTimeOf(process.pid),
      host: hostname(),
      purpose: 'resume',
    });
    await second.release();
    expect(await store.get(keys.lock('r-twice'))).toBeUndefined();
  });
});
