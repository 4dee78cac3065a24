// The gitlab.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { gitlabAllocate } from './allocate.js';
import { gitlabConfigure } from './configure.js';
import { gitlabList } from './list.js';
import { gitlabPrepareDir } from './prepare-dir.js';
import { gitlabUpdate } from './update.js';

export { gitlabAllocate, gitlabConfigure, gitlabList, gitlabPrepareDir, gitlabUpdate };

/** Every gitlab.* task node, in catalog order. */
export const gitlabTasks = [gitlabAllocate, gitlabPrepareDir, gitlabConfigure, gitlabUpdate, gitlabList] as const;
