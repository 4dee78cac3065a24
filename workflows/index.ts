// The catalog: every workflow the CLI can run by name.
// the engine's entry point for authors (no zod, execa, xstate, feelin): `gravity list` loads the catalog and no more
import type { Definition } from '../engine/authoring.js';
import { closest } from '../engine/authoring.js';
import { girofleSync } from './girofle/sync.js';
import { hostBootstrap } from './host/bootstrap.js';
import { hostBindProxy, hostUnbindProxy } from './host/bind-proxy.js';
import { hostDoctor } from './host/doctor.js';
import { gitlabAdoptWorkflow } from './gitlab/adopt.js';
import { gitlabBackup } from './gitlab/backup.js';
import { gitlabBackupRemote } from './gitlab/backup-remote.js';
import { gitlabCommission } from './gitlab/commission.js';
import { gitlabDecommission } from './gitlab/decommission.js';
import { gitlabListWorkflow } from './gitlab/list.js';
import { gitlabRestore } from './gitlab/restore.js';
import { gitlabSchedule } from './gitlab/schedule.js';
import { envInit } from './env/init.js';
import { envDestroy, envHalt, envStatus, envUp } from './env/manage.js';
import { platformDestroy, platformHalt, platformStatusWorkflow, platformUp } from './platform/manage.js';
import { platformAddProjectWorkflow, platformInitWorkflow } from './platform/init.js';

/** Every catalog workflow, by family. */
export const catalog: Definition[] = [
  hostDoctor,
  hostBootstrap,
  girofleSync,
  gitlabCommission,
  gitlabListWorkflow,
  gitlabAdoptWorkflow,
  gitlabDecommission,
  gitlabBackup,
  gitlabBackupRemote,
  gitlabSchedule,
  gitlabRestore,
  platformInitWorkflow,
  platformAddProjectWorkflow,
  envInit,
  envUp,
  envHalt,
  envStatus,
  envDestroy,
  platformUp,
  platformHalt,
  platformStatusWorkflow,
  platformDestroy,
  hostBindProxy,
  hostUnbindProxy,
];

/** The catalog workflow with this id, if any. */
export function findWorkflow(id: string): Definition | undefined {
  // BPMN engines call processes by process id, which spells `host:doctor` as `host_doctor`: both are accepted
  return catalog.find((d) => d.id === id) ?? catalog.find((d) => d.id.replace(/[^A-Za-z0-9_-]/g, '_') === id);
}

/** Closest catalog ids to a mistyped one. */
export function suggestWorkflows(id: string): string[] {
  return closest(
    id,
    catalog.map((d) => d.id),
  );
}
