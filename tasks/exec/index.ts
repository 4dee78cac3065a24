// The exec.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { execRun } from './run.js';

export { execRun };

/** Every exec.* task node, in catalog order. */
export const execTasks = [execRun] as const;
