// The gitlab.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name;
// and the domain's choice lists (choices.ts), registered beside them.
import { gitlabAdopt } from './adopt.js';
import { gitlabAllocate } from './allocate.js';
import { gitlabBackupCopy } from './backup-copy.js';
import { gitlabBackupCreate } from './backup-create.js';
import { gitlabBackupsChoices, gitlabBackupTargetsChoices, gitlabChoices, gitlabInstancesChoices } from './choices.js';
import { gitlabCheckInstance } from './check-instance.js';
import { gitlabConfigure } from './configure.js';
import { gitlabDropAside } from './drop-aside.js';
import { gitlabGet } from './get.js';
import { gitlabList } from './list.js';
import { gitlabPrepareDir } from './prepare-dir.js';
import { gitlabPruneBackups } from './prune-backups.js';
import { gitlabPurge } from './purge.js';
import { gitlabPullBackup } from './pull-backup.js';
import { gitlabPushBackup } from './push-backup.js';
import { gitlabScheduleLine } from './schedule-line.js';
import { gitlabSelect } from './select.js';
import { gitlabSwapVolumes } from './swap-volumes.js';
import { gitlabUpdate } from './update.js';
import { gitlabVerifyBackup } from './verify-backup.js';

export {
  gitlabAdopt,
  gitlabAllocate,
  gitlabBackupCopy,
  gitlabBackupCreate,
  gitlabPruneBackups,
  gitlabSelect,
  gitlabConfigure,
  gitlabGet,
  gitlabList,
  gitlabPrepareDir,
  gitlabPurge,
  gitlabPushBackup,
  gitlabPullBackup,
  gitlabScheduleLine,
  gitlabUpdate,
  gitlabVerifyBackup,
  gitlabCheckInstance,
  gitlabSwapVolumes,
  gitlabDropAside,
  gitlabChoices,
  gitlabInstancesChoices,
  gitlabBackupTargetsChoices,
  gitlabBackupsChoices,
};

/** Every gitlab.* task node, in catalog order. */
export const gitlabTasks = [
  gitlabAllocate,
  gitlabPrepareDir,
  gitlabConfigure,
  gitlabUpdate,
  gitlabList,
  gitlabAdopt,
  gitlabGet,
  gitlabPurge,
  gitlabSelect,
  gitlabBackupCreate,
  gitlabBackupCopy,
  gitlabPruneBackups,
  gitlabScheduleLine,
  gitlabVerifyBackup,
  gitlabCheckInstance,
  gitlabSwapVolumes,
  gitlabDropAside,
  gitlabPushBackup,
  gitlabPullBackup,
] as const;
