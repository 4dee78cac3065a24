// The docker.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { dockerBuild } from './build.js';
import { dockerExec } from './exec.js';
import { dockerInspect } from './inspect.js';
import { dockerRm, dockerStart, dockerStop } from './lifecycle.js';
import { dockerRun } from './run.js';
import { dockerWaitHealthy } from './wait-healthy.js';

export { dockerBuild, dockerExec, dockerInspect, dockerRm, dockerRun, dockerStart, dockerStop, dockerWaitHealthy };

/** Every docker.* task node, in catalog order. */
export const dockerTasks = [
  dockerBuild,
  dockerRun,
  dockerInspect,
  dockerWaitHealthy,
  dockerExec,
  dockerStop,
  dockerStart,
  dockerRm,
] as const;
