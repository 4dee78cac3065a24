// The default catalog of task nodes: each domain's list (tasks/<domain>/index.ts) concatenated, and the registry the CLI and runner start from.
import { TaskRegistry, type TaskDefinition } from '../engine/index.js';
import { assertTasks } from './assert/index.js';
import { execTasks } from './exec/index.js';
import { fsTasks } from './fs/index.js';
import { galaxyTasks } from './galaxy/index.js';
import { gitTasks } from './git/index.js';
import { hostTasks } from './host/index.js';
import { logTasks } from './log/index.js';
import { timeTasks } from './time/index.js';

export { execRun, execTasks } from './exec/index.js';
export { fsCopy, fsCopyFiles, fsMkdir, fsMove, fsRemove, fsRender, fsTasks, fsWrite } from './fs/index.js';
export { timeTasks, timeWait } from './time/index.js';
export { logInfo, logTasks } from './log/index.js';
export { hostCheckTool, hostReport, hostTasks } from './host/index.js';
export {
  gitCheckout,
  gitClone,
  gitCommit,
  gitConfig,
  gitDiffTrees,
  gitFetch,
  gitHook,
  gitInit,
  gitMerge,
  gitPull,
  gitPush,
  gitRebase,
  gitStatus,
  gitTag,
  gitTasks,
} from './git/index.js';
export {
  assertAheadBehind,
  assertBranchExists,
  assertBranchHead,
  assertCommitMessage,
  assertConflicted,
  assertExpr,
  assertFileContent,
  assertPushRejected,
  assertTasks,
  assertTreeClean,
} from './assert/index.js';
export { galaxyBuild, galaxyStop, galaxyTasks } from './galaxy/index.js';
export { formatCommand, quoteArg } from './support/format.js';
export { formatReport } from './host/report.js';
export type { CheckToolOutput } from './host/check-tool.js';

/** Every built-in task node: the domain lists, one after the other. */
export const allTasks: readonly TaskDefinition[] = [
  ...execTasks,
  ...fsTasks,
  ...timeTasks,
  ...logTasks,
  ...hostTasks,
  ...gitTasks,
  ...assertTasks,
  ...galaxyTasks,
];

/** A fresh registry holding every built-in task node. */
export function createDefaultRegistry(): TaskRegistry {
  return new TaskRegistry().register(...allTasks);
}
