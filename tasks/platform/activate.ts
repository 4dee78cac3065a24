// platform.activate: which sites and services an environment runs. Reads every project's gravity-project.json from its
// clone in the environment's srv/, resolves the chosen sites and what they depend on (transitively; a cycle, an unknown
// site or a name two projects declare is an error naming them), and makes srv/build-enabled/ hold exactly one link per
// active site or service, to its folder in its project.
import { lstat, mkdir, readdir, readlink, rename, symlink, unlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { dnsLabel } from '../env/model.js';
import { errnoCode } from '../support/files.js';
import {
  envDir,
  envName,
  homeInput,
  homeOf,
  loadPlatform,
  platformName,
  PROJECT_FILE,
  readProject,
  resolveSites,
} from './support.js';

/** The folder of active sites' links, under the environment's srv/. */
export const BUILD_ENABLED = 'build-enabled';

/** Activates an environment's sites. */
export const platformActivate = defineTask({
  id: 'platform.activate',
  title: "Activate an environment's sites",
  description: `Reads each project's ${PROJECT_FILE} (in srv/<project>/), resolves the chosen sites (none: each project's defaultSites, else all its sites) with everything they depend on, transitively, and makes srv/${BUILD_ENABLED}/ hold one link per active site or service, to its folder in its project (links of sites no longer active are removed; anything there that is not a link is refused). Returns them in dependency order, with their ports, tools and provisioning.`,
  input: z.strictObject({
    home: homeInput,
    platform: platformName,
    env: envName,
    sites: z.array(dnsLabel('site')).max(64).default([]).describe('The sites chosen (none: the defaults).'),
  }),
  output: z.object({
    active: z
      .array(
        z.object({
          name: z.string().describe('The site or service (its machine has the same name).'),
          kind: z.enum(['site', 'service']).describe('site or service.'),
          project: z.string().describe('The project declaring it.'),
          port: z.number().int().optional().describe('Its port on its machine.'),
          title: z.string().optional().describe('What the homepage calls it.'),
          depends: z.array(z.string()).describe('What it depends on directly.'),
        }),
      )
      .describe('The active sites and services, each after what it depends on.'),
    sites: z.array(z.string()).describe('The active sites.'),
    machines: z.array(z.string()).describe('One machine per active site or service, in the same order.'),
    tools: z
      .array(
        z.object({
          name: z.string().describe('The tool.'),
          machine: z.string().describe('The machine serving it.'),
          port: z.number().int().describe('Its port there.'),
          path: z.string().describe('Its path.'),
        }),
      )
      .describe("The tools of the projects whose site or service is active (on that one's machine)."),
    provisioning: z
      .record(
        z.string(),
        z.object({
          salt: z.string().optional().describe('Its Salt states folder.'),
          shell: z.string().optional().describe('Its shell provisioning script.'),
        }),
      )
      .describe('project -> its Salt states folder or its shell script (paths inside srv/<project>/).'),
  }),
  idempotent: true,
  plan: (i) => [
    `read srv/*/${PROJECT_FILE} of ${i.platform}/${i.env}; activate ${i.sites.length ? i.sites.join(', ') : 'the default sites'} and their dependencies as links in srv/${BUILD_ENABLED}/`,
  ],
  async run(ctx) {
    const i = ctx.input;
    const home = homeOf(ctx.root, i.home);
    const p = await loadPlatform(home, i.platform);
    const srv = join(envDir(home, i.platform, i.env), 'srv');
    const projects = [];
    for (const proj of p.projects)
      projects.push({ name: proj.name, file: await readProject(join(srv, proj.name), proj.name) });
    const active = resolveSites(projects, i.sites);

    const enabled = join(srv, BUILD_ENABLED);
    await mkdir(enabled, { recursive: true });
    const want = new Map(
      active.map((a) => [a.name, relative(enabled, join(srv, a.project, a.kind === 'site' && a.path ? a.path : ''))]),
    );
    for (const name of await readdir(enabled)) {
      const p2 = join(enabled, name);
      const st = await lstat(p2);
      if (!st.isSymbolicLink())
        throw new TaskError(`${p2} is not a link: srv/${BUILD_ENABLED}/ holds only the links gravity makes`, {
          path: p2,
        });
      if (want.get(name) !== (await readlink(p2))) await unlink(p2);
    }
    for (const [name, target] of want) {
      const link = join(enabled, name);
      try {
        if ((await readlink(link)) === target) continue;
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
      // made beside it and renamed over: a crash leaves the old link or the new one, never none
      const tmp = `${link}.tmp-${process.pid}`;
      await unlink(tmp).catch(() => undefined);
      await symlink(target, tmp);
      await rename(tmp, link);
    }
    const activeNames = new Set(active.map((a) => a.name));
    const tools = projects.flatMap((pr) =>
      pr.file.tools
        .filter((t) => activeNames.has(t.on))
        .map((t) => ({ name: t.name, machine: t.on, port: t.port, path: t.path })),
    );
    const provisioning = Object.fromEntries(
      projects.map((pr) => [
        pr.name,
        { ...(pr.file.salt ? { salt: pr.file.salt } : {}), ...(pr.file.provision ? { shell: pr.file.provision } : {}) },
      ]),
    );
    ctx.log.info(`active in ${i.platform}/${i.env}: ${active.map((a) => `${a.name} (${a.kind})`).join(', ')}`);
    return {
      active: active.map((a) => ({
        name: a.name,
        kind: a.kind,
        project: a.project,
        ...(a.port !== undefined ? { port: a.port } : {}),
        ...(a.title !== undefined ? { title: a.title } : {}),
        depends: a.depends,
      })),
      sites: active.filter((a) => a.kind === 'site').map((a) => a.name),
      machines: active.map((a) => a.name),
      tools,
      provisioning,
    };
  },
});
