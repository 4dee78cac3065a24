// The run lock: one holder at a time, named in the refusal; a dead or expired holder taken over; release only its own.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  holderGone,
  keys,
  lockRun,
  RUN_LOCK_TTL_MS,
  startTimeOf,
  type RunLockHolder,
} from '../../engine/index.js';
import { DEAD_PID, tempJsonStore } from './support.js';

const holder = (o: Partial<RunLockHolder> = {}): RunLockHolder => ({
  pid: process.pid,
  pidStart: startTimeOf(process.pid),
  host: hostname(),
  purpose: 'resume',
  since: '2026-12-04T10:00:00.000Z',
  expiresAt: Date.now() + RUN_LOCK_TTL_MS,
  token: 't',
  ...o,
});

describe('lockRun', () => {
  it('refuses a second hold, naming the holder, and frees the run on release', async () => {
    const store = createMemoryStore();
    const lock = await lockRun(store, 'r1', { purpose: 'run' });
    await expect(lockRun(store, 'r1', { purpose: 'resume' })).rejects.toMatchObject({
      code: 'LOCKED',
      message: expect.stringMatching(
        new RegExp(`^run r1 is being driven by pid ${process.pid} on ${hostname()} \\(run since .+\\); wait for it`),
      ),
    });
    await lock.release();
    await lock.release(); // twice is fine
    expect(await store.get(keys.lock('r1'))).toBeUndefined();
    const again = await lockRun(store, 'r1', { purpose: 'resume' });
    await again.release();
  });

  it('lets exactly one of many simultaneous takers win, on the JSON store (cross-process compare-and-set)', async () => {
    const tmp = await tempJsonStore();
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => lockRun(tmp.store, 'r2', { purpose: 'resume' })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(
        results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code),
      ).toEqual(Array(7).fill('LOCKED'));
      await (
        results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ release(): Promise<void> }>
      ).value.release();
    } finally {
      await tmp.cleanup();
    }
  });

  it('takes over at once from a holder whose process died here, or whose pid was reused', async () => {
    const store = createMemoryStore();
    await store.put(keys.lock('r3'), holder({ pid: DEAD_PID, pidStart: 1 }));
    (await lockRun(store, 'r3', { purpose: 'resume' })).release();
    await store.put(keys.lock('r4'), holder({ pidStart: (startTimeOf(process.pid) ?? 0) + 1 }));
    const taken = await lockRun(store, 'r4', { purpose: 'resume' });
    expect((await store.get<RunLockHolder>(keys.lock('r4')))?.value).toMatchObject({
      pid: process.pid,
      purpose: 'resume',
    });
    await taken.release();
  });

  it('waits for a holder from another host until its hold expires, and refuses while it is fresh', async () => {
    const store = createMemoryStore();
    await store.put(keys.lock('r5'), holder({ host: 'elsewhere', pid: 4242, expiresAt: Date.now() + 60_000 }));
    await expect(lockRun(store, 'r5', { purpose: 'resume' })).rejects.toThrow(/driven by pid 4242 on elsewhere/);
    // with --wait, it polls; the hold expires meanwhile
    await store.put(keys.lock('r5'), holder({ host: 'elsewhere', pid: 4242, expiresAt: Date.now() + 300 }));
    const lock = await lockRun(store, 'r5', { purpose: 'resume', waitMs: 5_000, pollMs: 50 });
    await lock.release();
    // and a wait that ends first says how long it waited
    await store.put(keys.lock('r5'), holder({ host: 'elsewhere', pid: 4242, expiresAt: Date.now() + 60_000 }));
    await expect(lockRun(store, 'r5', { purpose: 'resume', waitMs: 200, pollMs: 50 })).rejects.toThrow(
      /\(waited 0 s\)/,
    );
  });

  it('releases only its own hold: a lock taken over meanwhile stays with its new holder', async () => {
    const store = createMemoryStore();
    const mine = await lockRun(store, 'r6', { purpose: 'run' });
    const theirs = holder({ pid: 4242, host: 'elsewhere' });
    await store.put(keys.lock('r6'), theirs);
    await mine.release();
    expect((await store.get<RunLockHolder>(keys.lock('r6')))?.value).toEqual(theirs);
  });

  it('tells a gone holder from a live one', () => {
    expect(holderGone(holder())).toBe(false);
    expect(holderGone(holder({ pid: DEAD_PID }))).toBe(true);
    expect(holderGone(holder({ expiresAt: Date.now() - 1 }))).toBe(true);
    expect(holderGone(holder({ host: 'elsewhere', pid: DEAD_PID }))).toBe(false);
    expect(holderGone(holder({ pidStart: undefined }))).toBe(false);
  });
});
