// The environments family's files and records: where a platform lives (`<home>/platforms/<platform>/platform.json`), what
// a project declares (`gravity-project.json` at its root: sites, services, tools, provisioning), which sites an
// environment activates (the chosen ones and, transitively, what they depend on), and the addresses an environment's
// machines hold (a store record per platform, changed under a lease: two environments never share one).
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { BadInputError, describeIssue, TaskError, type Store } from '../../engine/index.js';
import { poolAddresses } from '../support/addresses.js';
import { errnoCode, writeFileAtomic } from '../support/files.js';
import { DNS_LABEL, dnsLabel, domainName } from '../env/model.js';

/** The platform file's name, in the platform's folder. */
export const PLATFORM_FILE = 'platform.json';
/** The project manifest's name, at the root of a project's repository. */
export const PROJECT_FILE = 'gravity-project.json';

/** A platform name: a DNS label (it is one in every site's name). */
export const platformName = dnsLabel('platform').describe('The platform (a DNS label, e.g. paas).');
/** An environment name: a DNS label; a ticket id such as 1161 is one. */
export const envName = dnsLabel('env').describe('The environment (a DNS label: a ticket id such as 1161).');

/** A git URL or path to clone a project from: not an option, no control characters. */
export const repoUrl = z
  .string()
  .min(1)
  .max(2000)
  // eslint-disable-next-line no-control-regex
  .refine((u) => !u.startsWith('-') && !/[\0-\x1f\x7f]/.test(u), 'a git URL or path (not starting with -)')
  .describe('The git repository (a URL or a path).');

/** A platform's range: a CIDR, a range or a list (as a GitLab pool), at most 4096 addresses. */
export const ipRange = z
  .string()
  .min(1)
  .refine((r) => {
    try {
      poolAddresses(r, 'ipRange');
      return true;
    } catch {
      return false;
    }
  }, 'an IPv4 range: a CIDR such as 10.10.0.0/24 (/20 to /32), a range a-b or a list')
  .describe('The addresses its machines get: a CIDR such as 10.10.0.0/24, a range a-b, or a list.');

/** One project of a platform. */
export const projectRef = z.strictObject({
  name: dnsLabel('project'),
  repo: repoUrl,
  branch: z
    .string()
    .regex(/^[A-Za-z0-9._/-]{1,200}$/)
    .refine((b) => !b.startsWith('-') && !b.includes('..'), 'a branch name')
    .optional(),
});
export type ProjectRef = z.output<typeof projectRef>;

/** platform.json. */
export const platformFile = z.strictObject({
  format: z.literal(1),
  name: platformName,
  domain: domainName,
  ipRange,
  projects: z.array(projectRef).max(100),
  createdAt: z.string(),
});
export type Platform = z.output<typeof platformFile>;

/** The `home` input of every platform task. */
export const homeInput = z.string().min(1).describe('The folder holding platforms/ (relative: from the run root).');

/** The `home` input of a platform task, absolute (a relative one is from the run root). */
export const homeOf = (root: string, home: string) => (isAbsolute(home) ? home : join(root, home));

/** `<home>/platforms/<platform>`. */
export const platformDir = (home: string, platform: string) => join(home, 'platforms', platformName.parse(platform));
/** `<home>/platforms/<platform>/<env>`: the environment's workspace. */
export const envDir = (home: string, platform: string, env: string) =>
  join(platformDir(home, platform), envName.parse(env));

/** Reads a JSON file checked by `schema`; errors name the file and the field. */
async function readJson<T extends z.ZodType>(file: string, schema: T, what: string): Promise<z.output<T> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TaskError(`${file} is not JSON: ${(e as Error).message}`, { file });
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TaskError(
      // (an unknown key names the closest known one there)
      `${file} is not a ${what}: ${describeIssue(schema, issue!)}`,
      { file, path: issue?.path.join('.') },
    );
  }
  return r.data;
}

/** The platform's file, or undefined when there is none. */
export async function readPlatform(home: string, platform: string): Promise<Platform | undefined> {
  return readJson(join(platformDir(home, platform), PLATFORM_FILE), platformFile, 'platform file');
}

/** The platform's file; a missing one is an error saying how to make it. */
export async function loadPlatform(home: string, platform: string): Promise<Platform> {
  const p = await readPlatform(home, platform);
  if (!p)
    throw new TaskError(
      `no platform ${platform} under ${join(home, 'platforms')} (gravity run platform:init --param platform=${platform} makes it)`,
      { platform, home },
    );
  return p;
}

/** Writes the platform's file, whole and atomically. */
export async function writePlatform(home: string, p: Platform): Promise<string> {
  const file = join(platformDir(home, p.name), PLATFORM_FILE);
  await writeFileAtomic(file, `${JSON.stringify(platformFile.parse(p), null, 2)}\n`);
  return file;
}

/** Runs `fn` holding the platform's lease (every change of its file or its addresses takes it). */
export async function withPlatform<T>(store: Store, platform: string, fn: () => Promise<T>): Promise<T> {
  const lease = await store.lock(`platform-${platformName.parse(platform)}`, { ttlMs: 60_000, waitMs: 60_000 });
  try {
    return await fn();
  } finally {
    await lease.release();
  }
}

/** The store a platform.* task works on (the run's). */
export function storeOf(ctx: { store?: Store }): Store {
  if (!ctx.store) throw new BadInputError('the platform tasks need the engine store (run them through gravity run)');
  return ctx.store;
}

// ------------------------------------------------------------------------------------------------------------ projects

