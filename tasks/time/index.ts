// The time.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { timeWait } from './wait.js';

export { timeWait };

/** Every time.* task node, in catalog order. */
export const timeTasks = [timeWait] as const;
