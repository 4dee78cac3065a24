// The galaxy.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { galaxyBuild } from './build.js';
import { galaxyStop } from './stop.js';

export { galaxyBuild, galaxyStop };

/** Every galaxy.* task node, in catalog order. */
export const galaxyTasks = [galaxyBuild, galaxyStop] as const;
