// The host.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { hostCheckTool } from './check-tool.js';
import { hostReport } from './report.js';

export { hostCheckTool, hostReport };

/** Every host.* task node, in catalog order. */
export const hostTasks = [hostCheckTool, hostReport] as const;
