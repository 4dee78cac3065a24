// platform.allocate and platform.release: each machine of an environment gets an address of the platform's range,
// recorded in the store (`platforms/<platform>/addresses`) under the platform's lease, so environments made at the
// same moment by different processes never share one. An environment asking again keeps what it has.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { dnsLabel } from '../env/model.js';
import { poolAddresses } from '../support/addresses.js';
import {
  addressesKey,
  envName,
  homeOf,
  homeInput,
  loadPlatform,
  platformName,
  readAddresses,
  storeOf,
  withPlatform,
  type AddressBook,
} from './support.js';

const home = homeInput;

/** Gives each machine of an environment an address of the platform's range. */
export const platformAllocate = defineTask({
  id: 'platform.allocate',
  title: "Allocate an environment's addresses",
  description:
    "Under the platform's lease, gives every machine of the environment an address of the platform's range that no other environment holds (the first free ones, in order), records them in the store and returns them. Machines that have one keep it; machines no longer listed keep theirs until platform.release. Rollback releases what this step allocated.",
  input: z.strictObject({
    home,
    platform: platformName,
    env: envName,
    machines: z.array(dnsLabel('machine')).max(256).describe('The machines that need an address.'),
  }),
  output: z.object({
    addresses: z.record(z.string(), z.string()).describe('machine -> address, for every machine listed.'),
    allocated: z.array(z.string()).describe('The machines this step gave an address to (the others had one).'),
  }),
  idempotent: true,
  plan: (i) => [`allocate addresses for ${i.machines.join(', ') || 'no machine'} of ${i.platform}/${i.env}`],
  async run(ctx) {
    const i = ctx.input;
    const store = storeOf(ctx);
    return withPlatform(store, i.platform, async () => {
      const p = await loadPlatform(homeOf(ctx.root, i.home), i.platform);
      const book = await readAddresses(store, i.platform);
      const mine = { ...(book[i.env] ?? {}) };
      const taken = new Set(Object.values(book).flatMap((m) => Object.values(m)));
      const free = poolAddresses(p.ipRange, 'ipRange').filter((a) => !taken.has(a));
      const allocated: string[] = [];
      for (const m of i.machines) {
        if (mine[m]) continue;
        const ip = free.shift();
        if (!ip)
          throw new TaskError(
            `platform ${i.platform} has no free address left in ${p.ipRange} for ${i.env}/${m} (${taken.size} held; gravity run env:destroy frees an environment's)`,
            { platform: i.platform, env: i.env },
          );
        mine[m] = ip;
        allocated.push(m);
      }
      if (allocated.length) await store.put(addressesKey(i.platform), { ...book, [i.env]: mine } satisfies AddressBook);
      for (const m of allocated) ctx.log.info(`${i.env}/${m}: ${mine[m]}`);
      return { addresses: Object.fromEntries(i.machines.map((m) => [m, mine[m]])), allocated };
    });
  },
  async compensate(ctx) {
    if (!ctx.output.allocated.length) return;
    const store = storeOf(ctx);
    await withPlatform(store, ctx.input.platform, async () => {
      const book = await readAddresses(store, ctx.input.platform);
      const mine = { ...(book[ctx.input.env] ?? {}) };
      for (const m of ctx.output.allocated) delete mine[m];
      const next = { ...book, [ctx.input.env]: mine };
      if (!Object.keys(mine).length) delete next[ctx.input.env];
      await store.put(addressesKey(ctx.input.platform), next);
    });
  },
});

/** Releases an environment's addresses. */
export const platformRelease = defineTask({
  id: 'platform.release',
  title: "Release an environment's addresses",
  description:
    "Under the platform's lease, removes the environment's addresses from the store: other environments may get them. Releasing an environment that holds none changes nothing.",
  input: z.strictObject({ platform: platformName, env: envName }),
  output: z.object({
    released: z.record(z.string(), z.string()).describe('machine -> address, what was released.'),
  }),
  idempotent: true,
  plan: (i) => [`release the addresses of ${i.platform}/${i.env}`],
  async run(ctx) {
    const i = ctx.input;
    const store = storeOf(ctx);
    return withPlatform(store, i.platform, async () => {
      const book = await readAddresses(store, i.platform);
      const released = book[i.env] ?? {};
      if (book[i.env]) {
        const next = { ...book };
        delete next[i.env];
        await store.put(addressesKey(i.platform), next);
      }
      ctx.log.info(`released ${Object.keys(released).length} addresses of ${i.platform}/${i.env}`);
      return { released };
    });
  },
});
