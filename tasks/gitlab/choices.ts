// The GitLab family's choice lists: what the CLI offers at a terminal for a param that names an instance or a backup
// (`choices` in gitlab:restore, gitlab:backup...). Read only: the inventory records and the backup folders' manifests.
import { defineChoices, type Choice, type Store } from '../../engine/index.js';
import { getInstance, listInstances, type Instance } from './inventory.js';
import { layoutOf } from './prepare-dir.js';
import { listBackups } from './support-restore.js';

/** `3.2 GB`, `512 B`: a size as a person reads it. */
export function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(1)} ${units[u]}`;
}

/** `5 min ago`, `3.5 h ago`, `2 d ago`: how long ago ISO time `at` was, from `now`. */
export function humanAge(at: string, now = Date.now()): string {
  const ms = now - Date.parse(at);
  if (!Number.isFinite(ms)) return 'at an unknown time';
  if (ms < 60_000) return 'just now';
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 48 * 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h ago`;
  return `${Math.floor(ms / 86_400_000)} d ago`;
}

/** An instance as offered: its name, with its URL, state and last backup beside it. */
function instanceChoice(r: Instance): Choice {
  const last = r.lastBackup ? `last backup ${r.lastBackup.id} (${humanAge(r.lastBackup.at)})` : 'never backed up';
  return { value: r.name, label: `${r.url}, ${r.state}, ${last}` };
}

/** Every record of the inventory, by number (the order they were made in). */
async function byNumber(store: Store): Promise<Instance[]> {
  return (await listInstances(store)).sort((a, b) => a.number - b.number);
}

/** The inventory's instances: value the name, label its URL, state and last backup. */
export const gitlabInstancesChoices = defineChoices({
  id: 'gitlab.instances',
  description:
    'The instances of the GitLab inventory, in the order they were made: each name with its URL, state and last backup (a decommissioned one too: its backups can still be restored elsewhere).',
  list: async ({ store }) => (await byNumber(store)).map(instanceChoice),
});

/** gitlab:backup's: `all` (every active instance), then the instances. */
export const gitlabBackupTargetsChoices = defineChoices({
  id: 'gitlab.instances-or-all',
  description: 'all (every active instance of the inventory), then each instance as gitlab.instances lists them.',
  async list({ store }) {
    const records = await byNumber(store);
    if (!records.length) return [];
    const active = records.filter((r) => r.state === 'active').length;
    return [{ value: 'all', label: `every active instance (${active} now)` }, ...records.map(instanceChoice)];
  },
});

/**
 * The complete backups (a manifest.json) of the instance chosen before (param `instance`), newest first: value the id,
 * label its mode, GitLab version, size and age; `latest` first, naming the backup it is now. Nothing when no instance
 * was chosen or the inventory does not know it (the restore then says why).
 */
export const gitlabBackupsChoices = defineChoices({
  id: 'gitlab.backups',
  description:
    'The complete backups (with a manifest.json) of the instance chosen before (param `instance`), newest first, each with its mode, GitLab version, size and age; `latest` (the newest) first.',
  async list({ store, params }) {
    const name = params.instance;
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,39}$/.test(name)) return [];
    const rec = await getInstance(store, name);
    if (!rec) return [];
    const now = Date.now();
    const complete = (await listBackups(layoutOf(rec.dir).backups)).flatMap((b) =>
      b.manifest ? [{ id: b.id, m: b.manifest }] : [],
    );
    if (!complete.length) return [];
    const rows: Choice[] = complete.map(({ id, m }) => ({
      value: id,
      label: `${m.mode}, GitLab ${m.version}, ${humanSize(m.files.reduce((n, f) => n + f.size, 0))}, ${humanAge(m.createdAt, now)}`,
    }));
    return [{ value: 'latest', label: `the newest complete one (now ${complete[0].id})` }, ...rows];
  },
});

/** Every gitlab.* choice list. */
export const gitlabChoices = [gitlabInstancesChoices, gitlabBackupTargetsChoices, gitlabBackupsChoices] as const;
