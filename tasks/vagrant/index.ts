// The vagrant.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { vagrantDestroy, vagrantHalt } from './lifecycle.js';
import { vagrantStatus } from './status.js';
import { vagrantUp } from './up.js';

export { vagrantDestroy, vagrantHalt, vagrantStatus, vagrantUp };

/** Every vagrant.* task node, in catalog order. */
export const vagrantTasks = [vagrantStatus, vagrantUp, vagrantHalt, vagrantDestroy] as const;
