// The GitLab inventory: address pools, and allocation under the inventory lock by real concurrent processes (never the
// same number, name or address twice), a decommissioned name kept, a re-run finding its own record, rollback releasing.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJsonStore, type Definition } from '../../../engine/index.js';
import { gitlabAllocate, gitlabUpdate } from '../../../tasks/index.js';
import {
  getInstance,
  listInstances,
  poolAddresses,
  putInstance,
  type Instance,
} from '../../../tasks/gitlab/inventory.js';
import { sandbox } from '../../support/cli.js';
import { tempDir } from '../../support/git-fixtures.js';
import { contextFor, rejection } from '../context.js';

describe('poolAddresses', () => {
  it('reads lists, ranges and CIDRs (without network and broadcast)', () => {
    expect(poolAddresses('127.0.0.11-127.0.0.13, 10.0.0.9')).toEqual([
      '127.0.0.11',
      '127.0.0.12',
      '127.0.0.13',
      '10.0.0.9',
    ]);
    expect(poolAddresses('192.168.1.0/30')).toEqual(['192.168.1.1', '192.168.1.2']);
    expect(poolAddresses('192.168.1.7/32')).toEqual(['192.168.1.7']);
  });

  it.each([
    ['10.0.0.300', '"10.0.0.300" is not an IPv4 address'],
    ['10.0.0.9-10.0.0.1', 'goes backwards'],
    ['10.0.0.0/8', 'not between /20 and /32'],
    ['', 'no address given'],
  ])('refuses %j', (pool, message) => {
    expect(() => poolAddresses(pool)).toThrow(message);
  });
});

const allocateOnly = (name: string, root: string): Definition => ({
  id: 'test:allocate',
  machine: {
    initial: 'allocate',
    states: {
      allocate: {
        invoke: {
          src: 'gitlab.allocate',
          input: { name, root, pool: '127.0.0.11-127.0.0.30', image: 'gitlab/gitlab-ce:17.5.1-ce.0' },
        },
        onDone: 'done',
      },
      done: { type: 'final', output: '=steps.allocate' },
    },
  },
});

