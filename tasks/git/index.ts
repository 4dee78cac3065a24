// The git.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { gitChanged } from './changed.js';
import { gitCheckout } from './checkout.js';
import { gitClone } from './clone.js';
import { gitCommit } from './commit.js';
import { gitConfig } from './config.js';
import { gitDiffTrees } from './diff-trees.js';
import { gitFetch } from './fetch.js';
import { gitHook } from './hook.js';
import { gitInit } from './init.js';
import { gitMerge } from './merge.js';
import { gitPull } from './pull.js';
import { gitPush } from './push.js';
import { gitReadConfig } from './read-config.js';
import { gitRebase } from './rebase.js';
import { gitReset } from './reset.js';
import { gitStatus } from './status.js';
import { gitTag } from './tag.js';

export {
  gitChanged,
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
  gitReadConfig,
  gitRebase,
  gitReset,
  gitStatus,
  gitTag,
};

/** Every git.* task node, in catalog order. */
export const gitTasks = [
  gitInit,
  gitClone,
  gitConfig,
  gitReadConfig,
  gitCheckout,
  gitCommit,
  gitPush,
  gitFetch,
  gitPull,
  gitMerge,
  gitRebase,
  gitReset,
  gitTag,
  gitHook,
  gitStatus,
  gitChanged,
  gitDiffTrees,
] as const;
