// The cron.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { cronInstallBlock } from './install-block.js';
import { cronList } from './list.js';
import { cronRemoveBlock } from './remove-block.js';

export { cronInstallBlock, cronList, cronRemoveBlock };

/** Every cron.* task node, in catalog order. */
export const cronTasks = [cronInstallBlock, cronRemoveBlock, cronList] as const;
