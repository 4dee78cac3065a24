// gitlab.list: the inventory beside what docker says (container state and health), with drift both ways: a record whose
// container is gone, a container named like an instance that no record knows.
import { z } from 'zod';
import { defineTask, type TaskContext } from '../../engine/index.js';
import { docker } from '../docker/support.js';
import { stateOf, type ContainerState } from '../docker/inspect.js';
import { inspectContainer } from '../docker/support.js';
import { listInstances, storeOf, type Instance } from './inventory.js';

const row = z.object({
  name: z.string().describe('The instance name.'),
  url: z.string().optional().describe('Its URL.'),
  ip: z.string().optional().describe('Its address.'),
  state: z.string().describe('The inventory state, or `unknown` for a container no record knows.'),
  container: z.string().describe('Its container.'),
  containerStatus: z.string().describe('running, exited... or `missing`.'),
  health: z.string().optional().describe('starting, healthy or unhealthy.'),
  lastBackup: z.string().optional().describe('The id of the last backup.'),
  lastBackupAgeHours: z.number().optional().describe('How old the last backup is, in hours.'),
  drift: z.string().optional().describe('What does not match between the inventory and docker.'),
});
export type GitlabRow = z.infer<typeof row>;

/** The rows as a table. */
export function formatInstances(rows: GitlabRow[]): string {
  if (!rows.length) return 'no GitLab instance (gravity run gitlab:commission --param name=<name> makes one)';
  const head = ['NAME', 'URL', 'IP', 'STATE', 'CONTAINER', 'HEALTH', 'LAST BACKUP', 'DRIFT'];
  const cells = rows.map((r) => [
    r.name,
    r.url ?? '-',
    r.ip ?? '-',
    r.state,
    r.containerStatus,
    r.health ?? '-',
    r.lastBackup ? `${r.lastBackupAgeHours!.toFixed(1)} h ago` : 'never',
    r.drift ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  return [head, ...cells]
    .map((c) =>
      c
        .map((x, i) => x.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * One record's row, beside what docker says of its container (`c`); `c` undefined: docker was not asked (or could not
 * answer): the container's status is `unknown` and no drift is named.
 */
export function instanceRow(r: Instance, c: ContainerState | undefined, now: number): GitlabRow {
  const drift = !c
    ? undefined
    : r.state === 'decommissioned'
      ? c.exists
        ? 'decommissioned, but its container exists'
        : undefined
      : !c.exists
        ? 'its container is missing'
        : r.state === 'active' && !c.running
          ? `active, but its container is ${c.status}`
          : undefined;
  return {
    name: r.name,
    url: r.url,
    ip: r.ip,
    state: r.state,
    container: r.container,
    containerStatus: !c ? 'unknown' : c.exists ? c.status! : 'missing',
    ...(c?.health ? { health: c.health } : {}),
    ...(r.lastBackup
      ? { lastBackup: r.lastBackup.id, lastBackupAgeHours: (now - Date.parse(r.lastBackup.at)) / 3_600_000 }
      : {}),
    ...(drift ? { drift } : {}),
  };
}

/**
 * The rows of gitlab.list (also what gravity serve answers): each record (by number) beside `docker inspect` of its
 * container, then each gitlab-<name> container no record knows (`docker container ls --all`). A docker failure throws.
 */
export async function listRows(
  ctx: Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log'>,
  records: Instance[],
): Promise<GitlabRow[]> {
  const now = Date.now();
  const rows: GitlabRow[] = [];
  for (const r of [...records].sort((a, b) => a.number - b.number))
    rows.push(instanceRow(r, stateOf(r.container, await inspectContainer(ctx, r.container)), now));
  const known = new Set(records.map((r) => r.container));
  const ps = await docker(ctx, ['container', 'ls', '--all', '--format', '{{json .}}']);
  for (const line of ps.stdout.split('\n').filter(Boolean)) {
    const c = JSON.parse(line) as { Names: string; State?: string; Status?: string };
    for (const name of c.Names.split(','))
      if (/^gitlab-[a-z0-9][a-z0-9-]{0,39}$/.test(name) && !known.has(name))
        rows.push({
          name: name.slice('gitlab-'.length),
          state: 'unknown',
          container: name,
          containerStatus: c.State ?? c.Status ?? 'unknown',
          drift: 'a container the inventory lacks (gitlab:adopt takes it in)',
        });
  }
  return rows;
}

/** Lists the instances. */
export const gitlabList = defineTask({
  id: 'gitlab.list',
  title: 'List GitLab instances',
  description:
    'Each instance of the inventory with its URL, address, state, its container status and health (docker inspect) and its last backup age; drift is named: a record whose container is missing (or not running while active), a container named gitlab-<name> the inventory lacks. Outputs the rows and the table.',
  input: z.strictObject({}),
  output: z.object({
    rows: z.array(row).describe('One row per instance, and per unknown gitlab-<name> container.'),
    report: z.string().describe('The rows as a table.'),
  }),
  idempotent: true,
  plan: () => ['list the GitLab inventory and inspect each container'],
  async run(ctx) {
    const rows = await listRows(ctx, await listInstances(storeOf(ctx)));
    return { rows, report: formatInstances(rows) };
  },
});
