// The default catalog of task nodes: every built-in task, and the registry the CLI and runner start from.
import { TaskRegistry, type TaskDefinition } from '../engine/index.js';
import { assertExpr } from './assert/expr.js';
import { execRun } from './exec/run.js';
import { fsCopy } from './fs/copy.js';
import { fsMkdir } from './fs/mkdir.js';
import { fsRemove } from './fs/remove.js';
import { fsRender } from './fs/render.js';
import { fsWrite } from './fs/write.js';
import { hostCheckTool } from './host/check-tool.js';
import { hostReport } from './host/report.js';
import { logInfo } from './log/info.js';
import { timeWait } from './time/wait.js';

export { assertExpr, execRun, fsCopy, fsMkdir, fsRemove, fsRender, fsWrite, hostCheckTool, hostReport, logInfo, timeWait };
export { formatCommand, quoteArg } from './exec/run.js';
export { formatReport } from './host/report.js';
export type { CheckToolOutput } from './host/check-tool.js';

/** Every built-in task node. */
export const allTasks: readonly TaskDefinition[] = [
  execRun,
  fsMkdir,
  fsWrite,
  fsCopy,
  fsRemove,
  fsRender,
  timeWait,
  assertExpr,
  logInfo,
  hostCheckTool,
  hostReport,
];

/** A fresh registry holding every built-in task node. */
export function createDefaultRegistry(): TaskRegistry {
  return new TaskRegistry().register(...allTasks);
}
