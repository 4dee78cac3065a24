// Whether Apache modules are on the host as a task node: available (their .so file under the modules folder, what a
// LoadModule line of gravity's own config needs) and enabled (a2enmod's .load link). A check, shaped like
// host.check-tool's result so that reports take both; a missing module is a result, not a failure.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';

/** Input of `host.apache-modules`. */
export const apacheModulesInput = z.strictObject({
  modules: z
    .array(z.string().regex(/^[a-z0-9_]+$/, 'an Apache module name as a2enmod spells it, e.g. proxy_http'))
    .min(1)
    .describe('The modules, as a2enmod names them (proxy, proxy_http): their files are mod_<name>.so.'),
  tool: z.string().min(1).optional().describe('Name shown in reports; default "apache2 modules <names>".'),
  modulesDir: z
    .string()
    .default('/usr/lib/apache2/modules')
    .describe("Where Debian's apache2 keeps the module files (mod_<name>.so)."),
  enabledDir: z
    .string()
    .default('/etc/apache2/mods-enabled')
    .describe('Where a2enmod links the enabled modules (<name>.load).'),
});

/** Output of `host.apache-modules`: a host.check-tool result, plus each module's state. */
export const apacheModulesOutput = z.object({
  tool: z.string().describe('The name shown in reports.'),
  found: z.boolean().describe('Whether every module file is there.'),
  path: z.string().optional().describe('The modules folder, when every module is available.'),
  ok: z.boolean().describe('Whether every module is available (enabled or not: a LoadModule line can load it).'),
  detail: z.string().describe('Which modules are enabled, which are not, which are missing.'),
  modules: z
    .array(
      z.object({
        module: z.string().describe('The module name (proxy_http).'),
        file: z.string().describe('Its file (…/mod_proxy_http.so).'),
        available: z.boolean().describe('Whether the file exists.'),
        enabled: z.boolean().describe('Whether <enabledDir>/<name>.load exists (a2enmod).'),
      }),
    )
    .describe('Each module, in the order given.'),
});

/** Checks that Apache module files exist (available) and whether a2enmod enabled them; never fails on a missing one. */
export const hostApacheModules = defineTask({
  id: 'host.apache-modules',
  title: 'Check Apache modules',
  description:
    'Checks that Apache modules are available (mod_<name>.so under /usr/lib/apache2/modules: what a LoadModule line needs) and whether they are enabled (<name>.load in /etc/apache2/mods-enabled, by a2enmod); reports both. `ok` is availability: a missing module is a result (`ok: false`), not a failure.',
  input: apacheModulesInput,
  output: apacheModulesOutput,
  idempotent: true,
  plan: (i) => [
    `test -f ${i.modules.map((m) => join(i.modulesDir, `mod_${m}.so`)).join(' -a -f ')}   (available)`,
    `test -e ${i.modules.map((m) => join(i.enabledDir, `${m}.load`)).join(', ')}   (enabled, each; reported only)`,
  ],
  async run(ctx) {
    const { modules, modulesDir, enabledDir } = ctx.input;
    const tool = ctx.input.tool ?? `apache2 modules ${modules.join(', ')}`;
    const states = modules.map((module) => {
      const file = join(modulesDir, `mod_${module}.so`);
      return { module, file, available: existsSync(file), enabled: existsSync(join(enabledDir, `${module}.load`)) };
    });
    const missing = states.filter((s) => !s.available).map((s) => s.module);
    const enabled = states.filter((s) => s.enabled).map((s) => s.module);
    const disabled = states.filter((s) => s.available && !s.enabled).map((s) => s.module);
    const parts = [
      ...(missing.length ? [`missing from ${modulesDir}: ${missing.map((m) => `mod_${m}.so`).join(', ')}`] : []),
      ...(enabled.length ? [`enabled: ${enabled.join(', ')}`] : []),
      ...(disabled.length ? [`available, not enabled in ${enabledDir}: ${disabled.join(', ')}`] : []),
    ];
    const ok = missing.length === 0;
    ctx.log.info(`${tool}: ${parts.join('; ')}`);
    return {
      tool,
      found: ok,
      ...(ok ? { path: modulesDir } : {}),
      ok,
      detail: parts.join('; '),
      modules: states,
    };
  },
});
