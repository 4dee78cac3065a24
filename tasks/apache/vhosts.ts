// apache.vhosts: writes the virtual hosts of one environment (a reverse proxy per site, the homepage) from the shared
// model into a file of its own, checked by apache2 -t before it replaces anything; rollback puts the previous file back.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { envHost, siteHost } from '../env/model.js';
import { absolute, install, readIfExists, restoreFile, withFileLease } from '../support/config-file.js';
import { checkVhosts, renderVhosts, vhostsFields, vhostsFile } from './support.js';

/** Writes one environment's virtual hosts file. */
export const apacheVhosts = defineTask({
  id: 'apache.vhosts',
  title: "Write an environment's virtual hosts",
  description:
    "Writes <sitesDir>/<platform>-<env>.conf for the environment `model`, every virtual host on `address`:`port`: the homepage <env>.<platform>.<domain> served from `homepageDir`, and per site <site>.<env>.<platform>.<domain> proxied (ProxyPreserveHost, ProxyPass and ProxyPassReverse) to http://<its machine's address>:<its port>/. The file is checked with `apache2 -t` on a configuration of its own (modules from `modulesDir`: mpm_event, authz_core, proxy, proxy_http) together with the other *.conf files of `sitesDir`, before it replaces anything: a refusal installs nothing and quotes Apache and the file. The same model again changes nothing. The host's Apache must include `sitesDir` and load mod_proxy and mod_proxy_http. Rollback puts the previous file back (or removes the new one), unless it changed since.",
  input: z.strictObject(vhostsFields),
  output: z.object({
    file: z.string().describe('The virtual hosts file (absolute).'),
    hosts: z.array(z.string()).describe('The names it serves: the homepage, then the sites.'),
    changed: z.boolean().describe('Whether the file changed (false: it held these virtual hosts already).'),
    previous: z.string().nullable().describe('The text of the file before the step; null when there was none.'),
  }),
  idempotent: true,
  plan: (i) => [
    `write the virtual hosts of ${envHost(i.model)} (homepage from ${i.homepageDir}, ${i.model.sites.length} site(s) proxied to their machines) on ${i.address}:${i.port} to ${vhostsFile(i.sitesDir, i.model)}, checked with apache2 -t first`,
  ],
  async run(ctx) {
    const i = ctx.input;
    const sitesDir = absolute(ctx.root, i.sitesDir);
    const file = vhostsFile(sitesDir, i.model);
    const content = renderVhosts(i.model, { ...i, homepageDir: absolute(ctx.root, i.homepageDir) });
    const hosts = [envHost(i.model), ...i.model.sites.map((s) => siteHost(i.model, s.name)).sort()];
    return withFileLease(ctx, file, async () => {
      const previous = await readIfExists(file);
      if (previous === content) {
        ctx.log.info(`${file} holds these virtual hosts already (unchanged)`);
        return { file, hosts, changed: false, previous };
      }
      await checkVhosts(ctx, file, content, { sitesDir, modulesDir: absolute(ctx.root, i.modulesDir) });
      await install(file, content);
      ctx.log.info(`${previous === null ? 'wrote' : 'replaced'} ${file}: ${hosts.join(', ')}`);
      return { file, hosts, changed: true, previous };
    });
  },
  async compensate(ctx) {
    const o = ctx.output;
    if (!o.changed) return;
    const i = ctx.input;
    const written = renderVhosts(i.model, { ...i, homepageDir: absolute(ctx.root, i.homepageDir) });
    await withFileLease(ctx, o.file, () => restoreFile(ctx, o.file, written, o.previous));
  },
});
