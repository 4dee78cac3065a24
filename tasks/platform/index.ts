// The platform.* task nodes (platforms, their projects, environments' addresses and active sites), listed so
// tasks/index.ts registers the whole domain by one name.
import { platformActivate } from './activate.js';
import { platformAllocate, platformRelease } from './addresses.js';
import { platformEnvironment, platformGet } from './environment.js';
import { platformAddProject, platformInit } from './init.js';
import { platformStatus } from './status.js';
import { platformSyncProject } from './sync-project.js';

export {
  platformActivate,
  platformAddProject,
  platformAllocate,
  platformEnvironment,
  platformGet,
  platformInit,
  platformRelease,
  platformStatus,
  platformSyncProject,
};

/** Every platform.* task node, in catalog order. */
export const platformTasks = [
  platformInit,
  platformAddProject,
  platformAllocate,
  platformRelease,
  platformActivate,
  platformGet,
  platformSyncProject,
  platformEnvironment,
  platformStatus,
] as const;
