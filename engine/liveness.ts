// Whether a run marked running still has its process: a dead pid, another host or a reused pid are not it.
import { hostname } from 'node:os';
import { RunStatus, type RunRecord } from './journal.js';
import { isSameLiveProcess } from './process.js';

/** True when the process that owns a running run is still alive on this host. */
export function isRunLive(r: RunRecord): boolean {
  if (r.status !== RunStatus.Running || r.pid === undefined || r.host !== hostname() || r.pid === process.pid)
    return false;
  // the pid may have been reused by another process since the run's process died
  return isSameLiveProcess(r.pid, r.pidStart);
}
