// One process drives a run at a time: a lock record per run, taken by compare-and-set, that names its holder.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ConflictError, ErrorCode, GravityError } from './errors.js';
import { isSameLiveProcess, startTimeOf } from './process.js';
import { keys } from './run-store.js';
import type { Store } from './store/types.js';

/** Who drives a run: stored under the run's lock key while it is held. */
export interface RunLockHolder {
  pid: number;
  /** Start time of that process (see startTimeOf), so a reused pid is not taken for it. */
  pidStart?: number;
  host: string;
  /** What it does: run, resume, cancel, rollback. */
  purpose: string;
  since: string;
  /** Renewed while held; a holder on another host is gone once this has passed (ms since the epoch). */
  expiresAt: number;
  /** Tells this hold from a later one by the same process. */
  token: string;
}

/** A held run lock. */
export interface RunLock {
  readonly runId: string;
  /** Gives the lock up (once; later calls do nothing). */
  release(): Promise<void>;
}

/** How long a hold lasts without renewal, and how often it is renewed (a holder on another host can only expire). */
export const RUN_LOCK_TTL_MS = 30_000;
const RENEW_EVERY_MS = 10_000;

/** True when the holder can no longer drive the run: its process is gone (this host) or its hold expired. */
export function holderGone(h: RunLockHolder, now = Date.now()): boolean {
  if (h.expiresAt < now) return true;
  if (h.host !== hostname()) return false;
  return !isSameLiveProcess(h.pid, h.pidStart);
}

/** The LOCKED error for a run held by `h`: who drives it, since when, and what to do. */
function lockedError(runId: string, h: RunLockHolder, waitedMs: number): GravityError {
  const waited = waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : '';
  return new GravityError(
    ErrorCode.Locked,
    `run ${runId} is being driven by pid ${h.pid} on ${h.host} (${h.purpose} since ${h.since})${waited}; wait for it to end (\`--wait\`), or stop it with \`gravity cancel ${runId}\``,
    { run: runId, pid: h.pid, host: h.host, purpose: h.purpose, since: h.since },
  );
}

/**
 * Takes the lock of run `runId` for this process, or throws a LOCKED error naming the process that holds it. A holder
 * whose process died on this host is taken over at once; one on another host once its hold expired. Two processes
 * that find the lock free (or abandoned) at the same moment both write with compare-and-set: exactly one wins. With
 * `waitMs`, a held lock is polled until then.
 */
export async function lockRun(
  store: Store,
  runId: string,
  o: { purpose: string; waitMs?: number; pollMs?: number },
): Promise<RunLock> {
  const key = keys.lock(runId);
  const started = Date.now();
  const mine = (): RunLockHolder => ({
    pid: process.pid,
    pidStart: startTimeOf(process.pid),
    host: hostname(),
    purpose: o.purpose,
    since: new Date(started).toISOString(),
    expiresAt: Date.now() + RUN_LOCK_TTL_MS,
    token: randomBytes(8).toString('hex'),
  });
  let version: number;
  let holder: RunLockHolder;
  for (;;) {
    const current = await store.get<RunLockHolder>(key);
    if (!current || holderGone(current.value)) {
      holder = mine();
      try {
        version = await store.put(key, holder, { ifVersion: current ? current.version : null });
        break;
      } catch (e) {
        if (e instanceof ConflictError) continue; // another process took it (or freed it) first: look again
        throw e;
      }
    }
    const waited = Date.now() - started;
    if (waited >= (o.waitMs ?? 0)) throw lockedError(runId, current.value, waited);
    await new Promise((r) => setTimeout(r, Math.min(o.pollMs ?? 200, (o.waitMs ?? 0) - waited)));
  }
  // renewal keeps a hold fresh for other hosts (on this host the process's life is what counts)
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(async () => {
      const next = { ...holder, expiresAt: Date.now() + RUN_LOCK_TTL_MS };
      try {
        version = await store.put(key, next, { ifVersion: version });
        holder = next;
      } catch {
        // taken over (this process looked dead or expired to another one) or the store failed: the next renewal
        // fails the same way, and release() leaves the other holder's record alone
      }
    });
  }, RENEW_EVERY_MS);
  timer.unref();
  let released = false;
  return {
    runId,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await renewing;
      await store.delete(key, { ifVersion: version }).catch((e: unknown) => {
        if (!(e instanceof ConflictError)) throw e;
      });
    },
  };
}
