// The bind.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { bindInclude } from './include.js';
import { bindReload } from './reload.js';
import { bindRemoveZone } from './remove-zone.js';
import { bindZone } from './zone.js';

export { bindInclude, bindReload, bindRemoveZone, bindZone };

/** Every bind.* task node, in catalog order. */
export const bindTasks = [bindZone, bindInclude, bindRemoveZone, bindReload] as const;
