// The host.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { hostApacheModules } from './apache-modules.js';
import { hostAptInstall } from './apt-install.js';
import { hostAptPlan } from './apt-plan.js';
import { hostCheckTool } from './check-tool.js';
import { hostReport } from './report.js';
import { hostRequirements } from './requirements.js';

export { hostApacheModules, hostAptInstall, hostAptPlan, hostCheckTool, hostReport, hostRequirements };

/** Every host.* task node, in catalog order. */
export const hostTasks = [
  hostCheckTool,
  hostReport,
  hostApacheModules,
  hostRequirements,
  hostAptPlan,
  hostAptInstall,
] as const;
