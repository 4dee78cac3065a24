// The GitLab inventory: one record per instance in the engine's store (`gitlab/instances/<name>`), changed only under
// the inventory's lock (a store lease shared by every process), so that two commissions at once never get the same
// number, name or address.
import { z } from 'zod';
import { BadInputError, TaskError, type Store } from '../../engine/index.js';

/** Where the records are. */
export const INSTANCES = 'gitlab/instances/';
/** The lease every change of the inventory is made under. */
export const INVENTORY_LOCK = 'gitlab-inventory';

/** An instance name: lower-case letters, digits and dashes, at most 40, starting with a letter or digit. */
export const instanceName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,39}$/,
    'an instance name: lower-case letters, digits and dashes (not first), at most 40 characters',
  )
  .describe('The instance name (lower-case letters, digits, dashes; at most 40).');

/** A backup as the inventory remembers it. */
export const backupRef = z.strictObject({
  id: z.string().describe('The backup id (its folder name under bckups/).'),
  at: z.string().describe('When it was made (ISO time).'),
  mode: z.string().describe('online or cold.'),
  sha256: z.string().describe('The sha256 of its manifest.'),
  dir: z.string().describe('Its folder.'),
});

/** The states of an instance record. */
export const instanceState = z
  .enum(['commissioning', 'active', 'failed', 'decommissioned'])
  .describe('commissioning, active, failed or decommissioned.');

/** What an instance record holds. */
export const instanceRecord = z.object({
  name: z.string().describe('The instance name.'),
  number: z.number().int().positive().describe('Its number: its folder is noeud-gitlab-<number>.'),
  container: z.string().describe('The container name (gitlab-<name>).'),
  ip: z.string().describe('Its address.'),
  network: z.enum(['host', 'publish']).describe('host: the host network; publish: ports published on its address.'),
  ports: z
    .object({
      http: z.number().int().describe('The HTTP port.'),
      https: z.number().int().describe('The HTTPS port.'),
      ssh: z.number().int().describe('The SSH port.'),
    })
    .describe('Its ports on its address.'),
  dir: z.string().describe('The instance folder (mapping-volumes/{data,config,log} and bckups/).'),
  image: z.string().describe('The image it runs.'),
  version: z.string().describe('The GitLab version of the image (17.5.1).'),
  url: z.string().describe('Its external URL.'),
  state: instanceState,
  createdAt: z.string().describe('When it was recorded.'),
  updatedAt: z.string().describe('When its record last changed.'),
  run: z.string().optional().describe('The run that commissioned it (run again after a crash, it finds its record).'),
  lastBackup: backupRef.optional().describe('Its last complete backup.'),
});
export type Instance = z.infer<typeof instanceRecord>;

/** The store key of instance `name`. */
export const instanceKey = (name: string) => `${INSTANCES}${instanceName.parse(name)}`;

/** Every record of the inventory, by name; an unreadable one is an error naming it (nothing is guessed). */
export async function listInstances(store: Store): Promise<Instance[]> {
  const { entries, unreadable } = await store.scan<unknown>(INSTANCES);
  if (unreadable.length)
    throw new TaskError(
      `the GitLab inventory has unreadable records: ${unreadable.map((u) => `${u.key} (${u.location}: ${u.problem})`).join(', ')}`,
    );
  return entries.map((e) => {
    const r = instanceRecord.safeParse(e.value);
    if (!r.success)
      throw new TaskError(`inventory record ${e.key} is not an instance record: ${r.error.issues[0]?.message}`);
    return r.data;
  });
}

/** The record of `name`, or undefined. */
export async function getInstance(store: Store, name: string): Promise<Instance | undefined> {
  const e = await store.get<unknown>(instanceKey(name));
  return e ? instanceRecord.parse(e.value) : undefined;
}

/** Writes a record (its `updatedAt` set now). */
export async function putInstance(store: Store, inst: Instance): Promise<Instance> {
  const next = { ...inst, updatedAt: new Date().toISOString() };
  await store.put(instanceKey(inst.name), next);
  return next;
}

/** Runs `fn` holding the inventory's lease (every process that changes the inventory takes it). */
export async function withInventory<T>(store: Store, fn: () => Promise<T>): Promise<T> {
  const lease = await store.lock(INVENTORY_LOCK, { ttlMs: 60_000, waitMs: 60_000 });
  try {
    return await fn();
  } finally {
    await lease.release();
  }
}

/** The store a gitlab.* task works on (the run's). */
export function storeOf(ctx: { store?: Store }): Store {
  if (!ctx.store) throw new BadInputError('the GitLab tasks need the engine store (run them through gravity run)');
  return ctx.store;
}

/** The addresses of a pool (shared with the environments family's ranges). */
export { poolAddresses } from '../support/addresses.js';
