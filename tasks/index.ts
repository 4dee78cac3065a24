// The default catalog of task nodes: each domain's list (tasks/<domain>/index.ts) concatenated, and the registry the CLI and runner start from.
import { TaskRegistry, type ChoiceProvider, type TaskDefinition } from '../engine/index.js';
import { apacheTasks } from './apache/index.js';
import { assertTasks } from './assert/index.js';
import { bindTasks } from './bind/index.js';
import { cronTasks } from './cron/index.js';
import { dockerTasks } from './docker/index.js';
import { envTasks } from './env/index.js';
import { gitlabChoices, gitlabTasks } from './gitlab/index.js';
import { execTasks } from './exec/index.js';
import { fsTasks } from './fs/index.js';
import { galaxyTasks } from './galaxy/index.js';
import { gitTasks } from './git/index.js';
import { hostTasks } from './host/index.js';
import { logTasks } from './log/index.js';
import { platformTasks } from './platform/index.js';
import { timeTasks } from './time/index.js';
import { vagrantTasks } from './vagrant/index.js';

// each domain index exports its task nodes and its list, nothing else: re-exported whole, never named again here
export * from './exec/index.js';
export * from './fs/index.js';
export * from './time/index.js';
export * from './log/index.js';
export * from './host/index.js';
export * from './git/index.js';
export * from './assert/index.js';
export * from './galaxy/index.js';
export * from './docker/index.js';
export * from './gitlab/index.js';
export * from './cron/index.js';
export * from './bind/index.js';
export * from './apache/index.js';
export * from './env/index.js';
export * from './platform/index.js';
export * from './vagrant/index.js';
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
  ...dockerTasks,
  ...gitlabTasks,
  ...cronTasks,
  ...bindTasks,
  ...apacheTasks,
  ...envTasks,
  ...platformTasks,
  ...vagrantTasks,
];

/** Every built-in choice list (what a param's `choices` names: the values the CLI offers at a terminal). */
export const allChoices: readonly ChoiceProvider[] = [...gitlabChoices];

/** A fresh registry holding every built-in task node and choice list. */
export function createDefaultRegistry(): TaskRegistry {
  return new TaskRegistry().register(...allTasks).registerChoices(...allChoices);
}
