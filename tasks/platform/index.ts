// The platform.* task nodes (platforms, their projects, environments' addresses and active sites), listed so
// tasks/index.ts registers the whole domain by one name.
import { platformActivate } from './activate.js';
import { platformAllocate, platformRelease } from './addresses.js';
import { platformAddProject, platformInit } from './init.js';

export { platformActivate, platformAddProject, platformAllocate, platformInit, platformRelease };

/** Every platform.* task node, in catalog order. */
export const platformTasks = [
  platformInit,
  platformAddProject,
  platformAllocate,
  platformRelease,
  platformActivate,
] as const;
