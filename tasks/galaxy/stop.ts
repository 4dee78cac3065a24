// Tears a galaxy down: kills each server it started by its own pid, then removes its folder unless asked to keep it.
import { defineTask } from '../../engine/index.js';
import { galaxyStopInput, galaxyStopOutput } from './support-schema.js';
import { stopGalaxy } from './support.js';

/** Stops a galaxy's servers and removes its folder; idempotent. */
export const galaxyStop = defineTask({
  id: 'galaxy.stop',
  title: 'Tear a git galaxy down',
  description:
    'Kills the git daemon / http server of a galaxy by pid (process group, SIGTERM then SIGKILL) and removes its folder unless keep.',
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
