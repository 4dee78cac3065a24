// The log.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { logInfo } from './info.js';

export { logInfo };

/** Every log.* task node, in catalog order. */
export const logTasks = [logInfo] as const;
