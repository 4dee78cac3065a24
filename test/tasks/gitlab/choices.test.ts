// The GitLab choice lists the CLI offers at a terminal: the inventory's instances (by number, with URL, state and last
// backup), `all` first for gitlab:backup, and the chosen instance's complete backups newest first after `latest`.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, type Store } from '../../../engine/index.js';
import {
  gitlabBackupsChoices,
  gitlabBackupTargetsChoices,
  gitlabInstancesChoices,
  humanAge,
  humanSize,
} from '../../../tasks/gitlab/choices.js';
import { putInstance, type Instance } from '../../../tasks/gitlab/inventory.js';
import { makeBackup } from '../../support/gitlab-backups.js';
import { tempDir } from '../../support/git-fixtures.js';

let store: Store;
let root: string;

const record = (name: string, number: number, extra: Partial<Instance> = {}): Instance => ({
  name,
  number,
  container: `gitlab-${name}`,
  ip: `127.0.0.12${number}`,
  network: 'host',
  ports: { http: 80, https: 443, ssh: 22 },
  dir: join(root, `noeud-gitlab-${number}`),
  image: 'gitlab/gitlab-ce:17.5.1-ce.0',
  version: '17.5.1',
  url: `http://127.0.0.12${number}`,
  state: 'active',
  createdAt: '2026-12-01T00:00:00Z',
  updatedAt: '2026-12-01T00:00:00Z',
  ...extra,
});

const list = (p: typeof gitlabInstancesChoices, params: Record<string, unknown> = {}) =>
  p.list({ store, params, signal: new AbortController().signal });

beforeAll(async () => {
  root = tempDir('gravity-gitlab-choices-');
  store = createMemoryStore();
  const hours = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
  // written out of order: the lists go by number
  await putInstance(store, record('zeta', 3, { state: 'decommissioned' }));
  const alpha = record('alpha', 1, {
    lastBackup: { id: '20261203T100000Z', at: hours(5), mode: 'cold', sha256: 'x', dir: 'x' },
  });
  await putInstance(store, alpha);
  await putInstance(store, record('beta', 2));
  const bckups = join(alpha.dir, 'bckups');
  makeBackup(bckups, '20261201T100000Z', alpha, { 'data/a': 'a' });
  makeBackup(bckups, '20261203T100000Z', alpha, { 'data/a': 'a'.repeat(2048), 'data/b': 'b' });
  makeBackup(bckups, '20261204T100000Z', alpha, { 'data/a': 'partial' }, {}, false);
});

describe('gitlab.instances', () => {
  it('lists every record by number: name, URL, state and last backup', async () => {
    expect(await list(gitlabInstancesChoices)).toEqual([
      { value: 'alpha', label: 'http://127.0.0.121, active, last backup 20261203T100000Z (5.0 h ago)' },
      { value: 'beta', label: 'http://127.0.0.122, active, never backed up' },
      { value: 'zeta', label: 'http://127.0.0.123, decommissioned, never backed up' },
    ]);
  });
});

describe('gitlab.instances-or-all', () => {
  it('offers all first, counting the active instances', async () => {
    const l = await list(gitlabBackupTargetsChoices);
    expect(l[0]).toEqual({ value: 'all', label: 'every active instance (2 now)' });
    expect(l.slice(1).map((c) => c.value)).toEqual(['alpha', 'beta', 'zeta']);
  });

  it('offers nothing for an empty inventory', async () => {
    const empty = createMemoryStore();
    expect(
      await gitlabBackupTargetsChoices.list({ store: empty, params: {}, signal: new AbortController().signal }),
    ).toEqual([]);
  });
});

describe('gitlab.backups', () => {
  it("lists the chosen instance's complete backups newest first, after latest", async () => {
    const l = await list(gitlabBackupsChoices, { instance: 'alpha' });
    expect(l.map((c) => c.value)).toEqual(['latest', '20261203T100000Z', '20261201T100000Z']);
    expect(l[0].label).toBe('the newest complete one (now 20261203T100000Z)');
    expect(l[1].label).toMatch(/^cold, GitLab 17\.5\.1, 2\.0 KB, .+ ago$/);
    expect(l[2].label).toMatch(/^cold, GitLab 17\.5\.1, 1 B, /);
  });

  it('offers nothing without an instance, for one the inventory lacks, or one without backups', async () => {
    expect(await list(gitlabBackupsChoices)).toEqual([]);
    expect(await list(gitlabBackupsChoices, { instance: 'nosuch' })).toEqual([]);
    expect(await list(gitlabBackupsChoices, { instance: '../etc' })).toEqual([]);
    expect(await list(gitlabBackupsChoices, { instance: 'beta' })).toEqual([]);
  });
});

describe('the labels', () => {
  it('say sizes and ages as a person reads them', () => {
    expect(humanSize(0)).toBe('0 B');
    expect(humanSize(1023)).toBe('1023 B');
    expect(humanSize(1536)).toBe('1.5 KB');
    expect(humanSize(5 * 1024 ** 3)).toBe('5.0 GB');
    const now = Date.parse('2026-12-05T12:00:00Z');
    expect(humanAge('2026-12-05T11:59:30Z', now)).toBe('just now');
    expect(humanAge('2026-12-05T11:15:00Z', now)).toBe('45 min ago');
    expect(humanAge('2026-12-04T12:00:00Z', now)).toBe('24.0 h ago');
    expect(humanAge('2026-11-25T12:00:00Z', now)).toBe('10 d ago');
    expect(humanAge('never', now)).toBe('at an unknown time');
  });
});
