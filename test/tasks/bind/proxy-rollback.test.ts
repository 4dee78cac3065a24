// The bind.* and apache.* steps of one environment in a workflow run by the engine (its store leases, its journal): a
// reload that fails rolls back what the run installed, leaving the zone, the include file and the virtual hosts of
// the host byte for byte as they were, other environments' included.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, sequence, startRun, task, workflow } from '../../../engine/index.js';
import { createDefaultRegistry } from '../../../tasks/index.js';
import { tempDir } from '../../support/git-fixtures.js';

const MODEL = {
  platform: 'paas',
  env: '1161',
  domain: 'example.test',
  machines: [{ name: 'web1', kind: 'site', ip: '10.42.0.11' }],
  sites: [{ name: 'v5', machine: 'web1', port: 8081 }],
};

describe('a bind-proxy run whose reload fails', () => {
  it('is rolled back: every file as it was before the run', async () => {
    const dir = tempDir('gravity-proxy-');
    const zones = join(dir, 'zones');
    const sites = join(dir, 'sites');
    const include = join(dir, 'named.conf.gravity');
    const home = join(dir, 'home');
    mkdirSync(home);
    const store = createMemoryStore();
    const engine = { store, registry: createDefaultRegistry(), root: dir };
    const names = { platform: 'paas', domain: 'example.test', include, zonesDir: zones };
    const steps = (env: string, conf?: string) =>
      sequence(
        task('zone', 'bind.zone', { model: { ...MODEL, env }, proxy: '192.0.2.80', zonesDir: zones }),
        task('include', 'bind.include', { ...names, env }),
        task('vhosts', 'apache.vhosts', {
          model: { ...MODEL, env },
          address: '192.0.2.80',
          homepageDir: home,
          sitesDir: sites,
        }),
        ...(conf ? [task('reload', 'apache.reload', { conf })] : []),
      );
    // another environment, installed before
    const other = await startRun(engine, workflow({ id: 'test:bind-proxy', steps: steps('1162') }), {
      params: {},
      runId: 'r-1162',
    });
    expect(other.status).toBe('succeeded');
    const snapshot = () =>
      [include, join(zones, '1162.paas.example.test.zone'), join(sites, 'paas-1162.conf')].map((f) =>
        existsSync(f) ? readFileSync(f, 'utf8') : null,
      );
    const before = snapshot();
    expect(before.every((t) => t !== null)).toBe(true);

    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, 'NoSuchDirective on\n');
    const run = await startRun(
      engine,
      workflow({ id: 'test:bind-proxy', steps: steps('1161', bad), rollbackOnFailure: true }),
      { params: {}, runId: 'r-1161' },
    );
    expect(run.status).toBe('failed');
    expect(run.error?.message).toMatch(/^apache2 -k graceful -f .*bad\.conf exited with code 1:/);
    expect(run.rollback).toEqual({ compensated: ['vhosts', 'include', 'zone'], skipped: [] });
    expect(snapshot()).toEqual(before);
    expect(existsSync(join(zones, '1161.paas.example.test.zone'))).toBe(false);
    expect(existsSync(join(sites, 'paas-1161.conf'))).toBe(false);
  });
});