describe('gitlab.allocate', () => {
  it('gives processes started at the same moment distinct numbers and addresses, and one name to one of them', async () => {
    const sb = sandbox();
    const root = tempDir('gravity-gitlab-root-');
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'a'];
    const files = names.map((n, i) => sb.writeDefinition(`alloc-${i}`, allocateOnly(n, root)));
    // every process started before any finishes: they race for the inventory lock
    const results = await Promise.all(files.map((f) => sb.run('run', f, '--json')));
    const ok = results.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout).output);
    const refused = results.filter((r) => r.code !== 0);
    expect(ok).toHaveLength(6);
    expect(refused).toHaveLength(1);
    expect(refused[0].stdout + refused[0].stderr).toMatch(
      /instance a exists already \(commissioning, http:\/\/127\.0\.0\.\d+\)/,
    );
    expect(new Set(ok.map((o) => o.number)).size).toBe(6);
    expect(new Set(ok.map((o) => o.ip)).size).toBe(6);
    expect(ok.map((o) => o.number).sort((x: number, y: number) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
    const store = await createJsonStore(sb.dataDir);
    const records = await listInstances(store);
    expect(records.map((r) => r.name).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    await store.close();
  }, 60_000);

  it('skips numbers whose folder exists, refuses a used address, keeps a decommissioned name, and rollback releases', async () => {
    const dir = tempDir('gravity-gitlab-data-');
    const store = await createJsonStore(dir);
    const root = tempDir('gravity-gitlab-root-');
    mkdirSync(join(root, 'noeud-gitlab-1'));
    const run = async (raw: Record<string, unknown>, runId = 'r1') => {
      const t = contextFor(gitlabAllocate, { root, image: 'gitlab/gitlab-ce:17.5.1-ce.0', ...raw }, { root });
      t.ctx.store = store;
      t.ctx.runId = runId;
      return (await gitlabAllocate.run(t.ctx)) as Instance;
    };
    const a = await run({ name: 'alpha', ip: '127.0.0.11', network: 'host' });
    expect(a).toMatchObject({
      number: 2,
      ip: '127.0.0.11',
      dir: join(root, 'noeud-gitlab-2'),
      state: 'commissioning',
      version: '17.5.1',
      url: 'http://127.0.0.11',
      container: 'gitlab-alpha',
    });
    // the same run again (after a crash) finds its own record
    expect(await run({ name: 'alpha', ip: '127.0.0.11' })).toEqual(a);
    const taken = await rejection(run({ name: 'beta', ip: '127.0.0.11' }, 'r2'));
    expect(taken.message).toBe('address 127.0.0.11 is used by instance alpha');
    const badImage = await rejection(run({ name: 'gamma', image: 'busybox:latest' }, 'r3'));
    expect(badImage.message).toMatch(/^image busybox:latest names no GitLab version/);
    // a decommissioned instance keeps its name (and number) but frees its address
    await putInstance(store, { ...a, state: 'decommissioned' });
    const again = await rejection(run({ name: 'alpha', ip: '127.0.0.12' }, 'r4'));
    expect(again.message).toMatch(/^instance alpha was decommissioned on .*purge=true$/);
    const beta = await run({ name: 'beta', ip: '127.0.0.11' }, 'r5');
    expect(beta.number).toBe(3);
    // rollback releases the record it made (still commissioning), never another's
    const t = contextFor(gitlabAllocate, { name: 'beta', root, image: 'gitlab/gitlab-ce:17.5.1-ce.0' }, { root });
    await gitlabAllocate.compensate!({ ...t.ctx, store, output: beta });
    expect(await getInstance(store, 'beta')).toBeUndefined();
    await gitlabAllocate.compensate!({ ...t.ctx, store, output: { ...a, run: 'someone-else' } });
    expect((await getInstance(store, 'alpha'))?.state).toBe('decommissioned');
    await store.close();
  });

  it('gitlab.update changes the state under expectations, and rollback puts the record back', async () => {
    const dir = tempDir('gravity-gitlab-data-');
    const store = await createJsonStore(dir);
    const root = tempDir('gravity-gitlab-root-');
    const t = contextFor(
      gitlabAllocate,
      { name: 'x', root, image: 'gitlab/gitlab-ce:17.5.1-ce.0', ip: '127.0.0.20' },
      { root },
    );
    t.ctx.store = store;
    const rec = (await gitlabAllocate.run(t.ctx)) as Instance;
    const u = contextFor(gitlabUpdate, { name: 'x', state: 'active', expect: ['commissioning'] }, { root });
    u.ctx.store = store;
    const out = (await gitlabUpdate.run(u.ctx)) as { record: Instance; previous: Instance };
    expect(out.record.state).toBe('active');
    expect(out.previous).toEqual(rec);
    const v = contextFor(gitlabUpdate, { name: 'x', state: 'decommissioned', expect: ['failed'] }, { root });
    v.ctx.store = store;
    expect((await rejection(gitlabUpdate.run(v.ctx))).message).toBe('instance x is active, not failed');
    await gitlabUpdate.compensate!({ ...u.ctx, output: out });
    expect((await getInstance(store, 'x'))?.state).toBe('commissioning');
    const w = contextFor(gitlabUpdate, { name: 'nobody', state: 'active' }, { root });
    w.ctx.store = store;
    expect((await rejection(gitlabUpdate.run(w.ctx))).message).toBe('no instance nobody in the inventory');
    await store.close();
  });

  it('refuses a corrupt inventory record, naming it', async () => {
    const dir = tempDir('gravity-gitlab-data-');
    const store = await createJsonStore(dir);
    await store.put('gitlab/instances/broken', { name: 'broken' });
    await expect(listInstances(store)).rejects.toThrow(
      /inventory record gitlab\/instances\/broken is not an instance record/,
    );
    await store.close();
  });
});
