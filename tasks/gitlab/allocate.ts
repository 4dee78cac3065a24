// gitlab.allocate: the instance's number, address and folder, chosen and recorded under the inventory's lock (state
// `commissioning`), so that commissions running at once never share one; rollback releases them.
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import {
  getInstance,
  instanceKey,
  instanceName,
  instanceRecord,
  listInstances,
  poolAddresses,
  putInstance,
  storeOf,
  withInventory,
  type Instance,
} from './inventory.js';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** The host's own IPv4 addresses (not loopback): the default pool outside tests. */
export function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

/** The GitLab version of an image reference `gitlab/gitlab-ce:<version>-ce.0` (or `<name>:<version>-ce.<n>`). */
export function versionOfImage(image: string): string | undefined {
  return /:(\d+\.\d+\.\d+)-(ce|ee)\.\d+$/.exec(image)?.[1];
}

const input = z.strictObject({
  name: instanceName,
  root: z.string().min(1).describe('The folder the instance folders are made in (noeud-gitlab-<n>).'),
  ip: z
    .string()
    .regex(IPV4, 'an IPv4 address')
    .nullable()
    .optional()
    .describe('Its address; else (null or absent) the first free one of the pool.'),
  pool: z
    .string()
    .nullable()
    .optional()
    .describe("Addresses to choose from: a list, a range a-b or a CIDR; default the host's own IPv4 addresses."),
  image: z.string().min(1).describe('The image (name:<version>-ce.<n>): its GitLab version is recorded.'),
  network: z
    .enum(['host', 'publish'])
    .default('publish')
    .describe('host: the host network; publish: ports published on its address.'),
  scheme: z.enum(['http', 'https']).default('http').describe('The scheme of its external URL.'),
});

/** Chooses and records an instance's number, address and folder. */
export const gitlabAllocate = defineTask({
  id: 'gitlab.allocate',
  title: 'Allocate a GitLab instance',
  description:
    'Under the inventory lock: refuses a name in use (or that a decommissioned instance keeps until purged), takes the smallest free number (whose noeud-gitlab-<n> folder does not exist either) and the given address or the first free one of the pool, and records the instance as `commissioning`. Run again by the same run, it finds its own record. Rollback deletes the record if it is still commissioning (the number and address are free again).',
  input,
  output: instanceRecord,
  idempotent: true,
  plan: (i) => [
    `allocate GitLab instance ${i.name} (${i.ip ?? `an address of ${i.pool ?? 'the host'}`}) under ${i.root}`,
  ],
  async run(ctx) {
    const i = ctx.input;
    const store = storeOf(ctx);
    const version = versionOfImage(i.image);
    if (!version)
      throw new TaskError(
        `image ${i.image} names no GitLab version (expected <name>:<version>-ce.<n>, e.g. gitlab/gitlab-ce:17.5.1-ce.0)`,
      );
    return withInventory(store, async () => {
      const all = await listInstances(store);
      const same = all.find((x) => x.name === i.name);
      if (same) {
        if (same.state === 'commissioning' && same.run === ctx.runId) return same;
        throw new TaskError(
          same.state === 'decommissioned'
            ? `instance ${i.name} was decommissioned on ${same.updatedAt}; its name is kept until gitlab:decommission --param instance=${i.name} --param purge=true`
            : `instance ${i.name} exists already (${same.state}, ${same.url})`,
          { name: i.name, state: same.state },
        );
      }
      const live = all.filter((x) => x.state !== 'decommissioned');
      const taken = new Set(live.map((x) => x.ip));
      let ip = i.ip ?? undefined;
      if (ip !== undefined) {
        const holder = live.find((x) => x.ip === ip);
        if (holder) throw new TaskError(`address ${ip} is used by instance ${holder.name}`, { ip, by: holder.name });
      } else {
        const pool = i.pool ? poolAddresses(i.pool) : hostAddresses();
        ip = pool.find((a) => !taken.has(a));
        if (!ip)
          throw new TaskError(
            `no free address in the pool (${pool.length} address${pool.length === 1 ? '' : 'es'}, all used by instances): give --param ip= or a larger pool`,
          );
      }
      const numbers = new Set(all.map((x) => x.number));
      let number = 1;
      while (numbers.has(number) || existsSync(join(i.root, `noeud-gitlab-${number}`))) number++;
      const now = new Date().toISOString();
      const record: Instance = {
        name: i.name,
        number,
        container: `gitlab-${i.name}`,
        ip,
        network: i.network,
        ports: { http: i.scheme === 'https' ? 443 : 80, https: 443, ssh: 22 },
        dir: join(i.root, `noeud-gitlab-${number}`),
        image: i.image,
        version,
        url: `${i.scheme}://${ip}`,
        state: 'commissioning',
        createdAt: now,
        updatedAt: now,
        run: ctx.runId,
      };
      return putInstance(store, record);
    });
  },
  async compensate(ctx) {
    const store = storeOf(ctx);
    await withInventory(store, async () => {
      const rec = await getInstance(store, ctx.output.name);
      if (rec && rec.run === ctx.output.run && (rec.state === 'commissioning' || rec.state === 'failed'))
        await store.delete(instanceKey(rec.name));
    });
  },
});
