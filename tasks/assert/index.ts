// The assert.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { assertAheadBehind } from './ahead-behind.js';
import { assertBranchExists } from './branch-exists.js';
import { assertBranchHead } from './branch-head.js';
import { assertCommitMessage } from './commit-message.js';
import { assertConflicted } from './conflicted.js';
import { assertExpr } from './expr.js';
import { assertFileContent } from './file-content.js';
import { assertPushRejected } from './push-rejected.js';
import { assertTag } from './tag.js';
import { assertTreeClean } from './tree-clean.js';

export {
  assertAheadBehind,
  assertBranchExists,
  assertBranchHead,
  assertCommitMessage,
  assertConflicted,
  assertExpr,
  assertFileContent,
  assertPushRejected,
  assertTag,
  assertTreeClean,
};

/** Every assert.* task node, in catalog order. */
export const assertTasks = [
  assertExpr,
  assertBranchHead,
  assertBranchExists,
  assertFileContent,
  assertTreeClean,
  assertConflicted,
  assertAheadBehind,
  assertCommitMessage,
  assertPushRejected,
  assertTag,
] as const;
