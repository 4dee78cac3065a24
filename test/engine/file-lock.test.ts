// The JSON store's locks (engine/store/file-lock.ts): lock file names, the in-process queue, key locks and leases on
// real lock folders.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLease, KeyedQueue, KeyLocks, lockFileName } from '../../engine/store/file-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gravity-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A promise with its resolve function. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('lockFileName', () => {
  it('turns / into ~ and keeps names of up to 200 characters', () => {
    expect(lockFileName('runs/r1/journal')).toBe('runs~r1~journal');
    const twoHundred = `${'a'.repeat(100)}/${'b'.repeat(99)}`;
    expect(lockFileName(twoHundred)).toBe(`${'a'.repeat(100)}~${'b'.repeat(99)}`);
  });

  it('replaces a longer name by the sha256 of the name, the same in every process', () => {
    const long = `runs/${'x'.repeat(196)}`;
    expect(lockFileName(long)).toBe(`~sha256~${createHash('sha256').update(long).digest('hex')}`);
    expect(lockFileName(`runs/${'y'.repeat(196)}`)).not.toBe(lockFileName(long));
  });
});

describe('KeyedQueue', () => {
  it('runs calls for one name one at a time in call order, also for calls queued while a later one runs', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const a = gate();
    const b = gate();
    const bStarted = gate();
    const first = queue.run('k', async () => {
      await a.promise;
      log.push('a');
    });
    const second = queue.run('k', async () => {
      log.push('b start');
      bStarted.open();
      await b.promise;
      log.push('b end');
    });
    a.open();
    await bStarted.promise;
    const third = queue.run('k', async () => {
      log.push('c');
    });
    await new Promise((resolve) => setImmediate(resolve));
    b.open();
    await Promise.all([first, second, third]);
    expect(log).toEqual(['a', 'b start', 'b end', 'c']);
  });

  it('runs calls for different names independently and passes results and errors through', async () => {
    const queue = new KeyedQueue();
    const held = gate();
    const blocked = queue.run('x', () => held.promise.then(() => 'x'));
    expect(await queue.run('y', async () => 'y')).toBe('y');
    await expect(queue.run('y', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue.run('y', async () => 'after')).toBe('after');
    held.open();
    expect(await blocked).toBe('x');
  });
});

describe('KeyLocks', () => {
  it('holds the lock folder <name>.lock while the function runs and removes it after', async () => {
    const locks = new KeyLocks(dir);
    const seen = await locks.with('inventory/hosts', async () => readdirSync(dir));
    expect(seen).toEqual(['inventory~hosts.lock']);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('releases the lock when the function throws, and rethrows', async () => {
    const locks = new KeyLocks(dir);
    await expect(locks.with('k', async () => Promise.reject(new Error('inside')))).rejects.toThrow('inside');
    expect(readdirSync(dir)).toEqual([]);
    expect(await locks.with('k', async () => 'again')).toBe('again');
  });

  it('waits for a lock folder another process keeps, then runs', async () => {
    const locks = new KeyLocks(dir);
    mkdirSync(join(dir, 'k.lock'));
    let ran = false;
    const running = locks.with('k', async () => (ran = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ran).toBe(false);
    await rm(join(dir, 'k.lock'), { recursive: true });
    await running;
    expect(ran).toBe(true);
  });
});

describe('acquireLease', () => {
  it('takes the lock folder, names the lease, and removes the folder once on release', async () => {
    const lease = await acquireLease(dir, 'deploy/prod', 2000, 0);
    expect(lease.name).toBe('deploy/prod');
    expect(readdirSync(dir)).toEqual(['deploy~prod.lock']);
    await lease.release();
    expect(readdirSync(dir)).toEqual([]);
    const next = await acquireLease(dir, 'deploy/prod', 2000, 0);
    await lease.release(); // a second release of the old lease must not free the new holder's lock
    expect(existsSync(join(dir, 'deploy~prod.lock'))).toBe(true);
    await next.release();
  });

  it('gives up with LOCKED naming the wait and the ttl when the folder is fresh', async () => {
    mkdirSync(join(dir, 'deploy.lock'));
    await expect(acquireLease(dir, 'deploy', 3000, 0)).rejects.toMatchObject({
      code: 'LOCKED',
      message:
        'lock deploy is held by another process (gave up after 0 ms; it frees itself 3000 ms after its holder stops)',
      details: { name: 'deploy', waitMs: 0, ttlMs: 3000 },
    });
  });

  it('takes over a folder older than the ttl', async () => {
    mkdirSync(join(dir, 'deploy.lock'));
    const old = new Date(Date.now() - 5000);
    utimesSync(join(dir, 'deploy.lock'), old, old);
    const lease = await acquireLease(dir, 'deploy', 2000, 0);
    await lease.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports an error other than "locked" at once (here: the lock folder cannot be created)', async () => {
    await expect(acquireLease(join(dir, 'missing'), 'deploy', 2000, 1000)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
