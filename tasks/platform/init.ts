// platform.init and platform.add-project: a platform's folder and its platform.json (domain, address range, projects),
// written whole and atomically under the platform's lease. Running either again with the same values changes nothing;
// another domain or range for an existing platform is refused (environments already hold its names and addresses).
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { dnsLabel, domainName } from '../env/model.js';
import {
  homeOf,
  homeInput,
  ipRange,
  loadPlatform,
  PLATFORM_FILE,
  platformDir,
  platformName,
  readPlatform,
  repoUrl,
  storeOf,
  withPlatform,
  writePlatform,
  type Platform,
  type ProjectRef,
} from './support.js';

const home = homeInput;

/** A project's name from its repository: the last path part without `.git`. */
export function projectNameOf(repo: string): string {
  const base = basename(repo.replace(/[/:]+$/, '').replace(/^.*:/, '')).replace(/\.git$/, '');
  const r = dnsLabel('project').safeParse(base.toLowerCase());
  if (!r.success)
    throw new TaskError(`cannot name a project after ${repo}: give it a name (a DNS label) with --param name=`, {
      repo,
    });
  return r.data;
}

/** Adds a project to a platform's list, or finds it there; another repository under the same name is refused. */
function withProject(p: Platform, project: ProjectRef): { platform: Platform; added: boolean } {
  const same = p.projects.find((x) => x.name === project.name);
  if (same) {
    if (same.repo !== project.repo || (same.branch ?? null) !== (project.branch ?? null))
      throw new TaskError(
        `platform ${p.name} has a project ${project.name} already, from ${same.repo}${same.branch ? ` (${same.branch})` : ''}: choose another name`,
        { project: project.name },
      );
    return { platform: p, added: false };
  }
  return { platform: { ...p, projects: [...p.projects, project] }, added: true };
}

/** Creates a platform. */
export const platformInit = defineTask({
  id: 'platform.init',
  title: 'Create a platform',
  description:
    "Creates <home>/platforms/<platform>/ and its platform.json (domain, address range, projects), under the platform's lease. Run again with the same domain and range it changes nothing (a repo given is added as a project if it is not there); another domain or range is refused: environments hold names and addresses of the old ones. Rollback removes what it made.",
  input: z.strictObject({
    home,
    platform: platformName,
    domain: domainName.default('example.test').describe('Sites are <site>.<env>.<platform>.<domain>.'),
    ipRange: ipRange.default('10.10.0.0/24'),
    repo: repoUrl.nullable().optional().describe('A first project to add (its name: the repository name).'),
  }),
  output: z.object({
    dir: z.string().describe('The platform folder.'),
    file: z.string().describe('Its platform.json.'),
    created: z.boolean().describe('Whether this run created the platform.'),
    projects: z.array(z.string()).describe('Its projects.'),
  }),
  idempotent: true,
  plan: (i) => [
    `mkdir -p ${join(i.home, 'platforms', i.platform)}`,
    `write ${join(i.home, 'platforms', i.platform, PLATFORM_FILE)}: domain ${i.domain}, range ${i.ipRange}${i.repo ? `, project ${i.repo}` : ''}`,
  ],
  async run(ctx) {
    const i = ctx.input;
    const h = homeOf(ctx.root, i.home);
    return withPlatform(storeOf(ctx), i.platform, async () => {
      const dir = platformDir(h, i.platform);
      const existing = await readPlatform(h, i.platform);
      let p: Platform;
      if (existing) {
        if (existing.domain !== i.domain || existing.ipRange !== i.ipRange)
          throw new TaskError(
            `platform ${i.platform} exists with domain ${existing.domain} and range ${existing.ipRange}, not ${i.domain} and ${i.ipRange}: its environments hold names and addresses of those (edit ${join(dir, PLATFORM_FILE)} by hand if you mean it)`,
            { platform: i.platform },
          );
        p = existing;
      } else {
        await mkdir(dir, { recursive: true });
        p = {
          format: 1,
          name: i.platform,
          domain: i.domain,
          ipRange: i.ipRange,
          projects: [],
          createdAt: new Date().toISOString(),
        };
      }
      if (i.repo) p = withProject(p, { name: projectNameOf(i.repo), repo: i.repo }).platform;
      const file = await writePlatform(h, p);
      ctx.log.info(`${existing ? 'platform' : 'created platform'} ${i.platform}: ${file}`);
      return { dir, file, created: !existing, projects: p.projects.map((x) => x.name) };
    });
  },
  async compensate(ctx) {
    if (!ctx.output.created) return;
    await rm(ctx.output.file, { force: true });
    // the folder only if nothing else was put in it since
    await rmdir(ctx.output.dir).catch(() => undefined);
  },
});

/** Adds a project to a platform. */
export const platformAddProject = defineTask({
  id: 'platform.add-project',
  title: 'Add a project to a platform',
  description:
    "Adds a project (a git repository; its name defaults to the repository's) to platform.json, under the platform's lease. The same project again changes nothing; another repository under a name in use is refused. Environments clone it at their next env:init. Rollback removes it if this step added it.",
  input: z.strictObject({
    home,
    platform: platformName,
    repo: repoUrl,
    name: dnsLabel('project')
      .nullable()
      .optional()
      .describe('Its name in the platform (default: the repository name).'),
    branch: z
      .string()
      .regex(/^[A-Za-z0-9._/-]{1,200}$/)
      .refine((b) => !b.startsWith('-') && !b.includes('..'), 'a branch name')
      .nullable()
      .optional()
      .describe('The branch environments check out (default: the remote HEAD).'),
  }),
  output: z.object({
    project: z.string().describe("The project's name."),
    added: z.boolean().describe('False when the platform had it already.'),
    projects: z.array(z.string()).describe('The platform projects now.'),
  }),
  idempotent: true,
  plan: (i) => [
    `add project ${i.name ?? '<repository name>'} (${i.repo}${i.branch ? `, ${i.branch}` : ''}) to ${join(i.home, 'platforms', i.platform, PLATFORM_FILE)}`,
  ],
  async run(ctx) {
    const i = ctx.input;
    const h = homeOf(ctx.root, i.home);
    return withPlatform(storeOf(ctx), i.platform, async () => {
      const p = await loadPlatform(h, i.platform);
      const project: ProjectRef = {
        name: i.name ?? projectNameOf(i.repo),
        repo: i.repo,
        ...(i.branch ? { branch: i.branch } : {}),
      };
      const r = withProject(p, project);
      if (r.added) await writePlatform(h, r.platform);
      ctx.log.info(`${r.added ? 'added' : 'already has'} project ${project.name} (${i.repo})`);
      return { project: project.name, added: r.added, projects: r.platform.projects.map((x) => x.name) };
    });
  },
  async compensate(ctx) {
    if (!ctx.output.added) return;
    const h = homeOf(ctx.root, ctx.input.home);
    await withPlatform(storeOf(ctx), ctx.input.platform, async () => {
      const p = await loadPlatform(h, ctx.input.platform);
      await writePlatform(h, { ...p, projects: p.projects.filter((x) => x.name !== ctx.output.project) });
    });
  },
});
