// Tears a galaxy down: kills each server it started by its own pid, then removes its folder unless asked to keep it.
import { rm } from 'node:fs/promises';
import { defineTask, TaskError, type TaskLogger } from '../../engine/index.js';
import { galaxyStopInput, galaxyStopOutput, type ServerInfo } from './schema.js';
import { stopServer } from './servers.js';
import { isGalaxyRoot } from './support.js';

/** What `stopGalaxy` takes: the servers and root galaxy.build returned (either may be missing after a failed build). */
export interface StopRequest {
  servers: readonly ServerInfo[];
  root?: string | null;
  keep?: boolean | null;
}

/**
 * Stops every server (SIGTERM to its process group, SIGKILL after 2 s, checked gone, zombies counting as gone),
 * then removes `root` when it holds the galaxy marker, unless `keep`. Safe to call again: returns 0 stopped.
 */
export async function stopGalaxy(req: StopRequest, log: TaskLogger): Promise<{ stopped: number; kept?: string }> {
  let stopped = 0;
  const failures: string[] = [];
  for (const s of req.servers) {
    try {
      if (await stopServer(s)) {
        stopped++;
        log.info(`stopped ${s.kind} server pid ${s.pid} on ${s.address}:${s.port}`);
      }
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  let kept: string | undefined;
  if (req.root) {
    if (req.keep) {
      kept = req.root;
      log.info(`kept galaxy ${req.root}`);
    } else if (await isGalaxyRoot(req.root)) {
      await rm(req.root, { recursive: true, force: true, maxRetries: 3 });
      log.info(`removed galaxy ${req.root}`);
    }
  }
  if (failures.length) throw new TaskError(`could not stop every galaxy server: ${failures.join('; ')}`, { failures });
  return kept === undefined ? { stopped } : { stopped, kept };
}

/** Stops a galaxy's servers and removes its folder; idempotent. */
export const galaxyStop = defineTask({
  id: 'galaxy.stop',
  title: 'Tear a git galaxy down',
  description: 'Kills the git daemon / http server of a galaxy by pid (process group, SIGTERM then SIGKILL) and removes its folder unless keep.',
  input: galaxyStopInput,
  output: galaxyStopOutput,
  idempotent: true,
  timeoutMs: 30_000,
  plan: (i) => [
    ...i.servers.map((s) => `kill -TERM -${s.pid}  # ${s.kind} on ${s.address}:${s.port}, SIGKILL after 2 s`),
    ...(i.root ? [i.keep ? `keep ${i.root}` : `rm -rf ${i.root}`] : []),
  ],
  async run(ctx) {
    return stopGalaxy(ctx.input, ctx.log);
  },
});
