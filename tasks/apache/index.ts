// The apache.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { apacheReload } from './reload.js';
import { apacheRemoveVhosts } from './remove-vhosts.js';
import { apacheVhosts } from './vhosts.js';

export { apacheReload, apacheRemoveVhosts, apacheVhosts };

/** Every apache.* task node, in catalog order. */
export const apacheTasks = [apacheVhosts, apacheRemoveVhosts, apacheReload] as const;
