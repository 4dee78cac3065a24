// The default catalog of task nodes: every built-in task, and the registry the CLI and runner start from.
import { TaskRegistry, type TaskDefinition } from '../engine/index.js';
import { assertAheadBehind } from './assert/ahead-behind.js';
import { assertBranchExists } from './assert/branch-exists.js';
import { assertBranchHead } from './assert/branch-head.js';
import { assertCommitMessage } from './assert/commit-message.js';
import { assertConflicted } from './assert/conflicted.js';
import { assertExpr } from './assert/expr.js';
import { assertFileContent } from './assert/file-content.js';
import { assertPushRejected } from './assert/push-rejected.js';
import { assertTreeClean } from './assert/tree-clean.js';
import { execRun } from './exec/run.js';
import { fsCopy } from './fs/copy.js';
import { fsCopyFiles } from './fs/copy-files.js';
import { fsMkdir } from './fs/mkdir.js';
import { fsMove } from './fs/move.js';
import { fsRemove } from './fs/remove.js';
import { fsRender } from './fs/render.js';
import { fsWrite } from './fs/write.js';
import { galaxyBuild } from './galaxy/build.js';
import { galaxyStop } from './galaxy/stop.js';
import { gitCheckout } from './git/checkout.js';
import { gitClone } from './git/clone.js';
import { gitCommit } from './git/commit.js';
import { gitConfig } from './git/config.js';
import { gitDiffTrees } from './git/diff-trees.js';
import { gitFetch } from './git/fetch.js';
import { gitHook } from './git/hook.js';
import { gitInit } from './git/init.js';
import { gitMerge } from './git/merge.js';
import { gitPull } from './git/pull.js';
import { gitPush } from './git/push.js';
import { gitRebase } from './git/rebase.js';
import { gitStatus } from './git/status.js';
import { gitTag } from './git/tag.js';
import { hostCheckTool } from './host/check-tool.js';
import { hostReport } from './host/report.js';
import { logInfo } from './log/info.js';
import { timeWait } from './time/wait.js';

export { assertExpr, execRun, fsCopy, fsCopyFiles, fsMkdir, fsMove, fsRemove, fsRender, fsWrite, hostCheckTool, hostReport, logInfo, timeWait };
export { gitCheckout, gitClone, gitCommit, gitConfig, gitDiffTrees, gitFetch, gitHook, gitInit, gitMerge, gitPull, gitPush, gitRebase, gitStatus, gitTag };
export { assertAheadBehind, assertBranchExists, assertBranchHead, assertCommitMessage, assertConflicted, assertFileContent, assertPushRejected, assertTreeClean };
export { galaxyBuild, galaxyStop };
export { formatCommand, quoteArg } from './exec/run.js';
export { formatReport } from './host/report.js';
export type { CheckToolOutput } from './host/check-tool.js';

/** Every built-in task node. */
export const allTasks: readonly TaskDefinition[] = [
  execRun,
  fsMkdir,
  fsWrite,
  fsCopy,
  fsCopyFiles,
  fsMove,
  fsRemove,
  fsRender,
  timeWait,
  assertExpr,
  logInfo,
  hostCheckTool,
  hostReport,
  gitInit,
  gitClone,
  gitConfig,
  gitCheckout,
  gitCommit,
  gitPush,
  gitFetch,
  gitPull,
  gitMerge,
  gitRebase,
  gitTag,
  gitHook,
  gitStatus,
  gitDiffTrees,
  assertBranchHead,
  assertBranchExists,
  assertFileContent,
  assertTreeClean,
  assertConflicted,
  assertAheadBehind,
  assertCommitMessage,
  assertPushRejected,
  galaxyBuild,
  galaxyStop,
];

/** A fresh registry holding every built-in task node. */
export function createDefaultRegistry(): TaskRegistry {
  return new TaskRegistry().register(...allTasks);
}