const machineName = dnsLabel('site or service');
const port = z.number().int().min(1).max(65535);

/** gravity-project.json: what a project brings to the environments that use it. */
export const projectFile = z.strictObject({
  format: z.literal(1),
  sites: z
    .record(
      machineName,
      z.strictObject({
        port: port.default(80).describe('The port the site listens on, on its machine.'),
        title: z.string().max(200).optional(),
        depends: z.array(machineName).max(64).default([]).describe('Sites or services it needs (of any project).'),
        path: z
          .string()
          .regex(/^[A-Za-z0-9._/-]{1,200}$/)
          .refine((p) => !p.split('/').includes('..') && !p.startsWith('/'), 'a folder inside the project')
          .optional()
          .describe('Its folder in the project (linked from srv/build-enabled/); default: the project itself.'),
      }),
    )
    .default({}),
  services: z
    .record(
      machineName,
      z.strictObject({
        port: port.optional(),
        title: z.string().max(200).optional(),
        depends: z.array(machineName).max(64).default([]),
      }),
    )
    .default({}),
  tools: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(100),
        on: machineName.describe('The site or service whose machine serves it.'),
        port,
        path: z
          .string()
          .regex(/^\/[A-Za-z0-9._~/-]*$/)
          .default('/'),
      }),
    )
    .max(64)
    .default([]),
  /** The sites an environment gets when none are chosen. */
  defaultSites: z.array(machineName).max(64).optional(),
  /** Salt states (a folder of the project): provisioned masterless; else `provision`, a shell script. */
  salt: z
    .string()
    .regex(/^[A-Za-z0-9._/-]{1,200}$/)
    .optional(),
  provision: z
    .string()
    .regex(/^[A-Za-z0-9._/-]{1,200}$/)
    .optional(),
});
export type ProjectFile = z.output<typeof projectFile>;

/** A project's manifest, read from its clone (a project without one brings nothing: an error names the file). */
export async function readProject(dir: string, name: string): Promise<ProjectFile> {
  const file = join(dir, PROJECT_FILE);
  const p = await readJson(file, projectFile, 'project manifest');
  if (!p) throw new TaskError(`project ${name} has no ${PROJECT_FILE} at its root (${file})`, { project: name, file });
  return p;
}

/** One active site or service of an environment, with the project it comes from. */
export interface Activated {
  name: string;
  kind: 'site' | 'service';
  project: string;
  port?: number;
  title?: string;
  path?: string;
  /** What it depends on directly. */
  depends: string[];
}

/**
 * The sites and services an environment activates: the chosen sites (none: every project's `defaultSites`, else every
 * site) and everything they depend on, transitively, in an order where each comes after what it depends on. A name
 * declared twice (in two projects, or as a site and a service), an unknown one, or a cycle is an error naming them.
 */
export function resolveSites(projects: Array<{ name: string; file: ProjectFile }>, chosen: string[]): Activated[] {
  const all = new Map<string, Activated>();
  const declare = (a: Activated) => {
    const seen = all.get(a.name);
    if (seen)
      throw new TaskError(
        `${a.kind} ${a.name} of project ${a.project} is also a ${seen.kind} of project ${seen.project}: names are shared by the whole platform`,
        { name: a.name },
      );
    all.set(a.name, a);
  };
  for (const { name: project, file } of projects) {
    for (const [name, s] of Object.entries(file.sites))
      declare({ name, kind: 'site', project, port: s.port, title: s.title, path: s.path, depends: s.depends });
    for (const [name, s] of Object.entries(file.services))
      declare({ name, kind: 'service', project, port: s.port, title: s.title, depends: s.depends });
  }
  const roots = chosen.length
    ? chosen
    : projects.flatMap((p) => p.file.defaultSites ?? Object.keys(p.file.sites)).filter((n, i, a) => a.indexOf(n) === i);
  const sitesKnown = [...all.values()].filter((a) => a.kind === 'site').map((a) => a.name);
  for (const r of roots) {
    const a = all.get(r);
    if (!a || a.kind !== 'site')
      throw new TaskError(
        `unknown site ${r}${a ? ` (${r} is a service of project ${a.project})` : ''}; the platform's sites: ${sitesKnown.join(', ') || 'none'}`,
        { site: r },
      );
  }
  const order: Activated[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new TaskError(`a dependency cycle: ${cycle.join(' -> ')}`, { cycle });
    }
    const a = all.get(name);
    if (!a)
      throw new TaskError(
        `${path[path.length - 1]} depends on ${name}, which no project of the platform declares (as a site or a service)`,
        { name, from: path[path.length - 1] },
      );
    state.set(name, 'visiting');
    for (const d of a.depends) visit(d, [...path, name]);
    state.set(name, 'done');
    order.push(a);
  };
  for (const r of roots) visit(r, []);
  return order;
}

/** Whether `s` is a DNS label (exported for the list params split by the workflows). */
export const isLabel = (s: string) => DNS_LABEL.test(s);

// ----------------------------------------------------------------------------------------------------------- addresses

/** The store key of a platform's address book: `platforms/<platform>/addresses` -> { env: { machine: ip } }. */
export const addressesKey = (platform: string) => `platforms/${platformName.parse(platform)}/addresses`;

/** Each environment's machines' addresses on the platform. */
export type AddressBook = Record<string, Record<string, string>>;

/** The address book of a platform (empty when none was written). */
export async function readAddresses(store: Store, platform: string): Promise<AddressBook> {
  const e = await store.get<AddressBook>(addressesKey(platform));
  return e?.value ?? {};
}
