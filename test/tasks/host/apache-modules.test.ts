// host.apache-modules: module files available (what a LoadModule line needs) and enabled (a2enmod's .load), both
// reported; the host's real apache2 folders, then folders of its own for every state.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostApacheModules } from '../../../tasks/host/apache-modules.js';
import { tempDir } from '../../support/git-fixtures.js';
import { runTask } from '../context.js';

describe('host.apache-modules', () => {
  it("finds the host's proxy modules available (apache2 is installed here)", async () => {
    const root = tempDir('gravity-tasks-');
    const out = await runTask(hostApacheModules, { modules: ['proxy', 'proxy_http'] }, { root });
    expect(out).toMatchObject({ tool: 'apache2 modules proxy, proxy_http', found: true, ok: true });
    expect(out.path).toBe('/usr/lib/apache2/modules');
    expect(out.modules.map((m) => [m.module, m.file, m.available])).toEqual([
      ['proxy', '/usr/lib/apache2/modules/mod_proxy.so', true],
      ['proxy_http', '/usr/lib/apache2/modules/mod_proxy_http.so', true],
    ]);
  });

  it('reports available, enabled and missing modules; a missing one is a result, not a failure', async () => {
    const root = tempDir('gravity-tasks-');
    const modulesDir = join(root, 'modules');
    const enabledDir = join(root, 'mods-enabled');
    mkdirSync(modulesDir);
    mkdirSync(enabledDir);
    writeFileSync(join(modulesDir, 'mod_proxy.so'), '');
    writeFileSync(join(modulesDir, 'mod_proxy_http.so'), '');
    writeFileSync(join(enabledDir, 'proxy.load'), 'LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n');
    const input = { modules: ['proxy', 'proxy_http'], tool: 'apache2 modules', modulesDir, enabledDir };
    expect(await runTask(hostApacheModules, input, { root })).toMatchObject({
      tool: 'apache2 modules',
      found: true,
      ok: true,
      path: modulesDir,
      detail: `enabled: proxy; available, not enabled in ${enabledDir}: proxy_http`,
      modules: [
        { module: 'proxy', available: true, enabled: true },
        { module: 'proxy_http', available: true, enabled: false },
      ],
    });
    const missing = await runTask(hostApacheModules, { ...input, modules: ['proxy', 'proxy_wstunnel'] }, { root });
    expect(missing).toMatchObject({
      found: false,
      ok: false,
      detail: `missing from ${modulesDir}: mod_proxy_wstunnel.so; enabled: proxy`,
    });
    expect(missing.path).toBeUndefined();
  });

  it('refuses a module name that is not one, and plans the file tests', () => {
    expect(hostApacheModules.input.safeParse({ modules: ['../x'] }).success).toBe(false);
    expect(hostApacheModules.input.safeParse({ modules: [] }).success).toBe(false);
    expect(hostApacheModules.plan(hostApacheModules.input.parse({ modules: ['proxy'] }))).toEqual([
      'test -f /usr/lib/apache2/modules/mod_proxy.so   (available)',
      'test -e /etc/apache2/mods-enabled/proxy.load   (enabled, each; reported only)',
    ]);
  });
});
